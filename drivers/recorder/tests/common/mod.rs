//! Shared test helpers: ffprobe, accelerated recorders, tiny clips.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use motcua_recorder::mkv::{MkvWriter, MuxSummary, TrackConfig};
use motcua_recorder::storage::{ClipMeta, ClipRecord, Store, StoreConfig};
use motcua_recorder::{Clock, JpegFileSource, PcmSource, Recorder, RecorderConfig};

/// Runs ffprobe; panics with an install hint when it is missing (CI installs it).
pub fn ffprobe_json(path: &Path, extra: &[&str]) -> serde_json::Value {
    let mut cmd = Command::new("ffprobe");
    cmd.args(["-v", "warning", "-of", "json"]).args(extra).arg(path);
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!(
            "ffprobe is required by this test and could not be run ({e}); install it with `sudo apt-get install -y ffmpeg`"
        ),
    };
    assert!(out.status.success(), "ffprobe failed on {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "ffprobe warnings on {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("ffprobe JSON")
}

/// Decodes the whole file with ffmpeg; returns its error output (empty when clean).
pub fn ffmpeg_decode_errors(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap_or_else(|e| {
            panic!("ffmpeg is required by this test ({e}); install it with `sudo apt-get install -y ffmpeg`")
        });
    assert!(out.status.success(), "ffmpeg failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn f(v: &serde_json::Value) -> f64 {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_f64()).unwrap_or(f64::NAN)
}

/// Checks codecs, size, rate, and A/V sync (start times and per-stream ends within 100 ms);
/// returns the format duration in seconds.
pub fn check_clip(path: &Path) -> f64 {
    let j = ffprobe_json(path, &["-show_streams", "-show_format"]);
    let streams = j["streams"].as_array().expect("streams");
    assert_eq!(streams.len(), 2, "two streams: {j}");
    let v = streams.iter().find(|s| s["codec_type"] == "video").expect("a video stream");
    let a = streams.iter().find(|s| s["codec_type"] == "audio").expect("an audio stream");
    assert_eq!(v["codec_name"], "mjpeg");
    assert_eq!(v["width"], 640);
    assert_eq!(v["height"], 480);
    assert_eq!(a["codec_name"], "pcm_s16le");
    assert_eq!(a["sample_rate"], "16000");
    assert_eq!(a["channels"], 1);
    assert!(j["format"]["format_name"].as_str().unwrap_or("").contains("matroska"), "{j}");
    let (vs, as_) = (f(&v["start_time"]), f(&a["start_time"]));
    assert!((vs - as_).abs() <= 0.100, "stream start times differ: video {vs}, audio {as_}");
    // Per-stream ends from the packets.
    let p = ffprobe_json(path, &["-show_entries", "packet=stream_index,pts_time,duration_time"]);
    let mut end = [0f64; 2];
    let mut count = [0u32; 2];
    for pk in p["packets"].as_array().expect("packets") {
        let i = pk["stream_index"].as_u64().expect("index") as usize;
        let e = f(&pk["pts_time"]) + f(&pk["duration_time"]);
        end[i] = end[i].max(e);
        count[i] += 1;
    }
    assert!(count[0] > 0 && count[1] > 0, "packets in both streams: {count:?}");
    assert!((end[0] - end[1]).abs() <= 0.100, "stream ends differ by more than 100 ms: {end:?}");
    let dur = f(&j["format"]["duration"]);
    assert!((dur - end[0].max(end[1])).abs() <= 0.100, "format duration {dur} vs stream ends {end:?}");
    dur
}

pub fn store_cfg(dir: &Path) -> StoreConfig {
    let mut c = StoreConfig::new(dir.to_path_buf());
    c.budget_bytes = 1 << 30;
    c.reserve_bytes = 1 << 20;
    c
}

pub fn open_store(dir: &Path) -> Arc<Mutex<Store>> {
    Arc::new(Mutex::new(Store::open(store_cfg(dir), 1000).expect("store").0))
}

/// A recorder over generated 640x480/15 fps frames and a 16 kHz tone on a clock `speed`× real time.
pub fn recorder(store: Arc<Mutex<Store>>, speed: f64) -> Recorder {
    let clock = Clock::accelerated(speed);
    let video = JpegFileSource::generated(640, 480, 15, 3, clock).expect("frames");
    let audio = PcmSource::tone(16_000, 100, clock).expect("tone");
    let mut cfg = RecorderConfig::new("Q3");
    cfg.queue = 256;
    Recorder::spawn(video, audio, clock, store, cfg).expect("recorder")
}

pub fn meta(id: &str) -> ClipMeta {
    ClipMeta {
        clip_id: id.into(),
        session_id: format!("s-{id}"),
        counter: "Q1".into(),
        officer: "cb01".into(),
        ticket: "A001".into(),
        started_at_ms: 0,
        content_type: "video/x-matroska".into(),
    }
}

/// Writes a small valid clip (fake JPEG payloads of `frame_bytes`) to `w`.
pub fn tiny_mkv<W: std::io::Write + std::io::Seek>(w: W, frames: u32, frame_bytes: usize) -> (W, MuxSummary) {
    let cfg = TrackConfig { width: 640, height: 480, fps: 15, sample_rate: 16_000, title: "t".into() };
    let mut m = MkvWriter::new(w, cfg).expect("writer");
    let jpeg: Vec<u8> = (0..frame_bytes).map(|i| (i % 251) as u8).collect();
    for n in 0..frames {
        let ts = std::time::Duration::from_millis(u64::from(n) * 1000 / 15);
        m.write_video(ts, &jpeg).expect("video");
        let samples = vec![n as i16; 16_000 / 15];
        m.write_audio(ts, &samples).expect("audio");
    }
    m.finish().expect("finish")
}

/// Adds a finished tiny clip to the store through the normal begin/commit path.
pub fn add_clip(store: &mut Store, id: &str, frame_bytes: usize, now: u64) -> ClipRecord {
    let m = meta(id);
    let path: PathBuf = store.begin_recording(&m).expect("begin");
    let file = std::fs::File::create(&path).expect("create");
    let (_, summary) = tiny_mkv(file, 15, frame_bytes);
    store.commit_recording(m, None, summary, now).expect("commit")
}
