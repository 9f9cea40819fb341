//! RS-232 and USB-serial printers through `serialport`.
//!
//! Implements: [`ByteTransport`] over a serial port whose baud rate and flow control come
//! explicitly from [`SerialConfig`] (a port keeps whatever flow control the last program set;
//! thermal printers default to 9600 8N1 with RTS/CTS or DTR/DSR "busy" handshaking, and a
//! mismatch silently drops bytes once the printer's buffer fills).
//! Does not implement: port discovery; XON/XOFF inside binary data (raster and `ESC &` data may
//! contain 0x11/0x13, so software flow control is only safe for pure-text jobs).

use std::io::{Read, Write};
use std::time::Duration;

use motcua_device::Error;
pub use serialport::FlowControl;

use super::{ByteTransport, io_error};

/// How to open the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// Device path, e.g. `/dev/ttyUSB0` or a `/dev/serial/by-id/…` link.
    pub path: String,
    /// Baud rate (8N1 is assumed: 10 bits a byte).
    pub baud: u32,
    /// Flow control, set explicitly on open.
    pub flow_control: FlowControl,
}

impl SerialConfig {
    /// `path` at 9600 baud with hardware (RTS/CTS) flow control, the common printer default.
    pub fn new(path: impl Into<String>) -> Self {
        Self { path: path.into(), baud: 9600, flow_control: FlowControl::Hardware }
    }
}

/// A printer on a serial port.
#[derive(Debug)]
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    baud: u32,
}

fn serial_error(e: serialport::Error) -> Error {
    match e.kind() {
        serialport::ErrorKind::NoDevice => Error::Disconnected,
        serialport::ErrorKind::Io(k) => io_error(&std::io::Error::new(k, e.description)),
        _ => Error::Hardware(e.to_string()),
    }
}

impl SerialTransport {
    /// Opens the port with the configured speed and flow control.
    pub fn open(config: &SerialConfig) -> Result<Self, Error> {
        let port = serialport::new(&config.path, config.baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(config.flow_control)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(serial_error)?;
        Ok(Self::from_port(port, config.baud))
    }

    /// Wraps an opened port (e.g. one end of `TTYPort::pair()` in tests).
    pub fn from_port(port: Box<dyn serialport::SerialPort>, baud: u32) -> Self {
        Self { port, baud }
    }
}

impl ByteTransport for SerialTransport {
    fn write_all(&mut self, data: &[u8], timeout: Duration) -> Result<(), Error> {
        self.port.set_timeout(timeout.max(Duration::from_millis(1))).map_err(serial_error)?;
        self.port.write_all(data).map_err(|e| io_error(&e))?;
        self.port.flush().map_err(|e| io_error(&e))
    }

    fn read_available(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, Error> {
        self.port.set_timeout(timeout.max(Duration::from_millis(1))).map_err(serial_error)?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) => Ok(0),
            Err(e) => Err(io_error(&e)),
        }
    }

    fn bytes_per_second(&self) -> Option<u32> {
        Some((self.baud / 10).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serialport::SerialPort;

    #[test]
    fn pty_pair_carries_bytes_both_ways() {
        let Ok((host, mut device)) = serialport::TTYPort::pair() else {
            return; // no ptys in this sandbox: nothing to test
        };
        let mut t = SerialTransport::from_port(Box::new(host), 9600);
        assert_eq!(t.bytes_per_second(), Some(960));
        t.write_all(&[0x10, 0x04, 0x01], Duration::from_millis(500)).expect("write");
        let mut got = [0u8; 3];
        device.set_timeout(Duration::from_millis(500)).expect("timeout");
        device.read_exact(&mut got).expect("read");
        assert_eq!(got, [0x10, 0x04, 0x01]);
        device.write_all(&[0x12]).expect("reply");
        let mut buf = [0u8; 8];
        assert_eq!(t.read_available(&mut buf, Duration::from_millis(500)).ok(), Some(1));
        assert_eq!(buf[0], 0x12);
        assert_eq!(t.read_available(&mut buf, Duration::from_millis(10)).ok(), Some(0));
    }
}
