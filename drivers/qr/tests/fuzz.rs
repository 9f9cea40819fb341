//! `fuzz_decode` on a bounded, deterministic stream: random bytes, and rendered code frames with
#![allow(clippy::unwrap_used)]
//! bytes flipped, cut and spliced. `MOTCUA_FUZZ_ITERS` raises the count for a longer local run.

mod common;

use common::{Rng, Scene, receipt, render};
use qrcode::EcLevel;

#[test]
fn fuzz_decode_never_panics() {
    let iters: usize = std::env::var("MOTCUA_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(120);
    let mut rng = Rng(0x5EED_0FF0_2200);
    let seed_frame = render(
        receipt(3).as_bytes(),
        EcLevel::L,
        &Scene { width: 96, height: 96, center: (48.0, 48.0), module: 3.0, ..Scene::default() },
    );
    let mut seed = vec![95u8, 95];
    seed.extend_from_slice(seed_frame.data());
    motcua_qr::fuzz_decode(&seed);
    for i in 0..iters {
        let input: Vec<u8> = if i % 2 == 0 {
            let n = (rng.next() % 3000) as usize;
            (0..n).map(|_| rng.next() as u8).collect()
        } else {
            let mut v = seed.clone();
            for _ in 0..1 + rng.next() % 40 {
                let at = (rng.next() as usize) % v.len();
                match rng.next() % 4 {
                    0 => v[at] ^= 1 << (rng.next() % 8),
                    1 => v[at] = rng.next() as u8,
                    2 => v.truncate(at.max(2)),
                    _ => {
                        let b = rng.next() as u8;
                        v.insert(at, b);
                    }
                }
            }
            v
        };
        motcua_qr::fuzz_decode(&input);
    }
    for short in [&[][..], &[0], &[0, 0], &[255, 255], &[3, 3, 1, 2, 3]] {
        motcua_qr::fuzz_decode(short);
    }
}
