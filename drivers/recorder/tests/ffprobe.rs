//! ffprobe validates recorded clips: codecs, duration, A/V sync within 100 ms.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use motcua_recorder::{Indicator, Rating, StartOutcome};

#[test]
fn muxed_file_passes_ffprobe_and_decodes_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.mkv");
    let clock = motcua_recorder::Clock::accelerated(1000.0);
    let mut v = motcua_recorder::JpegFileSource::generated(640, 480, 15, 2, clock).unwrap();
    let cfg =
        motcua_recorder::mkv::TrackConfig { width: 640, height: 480, fps: 15, sample_rate: 16_000, title: "x".into() };
    let mut m = motcua_recorder::mkv::MkvWriter::new(std::fs::File::create(&path).unwrap(), cfg).unwrap();
    use motcua_recorder::VideoSource;
    let first = v.next_frame().unwrap();
    let t0 = first.ts;
    m.write_video(Duration::ZERO, &first.jpeg).unwrap();
    // 2.5 s: 38 frames + 25 chunks of 100 ms (sine).
    for _ in 1..38u64 {
        let f = v.next_frame().unwrap();
        m.write_video(f.ts - t0, &f.jpeg).unwrap();
    }
    for k in 0..25u64 {
        let s: Vec<i16> = (0..1600).map(|i| ((i as f64 * 0.17).sin() * 5000.0) as i16).collect();
        m.write_audio(Duration::from_millis(k * 100), &s).unwrap();
    }
    let (_, summary) = m.finish().unwrap();
    assert_eq!(summary.video_frames, 38);
    assert_eq!(summary.audio_samples, 25 * 1600);
    let dur = common::check_clip(&path);
    assert!((dur - 2.533).abs() < 0.05, "duration {dur}");
    let errs = common::ffmpeg_decode_errors(&path);
    assert!(errs.trim().is_empty(), "ffmpeg decode errors: {errs}");
}

#[test]
fn session_recording_is_in_sync_and_indexed_with_its_rating() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(dir.path());
    // 10× real time: 3 s of session in 0.3 s.
    let rec = common::recorder(store.clone(), 10.0);
    assert_eq!(rec.indicator(), Indicator::Idle);
    std::thread::sleep(Duration::from_millis(30)); // capture already running before the call
    let t = std::time::Instant::now();
    let StartOutcome::Started { clip_id } = rec.start("sess-1", "cb07", "A012").unwrap() else { panic!("not started") };
    assert_eq!(rec.indicator(), Indicator::Recording { session_id: "sess-1".into() });
    assert_eq!(rec.start("sess-1", "cb07", "A012").unwrap(), StartOutcome::AlreadyRecording);
    std::thread::sleep(Duration::from_millis(300));
    let clip = rec.stop("sess-1", Some(Rating::Unsatisfied)).unwrap().expect("a clip");
    let clock_elapsed = t.elapsed().as_secs_f64() * 10.0;
    assert_eq!(rec.indicator(), Indicator::Idle);
    assert_eq!(clip.meta.clip_id, clip_id);
    assert!(clip.flagged, "Không hài lòng flags the clip");
    assert_eq!(clip.meta.ticket, "A012");
    let path = dir.path().join(clip.file_name());
    assert!(path.exists());
    assert!(!dir.path().join(format!("{clip_id}.mkv.partial")).exists());
    let dur = common::check_clip(&path);
    // From the call (>= 3 s of clock time later) to the stop; a loaded machine only adds.
    assert!(dur >= 2.9 && dur <= clock_elapsed + 0.2, "session of {clock_elapsed:.2} s, clip {dur}");
    assert!((dur * 1000.0 - clip.duration_ms as f64).abs() < 100.0);
    assert_eq!(store.lock().unwrap().pending_uploads().len(), 1);
    // Stopping an unknown session is harmless.
    assert_eq!(rec.stop("nope", None).unwrap(), None);
    rec.shutdown();
}

#[test]
fn disabled_counter_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(dir.path());
    let rec = common::recorder(store.clone(), 10.0);
    rec.set_enabled(false);
    assert_eq!(rec.indicator(), Indicator::Disabled);
    assert_eq!(rec.start("s", "o", "t").unwrap(), StartOutcome::Disabled);
    assert_eq!(rec.stop("s", None).unwrap(), None);
    rec.set_enabled(true);
    assert_eq!(rec.indicator(), Indicator::Idle);
    assert!(store.lock().unwrap().clips().is_empty());
    // The preview runs regardless of recording.
    let feed = rec.preview_feed();
    std::thread::sleep(Duration::from_millis(50));
    assert!(feed.borrow().as_ref().is_some_and(|j| j.starts_with(&[0xFF, 0xD8])));
}
