//! The simulated camera (Gray8 test pattern with the frame counter drawn as bars).

use std::sync::{Arc, Mutex};

use super::lock;
use crate::camera::{Camera, Frame, PixelFormat};
use crate::{DeviceFamily, DeviceInfo, Error};

/// Largest simulated frame side; bigger requests are clamped (a 4096² Gray8 frame is 16 MiB).
const MAX_SIDE: u32 = 4096;

/// Grey levels of the counter bars (not pure black and white, like a real sensor).
const BAR_ON: u8 = 16;
const BAR_OFF: u8 = 235;

#[derive(Debug)]
struct State {
    connected: bool,
    frames: u64,
}

/// Simulated camera: deterministic Gray8 test-pattern frames.
///
/// The top half of each frame shows the frame counter (first frame 0) as 32 vertical bars,
/// most significant bit left, dark for 1 and light for 0; [`SimCamera::read_counter`] decodes
/// it. The bottom half is a left-to-right grey ramp.
#[derive(Debug)]
pub struct SimCamera {
    width: u32,
    height: u32,
    shared: Arc<Mutex<State>>,
}

/// Cloneable view of a [`SimCamera`].
#[derive(Debug, Clone)]
pub struct SimCameraHandle {
    shared: Arc<Mutex<State>>,
}

impl SimCamera {
    /// A connected camera producing `width` × `height` frames (each side clamped to 1..=4096).
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width: width.clamp(1, MAX_SIDE),
            height: height.clamp(1, MAX_SIDE),
            shared: Arc::new(Mutex::new(State { connected: true, frames: 0 })),
        }
    }

    /// A handle on this camera.
    pub fn handle(&self) -> SimCameraHandle {
        SimCameraHandle { shared: Arc::clone(&self.shared) }
    }

    /// Decodes the frame counter from a simulated frame; `None` if the frame is not a Gray8
    /// test pattern at least 32 pixels wide.
    pub fn read_counter(frame: &Frame) -> Option<u32> {
        if frame.format != PixelFormat::Gray8 || frame.width < 32 || frame.height == 0 {
            return None;
        }
        let bar = (frame.width / 32) as usize;
        let mut value = 0u32;
        for i in 0..32 {
            let px = *frame.data.get(i * bar + bar / 2)?;
            value = (value << 1) | u32::from(px < 128);
        }
        Some(value)
    }

    fn pattern(&self, counter: u32) -> Vec<u8> {
        let (w, h) = (self.width as usize, self.height as usize);
        let bar = (w / 32).max(1);
        let mut data = vec![0u8; w * h];
        for (y, row) in data.chunks_exact_mut(w).enumerate() {
            for (x, px) in row.iter_mut().enumerate() {
                *px = if y < h.div_ceil(2) {
                    let bit = x / bar;
                    let on = bit < 32 && (counter >> (31 - bit)) & 1 == 1;
                    if on { BAR_ON } else { BAR_OFF }
                } else {
                    (x * 255 / w.max(1)) as u8
                };
            }
        }
        data
    }
}

impl Camera for SimCamera {
    fn frame(&mut self) -> Result<Frame, Error> {
        let counter = {
            let mut state = lock(&self.shared);
            if !state.connected {
                return Err(Error::Disconnected);
            }
            let n = state.frames;
            state.frames += 1;
            n
        };
        Ok(Frame {
            width: self.width,
            height: self.height,
            format: PixelFormat::Gray8,
            // The pattern shows the low 32 bits; at 30 fps they wrap after 4.5 years.
            data: self.pattern(counter as u32),
        })
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            family: DeviceFamily::Camera,
            name: format!("Simulated camera ({}×{})", self.width, self.height),
            simulated: true,
        }
    }
}

impl SimCameraHandle {
    /// Frames delivered so far.
    pub fn frames_taken(&self) -> u64 {
        lock(&self.shared).frames
    }

    /// Plugs or pulls the camera: while disconnected `frame` fails with
    /// [`Error::Disconnected`].
    pub fn set_connected(&self, connected: bool) {
        lock(&self.shared).connected = connected;
    }
}
