//! The sans-IO scanner cores: bytes (serial) or `input_event` records (HID) in, codes and
//! typed rejections out, time passed in as milliseconds. No I/O, no clock, no serialport or
//! libc here (house style §2).

pub mod frame;
pub mod hid;
pub mod serial;

pub use frame::{AimMode, AltCodes, Config, Event, Stats, Terminator};
pub use hid::{HidCore, INPUT_EVENT_SIZE, InputEvent};
pub use serial::SerialCore;

/// What the driver needs from a core, so one driver loop serves both kinds of scanner.
pub trait ScanCore {
    /// Input read at `now` (ms).
    fn feed(&mut self, now: u64, bytes: &[u8]);
    /// Runs timers at `now`.
    fn handle_timeout(&mut self, now: u64);
    /// The device went away at `now`.
    fn handle_disconnect(&mut self, now: u64);
    /// Next output.
    fn poll_event(&mut self) -> Option<Event>;
    /// Next deadline.
    fn poll_timeout(&self) -> Option<u64>;
    /// Counters.
    fn stats(&self) -> &Stats;
}

macro_rules! impl_core {
    ($t:ty) => {
        impl ScanCore for $t {
            fn feed(&mut self, now: u64, bytes: &[u8]) {
                <$t>::feed(self, now, bytes)
            }
            fn handle_timeout(&mut self, now: u64) {
                <$t>::handle_timeout(self, now)
            }
            fn handle_disconnect(&mut self, now: u64) {
                <$t>::handle_disconnect(self, now)
            }
            fn poll_event(&mut self) -> Option<Event> {
                <$t>::poll_event(self)
            }
            fn poll_timeout(&self) -> Option<u64> {
                <$t>::poll_timeout(self)
            }
            fn stats(&self) -> &Stats {
                <$t>::stats(self)
            }
        }
    };
}

impl_core!(SerialCore);
impl_core!(HidCore);
