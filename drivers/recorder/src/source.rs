//! Where frames and samples come from: the capture clock, the source traits, file-backed and
//! generated sources for CI, and adapters over the `motcua-device` camera/microphone seams.
//!
//! Implements: [`Clock`] (real time or accelerated), [`VideoSource`] / [`AudioSource`],
//! [`JpegFileSource`] (a directory of JPEGs or generated 640x480 test frames, cycled at a fixed
//! fps), [`PcmSource`] (a WAV file or a generated tone, in fixed chunks), [`parse_wav`], and
//! [`CameraSource`] / [`MicrophoneSource`] over [`motcua_device::camera::Camera`] and
//! [`motcua_device::microphone::Microphone`].
//!
//! Does not implement: V4L2/ALSA capture (see `crate::v4l` and `crate::alsa`, behind the
//! `camera` and `microphone` features), resampling, or WAV formats other than PCM s16le mono.
//!
//! **Timestamps.** Every frame and chunk carries the capture-clock time of its first sample.
//! File sources stamp by schedule (frame *n* at `start + n/fps`) and sleep until that time, so
//! in real time they behave like a device, and accelerated they run faster with the same stamps.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use motcua_device::camera::{Camera, PixelFormat};
use motcua_device::microphone::Microphone;

use crate::Error;

/// The capture clock shared by the video and audio sources: time since an origin, running at
/// `speed` × real time (1.0 in production and in the bench; larger in tests).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    speed: f64,
}

impl Clock {
    /// A real-time clock starting now.
    pub fn real_time() -> Self {
        Self { origin: Instant::now(), speed: 1.0 }
    }

    /// A clock running `speed` times faster than real time (clamped to 0.01..=1000).
    pub fn accelerated(speed: f64) -> Self {
        let speed = if speed.is_finite() { speed.clamp(0.01, 1000.0) } else { 1.0 };
        Self { origin: Instant::now(), speed }
    }

    /// Clock time now.
    pub fn now(&self) -> Duration {
        self.origin.elapsed().mul_f64(self.speed)
    }

    /// Sleeps (in real time, scaled) until the clock reads `t`.
    pub fn sleep_until(&self, t: Duration) {
        let now = self.now();
        if t > now {
            std::thread::sleep((t - now).div_f64(self.speed));
        }
    }

    /// Real time that `d` of clock time takes.
    pub fn real(&self, d: Duration) -> Duration {
        d.div_f64(self.speed)
    }
}

/// One JPEG frame and when it was captured.
#[derive(Debug, Clone)]
pub struct VideoFrame {
    /// Capture-clock time.
    pub ts: Duration,
    /// One complete JPEG (shared: the preview and the recorder hold the same bytes).
    pub jpeg: Arc<[u8]>,
}

/// Mono samples and when the first was captured.
#[derive(Debug, Clone)]
pub struct AudioChunk {
    /// Capture-clock time of `samples[0]`.
    pub ts: Duration,
    /// Signed 16-bit mono samples.
    pub samples: Vec<i16>,
}

/// A camera delivering JPEG frames.
pub trait VideoSource: Send {
    /// Blocks until the next frame.
    fn next_frame(&mut self) -> Result<VideoFrame, Error>;
    /// (width, height, nominal fps).
    fn format(&self) -> (u32, u32, u32);
}

/// A mono microphone.
pub trait AudioSource: Send {
    /// Blocks until the next chunk has been captured.
    fn next_chunk(&mut self) -> Result<AudioChunk, Error>;
    /// Samples per second.
    fn sample_rate(&self) -> u32;
}

/// Encodes one 8-bit grey or RGB image as a baseline JPEG.
pub fn encode_jpeg(width: u32, height: u32, pixels: &[u8], rgb: bool, quality: u8) -> Result<Vec<u8>, Error> {
    let (w, h) = (
        u16::try_from(width).map_err(|_| Error::Encode(format!("width {width}")))?,
        u16::try_from(height).map_err(|_| Error::Encode(format!("height {height}")))?,
    );
    let color = if rgb { jpeg_encoder::ColorType::Rgb } else { jpeg_encoder::ColorType::Luma };
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.encode(pixels, w, h, color).map_err(|e| Error::Encode(e.to_string()))?;
    Ok(out)
}

/// A test-card frame: grey ramp background, a moving bar, and the frame number as 16 bit
/// blocks (so a human scrubbing the clip sees time advance).
pub fn test_card(width: u32, height: u32, n: u32) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut px = vec![0u8; w * h * 3];
    let bar_x = (n as usize * 8) % w.max(1);
    for (y, row) in px.chunks_exact_mut(w * 3).enumerate() {
        for (x, p) in row.chunks_exact_mut(3).enumerate() {
            let mut c = [(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 96];
            if x.abs_diff(bar_x) < 12 {
                c = [240, 240, 240];
            }
            let bit = x / (w / 16).max(1);
            if y < h / 10 && bit < 16 && (n >> (15 - bit)) & 1 == 1 {
                c = [16, 16, 16];
            }
            p.copy_from_slice(&c);
        }
    }
    px
}

/// JPEG frames from memory (loaded from a directory or generated), cycled at a fixed fps.
#[derive(Debug)]
pub struct JpegFileSource {
    frames: Vec<Arc<[u8]>>,
    width: u32,
    height: u32,
    fps: u32,
    clock: Clock,
    start: Option<Duration>,
    n: u64,
}

impl JpegFileSource {
    /// `count` distinct generated test-card frames (encoded once, here) of `width`×`height`.
    pub fn generated(width: u32, height: u32, fps: u32, count: u32, clock: Clock) -> Result<Self, Error> {
        if width == 0 || height == 0 || fps == 0 || count == 0 {
            return Err(Error::Unsupported("generated source needs non-zero size, fps and count".into()));
        }
        let frames = (0..count)
            .map(|n| encode_jpeg(width, height, &test_card(width, height, n), true, 80).map(Arc::from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { frames, width, height, fps, clock, start: None, n: 0 })
    }

    /// Every `*.jpg` / `*.jpeg` in `dir`, in name order, of the stated size.
    pub fn from_dir(dir: &Path, width: u32, height: u32, fps: u32, clock: Clock) -> Result<Self, Error> {
        let mut names: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
            })
            .collect();
        names.sort();
        let mut frames = Vec::with_capacity(names.len());
        for p in names {
            let data = std::fs::read(&p)?;
            if !data.starts_with(&[0xFF, 0xD8]) {
                return Err(Error::malformed("jpeg", format!("{} has no SOI marker", p.display())));
            }
            frames.push(Arc::from(data));
        }
        if frames.is_empty() || fps == 0 {
            return Err(Error::Unsupported(format!("no JPEG frames in {} (or fps 0)", dir.display())));
        }
        Ok(Self { frames, width, height, fps, clock, start: None, n: 0 })
    }
}

impl VideoSource for JpegFileSource {
    fn next_frame(&mut self) -> Result<VideoFrame, Error> {
        let start = *self.start.get_or_insert_with(|| self.clock.now());
        let ts = start + Duration::from_secs_f64(self.n as f64 / f64::from(self.fps));
        self.clock.sleep_until(ts);
        let idx = usize::try_from(self.n % self.frames.len().max(1) as u64).unwrap_or(0);
        self.n += 1;
        let jpeg = self.frames.get(idx).cloned().ok_or(Error::Stopped)?;
        Ok(VideoFrame { ts, jpeg })
    }

    fn format(&self) -> (u32, u32, u32) {
        (self.width, self.height, self.fps)
    }
}

/// Parses a RIFF/WAVE file holding PCM signed 16-bit mono; returns (sample rate, samples).
pub fn parse_wav(data: &[u8]) -> Result<(u32, Vec<i16>), Error> {
    let bad = |d: &str| Error::malformed("wav", d);
    if data.get(0..4) != Some(b"RIFF") || data.get(8..12) != Some(b"WAVE") {
        return Err(bad("no RIFF/WAVE header"));
    }
    let mut p = 12usize;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while let Some(hdr) = p.checked_add(8).and_then(|end| data.get(p..end)) {
        let id = hdr.get(0..4).unwrap_or_default();
        let size = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]) as usize;
        let body = data.get(p + 8..).unwrap_or_default();
        let body = body.get(..size).unwrap_or(body); // a truncated last chunk keeps what is there
        match id {
            b"fmt " => {
                let f = body.get(0..16).ok_or_else(|| bad("short fmt chunk"))?;
                fmt = Some((
                    u16::from_le_bytes([f[0], f[1]]),
                    u16::from_le_bytes([f[2], f[3]]),
                    u32::from_le_bytes([f[4], f[5], f[6], f[7]]),
                    u16::from_le_bytes([f[14], f[15]]),
                ));
            }
            b"data" => {
                let (tag, ch, rate, bits) = fmt.ok_or_else(|| bad("data before fmt"))?;
                if tag != 1 || ch != 1 || bits != 16 || rate == 0 {
                    return Err(Error::Unsupported(format!(
                        "WAV format tag {tag}, {ch} channels, {bits} bits at {rate} Hz (need PCM 16-bit mono)"
                    )));
                }
                let samples = body.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
                return Ok((rate, samples));
            }
            _ => {}
        }
        p = p.saturating_add(8).saturating_add(size).saturating_add(size & 1);
    }
    Err(bad("no data chunk"))
}

/// Writes PCM s16le mono as a WAV file image.
pub fn wav_bytes(rate: u32, samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut v = Vec::with_capacity(44 + samples.len() * 2);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * 2).to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        v.extend_from_slice(&s.to_le_bytes());
    }
    v
}

/// PCM from memory (a WAV file or a generated tone), looped, delivered in fixed chunks paced
/// by the clock like a sound card's periods.
#[derive(Debug)]
pub struct PcmSource {
    samples: Arc<[i16]>,
    rate: u32,
    chunk: usize,
    clock: Clock,
    start: Option<Duration>,
    emitted: u64,
}

impl PcmSource {
    /// A WAV file (PCM s16le mono), looped.
    pub fn from_wav(path: &Path, chunk_ms: u32, clock: Clock) -> Result<Self, Error> {
        let (rate, samples) = parse_wav(&std::fs::read(path)?)?;
        Self::from_samples(rate, samples, chunk_ms, clock)
    }

    /// A 440 Hz tone at `rate` (one second, looped).
    pub fn tone(rate: u32, chunk_ms: u32, clock: Clock) -> Result<Self, Error> {
        let samples = (0..rate)
            .map(|n| {
                let phase = f64::from(n) * 440.0 / f64::from(rate.max(1));
                (8192.0 * (std::f64::consts::TAU * phase).sin()).round() as i16
            })
            .collect();
        Self::from_samples(rate, samples, chunk_ms, clock)
    }

    /// Given samples, looped.
    pub fn from_samples(rate: u32, samples: Vec<i16>, chunk_ms: u32, clock: Clock) -> Result<Self, Error> {
        let chunk = (u64::from(rate) * u64::from(chunk_ms) / 1000) as usize;
        if samples.is_empty() || chunk == 0 {
            return Err(Error::Unsupported("audio source needs samples and a chunk of at least 1 sample".into()));
        }
        Ok(Self { samples: Arc::from(samples), rate, chunk, clock, start: None, emitted: 0 })
    }
}

impl AudioSource for PcmSource {
    fn next_chunk(&mut self) -> Result<AudioChunk, Error> {
        let start = *self.start.get_or_insert_with(|| self.clock.now());
        let rate = f64::from(self.rate);
        let ts = start + Duration::from_secs_f64(self.emitted as f64 / rate);
        let end = start + Duration::from_secs_f64((self.emitted + self.chunk as u64) as f64 / rate);
        // A sound card hands over a period once it has been captured.
        self.clock.sleep_until(end);
        let len = self.samples.len() as u64;
        let out = (0..self.chunk as u64)
            .map(|i| {
                let idx = usize::try_from((self.emitted + i) % len).unwrap_or(0);
                self.samples.get(idx).copied().unwrap_or(0)
            })
            .collect();
        self.emitted += self.chunk as u64;
        Ok(AudioChunk { ts, samples: out })
    }

    fn sample_rate(&self) -> u32 {
        self.rate
    }
}

/// Any [`Camera`] as a [`VideoSource`]: MJPEG frames pass through, Gray8/RGB8 frames are
/// encoded (quality 75); stamped with the clock when captured and paced to `fps` (a simulated
/// camera returns as fast as it is asked).
#[derive(Debug)]
pub struct CameraSource<C: Camera> {
    camera: C,
    fps: u32,
    clock: Clock,
    next: Option<Duration>,
    size: (u32, u32),
}

impl<C: Camera> CameraSource<C> {
    /// Wraps `camera`, expecting `width`×`height` at `fps`.
    pub fn new(camera: C, width: u32, height: u32, fps: u32, clock: Clock) -> Self {
        Self { camera, fps: fps.max(1), clock, next: None, size: (width, height) }
    }
}

impl<C: Camera> VideoSource for CameraSource<C> {
    fn next_frame(&mut self) -> Result<VideoFrame, Error> {
        let due = *self.next.get_or_insert_with(|| self.clock.now());
        self.clock.sleep_until(due);
        self.next = Some(due + Duration::from_secs_f64(1.0 / f64::from(self.fps)));
        let frame = self.camera.frame()?;
        let ts = self.clock.now();
        let jpeg = match frame.format {
            PixelFormat::Mjpeg => frame.data,
            PixelFormat::Gray8 => encode_jpeg(frame.width, frame.height, &frame.data, false, 75)?,
            PixelFormat::Rgb8 => encode_jpeg(frame.width, frame.height, &frame.data, true, 75)?,
        };
        Ok(VideoFrame { ts, jpeg: Arc::from(jpeg) })
    }

    fn format(&self) -> (u32, u32, u32) {
        (self.size.0, self.size.1, self.fps)
    }
}

/// Any [`Microphone`] as an [`AudioSource`], in chunks of `chunk_ms`, paced by the clock (a
/// simulated microphone returns as fast as it is read). The chunk is stamped with the time its
/// first sample was captured: the read time minus the chunk's length.
#[derive(Debug)]
pub struct MicrophoneSource<M: Microphone> {
    mic: M,
    chunk: usize,
    clock: Clock,
    start: Option<Duration>,
    emitted: u64,
}

impl<M: Microphone> MicrophoneSource<M> {
    /// Wraps `mic`.
    pub fn new(mic: M, chunk_ms: u32, clock: Clock) -> Self {
        let chunk = (u64::from(mic.sample_rate()) * u64::from(chunk_ms) / 1000).max(1) as usize;
        Self { mic, chunk, clock, start: None, emitted: 0 }
    }
}

impl<M: Microphone> AudioSource for MicrophoneSource<M> {
    fn next_chunk(&mut self) -> Result<AudioChunk, Error> {
        let start = *self.start.get_or_insert_with(|| self.clock.now());
        let rate = f64::from(self.mic.sample_rate().max(1));
        let ts = start + Duration::from_secs_f64(self.emitted as f64 / rate);
        self.clock.sleep_until(start + Duration::from_secs_f64((self.emitted + self.chunk as u64) as f64 / rate));
        let mut buf = vec![0i16; self.chunk];
        let mut got = 0;
        while got < buf.len() {
            let n = self.mic.read(buf.get_mut(got..).unwrap_or_default())?;
            if n == 0 {
                break;
            }
            got += n;
        }
        buf.truncate(got);
        self.emitted += got as u64;
        Ok(AudioChunk { ts, samples: buf })
    }

    fn sample_rate(&self) -> u32 {
        self.mic.sample_rate()
    }
}
