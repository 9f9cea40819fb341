#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod announcer;
pub mod aplay;
pub mod player;
pub mod schedule;
pub mod voice;
pub mod wav;
pub mod wording;

pub use announcer::{Announcement, Announcer, Kind};
pub use wording::{Part, Wording};

/// Errors of the voice pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A WAV file or stream is not 16-bit PCM mono as expected.
    #[error("bad WAV: {0}")]
    BadWav(String),
    /// A clip the announcement needs is missing from the clip set.
    #[error("clip missing: {0}")]
    MissingClip(String),
    /// Clips of one set have different sample rates.
    #[error("clips differ in sample rate: {0} Hz and {1} Hz")]
    RateMismatch(u32, u32),
    /// espeak-ng is not installed or failed.
    #[error("espeak-ng: {0}")]
    Espeak(String),
    /// The audio device failed.
    #[error(transparent)]
    Device(#[from] motcua_device::Error),
    /// File I/O.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
