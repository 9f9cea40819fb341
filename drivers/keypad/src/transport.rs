//! The byte-transport seam and the "open the port again" seam.
//!
//! Implements: [`ByteTransport`] (read with a timeout, write everything) and [`Connect`]
//! (produce a fresh transport after the old one died). The driver owns one transport at a
//! time and asks its [`Connect`] for a new one, with backoff, when the port disappears.
//! [`serial`] is the real implementation; tests use the same one over a pty pair, or any
//! closure returning an in-memory transport.

use std::io;
use std::time::Duration;

#[cfg(feature = "serial")]
pub mod serial;

/// A bidirectional byte stream to the keypad.
pub trait ByteTransport {
    /// Reads what has arrived, waiting at most `timeout` for the first byte. `Ok(0)` means
    /// nothing arrived in time (serial lines have no end of stream); an error means the
    /// transport is broken and will be dropped.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;

    /// Writes all of `data`.
    fn write_all(&mut self, data: &[u8]) -> io::Result<()>;
}

/// Opens (or reopens) the transport.
pub trait Connect {
    /// The transport it opens.
    type Transport: ByteTransport;

    /// Tries to open the transport once.
    fn connect(&mut self) -> io::Result<Self::Transport>;
}

impl<T: ByteTransport, F: FnMut() -> io::Result<T>> Connect for F {
    type Transport = T;

    fn connect(&mut self) -> io::Result<T> {
        self()
    }
}
