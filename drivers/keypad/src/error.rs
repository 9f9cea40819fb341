//! The crate's one error type and its coarse kind.
//!
//! Implements: every failure of the host keypad driver. The kinds are `motcua-device`'s
//! [`ErrorKind`], so the health page and retry logic branch the same way for every device.

use std::io;

use motcua_device::ErrorKind;

/// Everything the keypad driver can report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The serial port is not open (never opened, or lost and not yet reopened); the driver
    /// retries with backoff on its own, keep polling.
    #[error("keypad port is not open")]
    Disconnected,
    /// The serial port failed while in use (cable yanked, adapter unplugged, pty closed). The
    /// port was closed and will be reopened with backoff.
    #[error("keypad port lost: {0}")]
    PortLost(#[source] io::Error),
    /// The link's send queue is full (the keypad is not acknowledging fast enough).
    #[error("keypad send queue is full")]
    Busy,
    /// The protocol crate refused a message (a bug or an oversize payload).
    #[error("keypad protocol: {0}")]
    Protocol(#[from] motcua_keypad_proto::Error),
}

impl Error {
    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Disconnected | Error::PortLost(_) => ErrorKind::Disconnected,
            Error::Busy => ErrorKind::Busy,
            Error::Protocol(_) => ErrorKind::Protocol,
        }
    }
}

impl From<Error> for motcua_device::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Disconnected | Error::PortLost(_) => motcua_device::Error::Disconnected,
            Error::Busy => motcua_device::Error::Busy,
            Error::Protocol(p) => motcua_device::Error::Protocol(p.to_string()),
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
