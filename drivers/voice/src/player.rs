//! Picks the voice for an announcement: the recorded clip set when it has every part the
//! announcement needs, espeak-ng otherwise; applies the volume schedule; plays through the
//! audio-out seam.

use motcua_device::audio::AudioOut;

use crate::Error;
use crate::announcer::Announcement;
use crate::schedule::{VolumeSchedule, apply_volume};
use crate::voice::{ClipVoice, EspeakVoice, Voice};
use crate::wav::Pcm;
use crate::wording::Wording;

/// Voice selection and output for announcements.
#[derive(Debug)]
pub struct Player {
    /// The wording template.
    pub wording: Wording,
    /// Recorded clips, if installed.
    pub clips: Option<ClipVoice>,
    /// The fallback voice.
    pub espeak: EspeakVoice,
    /// Volume by time of day.
    pub schedule: VolumeSchedule,
}

/// Which voice said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceUsed {
    /// The recorded clip set.
    Clips,
    /// espeak-ng.
    Espeak,
}

impl Player {
    /// The PCM for an announcement, and which voice made it.
    pub fn render(&mut self, a: &Announcement) -> Result<(Pcm, VoiceUsed), Error> {
        let parts = self.wording.parts(&a.number, a.counter);
        if let Some(clips) = self.clips.as_mut() {
            let missing = clips.missing(&parts);
            if missing.is_empty() {
                return Ok((clips.render(&parts)?, VoiceUsed::Clips));
            }
            tracing::warn!(?missing, "clip set incomplete for this announcement; using espeak-ng");
        }
        Ok((self.espeak.render(&parts)?, VoiceUsed::Espeak))
    }

    /// Render and play `a` at the scheduled volume for `minute_of_day`.
    pub fn play(&mut self, a: &Announcement, minute_of_day: u16, out: &mut dyn AudioOut) -> Result<VoiceUsed, Error> {
        let (mut pcm, used) = self.render(a)?;
        apply_volume(&mut pcm.samples, self.schedule.volume_at(minute_of_day));
        out.play(&pcm.samples, pcm.rate)?;
        Ok(used)
    }
}
