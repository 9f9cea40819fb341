//! The audio output seam: play announcements ("Mời công dân có số A023 đến quầy số 3").
//!
//! Implements: the [`AudioOut`] trait.
//!
//! Does not implement: an ALSA driver, text-to-speech, or the announcement queue (the hub
//! serialises announcements so they are never cut off). [`crate::sim::SimAudioOut`] is the
//! simulated twin.

use crate::{DeviceInfo, Error};

/// A mono audio output.
pub trait AudioOut: Send {
    /// Plays signed 16-bit mono `samples` at `sample_rate` Hz and returns when they were
    /// played. Fails with [`Error::Unsupported`] for a rate the device cannot play (0 always).
    fn play(&mut self, samples: &[i16], sample_rate: u32) -> Result<(), Error>;

    /// What this device is.
    fn info(&self) -> DeviceInfo;
}
