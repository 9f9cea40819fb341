//! The serial transport over `serialport`: a USB-CDC keypad (`/dev/ttyACM*`) or an RS-485
//! adapter (`/dev/ttyUSB*`), 115200 8N1 by default.
//!
//! Name the device with a udev rule so it survives replugging and renumbering (see the crate
//! README): `/dev/motcua/keypad`. When the cable is pulled the open port starts failing
//! (`EIO`/`POLLHUP`, reported as an error); the driver then drops it and reopens the path
//! through [`SerialConnector`] with backoff.

use std::io::{self, Read, Write};
use std::time::Duration;

use serialport::{DataBits, FlowControl, Parity, SerialPort, StopBits, TTYPort};

use super::{ByteTransport, Connect};

/// How long a write may wait for room in the output buffer before the port counts as stuck.
const WRITE_TIMEOUT: Duration = Duration::from_millis(200);

/// Line settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialConfig {
    /// Device path, e.g. `/dev/motcua/keypad`.
    pub path: String,
    /// Baud rate (USB-CDC ignores it; RS-485 adapters do not).
    pub baud_rate: u32,
    /// Data bits.
    pub data_bits: DataBits,
    /// Parity.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
    /// Flow control (none on the keypad).
    pub flow_control: FlowControl,
}

impl SerialConfig {
    /// 115200 8N1, no flow control, on `path`.
    pub fn new(path: impl Into<String>) -> Self {
        SerialConfig {
            path: path.into(),
            baud_rate: 115_200,
            data_bits: DataBits::Eight,
            parity: Parity::None,
            stop_bits: StopBits::One,
            flow_control: FlowControl::None,
        }
    }
}

impl Default for SerialConfig {
    fn default() -> Self {
        Self::new("/dev/motcua/keypad")
    }
}

/// An open serial port (any `serialport` port, including one end of a pty pair).
#[derive(Debug)]
pub struct SerialTransport {
    port: TTYPort,
}

impl SerialTransport {
    /// Opens the port described by `config` (exclusive, so a second kiosk process cannot
    /// steal bytes).
    pub fn open(config: &SerialConfig) -> io::Result<Self> {
        let port = serialport::new(&config.path, config.baud_rate)
            .data_bits(config.data_bits)
            .parity(config.parity)
            .stop_bits(config.stop_bits)
            .flow_control(config.flow_control)
            .timeout(Duration::from_millis(10))
            .open_native()?;
        Ok(SerialTransport { port })
    }

    /// Wraps an already open port, e.g. one end of `TTYPort::pair()`.
    pub fn from_port(port: TTYPort) -> Self {
        SerialTransport { port }
    }
}

impl ByteTransport for SerialTransport {
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

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        // The read timeout may be zero; a write must be allowed to wait for buffer space.
        self.port.set_timeout(WRITE_TIMEOUT)?;
        self.port.write_all(data)?;
        self.port.flush()
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
    type Transport = SerialTransport;

    fn connect(&mut self) -> io::Result<SerialTransport> {
        SerialTransport::open(&self.config)
    }
}
