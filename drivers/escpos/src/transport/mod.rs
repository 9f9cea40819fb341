//! Thin byte transports that carry the sans-IO core's bytes to a printer and back.
//!
//! Implements: the [`ByteTransport`] seam (write with a timeout, read what is available with a
//! timeout) and its real implementations, each behind a cargo feature:
//! * [`tcp::TcpTransport`] (`tcp`, default): raw TCP port 9100 ("JetDirect") with std timeouts;
//! * [`lp::LpTransport`] (`lp`, default): the kernel's USB printer class node `/dev/usb/lp*`
//!   (usblp), opened non-blocking and polled against a deadline;
//! * `serial::SerialTransport` (`serial`): RS-232/USB-serial through `serialport`, with the
//!   flow control taken explicitly from the configuration (never the port's leftover setting);
//! * `usb::UsbTransport` (`usb`): the USB printer class through `rusb`, bulk OUT/IN endpoints
//!   of the printer-class interface, usblp detached while we hold the device.
//!
//! The simulated twin ([`crate::sim::VirtualEscposDevice`]) implements the same trait in memory,
//! so [`crate::printer::EscposPrinter`] runs the same code path against it as against hardware.
//!
//! Does not implement: discovery (which `/dev/usb/lp*` or VID:PID is the printer is the
//! kiosk's configuration), reconnects (the caller makes a new transport).

use std::time::Duration;

use motcua_device::Error;

#[cfg(feature = "lp")]
pub mod lp;
#[cfg(feature = "serial")]
pub mod serial;
#[cfg(feature = "tcp")]
pub mod tcp;
#[cfg(feature = "usb")]
pub mod usb;

/// The seam between the printer logic and a device link.
///
/// Errors use the shared [`motcua_device::Error`]: `Disconnected` when the link is gone,
/// `Timeout` when a write could not complete in time.
pub trait ByteTransport {
    /// Writes every byte, or fails with [`Error::Timeout`] when `timeout` passes first.
    fn write_all(&mut self, data: &[u8], timeout: Duration) -> Result<(), Error>;

    /// Reads what the device has sent, waiting at most `timeout` for the first byte.
    /// `Ok(0)` means nothing arrived in time (not end of stream).
    fn read_available(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error>;

    /// Link speed in bytes per second when known (serial: baud / 10), used to size timeouts.
    fn bytes_per_second(&self) -> Option<u32> {
        None
    }

    /// A monotonic clock as this link sees it. Real links use wall time; the simulated twin
    /// overrides it with virtual time so timeouts are tested without waiting.
    fn now(&self) -> Duration {
        wall_clock()
    }
}

/// Monotonic wall time since the first call in this process.
pub fn wall_clock() -> Duration {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

/// Maps an I/O error to the shared device error.
pub(crate) fn io_error(e: &std::io::Error) -> Error {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::TimedOut | K::WouldBlock => Error::Timeout,
        K::NotFound
        | K::BrokenPipe
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::ConnectionRefused
        | K::NotConnected
        | K::UnexpectedEof => Error::Disconnected,
        _ if e.raw_os_error() == Some(19) || e.raw_os_error() == Some(5) => Error::Disconnected, // ENODEV, EIO
        _ => Error::Hardware(e.to_string()),
    }
}
