//! The byte-source seam and the "open the device again" seam.
//!
//! Implements: [`ByteSource`] (read with a timeout) and [`Connect`] (produce a fresh source
//! after the old one died). The driver owns one source at a time and asks its [`Connect`] for
//! a new one, with backoff, when the device disappears. [`serial`] and [`evdev`] are the real
//! implementations; the twins in `sim` hand the driver the same types over a pty pair or a
//! socketpair, so tests run the real read paths.

use std::io;
use std::time::Duration;

#[cfg(feature = "evdev")]
pub mod evdev;
#[cfg(feature = "serial")]
pub mod serial;

/// Bytes from a scanner (scanners are read-only: their setup is done by scanning barcodes).
pub trait ByteSource {
    /// Reads what has arrived, waiting at most `timeout` for the first byte. `Ok(0)` means
    /// nothing arrived in time; an error means the device is gone and the source will be
    /// dropped.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;

    /// Whether keystrokes are kept from the rest of the system (`Some(true)` for a grabbed
    /// evdev device; `Some(false)` when grabbing was skipped; `None` when it does not apply).
    fn grabbed(&self) -> Option<bool> {
        None
    }
}

/// Opens (or reopens) the source.
pub trait Connect {
    /// The source it opens.
    type Source: ByteSource;

    /// Tries to open the source once.
    fn connect(&mut self) -> io::Result<Self::Source>;
}

impl<T: ByteSource, F: FnMut() -> io::Result<T>> Connect for F {
    type Source = T;

    fn connect(&mut self) -> io::Result<T> {
        self()
    }
}
