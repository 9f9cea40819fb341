//! Recorder behaviour around the clip: budget refusal shown on the indicator, sim devices.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_device::sim::{SimCamera, SimMicrophone};
use motcua_recorder::source::{CameraSource, MicrophoneSource};
use motcua_recorder::{Clock, Error, Indicator, Recorder, RecorderConfig, StartOutcome, Store};

#[test]
fn a_full_budget_refuses_the_recording_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::store_cfg(dir.path());
    cfg.budget_bytes = 1000;
    cfg.reserve_bytes = 2000;
    let store = Arc::new(Mutex::new(Store::open(cfg, 0).unwrap().0));
    let rec = common::recorder(store.clone(), 10.0);
    let err = rec.start("s1", "o", "t").unwrap_err();
    assert!(matches!(err, Error::BudgetExhausted { .. }), "{err}");
    let Indicator::Fault { reason } = rec.indicator() else { panic!("indicator {:?}", rec.indicator()) };
    assert!(reason.contains("budget"), "{reason}");
    assert!(store.lock().unwrap().health().is_err());
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        !n.ends_with(".partial") && n != "s1.json"
    }));
}

#[test]
fn records_from_the_device_seams_and_starting_a_new_session_closes_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::open_store(dir.path());
    let clock = Clock::accelerated(4.0);
    let cam = CameraSource::new(SimCamera::new(160, 120), 160, 120, 15, clock);
    let mic = MicrophoneSource::new(SimMicrophone::new(), 100, clock);
    let rec = Recorder::spawn(cam, mic, clock, store.clone(), RecorderConfig::new("Q2")).unwrap();
    assert!(matches!(rec.start("a", "o", "1").unwrap(), StartOutcome::Started { .. }));
    std::thread::sleep(Duration::from_millis(300));
    // The next call comes before the rating window of "a" closed: "a" is closed unrated.
    assert!(matches!(rec.start("b", "o", "2").unwrap(), StartOutcome::Started { .. }));
    std::thread::sleep(Duration::from_millis(300));
    let b = rec.stop("b", None).unwrap().expect("clip b");
    assert_eq!(rec.stop("a", None).unwrap(), None);
    rec.shutdown();
    let s = store.lock().unwrap();
    let ids: Vec<_> = s.clips().iter().map(|c| c.meta.session_id.clone()).collect();
    assert_eq!(ids, ["a", "b"]);
    let j = common::ffprobe_json(&s.clip_path(&b), &["-show_streams"]);
    let v = &j["streams"][0];
    assert_eq!((v["codec_name"].as_str(), v["width"].as_u64()), (Some("mjpeg"), Some(160)), "{j}");
    assert_eq!(j["streams"][1]["codec_name"], "pcm_s16le");
}

#[test]
fn records_from_a_jpeg_directory_and_a_wav_file() {
    use motcua_recorder::source::{encode_jpeg, test_card, wav_bytes};
    use motcua_recorder::{JpegFileSource, PcmSource};
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    for n in 0..3 {
        let jpeg = encode_jpeg(640, 480, &test_card(640, 480, n), true, 70).unwrap();
        std::fs::write(media.join(format!("f{n}.jpg")), jpeg).unwrap();
    }
    std::fs::write(media.join("notes.txt"), b"ignored").unwrap();
    let samples: Vec<i16> = (0..16_000).map(|i| ((i % 40) * 200 - 4000) as i16).collect();
    std::fs::write(media.join("mic.wav"), wav_bytes(16_000, &samples)).unwrap();

    let clock = Clock::accelerated(10.0);
    let video = JpegFileSource::from_dir(&media, 640, 480, 15, clock).unwrap();
    let audio = PcmSource::from_wav(&media.join("mic.wav"), 100, clock).unwrap();
    let store = common::open_store(&dir.path().join("clips"));
    let rec = Recorder::spawn(video, audio, clock, store.clone(), RecorderConfig::new("Q5")).unwrap();
    let t = std::time::Instant::now();
    assert!(matches!(rec.start("w", "o", "9").unwrap(), StartOutcome::Started { .. }));
    std::thread::sleep(Duration::from_millis(200));
    let clip = rec.stop("w", None).unwrap().expect("clip");
    let clock_elapsed = t.elapsed().as_secs_f64() * 10.0;
    rec.shutdown();
    let path = store.lock().unwrap().clip_path(&clip);
    let dur = common::check_clip(&path);
    assert!(dur >= 1.9 && dur <= clock_elapsed + 0.2, "session of {clock_elapsed:.2} s, clip {dur}");
    // A directory without JPEGs and a non-PCM WAV are refused with clear errors.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(JpegFileSource::from_dir(&empty, 640, 480, 15, clock).is_err());
    let mut stereo = wav_bytes(16_000, &samples);
    stereo[22] = 2; // channels
    std::fs::write(media.join("stereo.wav"), stereo).unwrap();
    let err = PcmSource::from_wav(&media.join("stereo.wav"), 100, clock).unwrap_err();
    assert!(err.to_string().contains("2 channels"), "{err}");
}
