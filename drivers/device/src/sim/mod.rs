//! Simulated twins of every device family, driven through the same traits as real devices.
//!
//! Implements: one `Sim*` device per seam plus a cloneable `Sim*Handle` (shared state behind
//! `Arc<Mutex<…>>`) through which tests and the kiosk look at what the device did and inject
//! faults (paper out, cover open, cable pulled, card inserted, key pressed…). The kiosk runs
//! on these when no hardware is configured, so the whole flow works on a laptop.
//!
//! Does not implement: timing. Twins answer at once (no print speed, no audio pacing, no
//! camera frame rate); time-sensitive tests drive a virtual clock elsewhere. Twins sit at the
//! trait seam, not at the byte level, except the scanner, whose injected bytes go through
//! the real [`crate::scanner::LineAssembler`].
//!
//! ```
//! use motcua_device::printer::{PaperLevel, Printer};
//! use motcua_device::sim::SimPrinter;
//! use motcua_device::ticket::{PaperWidth, TicketData, queue_ticket};
//! use motcua_device::ErrorKind;
//!
//! let sim = SimPrinter::new(PaperWidth::Mm80);
//! let handle = sim.handle();
//! let mut printer: Box<dyn Printer> = Box::new(sim);
//! let doc = queue_ticket(&TicketData { number: "A023".into(), ..Default::default() }, PaperWidth::Mm80);
//!
//! handle.set_paper(PaperLevel::Out);
//! assert!(matches!(printer.print(&doc), Err(e) if e.kind() == ErrorKind::Hardware));
//! assert!(handle.jobs().is_empty()); // not printed, not counted
//!
//! handle.set_paper(PaperLevel::Ok);
//! assert_eq!(printer.print(&doc)?.job_id, 1);
//! assert_eq!(handle.jobs().len(), 1);
//! # Ok::<(), motcua_device::Error>(())
//! ```
//!
//! Handles recover from a poisoned lock (a panicking test thread) instead of propagating the
//! panic: the state is plain data and stays consistent between statements.

mod audio;
mod camera;
mod id_card;
mod keypad;
mod microphone;
mod printer;
mod scanner;

use std::sync::{Mutex, MutexGuard, PoisonError};

pub use audio::{SimAudioOut, SimAudioOutHandle};
pub use camera::{SimCamera, SimCameraHandle};
pub use id_card::{ApduResponder, DEFAULT_ATR, SimIdCardReader, SimIdCardReaderHandle, default_responder};
pub use keypad::{SimKeypad, SimKeypadHandle};
pub use microphone::{SimMicrophone, SimMicrophoneHandle};
pub use printer::{PrintedJob, SimPrinter, SimPrinterHandle};
pub use scanner::{SimCodeScanner, SimCodeScannerHandle};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
