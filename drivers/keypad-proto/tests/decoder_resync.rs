//! The stream decoder: incomplete input, garbage, oversize frames and CRC errors all
//! resynchronise at the next delimiter and are counted.

mod common;

use common::{decode_all, wire};
use motcua_keypad_proto::{Decoder, DecoderStats, Error, Frame, MAX_ENCODED_LEN, Message};

fn leds(seq: u16) -> Frame {
    Frame { seq, message: Message::Leds { mask: seq } }
}

#[test]
fn frame_fed_one_byte_at_a_time_is_incomplete_until_its_delimiter() {
    let bytes = wire(&leds(1));
    let mut decoder: Decoder = Decoder::new();
    for &b in &bytes[..bytes.len() - 1] {
        assert_eq!(decoder.feed(&[b]), 1);
        assert_eq!(decoder.poll_frame(), Ok(None), "incomplete is not an error");
    }
    assert_eq!(decoder.feed(&bytes[bytes.len() - 1..]), 1);
    assert_eq!(decoder.poll_frame(), Ok(Some(leds(1))));
    assert_eq!(decoder.poll_frame(), Ok(None));
}

#[test]
fn feed_stops_after_each_frame_so_back_to_back_frames_all_come_out() {
    let mut bytes = Vec::new();
    for seq in 0..5 {
        bytes.extend(wire(&leds(seq)));
    }
    let mut decoder: Decoder = Decoder::new();
    let first = decoder.feed(&bytes);
    assert_eq!(first, wire(&leds(0)).len());
    assert_eq!(decoder.feed(&bytes[first..]), 0, "takes nothing until the ready frame is polled");
    assert_eq!(decoder.poll_frame(), Ok(Some(leds(0))));
    let rest = decode_all(&mut decoder, &bytes[first..]);
    assert_eq!(rest, (1..5).map(|s| Ok(leds(s))).collect::<Vec<_>>());
}

#[test]
fn garbage_before_a_frame_is_dropped_counted_and_the_frame_survives() {
    let mut bytes = vec![0x13, 0x37, 0xFF, 0x42];
    bytes.extend(wire(&leds(9)));
    let mut decoder: Decoder = Decoder::new();
    let results = decode_all(&mut decoder, &bytes);
    assert_eq!(results.last(), Some(&Ok(leds(9))));
    assert_eq!(results.len(), 2);
    assert!(results[0].is_err());
    let stats = decoder.stats();
    assert_eq!(stats.frames, 1);
    assert_eq!(stats.garbage + stats.crc_errors + stats.invalid, 1);
}

#[test]
fn frame_without_leading_delimiter_after_garbage_is_lost_but_next_one_decodes() {
    // Garbage glued to a frame's content (no leading 0x00) corrupts that frame only.
    let first = wire(&leds(1));
    let mut bytes = vec![0x55, 0x66];
    bytes.extend(&first[1..]);
    bytes.extend(wire(&leds(2)));
    let mut decoder: Decoder = Decoder::new();
    let results = decode_all(&mut decoder, &bytes);
    assert_eq!(results.iter().filter(|r| r.is_ok()).collect::<Vec<_>>(), vec![&Ok(leds(2))]);
}

#[test]
fn oversize_frame_is_dropped_counted_once_and_decoder_resyncs() {
    let mut bytes = vec![0x00];
    bytes.extend(std::iter::repeat_n(0x7Au8, MAX_ENCODED_LEN * 3));
    bytes.push(0x00);
    bytes.extend(wire(&leds(3)));
    let mut decoder: Decoder = Decoder::new();
    let results = decode_all(&mut decoder, &bytes);
    assert_eq!(results, vec![Ok(leds(3))]);
    assert_eq!(decoder.stats(), DecoderStats { frames: 1, oversize: 1, ..DecoderStats::default() });
}

#[test]
fn small_decoder_buffer_counts_large_frames_as_oversize() {
    let mut decoder: Decoder<8> = Decoder::new();
    let results = decode_all(&mut decoder, &wire(&leds(1)));
    assert!(results.is_empty());
    assert_eq!(decoder.stats().oversize, 1);
}

#[test]
fn bad_crc_is_reported_counted_and_next_frame_decodes() {
    let mut bad = wire(&leds(4));
    let mid = bad.len() / 2;
    bad[mid] ^= 0x40;
    assert_ne!(bad[mid], 0);
    bad.extend(wire(&leds(5)));
    let mut decoder: Decoder = Decoder::new();
    let results = decode_all(&mut decoder, &bad);
    assert_eq!(results, vec![Err(Error::Crc), Ok(leds(5))]);
    assert_eq!(decoder.stats().crc_errors, 1);
}

#[test]
fn runs_of_delimiters_are_idle_fill_not_errors() {
    let mut bytes = vec![0u8; 10];
    bytes.extend(wire(&leds(6)));
    bytes.extend([0u8; 10]);
    let mut decoder: Decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &bytes), vec![Ok(leds(6))]);
    assert_eq!(decoder.stats(), DecoderStats { frames: 1, ..DecoderStats::default() });
}

#[test]
fn invalid_cobs_and_too_short_chunks_count_as_garbage() {
    let mut decoder: Decoder = Decoder::new();
    let results = decode_all(&mut decoder, &[0x00, 0x09, 0x01, 0x00, 0x02, 0x01, 0x00]);
    assert_eq!(results, vec![Err(Error::Cobs), Err(Error::TooShort)]);
    assert_eq!(decoder.stats().garbage, 2);
}

#[test]
fn finish_reports_a_partial_frame_at_end_of_stream_as_truncated() {
    let bytes = wire(&leds(7));
    let mut decoder: Decoder = Decoder::new();
    assert!(decode_all(&mut decoder, &bytes[..bytes.len() - 3]).is_empty());
    assert_eq!(decoder.finish(), Err(Error::Truncated));
    assert_eq!(decoder.finish(), Ok(()), "the partial frame was discarded");
    assert_eq!(decode_all(&mut decoder, &bytes), vec![Ok(leds(7))]);
}

#[test]
fn frame_with_good_crc_but_unknown_type_counts_as_invalid() {
    let mut content = [0u8; 16];
    content[..6].copy_from_slice(&[0x01, 0x00, 0x00, 0x00, 0x7E, 0x00]);
    let crc = motcua_keypad_proto::crc::crc16(&content[..6]).to_be_bytes();
    content[6..8].copy_from_slice(&crc);
    assert_eq!(content[6..8], [0x60, 0xE6]);
    let mut encoded = [0u8; 16];
    let n = motcua_keypad_proto::cobs::encode(&content[..8], &mut encoded).expect("fits");
    let mut bytes = vec![0];
    bytes.extend(&encoded[..n]);
    bytes.push(0);
    let mut decoder: Decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &bytes), vec![Err(Error::UnknownMessageType(0x7E))]);
    assert_eq!(decoder.stats(), DecoderStats { invalid: 1, ..DecoderStats::default() });
}
