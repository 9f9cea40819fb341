//! V4L2 camera capture through nokhwa, MJPEG passed through (feature `camera`).
//!
//! Implements: [`V4l2Camera`], a [`VideoSource`] that asks the camera for MJPEG at the given
//! size and rate and hands each JPEG on untouched (no decode, no re-encode: a Pi stays cool),
//! stamped with the capture clock when it was dequeued.
//!
//! Does not implement: cameras without an MJPEG mode (they are refused at open), controls
//! (exposure, focus), hot-plug (on error the recorder logs, waits and asks again; reopen by
//! recreating the source).
//!
//! Setup: the kiosk user needs the `video` group; name the camera by its stable path
//! `/dev/v4l/by-id/usb-…-video-index0` and pass it to [`V4l2Camera::open_path`]. Build
//! machines need `libv4l-dev`, `libclang-dev` and `pkg-config`.
//!
//! nokhwa's `Camera` is not `Send`, so it lives on its own thread and frames cross a bounded
//! channel (latest frames are dropped when the reader falls behind, never queued unbounded).

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TrySendError};
use std::time::Duration;

use nokhwa::utils::{CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution};

use crate::Error;
use crate::source::{Clock, VideoFrame, VideoSource};

/// A V4L2 camera delivering MJPEG.
#[derive(Debug)]
pub struct V4l2Camera {
    rx: Receiver<Result<VideoFrame, String>>,
    format: (u32, u32, u32),
}

/// `/dev/videoN` (or a by-id symlink to it) → N.
pub fn index_from_path(path: &Path) -> Result<u32, Error> {
    let real = std::fs::canonicalize(path)?;
    real.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("video"))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| Error::Unsupported(format!("{} is not a /dev/videoN node", real.display())))
}

impl V4l2Camera {
    /// Opens the camera at a device path (see [`index_from_path`]).
    pub fn open_path(path: &Path, width: u32, height: u32, fps: u32, clock: Clock) -> Result<Self, Error> {
        Self::open(index_from_path(path)?, width, height, fps, clock)
    }

    /// Opens `/dev/video{index}` in MJPEG `width`×`height` at `fps` and starts streaming.
    pub fn open(index: u32, width: u32, height: u32, fps: u32, clock: Clock) -> Result<Self, Error> {
        let (tx, rx) = mpsc::sync_channel::<Result<VideoFrame, String>>(4);
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<(u32, u32, u32), String>>(1);
        std::thread::Builder::new().name("v4l2-capture".into()).spawn(move || {
            let want = CameraFormat::new(Resolution::new(width, height), FrameFormat::MJPEG, fps);
            let req = RequestedFormat::with_formats(RequestedFormatType::Closest(want), &[FrameFormat::MJPEG]);
            let opened = nokhwa::Camera::new(CameraIndex::Index(index), req).and_then(|mut c| {
                c.open_stream()?;
                Ok(c)
            });
            let mut cam = match opened {
                Ok(c) if c.frame_format() == FrameFormat::MJPEG => {
                    let f = c.camera_format();
                    let _ = ready_tx.send(Ok((f.width(), f.height(), f.frame_rate())));
                    c
                }
                Ok(c) => {
                    let _ = ready_tx.send(Err(format!("camera offers {} but not MJPEG", c.frame_format())));
                    return;
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            loop {
                let item = match cam.frame() {
                    Ok(buf) if buf.source_frame_format() == FrameFormat::MJPEG => {
                        Ok(VideoFrame { ts: clock.now(), jpeg: Arc::from(buf.buffer()) })
                    }
                    Ok(buf) => Err(format!("camera sent a {} frame", buf.source_frame_format())),
                    Err(e) => Err(e.to_string()),
                };
                match tx.try_send(item) {
                    Ok(()) | Err(TrySendError::Full(_)) => {}
                    Err(TrySendError::Disconnected(_)) => {
                        let _ = cam.stop_stream();
                        return;
                    }
                }
            }
        })?;
        let format = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| Error::Device(motcua_device::Error::Timeout))?
            .map_err(|e| Error::Device(motcua_device::Error::Hardware(e)))?;
        Ok(Self { rx, format })
    }
}

impl VideoSource for V4l2Camera {
    fn next_frame(&mut self) -> Result<VideoFrame, Error> {
        match self.rx.recv_timeout(Duration::from_secs(2)) {
            Ok(Ok(f)) => Ok(f),
            Ok(Err(e)) => Err(Error::Device(motcua_device::Error::Hardware(e))),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::Device(motcua_device::Error::Timeout)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::Device(motcua_device::Error::Disconnected)),
        }
    }

    fn format(&self) -> (u32, u32, u32) {
        self.format
    }
}
