//! The crate's errors: [`ScanError`] (a scan the core rejected) and [`Error`] (a driver failure).
//!
//! Implements: one typed reason per rejection, so the kiosk can count them on the health page
//! and tell the citizen "quét lại" without guessing from strings, and the driver errors with a
//! coarse [`ErrorKind`] shared with every other device. No message ever contains the scanned
//! text: a scan can carry a citizen's CCCD data.

use std::io;

use motcua_device::ErrorKind;

/// Why a scan was rejected. Messages give positions and lengths, never the scanned content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The scan stopped mid-way: bytes or keys arrived, then nothing for the inter-character
    /// timeout (or the device went away) before the terminator. Usually the receipt moved or
    /// the cable was pulled; the partial text is dropped, never delivered truncated.
    #[error("half scan: {len} bytes without a terminator")]
    HalfScan {
        /// Bytes received before the scan stopped.
        len: usize,
    },
    /// More than the configured maximum arrived without a terminator; dropped up to the next
    /// terminator (or pause).
    #[error("scan longer than {max} bytes")]
    TooLong {
        /// The configured maximum, in bytes.
        max: usize,
    },
    /// A control character (C0, DEL or C1) inside the data: line noise, a replugged cable, or
    /// a scanner set to send control codes.
    #[error("control character U+{code:04X} at byte {offset}")]
    ControlChar {
        /// The character's code point.
        code: u32,
        /// Byte offset in the scan (after prefix removal).
        offset: usize,
    },
    /// The bytes are not UTF-8 (noise, or a scanner set to a legacy code page).
    #[error("not UTF-8 (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// Leading bytes that were valid UTF-8.
        valid_up_to: usize,
    },
    /// The configured prefix is missing (the scan is not from a scanner set up for this kiosk,
    /// or its start was lost).
    #[error("configured prefix missing")]
    MissingPrefix,
    /// The configured suffix is missing (the scan's end was lost).
    #[error("configured suffix missing")]
    MissingSuffix,
    /// The configuration requires an AIM symbology identifier (`]Q1`...) and there is none.
    #[error("AIM symbology identifier missing")]
    MissingAim,
    /// Nothing left after prefix, suffix and identifier were removed.
    #[error("empty scan")]
    Empty,
    /// A key a scanner does not type (function keys, arrows, Ctrl/Alt/Meta chords) or an event
    /// type a keyboard does not send.
    #[error("unexpected key code {code}")]
    UnknownKey {
        /// The Linux key code (`KEY_*`), or the event type for non-key events.
        code: u16,
    },
    /// An Alt+numpad sequence that is not a character (too many digits, a surrogate, a
    /// control character, above U+10FFFF).
    #[error("Alt+numpad code is not a character")]
    BadAltCode,
}

impl ScanError {
    /// What to tell the citizen (Vietnamese, NFC): a half scan asks to hold the paper still;
    /// everything else asks for another scan.
    pub fn citizen_message(&self) -> &'static str {
        match self {
            ScanError::HalfScan { .. } => "Mã chưa được quét trọn. Vui lòng giữ yên giấy và quét lại.",
            _ => "Không đọc được mã. Vui lòng quét lại.",
        }
    }
}

/// Everything the scanner drivers can report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A scan was rejected (see [`ScanError`]); the next scan is read normally.
    #[error("scan rejected: {0}")]
    Rejected(#[from] ScanError),
    /// The device is not open (never opened, or lost and not reopened yet); the driver
    /// reopens it with backoff on its own, keep polling.
    #[error("scanner is not connected")]
    Disconnected,
    /// The open device failed (cable yanked, adapter unplugged, pty or socket closed). It was
    /// closed and will be reopened with backoff.
    #[error("scanner lost: {0}")]
    Lost(#[source] io::Error),
    /// The input device could not be grabbed (another process holds it): its keystrokes
    /// would reach the kiosk UI, so it is not used.
    #[error("could not grab the input device: {0}")]
    Grab(#[source] io::Error),
}

impl Error {
    /// The coarse kind, for the health page and retry logic.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Rejected(_) => ErrorKind::Protocol,
            Error::Disconnected | Error::Lost(_) => ErrorKind::Disconnected,
            Error::Grab(_) => ErrorKind::Busy,
        }
    }
}

impl From<Error> for motcua_device::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Rejected(ScanError::TooLong { max }) => motcua_device::Error::LineTooLong { max },
            Error::Rejected(ScanError::InvalidUtf8 { valid_up_to }) => {
                motcua_device::Error::InvalidUtf8 { valid_up_to }
            }
            Error::Rejected(r) => motcua_device::Error::Protocol(r.to_string()),
            Error::Disconnected | Error::Lost(_) => motcua_device::Error::Disconnected,
            Error::Grab(_) => motcua_device::Error::Busy,
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
