//! The simulated microphone (deterministic 440 Hz tone at 16 kHz).

use std::sync::{Arc, Mutex};

use super::lock;
use crate::microphone::Microphone;
use crate::{DeviceFamily, DeviceInfo, Error};

/// Sample rate of the simulated microphone.
const RATE: u32 = 16_000;
/// Tone frequency. 440 Hz at 16 kHz repeats exactly every 400 samples (11 cycles), so the
/// phase is computed from `n % 400` and never drifts.
const TONE_HZ: u32 = 440;
const PERIOD: u64 = 400;
/// Peak amplitude, about −12 dBFS.
const AMPLITUDE: f64 = 8192.0;

#[derive(Debug)]
struct State {
    connected: bool,
    samples: u64,
}

/// Simulated microphone: a deterministic 440 Hz sine at 16 kHz, as fast as it is read.
#[derive(Debug)]
pub struct SimMicrophone {
    shared: Arc<Mutex<State>>,
}

/// Cloneable view of a [`SimMicrophone`].
#[derive(Debug, Clone)]
pub struct SimMicrophoneHandle {
    shared: Arc<Mutex<State>>,
}

impl Default for SimMicrophone {
    fn default() -> Self {
        Self::new()
    }
}

impl SimMicrophone {
    /// A connected microphone at sample 0.
    pub fn new() -> Self {
        Self { shared: Arc::new(Mutex::new(State { connected: true, samples: 0 })) }
    }

    /// A handle on this microphone.
    pub fn handle(&self) -> SimMicrophoneHandle {
        SimMicrophoneHandle { shared: Arc::clone(&self.shared) }
    }

    /// Sample number `n` of the tone.
    pub fn sample_at(n: u64) -> i16 {
        let phase = (n % PERIOD) as f64 * f64::from(TONE_HZ) / f64::from(RATE);
        (AMPLITUDE * (std::f64::consts::TAU * phase).sin()).round() as i16
    }
}

impl Microphone for SimMicrophone {
    fn read(&mut self, buf: &mut [i16]) -> Result<usize, Error> {
        let mut state = lock(&self.shared);
        if !state.connected {
            return Err(Error::Disconnected);
        }
        let start = state.samples;
        for (i, s) in buf.iter_mut().enumerate() {
            *s = Self::sample_at(start.wrapping_add(i as u64));
        }
        state.samples = start.wrapping_add(buf.len() as u64);
        Ok(buf.len())
    }

    fn sample_rate(&self) -> u32 {
        RATE
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            family: DeviceFamily::Microphone,
            name: "Simulated microphone (440 Hz tone)".to_owned(),
            simulated: true,
        }
    }
}

impl SimMicrophoneHandle {
    /// Samples delivered so far.
    pub fn samples_read(&self) -> u64 {
        lock(&self.shared).samples
    }

    /// Plugs or pulls the microphone: while disconnected `read` fails with
    /// [`Error::Disconnected`].
    pub fn set_connected(&self, connected: bool) {
        lock(&self.shared).connected = connected;
    }
}
