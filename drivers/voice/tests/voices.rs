//! The two voices and the player, end to end into the simulated audio output.

use motcua_device::audio::AudioOut;
use motcua_device::sim::SimAudioOut;
use motcua_voice::player::{Player, VoiceUsed};
use motcua_voice::schedule::VolumeSchedule;
use motcua_voice::voice::{ClipVoice, EspeakVoice, Voice};
use motcua_voice::wav::{self, Pcm};
use motcua_voice::{Announcement, Kind, Wording};

fn call(n: &str, c: u32) -> Announcement {
    Announcement { number: n.into(), counter: c, kind: Kind::Call }
}

fn tone_clip(dir: &std::path::Path, name: &str, ms: u32) {
    let rate = 16_000;
    let samples = (0..rate * ms / 1000).map(|i| ((i % 40) as i16 - 20) * 500).collect();
    std::fs::write(dir.join(format!("{name}.wav")), wav::write(&Pcm { rate, samples })).expect("write clip");
}

#[test]
fn espeak_says_the_default_announcement_in_vietnamese() {
    let mut v = EspeakVoice::default();
    let parts = Wording::default().parts("A023", 3);
    let pcm = v.render(&parts).expect("espeak-ng is installed by scripts/setup");
    let ms = pcm.duration_ms();
    assert!((2_000..15_000).contains(&ms), "{ms} ms");
    let loud = pcm.samples.iter().filter(|s| s.unsigned_abs() > 2_000).count();
    assert!(loud > pcm.samples.len() / 20, "mostly silence");
    for voice in ["vi-vn-x-central", "vi-vn-x-south"] {
        let mut v = EspeakVoice { voice: voice.into(), ..EspeakVoice::default() };
        assert!(v.render(&parts).expect(voice).duration_ms() > 1_000, "{voice}");
    }
}

#[test]
fn a_complete_clip_set_is_concatenated_in_order_with_gaps() {
    let dir = tempfile::tempdir().expect("tmp");
    let parts = Wording::default().parts("B7", 12);
    for p in &parts {
        tone_clip(dir.path(), &p.clip_name(), 100);
    }
    let mut clips = ClipVoice::new(dir.path());
    assert!(clips.missing(&parts).is_empty());
    let pcm = clips.render(&parts).expect("render");
    // 6 parts (chime, invite, B, 7, to-counter, counter 12) of 100 ms + 5 gaps of 80 ms.
    assert_eq!(parts.len(), 6);
    assert_eq!(pcm.duration_ms(), 6 * 100 + 5 * 80);
}

#[test]
fn player_falls_back_to_espeak_when_a_clip_is_missing_and_applies_the_volume() {
    let dir = tempfile::tempdir().expect("tmp");
    for p in Wording::default().parts("A1", 1) {
        tone_clip(dir.path(), &p.clip_name(), 50);
    }
    let mut player = Player {
        wording: Wording::default(),
        clips: Some(ClipVoice::new(dir.path())),
        espeak: EspeakVoice::default(),
        schedule: VolumeSchedule::new(&[("00:00", 100), ("12:00", 0)]).expect("schedule"),
    };
    let sim = SimAudioOut::new();
    let played = sim.handle();
    let mut out: Box<dyn AudioOut> = Box::new(sim);
    assert_eq!(player.play(&call("A1", 1), 9 * 60, out.as_mut()).expect("play"), VoiceUsed::Clips);
    // Counter 2 has no clip: espeak-ng says it.
    assert_eq!(player.play(&call("A1", 2), 9 * 60, out.as_mut()).expect("play"), VoiceUsed::Espeak);
    assert_eq!(played.played().len(), 2);
    let (pcm, _) = player.render(&call("A1", 1)).expect("render");
    let mut silent = pcm.samples.clone();
    motcua_voice::schedule::apply_volume(&mut silent, player.schedule.volume_at(12 * 60));
    assert!(silent.iter().all(|s| *s == 0), "volume 0 at noon");
}

/// Non-silent segments of `pcm` as (start ms, length ms, peak amplitude), found by 5 ms windows.
fn segments(pcm: &Pcm) -> Vec<(u64, u64, i16)> {
    let win = (pcm.rate / 200) as usize;
    let mut out = Vec::new();
    let mut cur: Option<(usize, i16)> = None;
    for (i, w) in pcm.samples.chunks(win).enumerate() {
        let peak = w.iter().map(|s| s.saturating_abs()).max().unwrap_or(0);
        match (&mut cur, peak > 100) {
            (None, true) => cur = Some((i, peak)),
            (Some((_, p)), true) => *p = (*p).max(peak),
            (Some((start, p)), false) => {
                out.push((*start as u64 * 5, (i - *start) as u64 * 5, *p));
                cur = None;
            }
            (None, false) => {}
        }
    }
    if let Some((start, p)) = cur {
        out.push((start as u64 * 5, (pcm.samples.len() / win - start) as u64 * 5, p));
    }
    out
}

#[test]
fn an_announcement_rendered_to_a_wav_file_has_its_parts_in_order_and_length() {
    // Each clip is a tone of its own loudness and length, so the file can be read back.
    let dir = tempfile::tempdir().expect("tmp");
    let parts = Wording::default().parts("A023", 3);
    let rate = 16_000;
    let spec: Vec<(i16, u32)> = (0..parts.len()).map(|i| (2_000 + 1_000 * i as i16, 120 + 20 * i as u32)).collect();
    for (p, (amp, ms)) in parts.iter().zip(&spec) {
        let samples = (0..rate * ms / 1000).map(|i| if i % 2 == 0 { *amp } else { -amp }).collect();
        std::fs::write(dir.path().join(format!("{}.wav", p.clip_name())), wav::write(&Pcm { rate, samples }))
            .expect("clip");
    }
    let pcm = ClipVoice::new(dir.path()).render(&parts).expect("render");
    let file = dir.path().join("announcement.wav");
    std::fs::write(&file, wav::write(&pcm)).expect("write wav");
    let back = wav::parse(&std::fs::read(&file).expect("read")).expect("parse");
    let segs = segments(&back);
    assert_eq!(segs.len(), parts.len(), "{segs:?}");
    let mut last_end = None;
    for ((start, len, peak), (amp, ms)) in segs.iter().zip(&spec) {
        assert_eq!(*peak, *amp, "parts out of order: {segs:?}");
        assert!(len.abs_diff(u64::from(*ms)) <= 5, "{len} ms vs {ms} ms");
        if let Some(end) = last_end {
            assert!(*start >= end + 70, "parts must be separated by a gap: {segs:?}");
        }
        last_end = Some(start + len);
    }
}

#[test]
fn espeak_announcement_starts_with_the_chime_then_speech() {
    let pcm = EspeakVoice::default().render(&Wording::default().parts("B7", 12)).expect("espeak");
    let segs = segments(&pcm);
    assert!(segs.len() >= 3, "chime, then several spoken words: {segs:?}");
    // The synthetic chime: 440 ms of tone at the very start.
    assert!(segs[0].0 <= 5 && (400..=460).contains(&segs[0].1), "{:?}", segs[0]);
}

#[test]
fn aplay_plays_to_the_alsa_null_device() {
    let mut out = motcua_voice::aplay::AplayOut::new("null");
    let pcm = Pcm { rate: 16_000, samples: vec![100; 1600] };
    out.play(&pcm.samples, pcm.rate).expect("aplay (alsa-utils, installed by scripts/setup) on the null device");
}

#[test]
fn a_missing_alsa_device_is_a_clear_error() {
    let mut out = motcua_voice::aplay::AplayOut::new("no-such-device");
    let e = out.play(&[0; 160], 16_000).expect_err("no such device");
    assert_eq!(e.kind(), motcua_device::ErrorKind::Hardware, "{e}");
    assert!(e.to_string().contains("no-such-device"), "{e}");
}

#[test]
fn a_stuck_playback_is_killed_by_the_watchdog() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = dir.path().join("aplay");
    // A "device" that never finishes and never reads its input.
    std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").expect("script");
    std::process::Command::new("chmod").arg("+x").arg(&fake).status().expect("chmod");
    let mut out = motcua_voice::aplay::AplayOut {
        program: fake,
        device: "default".into(),
        margin: std::time::Duration::from_millis(300),
    };
    let t = std::time::Instant::now();
    // 0.1 s of audio: the watchdog allows 0.1 s + 0.3 s, far less than the fake's 30 s.
    let e = out.play(&[0; 1_600], 16_000).expect_err("stuck");
    assert_eq!(e.kind(), motcua_device::ErrorKind::Timeout, "{e}");
    assert!(t.elapsed() < std::time::Duration::from_secs(5), "killed late: {:?}", t.elapsed());
}
