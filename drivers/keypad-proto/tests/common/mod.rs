//! Helpers shared by the integration tests.
#![allow(dead_code)]

use motcua_keypad_proto::{Decoder, Error, Frame, MAX_WIRE_LEN};

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

pub fn wire(frame: &Frame) -> Vec<u8> {
    let mut buf = [0u8; MAX_WIRE_LEN];
    let n = frame.encode(&mut buf).expect("frame fits");
    buf[..n].to_vec()
}

/// Feeds all of `data`, collecting every poll result that is not "incomplete".
pub fn decode_all<const N: usize>(decoder: &mut Decoder<N>, data: &[u8]) -> Vec<Result<Frame, Error>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let used = decoder.feed(rest);
        rest = &rest[used..];
        match decoder.poll_frame() {
            Ok(Some(f)) => out.push(Ok(f)),
            Ok(None) => {}
            Err(e) => out.push(Err(e)),
        }
    }
    out
}
