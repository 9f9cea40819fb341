//! Payload routing and dossier-code validation, table-driven.

use motcua_scanner::payload::{
    CodeError, DossierCode, PartialState, Payload, Slot, UnknownReason, check_partial, classify,
};

const CODE: &str = "000.00.12.H62-201105-0004";

fn receipt(code: &str, secret: Option<&str>) -> Payload {
    Payload::Receipt { code: DossierCode::parse(code).expect("valid code"), secret: secret.map(str::to_owned) }
}

#[test]
fn receipts_in_every_accepted_shape() {
    let table: &[(&str, Payload)] = &[
        (CODE, receipt(CODE, None)),
        ("  000.00.12.h62-201105-0004\r\n", receipt(CODE, None)),
        ("000.00.12.H62-261103-0001|104729", receipt("000.00.12.H62-261103-0001", Some("104729"))),
        ("000.00.12.H62-261103-0001 | 104729", receipt("000.00.12.H62-261103-0001", Some("104729"))),
        ("000.00.12.H62-261103-0001 104729", receipt("000.00.12.H62-261103-0001", Some("104729"))),
        ("000.00.12.H62-261103-0001\t104729", receipt("000.00.12.H62-261103-0001", Some("104729"))),
        ("000.00.00.G12-240229-9999", receipt("000.00.00.G12-240229-9999", None)),
        ("https://dichvucong.example.gov.vn/tra-cuu?ma=000.00.12.H62-201105-0004", receipt(CODE, None)),
        ("HTTP://portal.local/x?ma_ho_so=000.00.12.H62-201105-0004&k=123456", receipt(CODE, Some("123456"))),
        ("https://a.b/c?maHoSo=000.00.12.H62-201105-0004&secret=000001#top", receipt(CODE, Some("000001"))),
        ("https://a.b?code=000%2E00%2E12%2EH62%2D201105%2D0004&ma_bi_mat=654321", receipt(CODE, Some("654321"))),
        ("http://10.0.0.5:8080/?lang=vi&MA=000.00.12.h62-201105-0004", receipt(CODE, None)),
        ("https://a.b/?ma=000.00.12.H62-201105-0004&ma=000.00.12.H62-201105-0004", receipt(CODE, None)),
        ("https://a.b/?ma=+000.00.12.H62-201105-0004+&k=", receipt(CODE, None)),
    ];
    for (input, want) in table {
        assert_eq!(&classify(input), want, "{input:?}");
    }
}

#[test]
fn unknown_payloads_with_their_reason() {
    use UnknownReason::*;
    let table: &[(&str, UnknownReason)] = &[
        ("", Empty),
        ("   \r\n", Empty),
        ("hello", NotRecognised),
        ("12345", NotRecognised),
        ("000.00.12.H62-201105-004", BadCode(CodeError::TooShort { len: 24 })),
        ("000.00.12.H62-201105-00045", BadCode(CodeError::TooLong)),
        ("000.00.12.162-201105-0004", BadCode(CodeError::Unexpected { at: 10, expected: Slot::Letter })),
        ("000.00.12.H62-201305-0004", BadCode(CodeError::BadDate)),
        ("000.00.12.H62-210229-0004", BadCode(CodeError::BadDate)),
        ("000.00.12.H62-201100-0004", BadCode(CodeError::BadDate)),
        ("000.00.12.H62-201131-0004", BadCode(CodeError::BadDate)),
        ("000.00,12.H62-201105-0004", BadCode(CodeError::Unexpected { at: 6, expected: Slot::Dot })),
        ("000,00.12.H62-201105-0004", NotRecognised),
        ("000.00.12.H62_201105-0004", BadCode(CodeError::Unexpected { at: 13, expected: Slot::Dash })),
        ("000.00.1２.H62-201105-0004", BadCode(CodeError::Unexpected { at: 8, expected: Slot::Digit })),
        ("000.00.12.H62-201105-0004|12345", BadSecret),
        ("000.00.12.H62-201105-0004 12345a", BadSecret),
        ("000.00.12.H62-201105-0004|123456|x", BadCode(CodeError::TooLong)),
        ("https://a.b/tra-cuu", UrlWithoutCode),
        ("https://a.b/tra-cuu?foo=1", UrlWithoutCode),
        ("https://a.b/?ma=000.00.12.H62-201105-0004&k=12", BadSecret),
        ("https://a.b/?ma=%ZZ", BadUrl),
        ("https://a.b/?ma=%C3", BadUrl),
        ("https:///?ma=000.00.12.H62-201105-0004", BadUrl),
        ("https://a.b/?ma=000.00.12.H62-201105-0004&code=000.00.12.H62-201105-0005", Conflicting),
        ("https://a.b/?ma=xyz", BadCode(CodeError::Unexpected { at: 0, expected: Slot::Digit })),
        ("ftp://a.b/?ma=000.00.12.H62-201105-0004", NotRecognised),
    ];
    for (input, want) in table {
        assert_eq!(classify(input), Payload::Unknown(want.clone()), "{input:?}");
    }
}

#[test]
fn cccd_qr_is_routed_to_the_id_flow_and_redacted_in_debug() {
    let qr = "001099012345|123456789|Nguyễn Văn A|15031999|Nam|Số 1, Phường P, Quận Q, Thành phố H|15032021";
    let p = classify(qr);
    let Payload::Cccd(data) = &p else { panic!("not routed to CCCD: {p:?}") };
    assert_eq!(data.id_number, "001099012345");
    let dbg = format!("{p:?}");
    assert!(!dbg.contains("Nguyễn") && !dbg.contains("001099012345"), "{dbg}");
    // Decomposed (NFD) text is normalised before parsing.
    let nfd = "001099012345||Nguye\u{302}\u{303}n Va\u{306}n A|15031999|Nu\u{31b}\u{303}|x|15032021";
    assert!(matches!(classify(nfd), Payload::Cccd(_)));
}

#[test]
fn invalid_cccd_is_unknown_without_echoing_personal_data() {
    let bad = "001099012345||Nguyễn Văn A|31021999|Nam|Hà Nội|15032021";
    let p = classify(bad);
    assert_eq!(p, Payload::Unknown(UnknownReason::BadCccd { field: Some(3), reason: "must be a valid DDMMYYYY date" }));
    let shown = format!("{p:?} {}", if let Payload::Unknown(r) = &p { r.to_string() } else { String::new() });
    for secret in ["Nguyễn", "001099012345", "Hà Nội", "31021999"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn receipt_debug_redacts_the_secret() {
    let p = classify("000.00.12.H62-261103-0001|104729");
    let dbg = format!("{p:?}");
    assert!(dbg.contains("000.00.12.H62-261103-0001"));
    assert!(!dbg.contains("104729"), "{dbg}");
}

#[test]
fn manual_entry_partial_states() {
    let table: &[(&str, PartialState)] = &[
        ("", PartialState::Empty),
        ("0", PartialState::Incomplete { len: 1, next: Slot::Digit }),
        ("000", PartialState::Incomplete { len: 3, next: Slot::Dot }),
        ("000.00.12.", PartialState::Incomplete { len: 10, next: Slot::Letter }),
        ("000.00.12.h", PartialState::Incomplete { len: 11, next: Slot::Digit }),
        ("000.00.12.H62", PartialState::Incomplete { len: 13, next: Slot::Dash }),
        ("000.00.12.H62-2011", PartialState::Incomplete { len: 18, next: Slot::Digit }),
        ("000.00.12.H62-2013", PartialState::Invalid(CodeError::BadDate)),
        ("000.00.12.H62-202", PartialState::Invalid(CodeError::BadDate)),
        ("000.00.12.H62-20114", PartialState::Invalid(CodeError::BadDate)),
        ("000.00.12.H62-201131", PartialState::Invalid(CodeError::BadDate)),
        ("000.00.12.H62-201130", PartialState::Incomplete { len: 20, next: Slot::Dash }),
        ("000.00.12.H62-201105-000", PartialState::Incomplete { len: 24, next: Slot::Digit }),
        ("000.0a", PartialState::Invalid(CodeError::Unexpected { at: 5, expected: Slot::Digit })),
        ("000.00.12.H62-201105-00041", PartialState::Invalid(CodeError::TooLong)),
    ];
    for (input, want) in table {
        assert_eq!(&check_partial(input), want, "{input:?}");
    }
    let typed = check_partial("000.00.12.h62-201105-0004");
    assert_eq!(typed, PartialState::Complete(DossierCode::parse(CODE).expect("code")));
    // Every prefix of a valid code is acceptable while typing.
    for n in 1..CODE.len() {
        assert!(matches!(check_partial(&CODE[..n]), PartialState::Incomplete { len, .. } if len == n), "{n}");
    }
}

#[test]
fn reference_central_seed_codes_and_corpus_shapes_are_receipts() {
    // central/src/seed.rs: 000.00.12.H62-2611DD-NNNN with secret (i*7919+104729) % 1e6.
    for i in 0..30u32 {
        let code = format!("000.00.12.H62-2611{:02}-{:04}", 3 + (i % 25), i + 1);
        let secret = format!("{:06}", (i * 7919 + 104_729) % 1_000_000);
        assert_eq!(classify(&format!("{code}|{secret}")), receipt(&code, Some(&secret)), "{code}");
        let url = format!("https://dichvucong.example.gov.vn/tra-cuu?ma={code}");
        assert_eq!(classify(&url), receipt(&code, None));
    }
    // ../shared/bench/qr/make_corpus.py: NNN.NN.NN.HNN-YYMMDD-NNNN with days 1..=28.
    let mut rng = fastrand::Rng::with_seed(565);
    for _ in 0..500 {
        let code = format!(
            "{:03}.{:02}.{:02}.H{:02}-{:02}{:02}{:02}-{:04}",
            rng.u32(0..=999),
            rng.u32(0..=99),
            rng.u32(0..=99),
            rng.u32(1..=65),
            rng.u32(20..=26),
            rng.u32(1..=12),
            rng.u32(1..=28),
            rng.u32(1..=9999)
        );
        assert_eq!(classify(&code), receipt(&code, None), "{code}");
    }
}

#[test]
fn citizen_messages_are_nfc_vietnamese_and_never_echo_the_payload() {
    use unicode_normalization::is_nfc;
    let inputs = [
        "000.00.12.H62-201305-0004",
        "000.00.12.H62-201105-0004|12",
        "001099012345||Nguyễn Văn A|31021999|Nam|Hà Nội|15032021",
        "https://a.b/?x=1",
        "hello",
    ];
    for input in inputs {
        let Payload::Unknown(reason) = classify(input) else { panic!("{input}") };
        let msg = reason.citizen_message();
        assert!(is_nfc(msg) && msg.ends_with('.'), "{msg}");
        assert!(!msg.contains("000.00") && !msg.contains("Nguyễn"), "{msg}");
    }
    let half = motcua_scanner::ScanError::HalfScan { len: 3 };
    assert!(is_nfc(half.citizen_message()) && half.citizen_message().contains("quét lại"));
}
