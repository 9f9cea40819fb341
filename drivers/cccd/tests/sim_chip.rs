//! End to end over the APDU seam: simulated reader + simulated chip → BAC → files.
#![allow(clippy::unwrap_used, clippy::panic)]

use motcua_cccd::proto::bac::BacKey;
use motcua_cccd::proto::lds::DataGroup;
use motcua_cccd::sim::{Misbehaviour, SimCccdChip};
use motcua_cccd::{BacRandom, ErrorKind, Secure, Session};
use motcua_device::sim::{DEFAULT_ATR, SimIdCardReader};

const RANDOM: BacRandom = BacRandom { rnd_ifd: [0x78, 0x17, 0x23, 0x86, 0x0C, 0x06, 0xC2, 0x26], k_ifd: [0x0B; 16] };

fn reader_with(chip: SimCccdChip) -> SimIdCardReader {
    let reader = SimIdCardReader::new();
    reader.handle().insert_card(DEFAULT_ATR.to_vec(), chip.into_responder());
    reader
}

fn sample_key() -> BacKey {
    BacKey::new("099012345", "990315", "240315")
}

fn open(chip: SimCccdChip) -> Session<SimIdCardReader, Secure> {
    let mut s = Session::new(reader_with(chip));
    s.select_applet().unwrap();
    s.bac(&sample_key(), &RANDOM).unwrap()
}

/// A file bigger than one READ BINARY: 2 + 2 + 600 bytes.
fn big_file() -> Vec<u8> {
    let mut v = vec![0x75, 0x82, 0x02, 0x58];
    v.extend((0..600u32).map(|i| (i % 251) as u8));
    v
}

#[test]
fn bac_then_dg1_gives_the_sample_mrz() {
    let mut s = open(SimCccdChip::sample());
    let com = s.read_com().unwrap();
    assert_eq!(com.lds_version, "0107");
    assert!(com.data_groups().contains(&DataGroup::Dg13));
    let mrz = s.read_dg1().unwrap();
    assert_eq!(mrz.document_number, "099012345");
    assert_eq!(mrz.date_of_birth, "990315");
    assert_eq!(mrz.date_of_expiry, "240315");
    assert_eq!(mrz.cccd_id_number().unwrap(), "001099012345");
    assert_eq!((mrz.surname.as_str(), mrz.given_names.as_str()), ("NGUYEN", "VAN A"));
}

#[test]
fn a_wrong_bac_key_is_an_authentication_error() {
    let mut s = Session::new(reader_with(SimCccdChip::sample()));
    s.select_applet().unwrap();
    let err = s.bac(&BacKey::new("099012345", "990316", "240315"), &RANDOM).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[test]
fn a_chip_refusing_bac_is_an_authentication_error() {
    let chip = SimCccdChip::sample().with_misbehaviour(Misbehaviour { refuse_bac: true, ..Default::default() });
    let mut s = Session::new(reader_with(chip));
    s.select_applet().unwrap();
    assert_eq!(s.bac(&sample_key(), &RANDOM).unwrap_err().kind(), ErrorKind::Authentication);
}

#[test]
fn large_files_are_read_in_0xdf_chunks() {
    let mut s = open(SimCccdChip::sample().with_file(0x0102, big_file()));
    assert_eq!(s.read_dg(DataGroup::Dg2).unwrap(), big_file());
    assert_eq!(s.read_size(), 0xDF);
    // SELECT + 4-byte header + ceil(600 / 223) = 3 reads.
    assert_eq!(s.stats().fallbacks, 0);
}

#[test]
fn read_size_falls_back_on_6700_and_keeps_the_smaller_size() {
    let chip = SimCccdChip::sample()
        .with_file(0x0102, big_file())
        .with_misbehaviour(Misbehaviour { max_read: Some(0x80), ..Default::default() });
    let mut s = open(chip);
    assert_eq!(s.read_dg(DataGroup::Dg2).unwrap(), big_file());
    assert!(s.read_size() <= 0x80);
    assert!(s.stats().fallbacks >= 2);
    let mrz = s.read_dg1().unwrap();
    assert_eq!(mrz.document_number, "099012345");
}

#[test]
fn a_wrong_mac_mid_file_is_retried_from_the_last_good_offset() {
    let chip = SimCccdChip::sample().with_file(0x0102, big_file()).with_misbehaviour(Misbehaviour {
        corrupt_mac_on_reads: vec![2],
        truncate_reads: vec![3],
        ..Default::default()
    });
    let mut s = open(chip);
    assert_eq!(s.read_dg(DataGroup::Dg2).unwrap(), big_file());
    assert_eq!(s.stats().retries, 2);
}

#[test]
fn a_chip_that_always_corrupts_gives_up_with_a_protocol_error() {
    let chip = SimCccdChip::sample()
        .with_misbehaviour(Misbehaviour { corrupt_mac_on_reads: (0..20).collect(), ..Default::default() });
    let mut s = open(chip);
    assert_eq!(s.read_dg1().unwrap_err().kind(), ErrorKind::Protocol);
}

#[test]
fn a_missing_file_is_not_found() {
    let mut s = open(SimCccdChip::sample());
    // DG3 (fingerprints) is not served by the sim; DG11 is absent on real CCCDs too.
    assert_eq!(s.read_file(0x0103).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(s.read_file(0x010B).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn dg13_read_over_bac_agrees_with_dg1() {
    let mut s = open(SimCccdChip::sample());
    let mrz = s.read_dg1().unwrap();
    let dg13 = s.read_dg13().unwrap();
    assert_eq!(dg13.id_number.as_deref(), Some(mrz.cccd_id_number().unwrap()));
    assert_eq!(dg13.date_of_birth.map(|d| d.yymmdd()).as_deref(), Some(mrz.date_of_birth.as_str()));
    assert_eq!(dg13.full_name.as_deref(), Some("Nguyễn Văn A"));
}

#[test]
fn a_removed_card_is_reported_as_card_removed() {
    let reader = reader_with(SimCccdChip::sample());
    let handle = reader.handle();
    let mut s = Session::new(reader);
    s.select_applet().unwrap();
    let mut s = s.bac(&sample_key(), &RANDOM).unwrap();
    handle.remove_card();
    assert_eq!(s.read_dg1().unwrap_err().kind(), ErrorKind::CardRemoved);
}

#[test]
fn reading_before_select_applet_fails_bac() {
    let s = Session::new(reader_with(SimCccdChip::sample()));
    assert!(s.bac(&sample_key(), &RANDOM).is_err());
}

#[test]
fn read_size_follows_a_6cxx_hint() {
    let chip = SimCccdChip::sample()
        .with_file(0x0102, big_file())
        .with_misbehaviour(Misbehaviour { wrong_length_hint: Some(0x64), ..Default::default() });
    let mut s = open(chip);
    assert_eq!(s.read_dg(DataGroup::Dg2).unwrap(), big_file());
    assert_eq!(s.read_size(), 0x64);
}

#[test]
fn parsers_never_panic_on_pseudo_random_bytes() {
    use motcua_cccd::proto::{dg13::Dg13, lds, mrz::Mrz, qr::QrData};
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in 0..400usize {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Bias towards structural bytes so the parsers get past their first check.
                [0x6D, 0x30, 0x31, 0x02, 0x0C, 0x82, 0x81, 0x7C, x as u8][(x % 9) as usize]
            })
            .collect();
        let _ = Dg13::parse(&bytes);
        let _ = lds::EfCom::parse(&bytes);
        let _ = lds::parse_dg1(&bytes);
        let _ = QrData::parse(&bytes);
        let _ = Mrz::parse(&String::from_utf8_lossy(&bytes));
    }
}
