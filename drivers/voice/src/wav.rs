//! Minimal RIFF/WAVE reading and writing for 16-bit PCM mono, the format of clip sets and of
//! espeak-ng's `--stdout`. Tolerates what streaming writers do (a data chunk size of 0 or
//! 0x7FFFFFFF larger than the file: the samples present are taken) and never panics on bytes.

use crate::Error;

/// PCM audio: mono 16-bit samples at a rate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pcm {
    /// Samples per second.
    pub rate: u32,
    /// Samples.
    pub samples: Vec<i16>,
}

impl Pcm {
    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        if self.rate == 0 { 0 } else { self.samples.len() as u64 * 1000 / u64::from(self.rate) }
    }

    /// Append another clip; rates must match.
    pub fn append(&mut self, other: &Pcm) -> Result<(), Error> {
        if self.samples.is_empty() && self.rate == 0 {
            self.rate = other.rate;
        }
        if other.rate != self.rate {
            return Err(Error::RateMismatch(self.rate, other.rate));
        }
        self.samples.extend_from_slice(&other.samples);
        Ok(())
    }

    /// Append `ms` of silence.
    pub fn silence(&mut self, ms: u32) {
        let n = (u64::from(self.rate) * u64::from(ms) / 1000) as usize;
        self.samples.resize(self.samples.len() + n, 0);
    }
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?]))
}
fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*b.get(i)?, *b.get(i + 1)?, *b.get(i + 2)?, *b.get(i + 3)?]))
}

/// Parse a WAV file.
pub fn parse(bytes: &[u8]) -> Result<Pcm, Error> {
    let bad = |m: &str| Error::BadWav(m.to_owned());
    if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err(bad("not RIFF/WAVE"));
    }
    let mut pos = 12usize;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32_at(bytes, pos + 4).ok_or_else(|| bad("truncated chunk header"))? as usize;
        let body = pos + 8;
        if id == b"fmt " {
            format = Some((
                u16_at(bytes, body).ok_or_else(|| bad("short fmt"))?,
                u16_at(bytes, body + 2).ok_or_else(|| bad("short fmt"))?,
                u32_at(bytes, body + 4).ok_or_else(|| bad("short fmt"))?,
                u16_at(bytes, body + 14).ok_or_else(|| bad("short fmt"))?,
            ));
        } else if id == b"data" {
            let (tag, channels, rate, bits) = format.ok_or_else(|| bad("data before fmt"))?;
            if tag != 1 || channels != 1 || bits != 16 {
                return Err(bad(&format!("need PCM 16-bit mono, got tag {tag}, {channels} ch, {bits} bit")));
            }
            if rate == 0 {
                return Err(bad("sample rate 0"));
            }
            let end = if size == 0 { bytes.len() } else { body.saturating_add(size).min(bytes.len()) };
            let data = bytes.get(body..end).unwrap_or_default();
            let samples = data.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
            return Ok(Pcm { rate, samples });
        }
        pos = body.saturating_add(size).saturating_add(size & 1);
    }
    Err(bad("no data chunk"))
}

/// Write a WAV file.
pub fn write(pcm: &Pcm) -> Vec<u8> {
    let data_len = (pcm.samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&pcm.rate.to_le_bytes());
    out.extend_from_slice(&(pcm.rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in &pcm.samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_wav_parses_back() {
        let pcm = Pcm { rate: 16_000, samples: (0..1600).map(|i| (i * 7) as i16).collect() };
        assert_eq!(parse(&write(&pcm)).expect("parse"), pcm);
        assert_eq!(pcm.duration_ms(), 100);
    }

    #[test]
    fn streaming_size_larger_than_the_file_takes_what_is_there() {
        let mut w = write(&Pcm { rate: 22_050, samples: vec![1, 2, 3] });
        w[40..44].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        assert_eq!(parse(&w).expect("parse").samples, [1, 2, 3]);
    }

    #[test]
    fn garbage_and_wrong_formats_are_errors_not_panics() {
        assert!(parse(b"").is_err());
        assert!(parse(b"RIFF\0\0\0\0WAVE").is_err());
        let mut stereo = write(&Pcm { rate: 8000, samples: vec![0; 4] });
        stereo[22] = 2;
        assert!(parse(&stereo).is_err());
        let mut x: u64 = 7;
        for _ in 0..2000 {
            let mut b = write(&Pcm { rate: 8000, samples: vec![5; 8] });
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            let i = (x >> 33) as usize % b.len();
            b[i] ^= (x >> 17) as u8;
            b.truncate((x >> 40) as usize % (b.len() + 1));
            let _ = parse(&b);
        }
    }

    #[test]
    fn append_refuses_mixed_rates() {
        let mut a = Pcm { rate: 16_000, samples: vec![1] };
        assert!(a.append(&Pcm { rate: 22_050, samples: vec![2] }).is_err());
        a.silence(10);
        assert_eq!(a.samples.len(), 161);
    }
}
