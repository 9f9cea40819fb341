//! Runs every fuzz target on a bounded, deterministic stream of inputs: random bytes, and seeds
//! mutated by bit flips, truncation, splicing and byte insertion. Bounded so CI stays fast;
//! `MOTCUA_FUZZ_ITERS` raises the count for a longer local run.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    vec![
        // A keypad Leds frame (from the protocol README's golden example).
        vec![0x00, 0x04, 0x01, 0x01, 0x07, 0x04, 0x21, 0x02, 0x05, 0x03, 0xD6, 0xA2, 0x00],
        // DLE EOT replies and a GS ( H process-id reply shape.
        vec![0x16, 0x12, 0x12, 0x12, 0x37, 0x22, b'1', b'2', b'3', b'4', 0x00],
        b"000.00.12.H62-201105-0004\r\n\xef\xbb\xbfCCCD|123\r\n".to_vec(),
        br#"{"field_id":"ho-tich","priority_class":"nguoi-cao-tuoi"}"#.to_vec(),
        br#"{"action":"transfer","field_id":"dat-dai","counter":3}"#.to_vec(),
        "Hộ tịch – Chứng thực".as_bytes().to_vec(),
    ]
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => v.truncate(rng.below(v.len())),
            2 => {
                let other = &seeds[rng.below(seeds.len())];
                let at = rng.below(v.len() + 1);
                v.splice(at..at, other.iter().copied());
            }
            3 => {
                let at = rng.below(v.len() + 1);
                v.insert(at, [0x00, 0x10, 0x1d, 0xff, b'\n'][rng.below(5)]);
            }
            _ => v.extend((0..rng.below(16)).map(|_| rng.next() as u8)),
        }
    }
    v
}

#[test]
fn every_fuzz_target_survives_random_and_mutated_inputs() {
    let iters: usize = std::env::var("MOTCUA_FUZZ_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let seeds = seeds();
    for (name, target) in motcua_fuzz::TARGETS {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        for s in &seeds {
            target(s);
        }
        // A QR decode of a frame costs a thousand parses of a frame header: fewer rounds.
        let iters = if *name == "qr_frames" { iters / 50 } else { iters };
        for i in 0..iters {
            let input = if i % 2 == 0 {
                (0..rng.below(96)).map(|_| rng.next() as u8).collect::<Vec<u8>>()
            } else {
                mutate(&mut rng, &seeds)
            };
            target(&input);
        }
    }
}
