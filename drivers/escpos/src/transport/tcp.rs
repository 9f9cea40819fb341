//! Raw TCP port 9100 (network printers, print servers).
//!
//! Implements: [`ByteTransport`] over a `std::net::TcpStream` with per-call write and read
//! timeouts and `TCP_NODELAY` (status requests are 3 bytes and must not wait for Nagle).
//! Does not implement: LPD/IPP, or reconnects.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use motcua_device::Error;

use super::{ByteTransport, io_error};

/// A printer on TCP (usually port 9100).
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
}

impl TcpTransport {
    /// Connects to `addr` (e.g. `"192.168.1.50:9100"`) within `timeout`.
    pub fn connect(addr: &str, timeout: Duration) -> Result<Self, Error> {
        let addrs = addr.to_socket_addrs().map_err(|e| Error::Hardware(format!("{addr}: {e}")))?;
        let mut last = Error::Disconnected;
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(stream) => return Self::from_stream(stream),
                Err(e) => last = io_error(&e),
            }
        }
        Err(last)
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: TcpStream) -> Result<Self, Error> {
        stream.set_nodelay(true).map_err(|e| io_error(&e))?;
        Ok(Self { stream })
    }
}

fn nonzero(d: Duration) -> Duration {
    d.max(Duration::from_millis(1))
}

impl ByteTransport for TcpTransport {
    fn write_all(&mut self, data: &[u8], timeout: Duration) -> Result<(), Error> {
        self.stream.set_write_timeout(Some(nonzero(timeout))).map_err(|e| io_error(&e))?;
        self.stream.write_all(data).map_err(|e| io_error(&e))?;
        self.stream.flush().map_err(|e| io_error(&e))
    }

    fn read_available(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        self.stream.set_read_timeout(Some(nonzero(timeout))).map_err(|e| io_error(&e))?;
        match self.stream.read(buf) {
            Ok(0) => Err(Error::Disconnected),
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => Ok(0),
            Err(e) => Err(io_error(&e)),
        }
    }
}
