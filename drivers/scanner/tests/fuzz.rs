//! Bounded fuzzing of the three entry points on seeded pseudo-random and mutated inputs.

use motcua_scanner::fuzz::{fuzz_hid, fuzz_payload, fuzz_serial};
use motcua_scanner::proto::InputEvent;
use motcua_scanner::proto::hid::codes::*;

const RUNS: usize = 3_000;

fn mutate(rng: &mut fastrand::Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.usize(1..6) {
        match rng.u8(0..4) {
            0 if !v.is_empty() => {
                let i = rng.usize(..v.len());
                v[i] = rng.u8(..);
            }
            1 => {
                let i = rng.usize(..=v.len());
                v.insert(i, rng.u8(..));
            }
            2 if !v.is_empty() => {
                let i = rng.usize(..v.len());
                v.remove(i);
            }
            _ if !v.is_empty() => {
                let i = rng.usize(..v.len());
                let j = rng.usize(i..v.len());
                let chunk = v[i..=j].to_vec();
                v.splice(i..i, chunk);
            }
            _ => v.push(rng.u8(..)),
        }
    }
    v
}

fn random(rng: &mut fastrand::Rng, max: usize) -> Vec<u8> {
    (0..rng.usize(..max)).map(|_| rng.u8(..)).collect()
}

#[test]
fn payload_parser_survives_random_and_mutated_input() {
    let seeds: &[&str] = &[
        "000.00.12.H62-201105-0004",
        "000.00.12.H62-261103-0001|104729",
        "https://dichvucong.example.gov.vn/tra-cuu?ma=000.00.12.H62-201105-0004&k=123456",
        "https://a.b/?code=000%2E00%2E12%2EH62%2D201105%2D0004",
        "001099012345|123456789|Nguyễn Văn A|15031999|Nam|Số 1, Phường P|15032021",
    ];
    let mut rng = fastrand::Rng::with_seed(11);
    for i in 0..RUNS {
        let data = if i % 2 == 0 {
            random(&mut rng, 200)
        } else {
            let seed = seeds[rng.usize(..seeds.len())].as_bytes();
            mutate(&mut rng, seed)
        };
        fuzz_payload(&data);
    }
}

fn serial_seed(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut v = vec![rng.u8(..), rng.u8(..)];
    for _ in 0..rng.usize(1..5) {
        let body: &[u8] = match rng.u8(0..4) {
            0 => b"\x02]Q1000.00.12.H62-201105-0004\x03\r\n",
            1 => "Nguyễn Văn A\r".as_bytes(),
            2 => b"\xff\x00\r",
            _ => b"ABC\t",
        };
        v.extend_from_slice(&[u8::try_from(body.len()).unwrap_or(63), rng.u8(..)]);
        v.extend_from_slice(body);
    }
    v
}

#[test]
fn serial_core_survives_random_and_mutated_input() {
    let mut rng = fastrand::Rng::with_seed(12);
    for i in 0..RUNS {
        let data = if i % 2 == 0 {
            random(&mut rng, 400)
        } else {
            let seed = serial_seed(&mut rng);
            mutate(&mut rng, &seed)
        };
        fuzz_serial(&data);
    }
}

fn hid_seed(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut records = Vec::new();
    for _ in 0..rng.usize(1..20) {
        let code = match rng.u8(0..5) {
            0 => KEY_LEFTALT,
            1 => KEY_KP0 + rng.u16(0..4),
            2 => KEY_LEFTSHIFT,
            3 => KEY_ENTER,
            _ => rng.u16(0..130),
        };
        records.push(InputEvent::new(EV_KEY, code, rng.i32(0..3)));
        if rng.bool() {
            records.push(InputEvent::new(EV_SYN, SYN_REPORT, 0));
        }
    }
    let bytes: Vec<u8> = records.iter().flat_map(|r| r.to_bytes()).collect();
    let mut v = vec![rng.u8(..), rng.u8(..)];
    for chunk in bytes.chunks(48) {
        v.extend_from_slice(&[u8::try_from(chunk.len()).unwrap_or(48), rng.u8(..)]);
        v.extend_from_slice(chunk);
    }
    v
}

#[test]
fn hid_core_survives_random_and_mutated_input() {
    let mut rng = fastrand::Rng::with_seed(13);
    for i in 0..RUNS {
        let data = if i % 2 == 0 {
            random(&mut rng, 600)
        } else {
            let seed = hid_seed(&mut rng);
            mutate(&mut rng, &seed)
        };
        fuzz_hid(&data);
    }
}
