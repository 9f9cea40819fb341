//! Drives the bounded fuzz targets with seeded pseudo-random bytes and with mutations of valid
//! inputs (the sample chip's files), a few thousand each; deterministic, so failures replay.
#![allow(clippy::unwrap_used, clippy::panic)]

use motcua_cccd::fuzz;
use motcua_cccd::proto::dg2::{ImageFormat, build_dg2, synthetic_jpeg};
use motcua_cccd::sim::CCCD_CARD_ACCESS;
use motcua_cccd::test_pki::TestPki;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            2 => v.truncate(rng.below(v.len() + 1)),
            3 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0xFF][rng.below(7)]);
            }
            _ if !v.is_empty() => {
                let i = rng.below(v.len());
                v.remove(i);
            }
            _ => {}
        }
    }
    v
}

fn drive(target: fn(&[u8]), seeds: &[Vec<u8>], rounds: usize, salt: u64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ salt);
    for _ in 0..rounds {
        let random: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
        target(&random);
        let seed = &seeds[rng.below(seeds.len())];
        target(&mutate(&mut rng, seed));
    }
    for s in seeds {
        target(s);
    }
}

#[test]
fn fuzz_sod() {
    let pki = TestPki::sample();
    let sod = pki.sod(&[(1, b"dg1"), (2, b"dg2"), (14, &pki.dg14())]);
    drive(fuzz::fuzz_sod, &[sod], 1500, 1);
}

#[test]
fn fuzz_dg14() {
    let pki = TestPki::sample();
    drive(fuzz::fuzz_dg14, &[pki.dg14(), pki.dg15()], 3000, 2);
}

#[test]
fn fuzz_dg2() {
    let seeds = [
        build_dg2(&synthetic_jpeg(200), ImageFormat::Jpeg, 10, 20),
        build_dg2(&[0xFF, 0x4F, 0xFF, 0x51, 1, 2, 3], ImageFormat::Jpeg2000, 1, 1),
    ];
    drive(fuzz::fuzz_dg2, &seeds, 3000, 3);
}

#[test]
fn fuzz_card_access() {
    let g1 = hex::decode("31143012060A04007F0007020204020202010202010D").unwrap();
    let nonce = hex::decode("7C12801095A3A016522EE98D01E76CB6B98B42C3").unwrap();
    drive(fuzz::fuzz_card_access, &[CCCD_CARD_ACCESS.to_vec(), g1, nonce], 1500, 4);
}

#[test]
fn fuzz_sm_response() {
    let seeds = [
        hex::decode("990290008E08FA855A5D4C50A8ED9000").unwrap(),
        hex::decode("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000").unwrap(),
        hex::decode("0CB000000D9701048E08ED6705417E96BA5500").unwrap(),
    ];
    drive(fuzz::fuzz_sm_response, &seeds, 3000, 5);
}

#[test]
fn fuzz_vpcd() {
    let mut wire = Vec::new();
    for payload in
        [&[0x01][..], &[0x04], &[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01], &[0x02]]
    {
        wire.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        wire.extend_from_slice(payload);
    }
    drive(fuzz::fuzz_vpcd, &[wire, vec![0x00, 0x00, 0x00, 0x01, 0x04], vec![0xFF, 0xFF, 0x00]], 3000, 6);
}
