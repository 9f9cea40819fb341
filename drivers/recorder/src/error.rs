//! The crate's error type and its coarse kind.
//!
//! Implements: every way capture, muxing, recovery, storage, upload and the bench can fail.
//! Does not implement: retry policy (the upload driver retries transient errors a bounded number
//! of times; everything else is reported to the caller, who decides from [`Error::kind`]).

use motcua_device::ErrorKind;

/// Everything that can go wrong in the recorder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory operation failed.
    #[error("recorder I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A capture device failed (camera or microphone seam).
    #[error("capture device: {0}")]
    Device(#[from] motcua_device::Error),
    /// The clips that are not yet uploaded already fill the disk budget: nothing can be evicted,
    /// so new recordings are refused until uploads catch up (or the budget is raised).
    #[error(
        "recording disk budget exhausted: {unuploaded_bytes} bytes of clips not yet uploaded, budget {budget_bytes} bytes, a new recording needs {needed_bytes} bytes; new recordings are refused until uploads catch up"
    )]
    BudgetExhausted {
        /// Bytes held by clips that are not yet uploaded (never evicted).
        unuploaded_bytes: u64,
        /// The configured budget.
        budget_bytes: u64,
        /// Space a new recording reserves.
        needed_bytes: u64,
    },
    /// A container could not be parsed (recovery scanner, WAV reader).
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being parsed ("matroska", "wav").
        what: &'static str,
        /// Where and why.
        detail: String,
    },
    /// The request does not fit this recorder (wrong format, bad argument, unknown session).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The clip index on disk could not be read or written.
    #[error("clip index: {0}")]
    Index(String),
    /// An upload failed; see [`crate::upload::UploadError`].
    #[error(transparent)]
    Upload(#[from] crate::upload::UploadError),
    /// The recorder's worker thread is gone (it panicked or was shut down).
    #[error("recorder worker stopped")]
    Stopped,
    /// A JPEG could not be encoded (generated test frames, non-MJPEG cameras).
    #[error("could not encode JPEG: {0}")]
    Encode(String),
}

impl Error {
    /// The coarse kind (shared with every device crate) for health and retry logic.
    pub fn kind(&self) -> ErrorKind {
        match self {
            // A failing disk needs a person, like a printer fault.
            Error::Io(_) | Error::Index(_) => ErrorKind::Hardware,
            Error::Device(e) => e.kind(),
            Error::BudgetExhausted { .. } => ErrorKind::Busy,
            Error::Malformed { .. } => ErrorKind::Protocol,
            Error::Unsupported(_) | Error::Encode(_) => ErrorKind::Unsupported,
            Error::Upload(e) => {
                if e.is_transient() {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Protocol
                }
            }
            Error::Stopped => ErrorKind::Disconnected,
        }
    }

    pub(crate) fn malformed(what: &'static str, detail: impl Into<String>) -> Self {
        Error::Malformed { what, detail: detail.into() }
    }
}
