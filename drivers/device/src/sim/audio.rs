//! The simulated audio output (records what it played).

use std::sync::{Arc, Mutex};

use super::lock;
use crate::audio::AudioOut;
use crate::{DeviceFamily, DeviceInfo, Error};

/// Highest rate the simulated output accepts (what common USB DACs play).
const MAX_RATE: u32 = 192_000;

#[derive(Debug)]
struct State {
    connected: bool,
    played: Vec<(u32, usize)>,
}

/// Simulated audio output: records what it was asked to play, returns at once.
#[derive(Debug)]
pub struct SimAudioOut {
    shared: Arc<Mutex<State>>,
}

/// Cloneable view of a [`SimAudioOut`].
#[derive(Debug, Clone)]
pub struct SimAudioOutHandle {
    shared: Arc<Mutex<State>>,
}

impl Default for SimAudioOut {
    fn default() -> Self {
        Self::new()
    }
}

impl SimAudioOut {
    /// A connected output that has played nothing.
    pub fn new() -> Self {
        Self { shared: Arc::new(Mutex::new(State { connected: true, played: Vec::new() })) }
    }

    /// A handle on this output.
    pub fn handle(&self) -> SimAudioOutHandle {
        SimAudioOutHandle { shared: Arc::clone(&self.shared) }
    }
}

impl AudioOut for SimAudioOut {
    fn play(&mut self, samples: &[i16], sample_rate: u32) -> Result<(), Error> {
        let mut state = lock(&self.shared);
        if !state.connected {
            return Err(Error::Disconnected);
        }
        if sample_rate == 0 || sample_rate > MAX_RATE {
            return Err(Error::Unsupported(format!("sample rate {sample_rate} Hz (1..={MAX_RATE})")));
        }
        state.played.push((sample_rate, samples.len()));
        Ok(())
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo { family: DeviceFamily::AudioOut, name: "Simulated audio output".to_owned(), simulated: true }
    }
}

impl SimAudioOutHandle {
    /// Everything played, oldest first: (sample rate, number of samples).
    pub fn played(&self) -> Vec<(u32, usize)> {
        lock(&self.shared).played.clone()
    }

    /// Plugs or pulls the output: while disconnected `play` fails with
    /// [`Error::Disconnected`].
    pub fn set_connected(&self, connected: bool) {
        lock(&self.shared).connected = connected;
    }
}
