//! The serial transport over `serialport`: a scanner in USB-CDC mode (`/dev/ttyACM*`) or
//! behind a USB-serial bridge (`/dev/ttyUSB*`).
//!
//! Set the scanner to its "USB COM port" / "USB CDC" interface and UTF-8 output by scanning
//! the setup barcodes in its manual; pick the terminator and prefix/suffix there too and mirror
//! them in [`crate::Config`]. Name the device with a udev rule or use its
//! `/dev/serial/by-id/...` link so it survives replugging. Flow control is always off: scanners
//! send short bursts and many bridges leave RTS/CTS floating, which would stall the line.
//!
//! When the cable is pulled the open port fails (`EIO`, or end of stream); the driver then
//! drops it and reopens the path through [`SerialConnector`] with backoff.

use std::io::{self, Read};
use std::time::Duration;

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits, TTYPort};

use super::{ByteSource, Connect};

/// Line settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// Device path, e.g. `/dev/serial/by-id/usb-...-if00` or `/dev/motcua/scanner`.
    pub path: String,
    /// Baud rate (USB-CDC ignores it; bridges do not). Scanners default to 9600 or 115200.
    pub baud_rate: u32,
    /// Data bits.
    pub data_bits: DataBits,
    /// Parity.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
}

impl SerialConfig {
    /// 9600 8N1 on `path` (the factory setting of most scanners' serial mode).
    pub fn new(path: impl Into<String>) -> Self {
        SerialConfig {
            path: path.into(),
            baud_rate: 9_600,
            data_bits: DataBits::Eight,
            parity: Parity::None,
            stop_bits: StopBits::One,
        }
    }
}

impl Default for SerialConfig {
    fn default() -> Self {
        Self::new("/dev/motcua/scanner")
    }
}

/// An open serial port.
#[derive(Debug)]
pub struct SerialTransport {
    port: TTYPort,
}

impl SerialTransport {
    /// Opens the port (exclusive, no flow control).
    pub fn open(config: &SerialConfig) -> io::Result<Self> {
        let port = serialport::new(&config.path, config.baud_rate)
            .data_bits(config.data_bits)
            .parity(config.parity)
            .stop_bits(config.stop_bits)
            .flow_control(FlowControl::None)
            .timeout(Duration::from_millis(10))
            .open_native()?;
        Ok(SerialTransport { port })
    }

    /// Wraps an already open port.
    pub fn from_port(port: TTYPort) -> Self {
        SerialTransport { port }
    }
}

impl ByteSource for SerialTransport {
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        self.port.set_timeout(timeout)?;
        match self.port.read(buf) {
            // A tty never reports end of stream while open; 0 here means the other end hung up.
            Ok(0) => Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }
}

/// Reopens the configured path each time the driver asks.
#[derive(Debug, Clone)]
pub struct SerialConnector {
    config: SerialConfig,
}

impl SerialConnector {
    /// A connector for `config`.
    pub fn new(config: SerialConfig) -> Self {
        SerialConnector { config }
    }
}

impl Connect for SerialConnector {
    type Source = SerialTransport;

    fn connect(&mut self) -> io::Result<SerialTransport> {
        SerialTransport::open(&self.config)
    }
}
