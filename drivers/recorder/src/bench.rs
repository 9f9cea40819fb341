//! `motcua bench av`: record 640x480 MJPEG at 15 fps plus 16 kHz mono PCM from file sources in
//! real time, and measure what it costs.
//!
//! Implements: [`bench_av`] and its [`AvBenchReport`] (table and one-line JSON).
//!
//! Does not implement: capture from real devices (the figure is the recorder's own cost:
//! pacing, muxing, writing, indexing; a V4L2 camera's MJPEG pass-through adds only the copy
//! out of the driver's buffer).
//!
//! CPU is process CPU time (user + system, `getrusage`) over wall time during the recording
//! only, as percent of one core; test frames are encoded before the clock starts. Peak RSS is
//! the process's `VmHWM` (see [`AvBenchReport::rss_mb`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Error;
use crate::recorder::{Recorder, RecorderConfig, StartOutcome};
use crate::source::{Clock, JpegFileSource, PcmSource};
use crate::storage::{Store, StoreConfig};

/// Result of [`bench_av`].
#[derive(Debug, Clone, Serialize)]
pub struct AvBenchReport {
    /// Process CPU time over wall time while recording, percent of one core.
    pub cpu_pct: f64,
    /// Peak resident set size of this process, MiB (`VmHWM`; not `ru_maxrss`, which Linux
    /// carries over `execve` from the parent, e.g. cargo).
    pub rss_mb: f64,
    /// Wall time recorded, seconds.
    pub seconds: f64,
    /// Video frames in the clip.
    pub video_frames: u64,
    /// Audio samples in the clip.
    pub audio_samples: u64,
    /// Clip size, bytes.
    pub clip_bytes: u64,
    /// Clip duration, ms.
    pub duration_ms: u64,
    /// Frames/chunks dropped because the writer fell behind.
    pub dropped: u64,
}

impl AvBenchReport {
    /// Human-readable table.
    pub fn table(&self) -> String {
        format!(
            "A/V recording bench (640x480 MJPEG @ 15 fps + 16 kHz mono PCM, real time)\n\
             {:<22} {:>10.1} s\n{:<22} {:>10}\n{:<22} {:>10}\n{:<22} {:>10} ms\n{:<22} {:>10.1} KiB\n{:<22} {:>10}\n\
             {:<22} {:>10.2} % of one core (goal < 5 %)\n{:<22} {:>10.1} MiB\n",
            "recorded",
            self.seconds,
            "video frames",
            self.video_frames,
            "audio samples",
            self.audio_samples,
            "clip duration",
            self.duration_ms,
            "clip size",
            self.clip_bytes as f64 / 1024.0,
            "dropped",
            self.dropped,
            "cpu",
            self.cpu_pct,
            "peak rss",
            self.rss_mb,
        )
    }

    /// One JSON object: `cpu_pct`, `rss_mb` and the other fields.
    pub fn json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| format!("{{\"cpu_pct\":{},\"rss_mb\":{}}}", self.cpu_pct, self.rss_mb))
    }
}

/// (CPU time, peak RSS in KiB) of this process.
#[allow(unsafe_code)]
fn rusage() -> Option<(Duration, u64)> {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `ru` is a valid, writable rusage; getrusage fills it completely on success (rc 0),
    // and we read it only then. RUSAGE_SELF needs no other argument.
    let ru = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) != 0 {
            return None;
        }
        ru.assume_init()
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    Some((tv(ru.ru_utime) + tv(ru.ru_stime), u64::try_from(ru.ru_maxrss).unwrap_or(0)))
}

/// Records `seconds` of 640x480/15 fps MJPEG + 16 kHz mono from file sources in real time into
/// a scratch store under the temp dir (removed afterwards) and reports CPU and memory.
pub fn bench_av(seconds: u32) -> Result<AvBenchReport, Error> {
    if seconds == 0 {
        return Err(Error::Unsupported("bench needs at least 1 second".into()));
    }
    let dir = std::env::temp_dir().join(format!("motcua-bench-av-{}", std::process::id()));
    let result = run(&dir, seconds);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(dir: &std::path::Path, seconds: u32) -> Result<AvBenchReport, Error> {
    let clock = Clock::real_time();
    let video = JpegFileSource::generated(640, 480, 15, 30, clock)?;
    let audio = PcmSource::tone(16_000, 100, clock)?;
    let mut cfg = StoreConfig::new(dir.to_path_buf());
    cfg.budget_bytes = 1 << 30;
    cfg.reserve_bytes = 64 << 20;
    let (store, _) = Store::open(cfg, 0)?;
    let store = Arc::new(Mutex::new(store));
    let rec = Recorder::spawn(video, audio, clock, store, RecorderConfig::new("bench"))?;
    let (cpu0, _) = rusage().ok_or_else(|| Error::Unsupported("getrusage failed".into()))?;
    let wall0 = Instant::now();
    match rec.start("bench-session", "bench-officer", "B000")? {
        StartOutcome::Started { .. } => {}
        other => return Err(Error::Unsupported(format!("bench recording did not start: {other:?}"))),
    }
    std::thread::sleep(Duration::from_secs(u64::from(seconds)));
    let clip = rec.stop("bench-session", None)?.ok_or_else(|| Error::Unsupported("no clip".into()))?;
    let wall = wall0.elapsed();
    let (cpu1, maxrss_kib) = rusage().ok_or_else(|| Error::Unsupported("getrusage failed".into()))?;
    let dropped = rec.dropped();
    rec.shutdown();
    let (video_frames, audio_samples) = crate::mkv::count_media(&dir.join(clip.file_name()))?;
    Ok(AvBenchReport {
        cpu_pct: (cpu1.saturating_sub(cpu0)).as_secs_f64() / wall.as_secs_f64().max(1e-9) * 100.0,
        rss_mb: peak_rss_kib(maxrss_kib) as f64 / 1024.0,
        seconds: wall.as_secs_f64(),
        video_frames,
        audio_samples,
        clip_bytes: clip.bytes,
        duration_ms: clip.duration_ms,
        dropped,
    })
}

/// Peak RSS in KiB: `VmHWM` of this process image. `ru_maxrss` is only the fallback, because
/// Linux carries it across `execve`: under `cargo run` it reports cargo's own peak (~100 MiB).
fn peak_rss_kib(ru_maxrss_kib: u64) -> u64 {
    match proc_status_kib() {
        (_, hwm) if hwm > 0 => hwm,
        _ => ru_maxrss_kib,
    }
}

/// (VmRSS, VmHWM) in KiB from /proc/self/status.
fn proc_status_kib() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |k: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (get("VmRSS:"), get("VmHWM:"))
}
