#![doc = include_str!("../README.md")]
#![no_std]
#![warn(missing_docs)]

pub mod cobs;
pub mod crc;
mod decoder;
mod error;
pub mod frame;
mod link;
mod message;
mod ring;

pub use decoder::{Decoder, DecoderStats};
pub use error::Error;
pub use frame::{Frame, RawFrame};
pub use link::{Config, EVENT_CAPACITY, Event, Link, LinkStats};
pub use message::{
    DisplayText, FirmwareVersion, Hello, MAX_TEXT_LEN, Message, NackReason, PROTO_VERSION, ProtoVersion, Role,
};

/// Largest message payload in bytes (after the type byte).
pub const MAX_PAYLOAD: usize = 64;

/// Largest unencoded frame: header, type byte, length byte, payload, CRC.
pub const MAX_CONTENT_LEN: usize = frame::HEADER_LEN + 2 + MAX_PAYLOAD + frame::CRC_LEN;

/// Largest COBS-encoded frame, without delimiters (the default [`Decoder`] buffer size).
pub const MAX_ENCODED_LEN: usize = cobs::max_encoded_len(MAX_CONTENT_LEN);

/// Largest frame on the wire: leading `0x00`, COBS-encoded content, trailing `0x00`.
pub const MAX_WIRE_LEN: usize = MAX_ENCODED_LEN + 2;

/// Fuzz entry point for the frame decoder: feeds `data` through a [`Decoder`] and drains it,
/// and also tries `data` as unencoded frame content and as a message.
///
/// It must never panic, except on purpose: every frame that decodes must re-encode to bytes
/// that decode to the same frame (a codec asymmetry is a bug worth a crash report).
pub fn fuzz_decode(data: &[u8]) {
    let mut decoder: Decoder = Decoder::new();
    let mut input = data;
    while !input.is_empty() {
        let used = decoder.feed(input);
        input = input.get(used..).unwrap_or_default();
        if let Ok(Some(frame)) = decoder.poll_frame() {
            assert_round_trips(&frame);
        }
    }
    let _ = decoder.finish();
    if let Ok(frame) = Frame::decode_content(data) {
        assert_round_trips(&frame);
    }
    if let Ok(message) = Message::decode(data) {
        let mut buf = [0u8; 1 + MAX_PAYLOAD];
        let n = message.encode(&mut buf);
        assert!(matches!(n.map(|n| Message::decode(buf.get(..n).unwrap_or_default())), Ok(Ok(m)) if m == message));
    }
}

fn assert_round_trips(frame: &Frame) {
    let mut wire = [0u8; MAX_WIRE_LEN];
    let n = frame.encode(&mut wire);
    let mut again: Decoder = Decoder::new();
    let fed = n.map(|n| again.feed(wire.get(..n).unwrap_or_default()));
    assert!(fed.is_ok(), "a decoded frame must re-encode");
    assert_eq!(again.poll_frame(), Ok(Some(*frame)), "a decoded frame must round-trip");
}

/// Fuzz entry point for the link layer: drives a [`Link`] with `data` as received bytes, in
/// chunks and at times derived from the data, draining transmissions and events. Must never
/// panic.
pub fn fuzz_link(data: &[u8]) {
    let hello = Hello {
        proto_version: PROTO_VERSION,
        firmware_version: FirmwareVersion { major: 0, minor: 0, patch: 0 },
        keys: 0,
        role: Role::Host,
        session: 0,
    };
    let mut link: Link<2> = Link::new(Config::new(hello), 0);
    let _ = link.send(Message::Leds { mask: 1 });
    let mut buf = [0u8; MAX_WIRE_LEN];
    let mut now = 0u64;
    let mut rest = data;
    while let Some((&step, tail)) = rest.split_first() {
        let chunk = tail.get(..usize::from(step % 16)).unwrap_or(tail);
        rest = tail.get(chunk.len()..).unwrap_or_default();
        now = now.saturating_add(u64::from(step) * 7);
        let mut input = chunk;
        loop {
            let used = link.handle_input(now, input);
            input = input.get(used..).unwrap_or_default();
            while link.poll_event().is_some() {}
            if input.is_empty() {
                break;
            }
        }
        link.handle_timeout(now);
        while link.poll_transmit(now, &mut buf).is_some() {}
        while link.poll_event().is_some() {}
    }
}
