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
