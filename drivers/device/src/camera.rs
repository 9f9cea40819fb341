//! The counter camera seam: one frame at a time.
//!
//! Implements: the [`Camera`] trait and the [`Frame`] it returns.
//!
//! Does not implement: a V4L2 driver, encoding, recording or cutting per service session (a
//! later crate). [`crate::sim::SimCamera`] is the simulated twin.

use serde::{Deserialize, Serialize};

use crate::{DeviceInfo, Error};

/// How [`Frame::data`] is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PixelFormat {
    /// One JPEG image (what most UVC cameras send at higher resolutions).
    Mjpeg,
    /// 3 bytes per pixel, R G B, row-major.
    Rgb8,
    /// 1 byte per pixel, 0 = black, row-major.
    Gray8,
}

/// One captured frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Layout of `data`.
    pub format: PixelFormat,
    /// The pixels (or the JPEG bytes).
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("format", &self.format)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// A camera.
pub trait Camera: Send {
    /// Captures (or waits for) the next frame.
    fn frame(&mut self) -> Result<Frame, Error>;

    /// What this device is.
    fn info(&self) -> DeviceInfo;
}
