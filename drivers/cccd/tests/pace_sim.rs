//! PACE-CAN and the BAC fallback end to end: simulated reader + simulated chip → `establish`.
#![allow(clippy::unwrap_used, clippy::panic)]

use motcua_cccd::proto::bac::BacKey;
use motcua_cccd::proto::lds::DataGroup;
use motcua_cccd::proto::sm::Cipher;
use motcua_cccd::sim::{Misbehaviour, SAMPLE_CAN, SimCccdChip};
use motcua_cccd::{AccessMethod, BacRandom, Can, ErrorKind, PaceRandom, Session, SessionRandom};
use motcua_device::sim::{DEFAULT_ATR, SimIdCardReader};

fn random() -> SessionRandom {
    SessionRandom {
        pace: PaceRandom { map_sk: [0x5A; 32], eph_sk: [0xC3; 32] },
        bac: BacRandom { rnd_ifd: [0x78, 0x17, 0x23, 0x86, 0x0C, 0x06, 0xC2, 0x26], k_ifd: [0x0B; 16] },
    }
}

fn session(chip: SimCccdChip) -> Session<SimIdCardReader, motcua_cccd::Plain> {
    let reader = SimIdCardReader::new();
    reader.handle().insert_card(DEFAULT_ATR.to_vec(), chip.into_responder());
    Session::new(reader)
}

fn mrz_key() -> BacKey {
    BacKey::new("099012345", "990315", "240315")
}

fn can() -> Can {
    Can::new(SAMPLE_CAN).unwrap()
}

fn big_file() -> Vec<u8> {
    let mut v = vec![0x75, 0x82, 0x02, 0x58];
    v.extend((0..600u32).map(|i| (i * 7 % 251) as u8));
    v
}

#[test]
fn pace_can_is_preferred_and_reads_dg1_and_dg13_over_aes() {
    let (mut s, method) = session(SimCccdChip::sample()).establish(&can(), Some(&mrz_key()), &random()).unwrap();
    assert_eq!(method, AccessMethod::PaceCan);
    assert_eq!(s.cipher(), Cipher::Aes128);
    assert_eq!(s.read_dg1().unwrap().cccd_id_number().unwrap(), "001099012345");
    assert!(s.read_com().unwrap().data_groups().contains(&DataGroup::Dg13));
    let dg13 = s.read_dg13().unwrap();
    assert_eq!(dg13.id_number.as_deref(), Some("001099012345"));
}

#[test]
fn pace_works_without_an_mrz_key() {
    let (mut s, method) = session(SimCccdChip::sample()).establish(&can(), None, &random()).unwrap();
    assert_eq!(method, AccessMethod::PaceCan);
    assert_eq!(s.read_dg1().unwrap().document_number, "099012345");
}

#[test]
fn aes_reads_are_chunked_and_survive_a_bad_mac() {
    let chip = SimCccdChip::sample()
        .with_file(0x0102, big_file())
        .with_misbehaviour(Misbehaviour { corrupt_mac_on_reads: vec![2], ..Default::default() });
    let (mut s, _) = session(chip).establish(&can(), None, &random()).unwrap();
    assert_eq!(s.read_dg(DataGroup::Dg2).unwrap(), big_file());
    assert_eq!(s.stats().retries, 1);
    assert_eq!(s.read_size(), 0xDF);
}

#[test]
fn no_card_access_falls_back_to_bac() {
    let chip = SimCccdChip::sample().with_pace(None, None);
    let (mut s, method) = session(chip).establish(&can(), Some(&mrz_key()), &random()).unwrap();
    assert_eq!(method, AccessMethod::BacNoPace);
    assert_eq!(s.cipher(), Cipher::Tdes);
    assert_eq!(s.read_dg1().unwrap().document_number, "099012345");
}

#[test]
fn refused_pace_falls_back_to_bac() {
    let chip = SimCccdChip::sample().with_misbehaviour(Misbehaviour { refuse_pace: true, ..Default::default() });
    let (mut s, method) = session(chip).establish(&can(), Some(&mrz_key()), &random()).unwrap();
    assert_eq!(method, AccessMethod::BacAfterPaceFailed(ErrorKind::Protocol));
    assert_eq!(s.read_dg1().unwrap().date_of_birth, "990315");
}

#[test]
fn a_wrong_can_fails_pace_then_bac_rescues_it() {
    let wrong = Can::new("543210").unwrap();
    let (_, method) = session(SimCccdChip::sample()).establish(&wrong, Some(&mrz_key()), &random()).unwrap();
    assert_eq!(method, AccessMethod::BacAfterPaceFailed(ErrorKind::Authentication));
    let err = session(SimCccdChip::sample()).establish(&wrong, None, &random()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[test]
fn a_wrong_chip_token_is_an_authentication_error() {
    let chip = SimCccdChip::sample().with_misbehaviour(Misbehaviour { corrupt_pace_token: true, ..Default::default() });
    let err = session(chip).establish(&can(), None, &random()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[test]
fn no_pace_and_no_mrz_key_is_a_clear_error() {
    let chip = SimCccdChip::sample().with_pace(None, None);
    let err = session(chip).establish(&can(), None, &random()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[test]
fn a_removed_card_is_not_hidden_by_the_fallback() {
    let reader = SimIdCardReader::new();
    let err = Session::new(reader).establish(&can(), Some(&mrz_key()), &random()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CardRemoved);
}

#[test]
fn pace_alone_needs_card_access() {
    use motcua_cccd::proto::pace::Password;
    let chip = SimCccdChip::sample().with_pace(Some(can()), None);
    let c = can();
    assert!(session(chip).pace(Password::Can(&c), &random().pace).is_err());
    let mut s = session(SimCccdChip::sample()).pace(Password::Can(&c), &random().pace).unwrap();
    assert_eq!(s.read_dg1().unwrap().document_number, "099012345");
}

fn dg2_of(len: usize) -> Vec<u8> {
    motcua_cccd::proto::dg2::build_dg2(
        &motcua_cccd::proto::dg2::synthetic_jpeg(len),
        motcua_cccd::proto::dg2::ImageFormat::Jpeg,
        240,
        320,
    )
}

#[test]
fn extended_length_reads_a_15_kb_dg2_in_a_few_apdus() {
    let dg2 = dg2_of(15_000);
    let (mut s, _) =
        session(SimCccdChip::sample().with_file(0x0102, dg2.clone())).establish(&can(), None, &random()).unwrap();
    s.set_extended_read_size(0x1000);
    let before = s.stats().apdus;
    assert_eq!(s.read_dg(DataGroup::Dg2).unwrap(), dg2);
    // SELECT + ceil(15 KB / 4 KB) reads: in extended mode the first read is not a 4-byte
    // header read but a full-size one.
    assert_eq!(s.stats().apdus - before, 1 + dg2.len().div_ceil(0x1000) as u32);
    assert_eq!(s.read_dg2().unwrap().bytes().len(), 15_000);
}

#[test]
fn a_card_without_extended_length_falls_back_to_short_reads() {
    let dg2 = dg2_of(3000);
    let chip = SimCccdChip::sample()
        .with_file(0x0102, dg2.clone())
        .with_misbehaviour(Misbehaviour { no_extended_length: true, ..Default::default() });
    let (mut s, _) = session(chip).establish(&can(), Some(&mrz_key()), &random()).unwrap();
    s.set_extended_read_size(0x1000);
    assert_eq!(s.read_dg(DataGroup::Dg2).unwrap(), dg2);
    assert_eq!(s.read_size(), 0xDF);
    assert_eq!(s.stats().fallbacks, 1);
}

#[test]
fn extended_length_works_over_bac_too() {
    let dg2 = dg2_of(5000);
    let chip = SimCccdChip::sample().with_pace(None, None).with_file(0x0102, dg2.clone());
    let (mut s, method) = session(chip).establish(&can(), Some(&mrz_key()), &random()).unwrap();
    assert_eq!(method, AccessMethod::BacNoPace);
    s.set_extended_read_size(0x2000);
    assert_eq!(s.read_dg(DataGroup::Dg2).unwrap(), dg2);
}
