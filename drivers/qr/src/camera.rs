//! A V4L2 camera as a [`FrameSource`], through nokhwa (feature `camera`). Frames are converted to
//! luma here: YUYV and NV12 keep their Y plane, MJPEG is decoded straight to grey (zune-jpeg),
//! GREY is taken as is, RGB/BGR are weighted.
//!
//! Build needs libclang (bindgen for the V4L2 headers, Debian `libclang-dev`) and the kernel
//! headers (`linux-libc-dev`); at run time only the kernel's V4L2 interface is used.

use nokhwa::Camera;
use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution};

use crate::convert::{PixelFormat, to_luma};
use crate::worker::FrameSource;
use crate::{Error, GrayFrame};

/// Which camera and what to ask it for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraConfig {
    /// `/dev/videoN` index.
    pub index: u32,
    /// Requested width (the closest mode the camera has is used).
    pub width: u32,
    /// Requested height.
    pub height: u32,
    /// Requested frames per second.
    pub fps: u32,
    /// Preferred format: MJPEG gives higher frame rates on USB 2.0 webcams, YUYV costs no decode.
    pub mjpeg: bool,
}

impl Default for CameraConfig {
    fn default() -> Self {
        Self { index: 0, width: 1280, height: 720, fps: 30, mjpeg: true }
    }
}

/// An open V4L2 camera, streaming. Not `Send`: open it on the worker's capture thread with
/// [`crate::worker::CameraWorker::spawn_with`].
pub struct V4l2Source {
    camera: Camera,
}

impl std::fmt::Debug for V4l2Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V4l2Source").field("format", &self.camera.camera_format()).finish()
    }
}

impl V4l2Source {
    /// Opens the camera and starts streaming.
    pub fn open(config: &CameraConfig) -> Result<Self, Error> {
        let format = if config.mjpeg { FrameFormat::MJPEG } else { FrameFormat::YUYV };
        let wanted = CameraFormat::new(Resolution::new(config.width, config.height), format, config.fps);
        let request = RequestedFormat::new::<LumaFormat>(RequestedFormatType::Closest(wanted));
        let mut camera = Camera::new(CameraIndex::Index(config.index), request)
            .map_err(|e| Error::Camera(format!("open /dev/video{}: {e}", config.index)))?;
        camera.open_stream().map_err(|e| Error::Camera(format!("start stream: {e}")))?;
        Ok(Self { camera })
    }
}

impl FrameSource for V4l2Source {
    fn next_frame(&mut self) -> Result<Option<GrayFrame>, Error> {
        let buf = self.camera.frame().map_err(|e| Error::Camera(format!("frame: {e}")))?;
        let res = buf.resolution();
        let format = match buf.source_frame_format() {
            FrameFormat::MJPEG => PixelFormat::Mjpeg,
            FrameFormat::YUYV => PixelFormat::Yuyv,
            FrameFormat::NV12 => PixelFormat::Nv12,
            FrameFormat::GRAY => PixelFormat::Gray,
            FrameFormat::RAWRGB => PixelFormat::Rgb,
            FrameFormat::RAWBGR => PixelFormat::Bgr,
        };
        to_luma(format, res.width(), res.height(), buf.buffer()).map(Some)
    }
}

impl Drop for V4l2Source {
    fn drop(&mut self) {
        let _ = self.camera.stop_stream();
    }
}
