//! End to end through the real PC/SC stack: the simulated chip speaks vpcd to pcscd's virtual
//! reader (`vsmartcard-vpcd`), and `read::read_card` reads it through `pcsc::PcscReader`, the
//! pcsc crate, libpcsclite and pcscd.
//!
//! Needs a running pcscd with the vpcd driver (`apt-get install pcscd vsmartcard-vpcd`, then
//! `pcscd --foreground &` without systemd; scripts/test-all does this). When pcscd or the
//! virtual reader is not there, each test prints why and passes as skipped, unless
//! `MOTCUA_REQUIRE_PCSCD=1`, when it fails.
//!
//! The tests share the one virtual reader, so they take turns (a lock), and each waits for
//! pcscd to see its card arrive and leave.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use motcua_cccd::pcsc::PcscReader;
use motcua_cccd::proto::bac::BacKey;
use motcua_cccd::proto::lds::DataGroup;
use motcua_cccd::proto::pa::{PaVerdict, TrustStore};
use motcua_cccd::read::{
    CardRead, CloneCheck, DEFAULT_DATA_GROUPS, ReadOptions, ReadRandom, ReadSize, Verdict, read_card,
};
use motcua_cccd::sim::{Misbehaviour, SAMPLE_CAN, SimCccdChip};
use motcua_cccd::test_pki::TestPki;
use motcua_cccd::vpcd::{self, DEFAULT_ADDR, DEFAULT_READER, ViccThread};
use motcua_cccd::{AccessMethod, Can, ErrorKind, Result};
use motcua_device::id_card::IdCardReader;

static TURN: Mutex<()> = Mutex::new(());

/// Says why the test did nothing, on the real stderr (the test harness captures `eprintln!`).
fn skip(reason: &str) {
    if required() {
        panic!("MOTCUA_REQUIRE_PCSCD=1 but {reason}");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED (pcscd + vpcd not available): {reason}");
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let until = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A chip on the virtual reader, and the reader connected to it.
struct OnReader {
    vicc: ViccThread,
    reader: PcscReader,
}

fn required() -> bool {
    std::env::var("MOTCUA_REQUIRE_PCSCD").is_ok_and(|v| v == "1")
}

/// Whether pcscd answers and has the virtual reader, checked once. When it is required, a
/// pcscd that has just been started gets a few seconds to load its readers.
fn virtual_reader() -> std::result::Result<(), String> {
    static CHECKED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    CHECKED
        .get_or_init(|| {
            let until = Instant::now() + if required() { Duration::from_secs(5) } else { Duration::ZERO };
            loop {
                let why = match PcscReader::list() {
                    Ok(r) if r.iter().any(|r| r == DEFAULT_READER) => return Ok(()),
                    Ok(r) => {
                        format!("pcscd has no reader {DEFAULT_READER:?} (readers: {r:?}); install vsmartcard-vpcd")
                    }
                    Err(e) => format!("no PC/SC service ({e}); start `pcscd --foreground`"),
                };
                if Instant::now() >= until {
                    return Err(why);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
        .clone()
}

/// Puts `chip` on the virtual reader; `None` (after [`skip`]) when pcscd or vpcd is missing.
fn insert(chip: SimCccdChip) -> Option<OnReader> {
    if let Err(why) = virtual_reader() {
        skip(&why);
        return None;
    }
    let vicc = match vpcd::spawn(DEFAULT_ADDR, chip) {
        Ok(v) => v,
        Err(e) => {
            skip(&format!("cannot connect to vpcd at {DEFAULT_ADDR} ({e})"));
            return None;
        }
    };
    let mut reader = PcscReader::open(Some(DEFAULT_READER)).unwrap();
    wait_for("pcscd to see the card", Duration::from_secs(10), || matches!(reader.poll_card(), Ok(Some(_))));
    Some(OnReader { vicc, reader })
}

impl OnReader {
    /// Takes the card off and waits until pcscd has seen it go, so the next test starts clean.
    fn remove(self) {
        drop(self.reader);
        let _ = self.vicc.remove();
        let mut probe = PcscReader::open(Some(DEFAULT_READER)).unwrap();
        wait_for("pcscd to see the card leave", Duration::from_secs(10), || matches!(probe.poll_card(), Ok(None)));
    }
}

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_der(&TestPki::sample().csca_certificate).unwrap();
    t
}

/// Reads the card on the virtual reader the way `motcua read-card` does; `None` when skipped.
fn read_through_pcscd(chip: SimCccdChip) -> Option<Result<CardRead>> {
    let _turn = TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut on = insert(chip)?;
    let can = Can::new(SAMPLE_CAN).unwrap();
    let key = BacKey::new("099012345", "990315", "240315");
    let trust = trust();
    let read_size = ReadSize::Auto { reader_max_apdu: on.reader.max_apdu_len() };
    let opts =
        ReadOptions { can: &can, mrz_key: Some(&key), data_groups: &DEFAULT_DATA_GROUPS, trust: &trust, read_size };
    let result = read_card(&mut on.reader, &opts, &ReadRandom::from_bytes(&[0x5C; ReadRandom::LEN]));
    on.remove();
    Some(result)
}

#[test]
fn a_second_program_cannot_talk_to_the_card_while_a_read_holds_it() {
    let _turn = TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(on) = insert(SimCccdChip::sample()) else { return };
    // `insert` connected the first reader: the card is ours, exclusively.
    let mut other = PcscReader::open(Some(DEFAULT_READER)).unwrap();
    match other.poll_card() {
        Err(motcua_device::Error::Hardware(m)) => assert!(m.contains("in use by another program"), "{m}"),
        r => panic!("a second connection must be refused while the first holds the card: {r:?}"),
    }
    drop(other);
    on.remove();
}

#[test]
fn pace_can_read_through_pcscd_is_verified_with_chip_authentication() {
    let Some(r) = read_through_pcscd(SimCccdChip::sample_with_face(&TestPki::sample(), 15_000)) else { return };
    let r = r.unwrap();
    assert_eq!(r.access, AccessMethod::PaceCan);
    assert_eq!(r.passive, PaVerdict::Verified);
    assert_eq!(r.chip, CloneCheck::Passed);
    assert_eq!(r.active, CloneCheck::Passed);
    assert_eq!(r.verdict(), Verdict::Verified);
    for dg in [DataGroup::Dg1, DataGroup::Dg13, DataGroup::Dg2, DataGroup::Sod] {
        assert!(r.raw.get(dg).is_some_and(|f| !f.is_empty()), "{dg:?} read");
    }
    assert!(r.raw.get(DataGroup::Dg2).unwrap().len() > 15_000);
    // The ATR announces extended length and vpcd sets no APDU limit: each file is one SELECT
    // and one extended READ BINARY, through pcscd's buffers.
    assert!(r.initial_read_size > 0xDF, "{}", r.initial_read_size);
    assert!(r.files.iter().all(|f| f.apdus == 2), "{:?}", r.files);
}

#[test]
fn an_altered_data_group_read_through_pcscd_is_data_altered() {
    let Some(r) = read_through_pcscd(SimCccdChip::sample().with_altered_data_group(2)) else { return };
    let r = r.unwrap();
    assert_eq!(r.passive, PaVerdict::DataGroupHashMismatch(vec![2]));
    assert_eq!(r.verdict().summary(), "data altered");
}

#[test]
fn an_unknown_signer_read_through_pcscd_is_reported_as_such() {
    let chip = SimCccdChip::sample_signed_by(&TestPki::generate("another office", "TEST CSCA Unknown"));
    let Some(r) = read_through_pcscd(chip) else { return };
    let r = r.unwrap();
    assert_eq!(r.passive, PaVerdict::UnknownCsca);
    assert_eq!(r.verdict().summary(), "chip consistent, issuer not verified");
}

#[test]
fn bac_is_used_through_pcscd_when_the_chip_refuses_pace() {
    let chip = SimCccdChip::sample().with_misbehaviour(Misbehaviour { refuse_pace: true, ..Default::default() });
    let Some(r) = read_through_pcscd(chip) else { return };
    let r = r.unwrap();
    assert!(matches!(r.access, AccessMethod::BacAfterPaceFailed(_)), "{:?}", r.access);
    assert_eq!(r.verdict(), Verdict::Verified);
}

#[test]
fn a_card_without_extended_length_is_read_in_short_apdus_through_pcscd() {
    let chip = SimCccdChip::sample().with_misbehaviour(Misbehaviour { no_extended_length: true, ..Default::default() });
    let Some(r) = read_through_pcscd(chip) else { return };
    let r = r.unwrap();
    assert_eq!(r.initial_read_size, 0xDF);
    assert_eq!(r.verdict(), Verdict::Verified);
}

#[test]
fn a_card_lifted_mid_read_through_pcscd_asks_to_keep_it_on_the_reader() {
    // Access control takes 7 APDUs, DG1 two more: the card leaves while DG2 is read.
    let chip =
        SimCccdChip::sample().with_misbehaviour(Misbehaviour { drop_after_apdus: Some(10), ..Default::default() });
    let Some(r) = read_through_pcscd(chip) else { return };
    let err = r.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CardRemoved, "{err:?}");
    assert!(err.kind().advice().contains("giữ thẻ trên đầu đọc"), "{}", err.kind().advice());
}
