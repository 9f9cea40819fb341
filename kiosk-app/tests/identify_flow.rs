//! The CCCD identify step driven like a citizen would, against the real embedded hub (SQLite,
//! outbox) and motcua-cccd's simulated card through the real session code: chip (PACE, BAC
//! fallback), the card's QR through the scanner route, the failures, and the privacy
//! guarantees — the raw ID never reaches the hub's files, the outbox or the logs; the face is
//! never read; the visit's end wipes the screen.
//!
//! Screens land in `docs/screens/kiosk-*-identify-*.png` (portrait and landscape, vi and en).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use motcua_cccd::proto::lds::DataGroup;
use motcua_cccd::proto::pa::TrustStore;
use motcua_cccd::sim::{Misbehaviour, SimCccdChip};
use motcua_cccd::test_pki::TestPki;
use motcua_device::sim::{ApduResponder, SimPrinter, SimPrinterHandle};
use motcua_device::ticket::PaperWidth;
use motcua_hub::{Config, Hub, SystemClock};
use motcua_kiosk_app::backend::{KioskContext, KioskSettings};
use motcua_kiosk_app::controllers::identify::{IdCardService, IdHashKey, SimCardFactory, SimIdCardSource};
use motcua_kiosk_app::controllers::{Lang, Screen};
use motcua_kiosk_app::counter_screen::controller::{Command as CounterCommand, CounterScreen};
use motcua_kiosk_app::counter_screen::{Typed, render_png};
use motcua_kiosk_app::headless::HeadlessKiosk;
use motcua_kiosk_app::hubclient::LocalHub;
use motcua_kiosk_app::ui::identify_adapter;
use motcua_kiosk_app::ui::{IdentifyAdapter, PriorityAdapter, confirmation_adapter};
use slint::{ComponentHandle, Model};

/// The synthetic citizen of the simulated card and of the QR below (made-up data).
const RAW_ID: &str = "001099012345";
const NAME: &str = "Nguyễn Văn A";
const MASKED: &str = "001******345";
/// The same person's card QR (2021 layout), with the birth date of the chip (15/03/1999).
const QR: &str = "001099012345|123456789|Nguyễn Văn A|15031999|Nam|Số 1, Phường P, Quận Q, Thành phố H|15032021";
/// An older citizen's QR: 70 years old, qualifies for "người cao tuổi" (min_age 60).
const QR_ELDER: &str = "079056001234||Trần Thị Bảy|02011956|Nữ|Số 9, Phường P, Quận Q, Thành phố H|10052021";
const KEY: [u8; 32] = [0x42; 32];

/// Everything the kiosk logs, at every level, from every test of this binary.
fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    let logs = LOGS.get_or_init(|| Mutex::new(Vec::new()));
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .try_init();
    });
    logs
}

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(l) = LOGS_REF.get() {
            l.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static LOGS_REF: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();

fn init_logs() {
    let l = logs();
    let _ = LOGS_REF.set(l);
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn assert_logs_clean() {
    let l = logs().lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(!l.is_empty(), "the log capture works");
    for secret in [RAW_ID, NAME, "Nguyen", "NGUYEN", "099012345", "Kinh", "Trần Thị Bảy", "079056001234"] {
        assert!(!contains(&l, secret), "the logs contain {secret:?}");
    }
}

fn screens_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screens");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn shot(k: &HeadlessKiosk, name: &str) {
    if let Err(e) = k.save_png(&screens_dir().join(format!("{name}.png"))) {
        panic!("screenshot {name}: {e}");
    }
}

/// A card source whose cards come from `chip` (called for every tap, with the attempt number).
fn source(
    chip: impl Fn(u32, &motcua_device::sim::SimIdCardReaderHandle) -> Option<ApduResponder> + Send + Sync + 'static,
) -> SimCardFactory {
    let attempts = Arc::new(AtomicU32::new(0));
    Arc::new(move |h| chip(attempts.fetch_add(1, Ordering::SeqCst), h))
}

fn service(factory: SimCardFactory, trust_test_csca: bool) -> IdCardService {
    let mut trust = TrustStore::new();
    if trust_test_csca {
        trust.add_der(&TestPki::sample().csca_certificate).expect("test CSCA");
    }
    IdCardService {
        source: Some(Arc::new(SimIdCardSource::new(factory))),
        trust: Arc::new(trust),
        key: Arc::new(IdHashKey::new(KEY.to_vec()).expect("key")),
        wait: Duration::from_secs(5),
    }
}

struct Rig {
    kiosk: HeadlessKiosk,
    hub: Hub,
    printer: SimPrinterHandle,
    dir: tempfile::TempDir,
}

fn rig(svc: IdCardService, width: u32, height: u32) -> Rig {
    init_logs();
    let dir = tempfile::tempdir().expect("tmp");
    let hub = Hub::open(Config::sample(), &dir.path().join("hub.db"), Arc::new(SystemClock)).expect("hub");
    let printer = SimPrinter::new(PaperWidth::Mm80);
    let handle = printer.handle();
    let settings = KioskSettings { width, height, identify: Some(svc), ..KioskSettings::default() };
    let ctx = KioskContext {
        hub: Arc::new(LocalHub::new(hub.clone(), "kiosk-id")),
        printer: Arc::new(Mutex::new(printer)),
        settings,
        lookup: None,
    };
    let kiosk = HeadlessKiosk::start(ctx).expect("kiosk");
    Rig { kiosk, hub, printer: handle, dir }
}

fn stage(k: &HeadlessKiosk) -> &'static str {
    identify_adapter::stage(k.ui())
}

fn error(k: &HeadlessKiosk) -> String {
    k.ui().global::<IdentifyAdapter>().get_error().to_string()
}

fn to_identify(k: &HeadlessKiosk) {
    k.tap("take-number", 0).expect("take-number");
    k.tap("field", 0).expect("field");
    assert_eq!(k.screen(), Screen::Identify);
    assert_eq!(stage(k), "choose");
}

fn type_can(k: &HeadlessKiosk, can: &str) {
    for d in can.chars() {
        let i = d.to_digit(10).expect("digit") as usize;
        k.tap("key", i).expect("key");
    }
}

fn hash_of(id: &str) -> String {
    IdHashKey::new(KEY.to_vec()).expect("key").hash(id)
}

/// Every byte of every file under `dir` (the database, its WAL and SHM).
fn file_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(b) = std::fs::read(e.path()) {
            all.extend_from_slice(&b);
        }
    }
    all
}

fn outbox(dir: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join("hub.db")).expect("db");
    let mut st = conn.prepare("SELECT payload FROM outbox ORDER BY seq").expect("q");
    st.query_map([], |r| r.get(0)).expect("q").collect::<Result<_, _>>().expect("rows")
}

#[test]
fn chip_identification_reaches_the_ticket_and_the_counter_but_never_the_raw_id() {
    for (w, h, orient) in [(1080, 1920, "portrait"), (1920, 1080, "landscape")] {
        for lang in [Lang::Vi, Lang::En] {
            let r = rig(service(source(|_, _| Some(SimCccdChip::sample().into_responder())), true), w, h);
            let k = &r.kiosk;
            let tag = format!("{orient}-{}", lang.code());
            if lang == Lang::En {
                k.tap("lang-en", 0).expect("lang");
            }
            to_identify(k);
            assert!(k.layout_fits(), "{tag}: identify choose fits");
            shot(k, &format!("kiosk-{tag}-identify-1-choose"));
            k.tap("chip", 0).expect("chip");
            assert_eq!(stage(k), "enter-can");
            type_can(k, "0123");
            assert_eq!(k.ui().global::<IdentifyAdapter>().get_can_len(), 4);
            assert!(k.locate("submit", 0).is_some());
            type_can(k, "45");
            assert!(k.layout_fits(), "{tag}: CAN keypad fits");
            shot(k, &format!("kiosk-{tag}-identify-2-can"));
            k.tap("submit", 0).expect("read the card");
            assert_eq!(stage(k), "done", "{tag}: error {:?}", error(k));
            let a = k.ui().global::<IdentifyAdapter>();
            assert_eq!(a.get_name().as_str(), NAME);
            assert_eq!(a.get_masked_id().as_str(), MASKED);
            assert_eq!(a.get_verification().as_str(), "verified");
            assert!(k.layout_fits(), "{tag}: result fits");
            shot(k, &format!("kiosk-{tag}-identify-3-done"));
            k.tap("accept", 0).expect("continue");
            assert_eq!(k.screen(), Screen::Priority);
            // 27 years old: nothing suggested.
            let classes = k.ui().global::<PriorityAdapter>().get_classes();
            assert!(classes.iter().all(|c| !c.suggested));
            k.tap("none", 0).expect("no priority");
            assert_eq!(k.screen(), Screen::Confirmation);
            assert_eq!(confirmation_adapter::citizen(k.ui()), (NAME.to_owned(), MASKED.to_owned()));
            shot(k, &format!("kiosk-{tag}-identify-4-confirmation"));

            // The printed ticket: one extra line with the name and the masked ID, no raw ID.
            let jobs = r.printer.jobs();
            let texts: Vec<String> = jobs.last().expect("printed").doc.texts().map(str::to_owned).collect();
            assert!(texts.iter().any(|t| t == &format!("{NAME} · {MASKED}")), "{texts:?}");
            assert!(texts.iter().all(|t| !t.contains(RAW_ID)));

            // The hub: the counter sees name and masked ID; the tables and the outbox hold the
            // hash, never the raw ID; the outbox never the name either.
            let snap = r.hub.snapshot();
            let c = snap.waiting.first().and_then(|t| t.citizen.clone()).expect("citizen on the ticket");
            assert_eq!((c.display_name.as_str(), c.masked_id.as_str()), (NAME, MASKED));
            let conn = rusqlite::Connection::open(r.dir.path().join("hub.db")).expect("db");
            let stored: String =
                conn.query_row("SELECT id_hash FROM ticket_citizens", [], |r| r.get(0)).expect("one citizen row");
            assert_eq!(stored, hash_of(RAW_ID));
            let events = outbox(r.dir.path());
            assert!(events.iter().any(|e| e.contains(&hash_of(RAW_ID))));
            for e in &events {
                assert!(!e.contains(RAW_ID) && !e.contains("Nguy") && !e.contains(MASKED), "outbox: {e}");
            }
            assert!(!contains(&file_bytes(r.dir.path()), RAW_ID), "the raw ID is in the hub's files");

            // The visit ends: nothing of the citizen stays on screen.
            k.tap("done", 0).expect("done");
            assert_eq!(k.screen(), Screen::Home);
            assert_eq!(confirmation_adapter::citizen(k.ui()), (String::new(), String::new()));
            assert_eq!(k.ui().global::<IdentifyAdapter>().get_name().as_str(), "");
        }
    }
    assert_logs_clean();
}

#[test]
fn the_cards_qr_through_the_scanner_identifies_and_suggests_priority_by_age() {
    let r = rig(service(source(|_, _| None), true), 1080, 1920);
    let k = &r.kiosk;
    // Outside the identify step a CCCD QR is dropped.
    k.scan(QR_ELDER).expect("scan");
    assert_eq!(k.screen(), Screen::Home);
    to_identify(k);
    k.tap("qr", 0).expect("qr");
    assert_eq!(stage(k), "wait-qr");
    shot(k, "kiosk-portrait-vi-identify-5-wait-qr");
    // A dossier receipt is not a CCCD: say so, stay on the step.
    k.scan("000.00.12.H62-201105-0004").expect("scan receipt");
    assert_eq!((k.screen(), stage(k), error(k).as_str()), (Screen::Identify, "failed", "not-cccd-qr"));
    shot(k, "kiosk-portrait-vi-identify-6-not-cccd");
    k.tap("retry", 0).expect("retry");
    assert_eq!(stage(k), "wait-qr");
    k.scan(QR_ELDER).expect("scan");
    assert_eq!(stage(k), "done");
    let a = k.ui().global::<IdentifyAdapter>();
    assert_eq!(a.get_masked_id().as_str(), "079******234");
    assert_eq!(a.get_verification().as_str(), "qr-only");
    k.tap("accept", 0).expect("continue");
    assert_eq!(k.screen(), Screen::Priority);
    let classes: Vec<_> = k.ui().global::<PriorityAdapter>().get_classes().iter().collect();
    let suggested: Vec<&str> = classes.iter().filter(|c| c.suggested).map(|c| c.id.as_str()).collect();
    assert_eq!(suggested, ["nguoi-cao-tuoi"]);
    shot(k, "kiosk-portrait-vi-identify-7-priority-suggested");
    // She takes the suggestion: the hub gets the birth year (age-based class), not the ID.
    k.tap("class", 0).expect("elderly");
    assert_eq!(k.screen(), Screen::Confirmation);
    let conn = rusqlite::Connection::open(r.dir.path().join("hub.db")).expect("db");
    let (year, v): (Option<i64>, String) = conn
        .query_row("SELECT birth_year, verification FROM ticket_citizens", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("row");
    assert_eq!((year, v.as_str()), (Some(1956), "qr_only"));
    assert!(!contains(&file_bytes(r.dir.path()), "079056001234"));

    // The officer's counter screen: the called ticket shows name, masked ID and the status.
    let mut screen = CounterScreen::new(LocalHub::new(r.hub.clone(), "counter-screen-1"), 1);
    let signed = screen.handle(CounterCommand::SignIn { officer_id: "cb01".into(), pin: "0000".into() });
    assert_eq!(signed.officer.as_deref(), Some("cb01"), "{:?}", signed.notice);
    let view = screen.handle(CounterCommand::CallNext);
    let current = view.current.as_ref().expect("a ticket is called");
    let shown = current.citizen.as_ref().expect("the citizen is on the counter screen");
    assert_eq!((shown.name.as_str(), shown.masked_id.as_str(), shown.qr_only), ("Trần Thị Bảy", "079******234", true));
    render_png(
        &view,
        &Typed { time: "09:15".into(), ..Typed::default() },
        &screens_dir().join("counter-3b-identified.png"),
    )
    .expect("render the counter screen");
    assert_logs_clean();
}

#[test]
fn declining_the_suggestion_and_skipping_send_nothing_about_the_citizen() {
    let r = rig(service(source(|_, _| None), true), 1080, 1920);
    let k = &r.kiosk;
    to_identify(k);
    k.tap("skip", 0).expect("skip");
    assert_eq!(k.screen(), Screen::Priority);
    k.tap("none", 0).expect("none");
    assert_eq!(k.screen(), Screen::Confirmation);
    assert_eq!(confirmation_adapter::citizen(k.ui()), (String::new(), String::new()));
    let conn = rusqlite::Connection::open(r.dir.path().join("hub.db")).expect("db");
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM ticket_citizens", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 0);
}

#[test]
fn a_card_pulled_mid_read_asks_to_keep_it_there_and_the_retry_reads_it() {
    // First tap: the card leaves after the 3rd READ BINARY. Second tap: it stays.
    let factory = source(|attempt, handle| {
        let mut chip = SimCccdChip::sample();
        if attempt > 0 {
            return Some(chip.into_responder());
        }
        let (h, reads) = (handle.clone(), AtomicU32::new(0));
        Some(Box::new(move |apdu: &[u8]| {
            let r = chip.respond(apdu);
            // Protected READ BINARY: CLA 0C, INS B0.
            if apdu.get(..2) == Some(&[0x0C, 0xB0]) && reads.fetch_add(1, Ordering::SeqCst) == 2 {
                h.remove_card();
            }
            r
        }))
    });
    let r = rig(service(factory, true), 1080, 1920);
    let k = &r.kiosk;
    to_identify(k);
    k.tap("chip", 0).expect("chip");
    type_can(k, "012345");
    k.tap("submit", 0).expect("read");
    assert_eq!((stage(k), error(k).as_str()), ("failed", "card-removed"));
    shot(k, "kiosk-portrait-vi-identify-8-card-removed");
    k.tap("retry", 0).expect("retry");
    assert_eq!(stage(k), "done", "error {:?}", error(k));
    assert_eq!(k.ui().global::<IdentifyAdapter>().get_masked_id().as_str(), MASKED);
    assert_logs_clean();
}

#[test]
fn altered_chip_data_or_a_clone_is_not_used_and_says_why() {
    for chip in [
        // One byte of DG13 changed after signing.
        SimCccdChip::sample().with_altered_byte(DataGroup::Dg13.fid(), 40),
        // A clone: the data is the genuine signed data, but the chip lacks DG14's private key.
        SimCccdChip::sample().with_misbehaviour(Misbehaviour { clone_without_ca_key: true, ..Misbehaviour::default() }),
    ] {
        let chip = Mutex::new(Some(chip));
        let factory = source(move |_, _| chip.lock().ok()?.take().map(SimCccdChip::into_responder));
        let r = rig(service(factory, true), 1080, 1920);
        let k = &r.kiosk;
        to_identify(k);
        k.tap("chip", 0).expect("chip");
        type_can(k, "012345");
        k.tap("submit", 0).expect("read");
        assert_eq!((stage(k), error(k).as_str()), ("failed", "altered"));
        assert_eq!(k.ui().global::<IdentifyAdapter>().get_name().as_str(), "");
        shot(k, "kiosk-portrait-vi-identify-9-altered");
        // Going on without: the ticket carries no citizen.
        k.tap("skip", 0).expect("skip");
        k.tap("none", 0).expect("none");
        assert_eq!(confirmation_adapter::citizen(k.ui()), (String::new(), String::new()));
    }
    assert_logs_clean();
}

#[test]
fn a_wrong_can_is_refused_and_an_unknown_issuer_is_stated_honestly() {
    let r = rig(service(source(|_, _| Some(SimCccdChip::sample().into_responder())), false), 1080, 1920);
    let k = &r.kiosk;
    to_identify(k);
    k.tap("chip", 0).expect("chip");
    type_can(k, "999999");
    k.tap("submit", 0).expect("read");
    assert_eq!((stage(k), error(k).as_str()), ("failed", "access-refused"));
    // "Thử lại" after a refused CAN asks for the digits again.
    k.tap("retry", 0).expect("retry");
    assert_eq!(stage(k), "enter-can");
    assert_eq!(k.ui().global::<IdentifyAdapter>().get_can_len(), 0);
    type_can(k, "012345");
    k.tap("submit", 0).expect("read");
    assert_eq!(stage(k), "done", "error {:?}", error(k));
    // No CSCA in the trust list: consistent, not verified.
    assert_eq!(k.ui().global::<IdentifyAdapter>().get_verification().as_str(), "chip-consistent");
    shot(k, "kiosk-portrait-vi-identify-10-not-verified");
}

#[test]
fn pace_refused_falls_back_to_bac_with_the_keys_from_the_cards_qr() {
    let refusing =
        || SimCccdChip::sample().with_misbehaviour(Misbehaviour { refuse_pace: true, ..Misbehaviour::default() });
    let r = rig(service(source(move |_, _| Some(refusing().into_responder())), true), 1080, 1920);
    let k = &r.kiosk;
    to_identify(k);
    k.tap("chip", 0).expect("chip");
    // Typed CAN only: PACE refused and no BAC key.
    type_can(k, "012345");
    k.tap("submit", 0).expect("read");
    assert_eq!((stage(k), error(k).as_str()), ("failed", "access-refused"));
    k.tap("retry", 0).expect("retry");
    assert_eq!(stage(k), "enter-can");
    // Scanning the card's QR instead gives the BAC key (birth date and the derived expiry).
    k.scan(QR).expect("scan");
    assert_eq!(stage(k), "done", "error {:?}", error(k));
    let a = k.ui().global::<IdentifyAdapter>();
    assert_eq!((a.get_masked_id().as_str(), a.get_verification().as_str()), (MASKED, "verified"));
    let l = logs().lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(contains(&l, "BacAfterPaceFailed"), "the log says which access method was used");
    assert_logs_clean();
}

#[test]
fn a_forged_qr_with_the_right_id_but_another_person_does_not_match_the_chip() {
    let r = rig(service(source(|_, _| Some(SimCccdChip::sample().into_responder())), true), 1080, 1920);
    let k = &r.kiosk;
    to_identify(k);
    k.tap("chip", 0).expect("chip");
    // The ID (and so the CAN) is the chip's; the name and the birth date are someone else's.
    let forged = "001099012345|123456789|Lê Thị Bích|20071985|Nữ|Số 1, Phường P, Quận Q, Thành phố H|15032021";
    k.scan(forged).expect("scan");
    assert_eq!((stage(k), error(k).as_str()), ("failed", "altered"), "the chip opened, but it is not this QR's card");
    assert!(k.ui().global::<IdentifyAdapter>().get_masked_id().is_empty(), "nothing of the read is shown");
    let l = logs().lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(contains(&l, "disagree"), "the log says the sources disagree");
    assert!(!contains(&l, "Lê Thị Bích") && !contains(&l, "LE THI BICH"), "the log names fields, not values");
    assert_logs_clean();
}

#[test]
fn the_face_image_is_never_read() {
    let selected = Arc::new(Mutex::new(Vec::<u8>::new()));
    let seen = Arc::clone(&selected);
    let factory = source(move |_, _| {
        let mut chip = SimCccdChip::sample();
        let seen = Arc::clone(&seen);
        Some(Box::new(move |apdu: &[u8]| {
            // The instruction byte stays in clear under secure messaging.
            if let Ok(mut s) = seen.lock() {
                s.push(apdu.get(1).copied().unwrap_or(0));
            }
            chip.respond(apdu)
        }))
    });
    let r = rig(service(factory, true), 1080, 1920);
    let k = &r.kiosk;
    to_identify(k);
    k.tap("chip", 0).expect("chip");
    type_can(k, "012345");
    k.tap("submit", 0).expect("read");
    assert_eq!(stage(k), "done");
    // The session reads 4 files (DG1, DG13, DG14, SOD) and authenticates the chip: the number
    // of SELECTs (INS A4) is the applet plus 4 files plus EF.COM for chip authentication. A DG2
    // read would add one more.
    let n_select = selected.lock().map(|v| v.iter().filter(|i| **i == 0xA4).count()).unwrap_or(0);
    assert_eq!(n_select, 6, "SELECTs: applet, DG1, DG13, DG14, SOD, EF.COM (no DG2)");
}

#[test]
fn the_idle_timeout_on_the_result_wipes_the_citizen_and_a_new_visit_starts_blank() {
    let r = rig(service(source(|_, _| None), true), 1080, 1920);
    let k = &r.kiosk;
    to_identify(k);
    k.scan(QR).expect("scan");
    assert_eq!(stage(k), "done");
    assert_eq!(k.ui().global::<IdentifyAdapter>().get_name().as_str(), NAME);
    // The citizen walks away: the idle timer (60 s) takes the kiosk home.
    k.advance(Duration::from_secs(61)).expect("idle");
    assert_eq!(k.screen(), Screen::Home);
    let a = k.ui().global::<IdentifyAdapter>();
    assert_eq!((a.get_name().as_str(), a.get_masked_id().as_str()), ("", ""));
    // The next citizen starts at the choice, with nobody identified.
    to_identify(k);
    k.tap("skip", 0).expect("skip");
    k.tap("none", 0).expect("none");
    assert_eq!(confirmation_adapter::citizen(k.ui()), (String::new(), String::new()));
    let conn = rusqlite::Connection::open(r.dir.path().join("hub.db")).expect("db");
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM ticket_citizens", [], |r| r.get(0)).expect("count");
    assert_eq!(n, 0, "the first citizen's identification did not carry over");
}
