//! Receipt QR decoding on the device: a pure-Rust decoder chain over grayscale frames, a camera
//! worker that drops frames while busy, and payload confirmation.
//!
//! - [`Decoder`] turns a grayscale frame ([`Luma`]: width, height, stride, one byte per pixel)
//!   into a [`Scan`]: NFC text from a code whose error correction checked out, a rejected code
//!   (not UTF-8, unsupported encoding), or no code.
//! - [`Confirmer`] releases a payload once it was read in two consecutive frames, and not again
//!   while it stays in view.
//! - [`worker::CameraWorker`] runs a [`worker::FrameSource`] (a directory of PNGs, or a V4L2
//!   camera with the `camera` feature) through a decoder on its own thread.
//! - [`bench`](mod@bench) is `motcua bench qr DIR`.
//! - [`fuzz_decode`] is the fuzz target.

pub mod bench;
mod binarize;
#[cfg(feature = "camera")]
pub mod camera;
mod confirm;
pub mod convert;
mod decode;
mod frame;
mod image;
mod payload;
mod sample;
pub mod worker;

pub use confirm::{ConfirmConfig, Confirmer};
pub use decode::{Binarizer, Decoder, DecoderConfig, Pass, Scan};
pub use frame::{GrayFrame, Luma};
pub use image::{load_png, png_to_gray};
pub use payload::{Reject, nfc};

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A frame's dimensions and buffer don't fit together.
    #[error("bad frame: {0}")]
    Frame(String),
    /// Reading a file or directory failed.
    #[error("I/O: {0}")]
    Io(String),
    /// An image file could not be decoded.
    #[error("image: {0}")]
    Image(String),
    /// The bench corpus is malformed.
    #[error("bench: {0}")]
    Bench(String),
    /// The camera could not be opened or stopped delivering frames.
    #[error("camera: {0}")]
    Camera(String),
}

/// What kind of failure an [`Error`] is, for callers that branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad input data (frame geometry, image file, corpus).
    InvalidData,
    /// The file system.
    Io,
    /// The camera device.
    Device,
}

impl Error {
    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Frame(_) | Error::Image(_) | Error::Bench(_) => ErrorKind::InvalidData,
            Error::Io(_) => ErrorKind::Io,
            Error::Camera(_) => ErrorKind::Device,
        }
    }
}

/// Fuzz target: arbitrary bytes as a small frame — the first two bytes give the width and height
/// (1..=256 each), the rest are the pixels (repeated to fill the frame). Must never panic.
pub fn fuzz_decode(data: &[u8]) {
    let (w, h) = match data {
        [w, h, ..] => (u32::from(*w) + 1, u32::from(*h) + 1),
        _ => return,
    };
    let body = &data[2..];
    let n = (w * h) as usize;
    let pixels: Vec<u8> = if body.is_empty() { vec![0; n] } else { body.iter().copied().cycle().take(n).collect() };
    let mut dec = Decoder::new();
    let _ = dec.decode_luma(w, h, &pixels);
    // the segment parser on the raw bytes too, for every version
    for v in [1, 9, 10, 26, 27, 40] {
        let _ = payload::text_from_codewords(body, v);
    }
}
