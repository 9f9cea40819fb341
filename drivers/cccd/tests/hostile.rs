//! Hostile chips: truncated TLVs, oversized lengths, bad status words and wrong MACs at each
//! step, through a responder that rewrites the simulated chip's answers. Each gives a clear,
//! typed error (or a documented fallback), never a panic or a half result.
#![allow(clippy::unwrap_used, clippy::panic)]

use motcua_cccd::proto::lds::DataGroup;
use motcua_cccd::sim::{SAMPLE_CAN, SimCccdChip};
use motcua_cccd::{AccessMethod, BacRandom, Can, Error, ErrorKind, PaceRandom, Session, SessionRandom};
use motcua_device::sim::{DEFAULT_ATR, SimIdCardReader};

type Rewrite = Box<dyn FnMut(&[u8], Vec<u8>) -> Vec<u8> + Send>;

fn session(chip: SimCccdChip, mut rewrite: Rewrite) -> Session<SimIdCardReader, motcua_cccd::Plain> {
    let mut chip = chip;
    let reader = SimIdCardReader::new();
    reader.handle().insert_card(DEFAULT_ATR.to_vec(), Box::new(move |apdu: &[u8]| rewrite(apdu, chip.respond(apdu))));
    Session::new(reader)
}

fn random() -> SessionRandom {
    SessionRandom {
        pace: PaceRandom { map_sk: [0x11; 32], eph_sk: [0x22; 32] },
        bac: BacRandom { rnd_ifd: [1; 8], k_ifd: [2; 16] },
    }
}

fn mrz_key() -> motcua_cccd::proto::bac::BacKey {
    motcua_cccd::proto::bac::BacKey::new("099012345", "990315", "240315")
}

fn can() -> Can {
    Can::new(SAMPLE_CAN).unwrap()
}

fn is_ga(apdu: &[u8], cla: u8, first_tag: Option<u8>) -> bool {
    apdu.first() == Some(&cla) && apdu.get(1) == Some(&0x86) && first_tag.is_none_or(|t| apdu.get(7) == Some(&t))
}

#[test]
fn a_truncated_pace_nonce_falls_back_to_bac() {
    let rewrite: Rewrite = Box::new(|apdu, mut r| {
        if apdu == [0x10, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00] {
            r.drain(6..r.len() - 2);
        }
        r
    });
    let (mut s, method) =
        session(SimCccdChip::sample(), rewrite).establish(&can(), Some(&mrz_key()), &random()).unwrap();
    assert_eq!(method, AccessMethod::BacAfterPaceFailed(ErrorKind::Protocol));
    assert_eq!(s.read_dg1().unwrap().document_number, "099012345");
}

#[test]
fn an_oversized_length_in_the_mapping_answer_is_a_pace_error() {
    let rewrite: Rewrite = Box::new(|apdu, mut r| {
        if is_ga(apdu, 0x10, Some(0x81)) {
            r[1] = 0x83; // 7C 83 … : a 3-byte length running past the data
        }
        r
    });
    let err = session(SimCccdChip::sample(), rewrite).establish(&can(), None, &random()).unwrap_err();
    assert!(matches!(err, Error::Pace(_)), "{err:?}");
}

#[test]
fn an_oversized_card_access_means_no_pace() {
    let rewrite: Rewrite = Box::new(|apdu, r| {
        if apdu.get(..4) == Some(&[0x00, 0xB0, 0x9C, 0x00][..]) {
            vec![0x31, 0x83, 0xFF, 0xFF, 0xFF, 0x90, 0x00]
        } else {
            r
        }
    });
    let (_, method) = session(SimCccdChip::sample(), rewrite).establish(&can(), Some(&mrz_key()), &random()).unwrap();
    assert_eq!(method, AccessMethod::BacNoPace);
}

#[test]
fn a_bad_status_word_to_the_applet_select_after_pace_is_reported() {
    let mut after_pace = false;
    let rewrite: Rewrite = Box::new(move |apdu, r| {
        if is_ga(apdu, 0x00, None) {
            after_pace = true;
            return r;
        }
        if after_pace && apdu.first() == Some(&0x0C) && apdu.get(1) == Some(&0xA4) {
            after_pace = false;
            return vec![0x6F, 0x00];
        }
        r
    });
    let err = session(SimCccdChip::sample(), rewrite).establish(&can(), None, &random()).unwrap_err();
    assert!(matches!(err, Error::Status { command: "SELECT eMRTD", sw: 0x6F00 }), "{err:?}");
}

#[test]
fn a_wrong_mac_on_the_pace_token_answer_is_an_authentication_error() {
    let rewrite: Rewrite = Box::new(|apdu, mut r| {
        if is_ga(apdu, 0x00, None) && r.len() > 4 {
            r[4] ^= 0x80;
        }
        r
    });
    let err = session(SimCccdChip::sample(), rewrite).establish(&can(), None, &random()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[test]
fn an_oversized_file_length_is_refused_before_reading() {
    let chip = SimCccdChip::sample().with_file(0x011D, vec![0x77, 0x83, 0xFF, 0xFF, 0xFF, 0x30]);
    let (mut s, _) = session(chip, Box::new(|_, r| r)).establish(&can(), None, &random()).unwrap();
    let err = s.read_sod().unwrap_err();
    assert!(matches!(err, Error::Lds(_)), "{err:?}");
    assert_eq!(s.stats().fallbacks, 0);
}

#[test]
fn a_truncated_sod_is_an_lds_error() {
    let mut sod = SimCccdChip::sample();
    let pki = motcua_cccd::test_pki::TestPki::sample();
    let mut file = pki.sod(&[(1, b"x")]);
    // Keep the outer header honest but cut the content: 77 len then half of it.
    let half = file.len() / 2;
    file.truncate(half);
    let inner_len = file.len() - 4;
    file[1..4].copy_from_slice(&[0x82, (inner_len >> 8) as u8, inner_len as u8]);
    sod = sod.with_file(0x011D, file);
    let (mut s, _) = session(sod, Box::new(|_, r| r)).establish(&can(), None, &random()).unwrap();
    assert_eq!(s.read_sod().unwrap_err().kind(), ErrorKind::Invalid);
}

#[test]
fn a_chip_that_answers_reads_with_garbage_gives_a_protocol_error() {
    let mut secure = false;
    let rewrite: Rewrite = Box::new(move |apdu, r| {
        if is_ga(apdu, 0x00, None) {
            secure = true;
        }
        if secure && apdu.first() == Some(&0x0C) && apdu.get(1) == Some(&0xB0) {
            vec![0x87, 0x7F, 0x01, 0x90, 0x00]
        } else {
            r
        }
    });
    let (mut s, _) = session(SimCccdChip::sample(), rewrite).establish(&can(), None, &random()).unwrap();
    assert_eq!(s.read_dg(DataGroup::Dg1).unwrap_err().kind(), ErrorKind::Protocol);
}

/// A chip that answers with random bytes (sometimes a real answer with bytes flipped): the
/// whole flow — establish, read, verify, CA, AA — must end in `Ok` or a typed error, never a
/// panic or a hang.
#[test]
fn random_chip_answers_never_panic() {
    let pki = motcua_cccd::test_pki::TestPki::sample();
    let mut trust = motcua_cccd::proto::pa::TrustStore::new();
    trust.add_der(&pki.csca_certificate).unwrap();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..40u64 {
        let mut x = seed ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        seed = seed.rotate_left(7) ^ round;
        let rewrite: Rewrite = Box::new(move |_, mut r| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 8 {
                0 => (0..(x >> 8) % 40).map(|i| (x >> (i % 56)) as u8).collect(),
                1 if !r.is_empty() => {
                    let i = (x >> 8) as usize % r.len();
                    r[i] ^= (x >> 16) as u8 | 1;
                    r
                }
                2 => {
                    r.truncate((x >> 8) as usize % (r.len() + 1));
                    r
                }
                _ => r,
            }
        });
        let chip = SimCccdChip::sample_signed_by(&pki);
        let Ok((mut s, _)) = session(chip, rewrite).establish(&can(), Some(&mrz_key()), &random()) else {
            continue;
        };
        let _ = s.read_verified(&[DataGroup::Dg1, DataGroup::Dg2, DataGroup::Dg14, DataGroup::Dg15], &trust);
        if let Ok(dg14) = s.read_dg14() {
            let _ = s.chip_authenticate(&dg14, &[9; 32]);
            if let (Ok(key), Some(h)) = (s.read_dg15(), dg14.aa_hash) {
                let _ = s.active_authenticate(&key, h, &[3; 8]);
            }
        }
        let _ = s.read_dg13();
    }
}
