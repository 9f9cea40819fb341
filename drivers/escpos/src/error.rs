//! The crate's error type and its coarse kind.
//!
//! Implements: every way [`crate::proto::encode()`] can refuse a job. The status decoder and the
//! virtual printer never fail (unknown bytes are counted and skipped), so they have no errors.

use motcua_device::ErrorKind;

use crate::proto::Strategy;

/// Why a ticket could not be encoded. Nothing was sent; the caller shows the fallback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A character cannot be printed with the requested strategy on this profile (not in any
    /// of its code pages, or not in the shipped font for glyphs and raster: e.g. emoji).
    #[error("character {ch:?} (U+{:04X}) cannot be printed with strategy {strategy:?} on {profile}", u32::from(*ch))]
    Unrepresentable {
        /// The character.
        ch: char,
        /// The strategy that was asked for.
        strategy: Strategy,
        /// The profile name.
        profile: String,
    },
    /// The glyph strategy was requested but the printer cannot take user-defined characters.
    #[error("printer profile {profile} has no user-defined characters (ESC &)")]
    NoUserDefinedChars {
        /// The profile name.
        profile: String,
    },
    /// One line needs more distinct downloaded glyphs than the printer has free slots.
    #[error("a line needs {needed} downloaded glyphs but only {slots} slots are free")]
    TooManyGlyphs {
        /// Distinct non-ASCII characters in the line.
        needed: usize,
        /// Free user-defined character codes.
        slots: usize,
    },
    /// A QR payload does not fit any QR version (or the printer's store command).
    #[error("QR payload of {len} bytes cannot be encoded")]
    QrTooLong {
        /// Payload length in bytes.
        len: usize,
    },
    /// The encoded stream would contain a real-time command (DLE EOT / DLE ENQ / DLE DC4)
    /// the printer would act on; the job is refused rather than sent.
    #[error("encoded stream would contain a real-time command at byte {offset}")]
    RealTimeSequence {
        /// Offset of the DLE byte.
        offset: usize,
    },
}

impl Error {
    /// The coarse kind (shared with every device crate) for retry and alarm logic.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::RealTimeSequence { .. } => ErrorKind::Protocol,
            Error::Unrepresentable { .. }
            | Error::NoUserDefinedChars { .. }
            | Error::TooManyGlyphs { .. }
            | Error::QrTooLong { .. } => ErrorKind::Unsupported,
        }
    }
}

impl From<Error> for motcua_device::Error {
    fn from(e: Error) -> Self {
        match e.kind() {
            ErrorKind::Protocol => motcua_device::Error::Protocol(e.to_string()),
            _ => motcua_device::Error::Unsupported(e.to_string()),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
