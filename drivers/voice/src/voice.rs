//! Voices: turn announcement parts into PCM. Recorded clips when a complete clip set is
//! installed, espeak-ng's Vietnamese voices otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;
use crate::wav::{self, Pcm};
use crate::wording::Part;

/// Something that can say parts.
pub trait Voice: Send {
    /// The PCM for these parts.
    fn render(&mut self, parts: &[Part]) -> Result<Pcm, Error>;
}

/// A directory of recorded clips (layout in the crate README).
#[derive(Debug, Clone)]
pub struct ClipVoice {
    dir: PathBuf,
    /// Pause between parts, ms.
    pub gap_ms: u32,
}

impl ClipVoice {
    /// Clips in `dir`.
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_path_buf(), gap_ms: 80 }
    }

    /// Clip files these parts need that are missing.
    pub fn missing(&self, parts: &[Part]) -> Vec<String> {
        parts.iter().map(Part::clip_name).filter(|n| !self.dir.join(format!("{n}.wav")).is_file()).collect()
    }
}

impl Voice for ClipVoice {
    fn render(&mut self, parts: &[Part]) -> Result<Pcm, Error> {
        let mut out = Pcm::default();
        for (i, p) in parts.iter().enumerate() {
            let name = p.clip_name();
            let path = self.dir.join(format!("{name}.wav"));
            let bytes = std::fs::read(&path).map_err(|_| Error::MissingClip(name.clone()))?;
            let clip = wav::parse(&bytes)?;
            out.append(&clip)?;
            if i + 1 < parts.len() {
                out.silence(self.gap_ms);
            }
        }
        Ok(out)
    }
}

/// espeak-ng as a subprocess (`espeak-ng -v VOICE --stdout TEXT`).
#[derive(Debug, Clone)]
pub struct EspeakVoice {
    /// `vi` (Northern), `vi-vn-x-central`, `vi-vn-x-south`.
    pub voice: String,
    /// Words per minute.
    pub speed: u32,
    /// The program to run.
    pub program: PathBuf,
}

impl Default for EspeakVoice {
    fn default() -> Self {
        Self { voice: "vi".into(), speed: 140, program: PathBuf::from("espeak-ng") }
    }
}

/// A short two-tone chime (in place of a recorded `chime.wav`) at `rate`.
pub fn synth_chime(rate: u32) -> Pcm {
    let mut samples = Vec::new();
    for (freq, ms) in [(880.0f32, 180u32), (660.0, 260)] {
        let n = rate * ms / 1000;
        for i in 0..n {
            let t = i as f32 / rate as f32;
            let env = 1.0 - i as f32 / n as f32;
            samples.push((f32::sin(2.0 * std::f32::consts::PI * freq * t) * env * 9000.0) as i16);
        }
    }
    Pcm { rate, samples }
}

impl Voice for EspeakVoice {
    fn render(&mut self, parts: &[Part]) -> Result<Pcm, Error> {
        let text: Vec<String> = parts.iter().map(Part::words).filter(|w| !w.is_empty()).collect();
        // Commas give espeak-ng a short pause between the letters and digits of the number.
        let text = text.join(", ");
        let out = Command::new(&self.program)
            .args(["-v", &self.voice, "-s", &self.speed.to_string(), "--stdout", &text])
            .output()
            .map_err(|e| Error::Espeak(format!("cannot run {}: {e}", self.program.display())))?;
        if !out.status.success() {
            return Err(Error::Espeak(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
        }
        let speech = wav::parse(&out.stdout)?;
        let mut pcm = if parts.first() == Some(&Part::Chime) { synth_chime(speech.rate) } else { Pcm::default() };
        if !pcm.samples.is_empty() {
            pcm.silence(150);
        }
        pcm.append(&speech)?;
        Ok(pcm)
    }
}
