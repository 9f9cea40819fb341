//! Frame and message encoding against byte literals, round trips, and CRC coverage.

mod common;

use common::{decode_all, wire};
use motcua_keypad_proto::frame::flags;
use motcua_keypad_proto::{
    Decoder, DisplayText, Error, FirmwareVersion, Frame, Hello, MAX_CONTENT_LEN, MAX_PAYLOAD, MAX_TEXT_LEN,
    MAX_WIRE_LEN, Message, NackReason, PROTO_VERSION, RawFrame, Role,
};

fn hello() -> Hello {
    Hello {
        proto_version: PROTO_VERSION,
        firmware_version: FirmwareVersion { major: 1, minor: 2, patch: 3 },
        keys: 9,
        role: Role::Keypad,
        session: 0xDEAD_BEEF,
    }
}

fn every_message() -> Vec<Message> {
    vec![
        Message::Hello(hello()),
        Message::HelloAck(Hello { role: Role::Host, keys: 0, ..hello() }),
        Message::Heartbeat,
        Message::Ack { seq: 0xFFFF },
        Message::Nack { seq: 3, reason: NackReason::UnknownType },
        Message::Nack { seq: 4, reason: NackReason::Malformed },
        Message::Nack { seq: 5, reason: NackReason::Other(0x7F) },
        Message::KeyPress { key_id: 0, press_seq: 0 },
        Message::KeyPress { key_id: 255, press_seq: 0xFFFF },
        Message::Display { line: 0, text: DisplayText::EMPTY },
        Message::Display { line: 2, text: DisplayText::new("Không hài lòng").expect("fits") },
        Message::Display { line: 3, text: DisplayText::new(&"a".repeat(MAX_TEXT_LEN)).expect("fits") },
        Message::Leds { mask: 0xA55A },
        Message::Buzzer { pattern: 2, duration_ms: 1500 },
        Message::RatingWindow { open: true, window_id: 0x0102_0304, timeout_s: 30 },
        Message::RatingWindow { open: false, window_id: 0, timeout_s: 0 },
    ]
}

#[test]
fn leds_frame_encodes_to_documented_bytes() {
    let frame = Frame { seq: 7, message: Message::Leds { mask: 0x0005 } };
    let mut content = [0u8; MAX_CONTENT_LEN];
    let n = frame.encode_content(&mut content).expect("fits");
    assert_eq!(&content[..n], [0x01, 0x01, 0x07, 0x00, 0x21, 0x02, 0x05, 0x00, 0xD6, 0xA2]);
    assert_eq!(wire(&frame), [0x00, 0x04, 0x01, 0x01, 0x07, 0x04, 0x21, 0x02, 0x05, 0x03, 0xD6, 0xA2, 0x00]);
}

#[test]
fn ack_frame_encodes_to_golden_bytes_with_is_ack_flag() {
    let frame = Frame { seq: 0, message: Message::Ack { seq: 7 } };
    assert_eq!(frame.flags(), flags::IS_ACK);
    assert_eq!(wire(&frame), [0x00, 0x03, 0x01, 0x02, 0x01, 0x04, 0x04, 0x02, 0x07, 0x03, 0x2B, 0x08, 0x00]);
}

#[test]
fn golden_key_press_bytes_decode_to_key_press() {
    let bytes = [0x00, 0x04, 0x01, 0x01, 0x2A, 0x08, 0x10, 0x03, 0x03, 0x34, 0x12, 0x14, 0xCE, 0x00];
    let mut decoder: Decoder = Decoder::new();
    let frames = decode_all(&mut decoder, &bytes);
    assert_eq!(frames, vec![Ok(Frame { seq: 0x2A, message: Message::KeyPress { key_id: 3, press_seq: 0x1234 } })]);
}

#[test]
fn vietnamese_display_text_goes_on_the_wire_as_utf8() {
    let text = "Cảm ơn quý khách";
    let frame = Frame { seq: 1, message: Message::Display { line: 1, text: DisplayText::new(text).expect("fits") } };
    let mut content = [0u8; MAX_CONTENT_LEN];
    let n = frame.encode_content(&mut content).expect("fits");
    assert_eq!(&content[4..7], [0x20, 1 + text.len() as u8, 0x01]);
    assert_eq!(&content[7..n - 2], text.as_bytes());
}

#[test]
fn every_message_round_trips_through_the_wire() {
    for (i, message) in every_message().into_iter().enumerate() {
        let frame = Frame { seq: i as u16 * 1000, message };
        let bytes = wire(&frame);
        assert!(bytes.len() <= MAX_WIRE_LEN);
        assert_eq!(bytes.iter().filter(|&&b| b == 0).count(), 2, "only the two delimiters are zero");
        let mut decoder: Decoder = Decoder::new();
        assert_eq!(decode_all(&mut decoder, &bytes), vec![Ok(frame)], "{message:?}");
    }
}

#[test]
fn every_message_round_trips_through_message_encode_decode() {
    for message in every_message() {
        let mut buf = [0u8; 1 + MAX_PAYLOAD];
        let n = message.encode(&mut buf).expect("fits");
        assert_eq!(Message::decode(&buf[..n]), Ok(message));
        // One byte short of the output buffer reports instead of panicking.
        assert_eq!(message.encode(&mut buf[..n - 1]), Err(Error::BufferTooSmall));
    }
}

#[test]
fn largest_frame_fits_max_wire_len() {
    let text = DisplayText::new(&"ế".repeat(MAX_TEXT_LEN / 3)).expect("fits");
    let frame = Frame { seq: 0, message: Message::Display { line: 0, text } };
    assert!(wire(&frame).len() <= MAX_WIRE_LEN);
}

#[test]
fn display_text_rejects_too_long_and_truncates_at_char_boundary() {
    let long = "Không hài lòng ".repeat(10);
    assert_eq!(DisplayText::new(&long), Err(Error::TooLong));
    let cut = DisplayText::truncated(&long);
    assert!(cut.as_bytes().len() <= MAX_TEXT_LEN);
    assert!(long.starts_with(cut.as_str()));
    assert!(cut.as_str().len() > MAX_TEXT_LEN - 4, "cuts at most one character short");
}

#[test]
fn flipping_any_bit_of_any_content_byte_is_detected() {
    for message in every_message() {
        let frame = Frame { seq: 0x1234, message };
        let mut content = [0u8; MAX_CONTENT_LEN];
        let n = frame.encode_content(&mut content).expect("fits");
        for pos in 0..n {
            for bit in 0..8 {
                let mut corrupt = content;
                corrupt[pos] ^= 1 << bit;
                assert_eq!(Frame::decode_content(&corrupt[..n]), Err(Error::Crc), "{message:?} byte {pos} bit {bit}");
            }
        }
    }
}

#[test]
fn corrupting_any_wire_byte_never_yields_a_different_frame() {
    for message in every_message() {
        let frame = Frame { seq: 0x0102, message };
        let bytes = wire(&frame);
        for pos in 0..bytes.len() {
            for replacement in [0x00, 0x01, 0xFF, bytes[pos] ^ 0x10] {
                if replacement == bytes[pos] {
                    continue;
                }
                let mut corrupt = bytes.clone();
                corrupt[pos] = replacement;
                // What follows on a real line: the next frame's leading delimiter. It ends a
                // frame whose own trailing delimiter was corrupted.
                corrupt.push(0x00);
                let mut decoder: Decoder = Decoder::new();
                // Corrupting a delimiter may leave the frame intact; anything else is an error.
                for got in decode_all(&mut decoder, &corrupt).into_iter().flatten() {
                    assert_eq!(got, frame, "{message:?} byte {pos} -> {replacement:#x}");
                }
                if pos != 0 && pos != bytes.len() - 1 {
                    assert_eq!(decoder.stats().frames, 0, "{message:?} byte {pos} -> {replacement:#x}");
                }
            }
        }
    }
}

#[test]
fn content_extended_by_zero_bytes_is_rejected_by_the_length_byte() {
    // CRC-16/CCITT-FALSE's blind spot: crc16(M ‖ crc) == 0, so trailing zeros pass the CRC. A
    // trailing delimiter flipped to 0x01 makes COBS append exactly one zero.
    let frame = Frame { seq: 3, message: Message::Display { line: 0, text: DisplayText::new("Ab").expect("fits") } };
    let mut content = [0u8; MAX_CONTENT_LEN + 2];
    let n = frame.encode_content(&mut content).expect("fits");
    assert_eq!(motcua_keypad_proto::crc::crc16(&content[..n]), 0, "the blind spot is real");
    for extra in 1..=2 {
        assert_eq!(Frame::decode_content(&content[..n + extra]), Err(Error::LengthMismatch), "{extra} zeros");
    }
    let mut bytes = wire(&frame);
    *bytes.last_mut().expect("delimiter") = 0x01;
    bytes.push(0x00);
    let mut decoder: Decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &bytes), vec![Err(Error::LengthMismatch)]);
}

#[test]
fn decode_rejects_wrong_version_reserved_flags_and_flag_type_mismatch() {
    let frame = Frame { seq: 1, message: Message::Leds { mask: 1 } };
    let mut content = [0u8; MAX_CONTENT_LEN];
    let n = frame.encode_content(&mut content).expect("fits");
    let reseal = |c: &mut [u8]| {
        let crc = motcua_keypad_proto::crc::crc16(&c[..c.len() - 2]).to_be_bytes();
        let l = c.len();
        c[l - 2..].copy_from_slice(&crc);
    };
    let mut bad = content;
    bad[0] = 2;
    reseal(&mut bad[..n]);
    assert_eq!(Frame::decode_content(&bad[..n]), Err(Error::UnsupportedVersion(2)));
    let mut bad = content;
    bad[1] = 0x81;
    reseal(&mut bad[..n]);
    assert_eq!(Frame::decode_content(&bad[..n]), Err(Error::BadFlags));
    let mut bad = content;
    bad[1] = flags::IS_ACK;
    reseal(&mut bad[..n]);
    assert_eq!(Frame::decode_content(&bad[..n]), Err(Error::BadFlags));
    let mut bad = content;
    bad[4] = 0x7E;
    reseal(&mut bad[..n]);
    assert_eq!(Frame::decode_content(&bad[..n]), Err(Error::UnknownMessageType(0x7E)));
    let raw = RawFrame::parse(&bad[..n]).expect("header is fine");
    assert!(raw.ack_requested());
    assert_eq!((raw.seq, raw.msg_type, raw.payload), (1, 0x7E, &[0x01, 0x00][..]));
}

#[test]
fn decode_rejects_wrong_payload_lengths_bad_bool_and_bad_utf8() {
    assert_eq!(Message::decode(&[0x21, 0x01]), Err(Error::Malformed));
    assert_eq!(Message::decode(&[0x21, 0x01, 0x00, 0x00]), Err(Error::Malformed));
    assert_eq!(Message::decode(&[0x03, 0x00]), Err(Error::Malformed));
    assert_eq!(Message::decode(&[0x23, 2, 0, 0, 0, 0, 0, 0]), Err(Error::Malformed));
    assert_eq!(Message::decode(&[0x20, 0, 0xC3]), Err(Error::InvalidUtf8));
    assert_eq!(Message::decode(&[0x20]), Err(Error::Malformed));
    assert_eq!(Message::decode(&[0x01, 1, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0]), Err(Error::Malformed), "role 9");
    assert_eq!(Message::decode(&[]), Err(Error::TooShort));
}

#[test]
fn error_display_is_human_readable() {
    assert_eq!(Error::UnknownMessageType(0x7E).to_string(), "unknown message type 0x7e");
    assert_eq!(Error::Crc.to_string(), "CRC mismatch");
    let boxed: Box<dyn std::error::Error> = Box::new(Error::QueueFull);
    assert_eq!(boxed.to_string(), "send queue full");
}
