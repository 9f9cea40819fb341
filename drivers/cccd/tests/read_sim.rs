//! A whole read (`read::read_card`) against the simulated chip on the simulated reader: the
//! verdicts, the BAC fallback, a card lifted mid-read, and what extended length saves.
#![allow(clippy::unwrap_used, clippy::panic)]

use motcua_cccd::link::{LinkModel, MeteredReader};
use motcua_cccd::proto::bac::BacKey;
use motcua_cccd::proto::lds::DataGroup;
use motcua_cccd::proto::pa::{PaVerdict, TrustStore};
use motcua_cccd::read::{
    CardRead, CloneCheck, DEFAULT_DATA_GROUPS, ReadOptions, ReadRandom, ReadSize, Verdict, read_card,
};
use motcua_cccd::sim::{Misbehaviour, SAMPLE_CAN, SimCccdChip};
use motcua_cccd::test_pki::TestPki;
use motcua_cccd::{AccessMethod, Can, ErrorKind, Result};
use motcua_device::sim::SimIdCardReader;

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_der(&TestPki::sample().csca_certificate).unwrap();
    t
}

fn read_with(chip: SimCccdChip, read_size: ReadSize) -> Result<CardRead> {
    let reader = SimIdCardReader::new();
    chip.insert_into(&reader.handle());
    let mut reader = reader;
    let can = Can::new(SAMPLE_CAN).unwrap();
    let key = BacKey::new("099012345", "990315", "240315");
    let trust = trust();
    let opts =
        ReadOptions { can: &can, mrz_key: Some(&key), data_groups: &DEFAULT_DATA_GROUPS, trust: &trust, read_size };
    read_card(&mut reader, &opts, &ReadRandom::from_bytes(&[0x42; ReadRandom::LEN]))
}

fn read(chip: SimCccdChip) -> Result<CardRead> {
    read_with(chip, ReadSize::Auto { reader_max_apdu: None })
}

#[test]
fn a_genuine_chip_is_verified_with_both_clone_checks() {
    let r = read(SimCccdChip::sample()).unwrap();
    assert_eq!(r.access, AccessMethod::PaceCan);
    assert_eq!(r.passive, PaVerdict::Verified);
    assert_eq!((r.active, r.chip), (CloneCheck::Passed, CloneCheck::Passed));
    assert_eq!(r.verdict(), Verdict::Verified);
    let files: Vec<DataGroup> = r.files.iter().map(|f| f.file).collect();
    assert_eq!(files, [DEFAULT_DATA_GROUPS.as_slice(), &[DataGroup::Sod]].concat());
    // Extended length from the ATR: one SELECT and one READ BINARY per file.
    assert!(r.initial_read_size > 0xDF);
    assert!(r.files.iter().all(|f| f.apdus == 2), "{:?}", r.files);
    assert!(r.raw.get(DataGroup::Dg13).is_some());
}

#[test]
fn an_altered_data_group_is_data_altered_and_the_clone_checks_are_not_run() {
    let r = read(SimCccdChip::sample().with_altered_data_group(13)).unwrap();
    assert_eq!(r.passive, PaVerdict::DataGroupHashMismatch(vec![13]));
    assert_eq!(r.verdict(), Verdict::DataAltered);
    assert!(matches!(r.chip, CloneCheck::Skipped(_)));
    assert_eq!(r.verdict().summary(), "data altered");
}

#[test]
fn an_unknown_signer_is_consistent_but_not_verified() {
    let chip = SimCccdChip::sample_signed_by(&TestPki::generate("elsewhere", "TEST CSCA Unknown"));
    let r = read(chip).unwrap();
    assert_eq!(r.passive, PaVerdict::UnknownCsca);
    assert_eq!(r.verdict(), Verdict::IssuerNotVerified);
    assert_eq!(r.verdict().summary(), "chip consistent, issuer not verified");
    assert!(r.verdict().is_usable());
}

#[test]
fn a_clone_without_the_chip_authentication_key_is_clone_suspected() {
    let chip =
        SimCccdChip::sample().with_misbehaviour(Misbehaviour { clone_without_ca_key: true, ..Default::default() });
    let r = read(chip).unwrap();
    assert_eq!((r.active, r.chip), (CloneCheck::Passed, CloneCheck::Failed));
    assert_eq!(r.verdict(), Verdict::CloneSuspected);
}

#[test]
fn a_chip_refusing_pace_is_read_over_bac() {
    let chip = SimCccdChip::sample().with_misbehaviour(Misbehaviour { refuse_pace: true, ..Default::default() });
    let r = read(chip).unwrap();
    assert!(matches!(r.access, AccessMethod::BacAfterPaceFailed(_)), "{:?}", r.access);
    assert_eq!(r.verdict(), Verdict::Verified);
}

#[test]
fn a_card_lifted_mid_read_is_card_removed_never_a_half_result() {
    for n in [3, 12, 15, 20] {
        let chip =
            SimCccdChip::sample().with_misbehaviour(Misbehaviour { drop_after_apdus: Some(n), ..Default::default() });
        let err = read(chip).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CardRemoved, "after {n} APDUs: {err:?}");
        assert!(err.kind().advice().contains("giữ thẻ trên đầu đọc"));
    }
}

#[test]
fn extended_length_needs_far_fewer_apdus_than_fixed_short_reads() {
    let pki = TestPki::sample();
    let sim = SimIdCardReader::new();
    let handle = sim.handle();
    let (mut reader, meter) = MeteredReader::new(sim, LinkModel::DESKTOP_424K);
    let can = Can::new(SAMPLE_CAN).unwrap();
    let trust = trust();
    let mut run = |read_size| {
        // A fresh chip each time: a real session starts from a reset card.
        SimCccdChip::sample_with_face(&pki, 15_000).insert_into(&handle);
        meter.reset();
        let opts =
            ReadOptions { can: &can, mrz_key: None, data_groups: &DEFAULT_DATA_GROUPS, trust: &trust, read_size };
        let r = read_card(&mut reader, &opts, &ReadRandom::from_bytes(&[7; ReadRandom::LEN])).unwrap();
        assert_eq!(r.verdict(), Verdict::Verified);
        (r.stats.apdus, meter.figures())
    };
    let (ext_apdus, ext) = run(ReadSize::Auto { reader_max_apdu: None });
    let (short_apdus, short) = run(ReadSize::Short);
    assert_eq!((ext.apdus, short.apdus), (ext_apdus, short_apdus));
    assert!(short.apdus > 3 * ext.apdus, "{ext:?} {short:?}");
    assert!(ext.modelled.as_secs_f64() <= 1.5 * ext.link_limit.as_secs_f64(), "{ext:?}");
}
