//! "Never panics on random bytes": deterministic pseudo-random input through every entry point
//! that sees untrusted bytes (house style §7.3), including the fuzz entry points.

mod common;

use common::{Rng, decode_all, wire};
use motcua_keypad_proto::{Decoder, Frame, Message, fuzz_decode, fuzz_link};

#[test]
fn fuzz_decode_never_panics_on_100k_random_buffers() {
    let mut rng = Rng::new(0xC0FFEE);
    for _ in 0..100_000 {
        let len = rng.below(160) as usize;
        let mut data = rng.bytes(len);
        // Sprinkle delimiters so that many chunks reach COBS and CRC checking.
        for b in data.iter_mut() {
            if rng.chance(8) {
                *b = 0;
            }
        }
        fuzz_decode(&data);
    }
}

#[test]
fn fuzz_decode_never_panics_on_mutated_valid_frames() {
    let mut rng = Rng::new(7);
    let seeds = [
        Message::KeyPress { key_id: 1, press_seq: 2 },
        Message::RatingWindow { open: true, window_id: 9, timeout_s: 30 },
        Message::Nack { seq: 1, reason: motcua_keypad_proto::NackReason::Malformed },
    ];
    for i in 0..20_000 {
        let mut data = wire(&Frame { seq: i as u16, message: seeds[i % seeds.len()] });
        for _ in 0..=rng.below(3) {
            let at = rng.below(data.len() as u64) as usize;
            data[at] = rng.next_u64() as u8;
        }
        fuzz_decode(&data);
    }
}

#[test]
fn decoder_survives_random_stream_and_still_decodes_the_next_frame() {
    let mut rng = Rng::new(42);
    let mut decoder: Decoder = Decoder::new();
    for _ in 0..1000 {
        let len = rng.below(300) as usize;
        let noise = rng.bytes(len);
        let _ = decode_all(&mut decoder, &noise);
        let frame = Frame { seq: 1, message: Message::Leds { mask: 7 } };
        let results = decode_all(&mut decoder, &wire(&frame));
        assert_eq!(results.last(), Some(&Ok(frame)), "resynchronises after noise");
    }
}

#[test]
fn fuzz_link_never_panics_on_random_input() {
    let mut rng = Rng::new(0xBADC0DE);
    for _ in 0..20_000 {
        let len = rng.below(200) as usize;
        let mut data = rng.bytes(len);
        for b in data.iter_mut() {
            if rng.chance(5) {
                *b = 0;
            }
        }
        fuzz_link(&data);
    }
}

#[test]
fn fuzz_link_never_panics_on_valid_frames_in_random_order() {
    let mut rng = Rng::new(3);
    let hello = motcua_keypad_proto::Hello {
        proto_version: motcua_keypad_proto::PROTO_VERSION,
        firmware_version: motcua_keypad_proto::FirmwareVersion { major: 0, minor: 0, patch: 0 },
        keys: 3,
        role: motcua_keypad_proto::Role::Keypad,
        session: 5,
    };
    let pool = [
        Message::Hello(hello),
        Message::HelloAck(hello),
        Message::Heartbeat,
        Message::Ack { seq: 0 },
        Message::Nack { seq: 0, reason: motcua_keypad_proto::NackReason::UnknownType },
        Message::KeyPress { key_id: 1, press_seq: 1 },
    ];
    for _ in 0..2_000 {
        let mut data = Vec::new();
        for _ in 0..rng.below(12) {
            data.push(rng.next_u64() as u8);
            let m = pool[rng.below(pool.len() as u64) as usize];
            data.extend(wire(&Frame { seq: rng.below(3) as u16, message: m }));
        }
        fuzz_link(&data);
    }
}
