//! The crate's error type. Messages name the field and the rule, never the personal data.

/// What a caller can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input (QR text, MRZ, data group) is malformed.
    Invalid,
    /// The chip broke the protocol (bad MAC, bad status word, malformed response).
    Protocol,
    /// Access control failed (wrong key or a chip that refuses it).
    Authentication,
    /// The file is not on the chip (`6A82`).
    NotFound,
    /// The file needs stronger access control (`6982`, e.g. DG3).
    AccessDenied,
    /// The card left the reader: ask the citizen to keep it on the reader and retry.
    CardRemoved,
    /// The reader timed out.
    Timeout,
    /// Another reader failure.
    Device,
}

impl ErrorKind {
    /// What to tell the person at the reader, in Vietnamese then English (for command-line
    /// tools and logs; the kiosk screens carry their own translated wording).
    pub fn advice(self) -> &'static str {
        match self {
            ErrorKind::CardRemoved => {
                "Thẻ đã rời đầu đọc: hãy giữ thẻ trên đầu đọc và thử lại. / \
                 The card left the reader: keep it on the reader and try again."
            }
            ErrorKind::Timeout => {
                "Đầu đọc không trả lời kịp: giữ thẻ trên đầu đọc và thử lại. / \
                 The reader did not answer in time: keep the card on the reader and try again."
            }
            ErrorKind::Authentication => {
                "Không mở được chip: kiểm tra số CCCD (CAN), hoặc ngày sinh và ngày hết hạn. / \
                 Could not open the chip: check the ID number (CAN), or the date of birth and expiry."
            }
            ErrorKind::Device => {
                "Đầu đọc thẻ không hoạt động: kiểm tra cáp và dịch vụ pcscd. / \
                 The card reader is not working: check its cable and the pcscd service."
            }
            ErrorKind::Protocol => {
                "Chip trả lời sai giao thức: thử lại; nếu lặp lại, thẻ có thể bị hỏng. / \
                 The chip broke the protocol: try again; if it repeats, the card may be damaged."
            }
            ErrorKind::Invalid => "Dữ liệu trên chip không đúng định dạng. / The chip's data is malformed.",
            ErrorKind::NotFound => "Chip không có tệp cần đọc. / The chip lacks a file that is needed.",
            ErrorKind::AccessDenied => "Chip không cho đọc tệp này. / The chip does not allow reading this file.",
        }
    }
}

/// Errors of the CCCD core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field of the QR code is missing or invalid.
    #[error("QR field {index} ({field}): {reason}")]
    QrField {
        /// 0-based index in the `|`-separated list.
        index: usize,
        /// Field name.
        field: &'static str,
        /// What rule it broke.
        reason: &'static str,
    },
    /// The QR payload is not UTF-8 or has too few fields.
    #[error("QR payload: {0}")]
    Qr(&'static str),
    /// The MRZ is malformed or a check digit does not match.
    #[error("MRZ: {0}")]
    Mrz(&'static str),
    /// The chip's response could not be verified or parsed.
    #[error("secure messaging: {0}")]
    SecureMessaging(&'static str),
    /// A data group or EF is malformed.
    #[error("LDS file: {0}")]
    Lds(&'static str),
    /// The chip answered a command with an error status word.
    #[error("{command}: status word {sw:04X}")]
    Status {
        /// Which command.
        command: &'static str,
        /// SW1 SW2.
        sw: u16,
    },
    /// The reader failed (no card, disconnected, timeout).
    #[error(transparent)]
    Device(#[from] motcua_device::Error),
    /// PACE failed: a malformed or inconsistent chip answer, or an unsupported profile.
    #[error("PACE: {0}")]
    Pace(&'static str),
    /// Mutual authentication failed.
    #[error("authentication: {0}")]
    Authentication(&'static str),
}

impl Error {
    /// The kind, for retry logic and the health page.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::QrField { .. } | Error::Qr(_) | Error::Mrz(_) | Error::Lds(_) => ErrorKind::Invalid,
            Error::Status { sw: 0x6A82, .. } => ErrorKind::NotFound,
            Error::Status { sw: 0x6982, .. } => ErrorKind::AccessDenied,
            Error::Status { .. } => ErrorKind::Protocol,
            Error::Device(motcua_device::Error::NoCard) => ErrorKind::CardRemoved,
            Error::Device(motcua_device::Error::Timeout) => ErrorKind::Timeout,
            Error::Device(_) => ErrorKind::Device,
            Error::SecureMessaging(_) | Error::Pace(_) => ErrorKind::Protocol,
            Error::Authentication(_) => ErrorKind::Authentication,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
