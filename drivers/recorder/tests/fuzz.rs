//! Bounded fuzzing of the recovery scanner and the WAV reader.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use motcua_recorder::fuzz::{fuzz_recover, fuzz_wav};

fn mutate(rng: &mut fastrand::Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    match rng.u8(0..5) {
        0 => v.truncate(rng.usize(0..=v.len())),
        1 => {
            for _ in 0..rng.usize(1..8) {
                if !v.is_empty() {
                    let i = rng.usize(0..v.len());
                    v[i] ^= 1 << rng.u8(0..8);
                }
            }
        }
        2 => {
            for _ in 0..rng.usize(1..4) {
                if !v.is_empty() {
                    let i = rng.usize(0..v.len());
                    v[i] = rng.u8(..);
                }
            }
        }
        3 => {
            let at = rng.usize(0..=v.len());
            let junk: Vec<u8> = (0..rng.usize(0..64)).map(|_| rng.u8(..)).collect();
            v.splice(at..at, junk);
        }
        _ => v = (0..rng.usize(0..512)).map(|_| rng.u8(..)).collect(),
    }
    v
}

#[test]
fn recovery_scanner_survives_mutated_files() {
    let (c, _) = common::tiny_mkv(std::io::Cursor::new(Vec::new()), 20, 300);
    let base = c.into_inner();
    let mut rng = fastrand::Rng::with_seed(8);
    fuzz_recover(&base);
    for _ in 0..3000 {
        fuzz_recover(&mutate(&mut rng, &base));
    }
}

#[test]
fn wav_reader_survives_mutated_files() {
    let samples: Vec<i16> = (0..200).map(|i| i * 3).collect();
    let base = motcua_recorder::source::wav_bytes(16_000, &samples);
    let (rate, got) = motcua_recorder::source::parse_wav(&base).unwrap();
    assert_eq!((rate, got), (16_000, samples));
    let mut rng = fastrand::Rng::with_seed(9);
    for _ in 0..3000 {
        fuzz_wav(&mutate(&mut rng, &base));
    }
}
