//! `LineAssembler`: scanner byte stream → codes.

use motcua_device::scanner::{LineAssembler, MAX_LINE};
use motcua_device::{Error, ErrorKind};

fn lines(a: &mut LineAssembler) -> Vec<Result<String, Error>> {
    std::iter::from_fn(|| a.poll_line()).collect()
}

fn ok_lines(a: &mut LineAssembler) -> Vec<String> {
    lines(a).into_iter().map(|r| r.expect("valid line")).collect()
}

#[test]
fn cr_lf_and_crlf_each_end_one_line() {
    let mut a = LineAssembler::new();
    a.feed(b"one\rtwo\nthree\r\nfour\r\n");
    assert_eq!(ok_lines(&mut a), ["one", "two", "three", "four"]);
    assert_eq!(a.pending_len(), 0);
}

#[test]
fn a_code_split_across_feeds_is_assembled() {
    let mut a = LineAssembler::new();
    a.feed(b"000.00.12.H62-");
    assert!(a.poll_line().is_none());
    a.feed(b"201105-0004");
    assert!(a.poll_line().is_none());
    a.feed(b"\r");
    a.feed(b"\n");
    a.feed(b"next\r\n");
    assert_eq!(ok_lines(&mut a), ["000.00.12.H62-201105-0004", "next"]);
}

#[test]
fn crlf_split_between_feeds_counts_once() {
    let mut a = LineAssembler::new();
    a.feed(b"abc\r");
    assert_eq!(ok_lines(&mut a), ["abc"]);
    a.feed(b"\ndef\r\n");
    assert_eq!(ok_lines(&mut a), ["def"]);
}

#[test]
fn empty_lines_are_ignored() {
    let mut a = LineAssembler::new();
    a.feed(b"\r\n\n\r\rcode\n\n");
    assert_eq!(ok_lines(&mut a), ["code"]);
}

#[test]
fn utf8_vietnamese_passes_through() {
    let mut a = LineAssembler::new();
    a.feed("079123456789|Nguyễn Văn A|01011990\r\n".as_bytes());
    assert_eq!(ok_lines(&mut a), ["079123456789|Nguyễn Văn A|01011990"]);
}

#[test]
fn leading_bom_is_stripped() {
    let mut a = LineAssembler::new();
    a.feed(b"\xEF\xBB");
    a.feed(b"\xBFcode\r\n\xEF\xBB\xBFsecond\n");
    assert_eq!(ok_lines(&mut a), ["code", "second"]);
}

#[test]
fn line_at_the_limit_is_accepted() {
    let mut a = LineAssembler::new();
    a.feed(&vec![b'x'; MAX_LINE]);
    a.feed(b"\n");
    assert_eq!(ok_lines(&mut a), ["x".repeat(MAX_LINE)]);
}

#[test]
fn overlong_line_is_one_error_then_resyncs() {
    let mut a = LineAssembler::new();
    for _ in 0..3 {
        a.feed(&vec![b'x'; MAX_LINE]);
    }
    a.feed(b"\r\nafter\r\n");
    let got = lines(&mut a);
    assert_eq!(got.len(), 2, "{got:?}");
    match &got[0] {
        Err(e @ Error::LineTooLong { max }) => {
            assert_eq!(*max, MAX_LINE);
            assert_eq!(e.kind(), ErrorKind::Protocol);
        }
        other => panic!("expected LineTooLong, got {other:?}"),
    }
    assert_eq!(got[1].as_deref().ok(), Some("after"));
    // Memory stays bounded while discarding.
    assert_eq!(a.pending_len(), 0);
}

#[test]
fn invalid_utf8_is_a_clear_error_and_the_next_line_is_fine() {
    let mut a = LineAssembler::new();
    a.feed(b"ab\xFF\xFEcd\r\nok\r\n");
    let got = lines(&mut a);
    match &got[0] {
        Err(e @ Error::InvalidUtf8 { valid_up_to }) => {
            assert_eq!(*valid_up_to, 2);
            assert_eq!(e.kind(), ErrorKind::Protocol);
            assert!(e.to_string().contains("UTF-8"));
        }
        other => panic!("expected InvalidUtf8, got {other:?}"),
    }
    assert_eq!(got[1].as_deref().ok(), Some("ok"));
}

#[test]
fn partial_line_at_end_of_stream_is_an_error() {
    let mut a = LineAssembler::new();
    a.feed(b"done\r\nhalf");
    assert_eq!(ok_lines(&mut a), ["done"]);
    assert_eq!(a.finish().map_err(|e| e.kind()), Err(ErrorKind::Protocol));
    assert_eq!(a.pending_len(), 0);
    assert!(a.finish().is_ok());
}

#[test]
fn small_custom_limit() {
    let mut a = LineAssembler::with_max_len(4);
    a.feed(b"1234\n12345\n");
    let got = lines(&mut a);
    assert_eq!(got[0].as_deref().ok(), Some("1234"));
    assert!(matches!(got[1], Err(Error::LineTooLong { max: 4 })));
}

#[test]
fn random_bytes_never_panic_and_memory_stays_bounded() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut a = LineAssembler::with_max_len(64);
    for _ in 0..2000 {
        let mut chunk = Vec::new();
        for _ in 0..(state % 97) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Bias towards terminators and BOM bytes so every path is hit.
            chunk.push(match state % 10 {
                0 => b'\r',
                1 => b'\n',
                2 => 0xEF,
                _ => (state >> 8) as u8,
            });
        }
        a.feed(&chunk);
        while a.poll_line().is_some() {}
        assert!(a.pending_len() <= 64);
    }
    let _ = a.finish();
}
