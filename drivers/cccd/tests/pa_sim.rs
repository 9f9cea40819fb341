//! Passive authentication end to end: PACE → read DG1, DG2, DG13, DG14, DG15 and EF.SOD from
//! the simulated chip → verdict against a trust store holding the test CSCA.
#![allow(clippy::unwrap_used, clippy::panic)]

use motcua_cccd::proto::dg2::ImageFormat;
use motcua_cccd::proto::lds::DataGroup;
use motcua_cccd::proto::pa::{PaVerdict, TrustStore, passive_authentication};
use motcua_cccd::proto::sod::Sod;
use motcua_cccd::sim::{SAMPLE_CAN, SAMPLE_DG2_IMAGE_LEN, SimCccdChip};
use motcua_cccd::test_pki::TestPki;
use motcua_cccd::{BacRandom, Can, PaceRandom, Secure, Session, SessionRandom};
use motcua_device::sim::{DEFAULT_ATR, SimIdCardReader};

const ALL: [DataGroup; 5] = [DataGroup::Dg1, DataGroup::Dg2, DataGroup::Dg13, DataGroup::Dg14, DataGroup::Dg15];

fn open(chip: SimCccdChip) -> Session<SimIdCardReader, Secure> {
    let reader = SimIdCardReader::new();
    reader.handle().insert_card(DEFAULT_ATR.to_vec(), chip.into_responder());
    let random = SessionRandom {
        pace: PaceRandom { map_sk: [0x11; 32], eph_sk: [0x22; 32] },
        bac: BacRandom { rnd_ifd: [1; 8], k_ifd: [2; 16] },
    };
    Session::new(reader).establish(&Can::new(SAMPLE_CAN).unwrap(), None, &random).unwrap().0
}

fn trust(pki: &TestPki) -> TrustStore {
    let mut t = TrustStore::new();
    t.add_der(&pki.csca_certificate).unwrap();
    t
}

#[test]
fn a_genuine_chip_is_verified_and_its_face_is_a_jpeg() {
    let pki = TestPki::sample();
    let mut s = open(SimCccdChip::sample_signed_by(&pki));
    let (verdict, files) = s.read_verified(&ALL, &trust(&pki)).unwrap();
    assert_eq!(verdict, PaVerdict::Verified);
    assert_eq!(files.len(), 5);
    let face = s.read_dg2().unwrap();
    assert_eq!((face.format, face.bytes().len()), (ImageFormat::Jpeg, SAMPLE_DG2_IMAGE_LEN));
    let dg14 = s.read_dg14().unwrap();
    assert!(dg14.ca_ecdh_aes128().is_some());
    let sod = s.read_sod().unwrap();
    assert_eq!(sod.dg_hashes.keys().copied().collect::<Vec<_>>(), vec![1, 2, 13, 14, 15]);
}

#[test]
fn an_altered_data_group_is_reported_as_such() {
    let pki = TestPki::sample();
    let chip = SimCccdChip::sample_signed_by(&pki).with_altered_byte(0x0101, 20);
    let (verdict, _) = open(chip).read_verified(&ALL, &trust(&pki)).unwrap();
    assert_eq!(verdict, PaVerdict::DataGroupHashMismatch(vec![1]));
    assert!(!verdict.chip_consistent());
}

#[test]
fn an_unknown_signer_is_chip_consistent_but_not_verified() {
    let pki = TestPki::sample();
    let (verdict, _) = open(SimCccdChip::sample_signed_by(&pki)).read_verified(&ALL, &TrustStore::new()).unwrap();
    assert_eq!(verdict, PaVerdict::UnknownCsca);
    assert!(verdict.chip_consistent());
    // A different CSCA with another name: still unknown.
    let other = TestPki::generate("another seed", "TEST CSCA Other");
    let (verdict, _) = open(SimCccdChip::sample_signed_by(&pki)).read_verified(&ALL, &trust(&other)).unwrap();
    assert_eq!(verdict, PaVerdict::UnknownCsca);
}

#[test]
fn a_forged_csca_with_the_same_name_does_not_verify_the_ds() {
    let pki = TestPki::sample();
    let forger = TestPki::generate("forger", "TEST CSCA Viet Nam");
    let (verdict, _) = open(SimCccdChip::sample_signed_by(&forger)).read_verified(&ALL, &trust(&pki)).unwrap();
    assert_eq!(verdict, PaVerdict::DsCertificateInvalid);
}

fn sample_sod_and_files() -> (Vec<u8>, Vec<(u8, Vec<u8>)>) {
    let pki = TestPki::sample();
    let mut s = open(SimCccdChip::sample_signed_by(&pki));
    let files = ALL.iter().map(|dg| (dg.number().unwrap(), s.read_dg(*dg).unwrap())).collect();
    (s.read_dg(DataGroup::Sod).unwrap(), files)
}

#[test]
fn a_bad_sod_signature_is_signature_invalid() {
    let pki = TestPki::sample();
    let (mut sod, files) = sample_sod_and_files();
    let n = sod.len();
    sod[n - 1] ^= 0x01;
    let sod = Sod::parse(&sod).unwrap();
    let dgs: Vec<(u8, &[u8])> = files.iter().map(|(n, f)| (*n, f.as_slice())).collect();
    assert_eq!(passive_authentication(&sod, &dgs, &trust(&pki)), PaVerdict::SignatureInvalid);
}

#[test]
fn a_data_group_missing_from_the_sod_is_flagged() {
    let pki = TestPki::sample();
    let (sod, _) = sample_sod_and_files();
    let sod = Sod::parse(&sod).unwrap();
    assert_eq!(passive_authentication(&sod, &[(3, b"x")], &trust(&pki)), PaVerdict::DataGroupNotInSod(vec![3]));
}

#[test]
fn truncated_or_corrupted_sods_are_errors_not_panics() {
    let (sod, _) = sample_sod_and_files();
    for n in 0..sod.len() {
        assert!(Sod::parse(&sod[..n]).is_err(), "prefix {n}");
    }
    for i in 0..sod.len() {
        let mut s = sod.clone();
        s[i] ^= 0xFF;
        let _ = Sod::parse(&s);
    }
}

#[test]
fn trust_store_loads_der_files_from_a_directory() {
    let pki = TestPki::sample();
    let dir = std::env::temp_dir().join(format!("motcua-cccd-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("csca.der"), &pki.csca_certificate).unwrap();
    std::fs::write(dir.join("junk.cer"), b"not a certificate").unwrap();
    std::fs::write(dir.join("readme.txt"), b"ignored").unwrap();
    let (store, report) = motcua_cccd::trust::load_trust_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((report.loaded, report.rejected, store.len()), (1, 1, 1));
    let (verdict, _) = open(SimCccdChip::sample_signed_by(&pki)).read_verified(&ALL, &store).unwrap();
    assert_eq!(verdict, PaVerdict::Verified);
}

#[test]
fn chip_authentication_after_pa_then_reading_continues_under_new_keys() {
    let pki = TestPki::sample();
    let mut s = open(SimCccdChip::sample_signed_by(&pki));
    let (verdict, files) = s.read_verified(&ALL, &trust(&pki)).unwrap();
    assert_eq!(verdict, PaVerdict::Verified);
    let dg14 = motcua_cccd::proto::dg14::Dg14::parse(files.get(DataGroup::Dg14).unwrap()).unwrap();
    s.chip_authenticate(&dg14, &[0x33; 32]).unwrap();
    assert_eq!(s.read_dg1().unwrap().document_number, "099012345");
    assert!(format!("{files:?}").contains("Dg2"));
}

#[test]
fn a_clone_without_the_ca_key_is_detected() {
    let pki = TestPki::sample();
    let chip = SimCccdChip::sample_signed_by(&pki)
        .with_misbehaviour(motcua_cccd::sim::Misbehaviour { clone_without_ca_key: true, ..Default::default() });
    let mut s = open(chip);
    let dg14 = s.read_dg14().unwrap();
    let err = s.chip_authenticate(&dg14, &[0x33; 32]).unwrap_err();
    assert_eq!(err.kind(), motcua_cccd::ErrorKind::Authentication);
}

#[test]
fn chip_authentication_also_works_after_bac() {
    let pki = TestPki::sample();
    let reader = SimIdCardReader::new();
    reader.handle().insert_card(DEFAULT_ATR.to_vec(), SimCccdChip::sample_signed_by(&pki).into_responder());
    let mut s = Session::new(reader);
    s.select_applet().unwrap();
    let key = motcua_cccd::proto::bac::BacKey::new("099012345", "990315", "240315");
    let mut s = s.bac(&key, &BacRandom { rnd_ifd: [1; 8], k_ifd: [2; 16] }).unwrap();
    let dg14 = s.read_dg14().unwrap();
    s.chip_authenticate(&dg14, &[0x44; 32]).unwrap();
    assert_eq!(s.cipher(), motcua_cccd::proto::sm::Cipher::Aes128);
    assert_eq!(s.read_dg1().unwrap().date_of_birth, "990315");
}

#[test]
fn active_authentication_with_dg15_after_pa() {
    let pki = TestPki::sample();
    let mut s = open(SimCccdChip::sample_signed_by(&pki));
    let (verdict, files) = s.read_verified(&ALL, &trust(&pki)).unwrap();
    assert_eq!(verdict, PaVerdict::Verified);
    let dg14 = motcua_cccd::proto::dg14::Dg14::parse(files.get(DataGroup::Dg14).unwrap()).unwrap();
    let key = motcua_cccd::proto::dg14::parse_dg15(files.get(DataGroup::Dg15).unwrap()).unwrap();
    let hash = dg14.aa_hash.unwrap();
    s.active_authenticate(&key, hash, &[0x5C; 8]).unwrap();
    // Another key (a forged DG15) does not verify the genuine chip's answer.
    let other = motcua_cccd::proto::dg14::parse_dg15(&TestPki::generate("x", "y").dg15()).unwrap();
    assert_eq!(
        s.active_authenticate(&other, hash, &[0x5D; 8]).unwrap_err().kind(),
        motcua_cccd::ErrorKind::Authentication
    );
}

#[test]
fn a_clone_without_the_aa_key_is_detected() {
    let pki = TestPki::sample();
    let chip = SimCccdChip::sample_signed_by(&pki)
        .with_misbehaviour(motcua_cccd::sim::Misbehaviour { clone_without_aa_key: true, ..Default::default() });
    let mut s = open(chip);
    let key = s.read_dg15().unwrap();
    let hash = s.read_dg14().unwrap().aa_hash.unwrap();
    let err = s.active_authenticate(&key, hash, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap_err();
    assert_eq!(err.kind(), motcua_cccd::ErrorKind::Authentication);
}
