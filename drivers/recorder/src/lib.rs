//! Counter camera and microphone: one MJPEG+PCM recording per service session, disk budget,
//! upload and retention.
//!
//! Implements (issue 8):
//! - [`mkv`]: a pure Matroska muxer (MJPEG passed through, PCM s16le mono) over any
//!   `Write + Seek`, and the crash-recovery scanner;
//! - [`source`]: the capture clock, file-backed/generated frame and audio sources, adapters
//!   over the `motcua-device` camera and microphone seams;
//! - [`recorder`]: one clip per service session, per-counter switch, recording indicator,
//!   live preview feed;
//! - [`storage`]: disk budget, eviction, retention, flagged clips, JSON index, start-up recovery;
//! - [`upload`]: the chunked, resumable, checksummed [`upload::Uploader`] protocol (HTTP
//!   mapping in its docs) and an in-memory reference receiver with fault injection;
//! - [`http`]: that protocol over HTTP — a signed client through the relay's central client
//!   and the reference server routes for the central;
//! - [`preview`]: the authenticated `multipart/x-mixed-replace` preview router;
//! - [`bench`](mod@bench): `motcua bench av`;
//! - `v4l` / `alsa` (features `camera` / `microphone`): real capture through nokhwa and cpal.
//!
//! Does not implement: session logic (the hub calls [`recorder::Recorder::start`] and
//! [`recorder::Recorder::stop`]), the central's storage of uploaded clips, audio codecs other
//! than PCM.
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

#[cfg(feature = "microphone")]
pub mod alsa;
pub mod bench;
mod error;
pub mod fuzz;
pub mod http;
pub mod mkv;
pub mod preview;
pub mod recorder;
pub mod source;
pub mod storage;
pub mod upload;
#[cfg(feature = "camera")]
pub mod v4l;

pub use bench::{AvBenchReport, bench_av};
pub use error::Error;
pub use preview::preview_router;
pub use recorder::{Indicator, PreviewFeed, Recorder, RecorderConfig, StartOutcome};
pub use source::{AudioSource, Clock, JpegFileSource, PcmSource, VideoSource};
pub use storage::{ClipMeta, ClipRecord, Rating, Store, StoreConfig};
pub use upload::{MemoryReceiver, Uploader, upload_clip};
