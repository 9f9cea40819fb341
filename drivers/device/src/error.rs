//! The crate's one error type and the coarse [`ErrorKind`] that callers branch on.
//!
//! Implements: every failure a device seam or the renderer can report. Does not implement retry
//! or backoff policy; the health page and the retry logic decide that from [`Error::kind`].

use std::io;

/// Everything that can go wrong talking to a device (real or simulated) or rendering a ticket.
///
/// Match on [`Error::kind`] to decide what to do (retry, alarm, give up); match on the variant
/// only when the detail matters (e.g. to tell the citizen "out of paper").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The device is not connected: cable pulled, device node gone, reader unplugged.
    #[error("device is disconnected")]
    Disconnected,
    /// The ID-card reader is connected but no card is on it (or the card was removed mid-exchange).
    #[error("no card on the reader")]
    NoCard,
    /// The device did not answer in time.
    #[error("device did not answer in time")]
    Timeout,
    /// The device is busy with another job and refused this one; try again later.
    #[error("device is busy")]
    Busy,
    /// The printer is out of paper; nothing was printed.
    #[error("printer is out of paper")]
    PaperOut,
    /// The printer cover is open; nothing was printed.
    #[error("printer cover is open")]
    CoverOpen,
    /// The printer's auto-cutter reported an error (usually a jam); nothing was printed.
    #[error("printer cutter error")]
    CutterError,
    /// The device reported some other hardware fault.
    #[error("hardware fault: {0}")]
    Hardware(String),
    /// The device sent bytes or a reply that do not follow its protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A scanned line grew past the assembler's limit without a terminator; the line is dropped
    /// and the assembler resynchronises at the next CR or LF.
    #[error("scanned line longer than {max} bytes")]
    LineTooLong {
        /// The limit that was exceeded, in bytes.
        max: usize,
    },
    /// A scanned line is not valid UTF-8; the line is dropped.
    #[error("scanned line is not valid UTF-8 (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// Number of leading bytes of the line that were valid UTF-8.
        valid_up_to: usize,
    },
    /// The request is not supported by this device or is out of its range (e.g. sample rate 0).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A raster could not be encoded as an image (e.g. PNG of a zero-height raster).
    #[error("could not encode image: {0}")]
    Encode(String),
    /// An operating-system I/O error from a device transport.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Coarse classification of an [`Error`], for health pages and retry logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    /// The device (or card) is gone; wait for it to come back, raise an alarm.
    Disconnected,
    /// The device did not answer in time; retrying may help.
    Timeout,
    /// The device or the data broke the protocol; drop the frame, maybe reset the device.
    Protocol,
    /// The device is busy; retry later.
    Busy,
    /// The request cannot be done by this device or with this data; retrying will not help.
    Unsupported,
    /// The device reported a physical fault (paper, cover, cutter, sensor); needs a person.
    Hardware,
}

impl Error {
    /// The coarse kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Disconnected | Error::NoCard => ErrorKind::Disconnected,
            Error::Timeout => ErrorKind::Timeout,
            Error::Busy => ErrorKind::Busy,
            Error::PaperOut | Error::CoverOpen | Error::CutterError | Error::Hardware(_) => ErrorKind::Hardware,
            Error::Protocol(_) | Error::LineTooLong { .. } | Error::InvalidUtf8 { .. } => ErrorKind::Protocol,
            Error::Unsupported(_) | Error::Encode(_) => ErrorKind::Unsupported,
            Error::Io(e) => io_kind(e),
        }
    }
}

/// Linux errno values that mean "the device went away". std maps neither to a specific
/// `io::ErrorKind` (they arrive as `Uncategorized`), yet they are exactly what usblp and tty
/// nodes return after the cable is pulled, so they are checked by number.
const ENXIO: i32 = 6;
const ENODEV: i32 = 19;

/// Maps an OS error to our kinds.
fn io_kind(e: &io::Error) -> ErrorKind {
    if matches!(e.raw_os_error(), Some(ENXIO | ENODEV)) {
        return ErrorKind::Disconnected;
    }
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::Timeout,
        io::ErrorKind::NotFound
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::NotConnected
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof => ErrorKind::Disconnected,
        io::ErrorKind::ResourceBusy => ErrorKind::Busy,
        io::ErrorKind::InvalidData => ErrorKind::Protocol,
        io::ErrorKind::Unsupported | io::ErrorKind::InvalidInput => ErrorKind::Unsupported,
        _ => ErrorKind::Hardware,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_faults_are_hardware_kind() {
        for e in [Error::PaperOut, Error::CoverOpen, Error::CutterError] {
            assert_eq!(e.kind(), ErrorKind::Hardware);
        }
    }

    #[test]
    fn io_errors_map_to_kinds() {
        let e: Error = io::Error::from(io::ErrorKind::TimedOut).into();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        let e: Error = io::Error::from(io::ErrorKind::BrokenPipe).into();
        assert_eq!(e.kind(), ErrorKind::Disconnected);
        let e: Error = io::Error::from_raw_os_error(ENODEV).into();
        assert_eq!(e.kind(), ErrorKind::Disconnected);
    }
}
