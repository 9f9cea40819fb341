//! The counter microphone seam: mono 16-bit PCM.
//!
//! Implements: the [`Microphone`] trait.
//!
//! Does not implement: an ALSA driver, resampling, recording or voice activity detection (a
//! later crate). [`crate::sim::SimMicrophone`] is the simulated twin.

use crate::{DeviceInfo, Error};

/// A mono microphone delivering signed 16-bit samples.
pub trait Microphone: Send {
    /// Fills the front of `buf` with the next samples and returns how many were written
    /// (0 only for an empty `buf`).
    fn read(&mut self, buf: &mut [i16]) -> Result<usize, Error>;

    /// Samples per second.
    fn sample_rate(&self) -> u32;

    /// What this device is.
    fn info(&self) -> DeviceInfo;
}
