//! The kiosk UI driven like a citizen would: simulated taps on the headless platform (software
//! renderer, no display), a fake hub that records its calls, and the real simulated printer.
//! Screens are written to /tmp/kiosk-shots/ for people to look at.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_device::printer::PaperLevel;
use motcua_device::sim::{SimPrinter, SimPrinterHandle};
use motcua_device::ticket::PaperWidth;
use motcua_hub::api::{
    Catalog, Delivery, FieldInfo, IssueRequest, OfficeInfo, PriorityClassInfo, Ticket, TicketStatus, WaitRange,
};
use motcua_kiosk_app::backend::{BackendError, HubClient, KioskContext, KioskSettings};
use motcua_kiosk_app::controllers::{Lang, Screen};
use motcua_kiosk_app::headless::{HeadlessKiosk, Screenshot};
use motcua_kiosk_app::ui::{ConfirmationAdapter, HomeAdapter};
use slint::ComponentHandle;

/// A hub that answers from a fixed catalog and records every ticket request.
#[derive(Default)]
struct FakeHub {
    issued: Mutex<Vec<IssueRequest>>,
    catalog_calls: Mutex<u32>,
    fail: AtomicBool,
    /// When set, `issue` waits for a message on it first (a slow hub).
    gate: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
    /// The last ticket issued (what `confirm` answers with).
    last: Mutex<Option<Ticket>>,
}

fn field(id: &str, letter: &str, vi: &str, en: &str, counters: Vec<u32>, waiting: u32) -> FieldInfo {
    FieldInfo {
        id: id.into(),
        letter: letter.into(),
        name_vi: vi.into(),
        name_en: en.into(),
        counters_open: counters.len() as u32,
        counters,
        waiting,
    }
}

fn class(id: &str, vi: &str, en: &str) -> PriorityClassInfo {
    PriorityClassInfo { id: id.into(), name_vi: vi.into(), name_en: en.into(), min_age: None }
}

fn catalog() -> Catalog {
    Catalog {
        office: OfficeInfo {
            id: "000.00.12.H62".into(),
            name_vi: "UBND phường Bến Nghé — Bộ phận tiếp nhận và trả kết quả".into(),
            name_en: "Ben Nghe Ward People's Committee — One-stop section".into(),
        },
        fields: vec![
            field("ho-tich", "A", "Hộ tịch – Chứng thực", "Civil status – Certification", vec![1, 2], 7),
            field("dat-dai", "B", "Đất đai – Xây dựng", "Land – Construction", vec![3], 1),
            field(
                "lao-dong",
                "C",
                "Lao động – Thương binh và Xã hội",
                "Labour – Invalids and Social affairs",
                vec![2],
                0,
            ),
            field("kinh-doanh", "D", "Đăng ký kinh doanh", "Business registration", vec![3], 12),
        ],
        priority_classes: vec![
            class("nguoi-cao-tuoi", "Người cao tuổi", "Elderly person"),
            class("nguoi-khuyet-tat", "Người khuyết tật", "Person with disability"),
            class("phu-nu-co-thai", "Phụ nữ có thai", "Pregnant woman"),
            class("tre-em-duoi-6-tuoi", "Người đi cùng trẻ em dưới 6 tuổi", "With a child under 6"),
            class("nguoi-co-cong", "Người có công với cách mạng", "Person with meritorious service"),
        ],
        rating: Default::default(),
    }
}

impl HubClient for FakeHub {
    fn catalog(&self) -> Result<Catalog, BackendError> {
        *self.catalog_calls.lock().map_err(|_| BackendError::Internal("poisoned".into()))? += 1;
        Ok(catalog())
    }

    fn issue(&self, req: &IssueRequest) -> Result<Ticket, BackendError> {
        let gate = self.gate.lock().map_err(|_| BackendError::Internal("poisoned".into()))?.take();
        if let Some(gate) = gate {
            let _ = gate.recv_timeout(Duration::from_secs(10));
        }
        if self.fail.load(Ordering::SeqCst) {
            return Err(BackendError::Unreachable("connection refused".into()));
        }
        let mut issued = self.issued.lock().map_err(|_| BackendError::Internal("poisoned".into()))?;
        issued.push(req.clone());
        let f = catalog()
            .fields
            .into_iter()
            .find(|f| f.id == req.field_id)
            .ok_or_else(|| BackendError::Refused { code: "unknown_field".into(), message: req.field_id.clone() })?;
        let n = issued.iter().filter(|r| r.field_id == req.field_id).count();
        let t = Ticket {
            id: format!("0192a4c2-7f00-7000-8000-{n:012}"),
            number: format!("{}{n:03}", f.letter),
            field_id: f.id.clone(),
            field_name_vi: f.name_vi.clone(),
            field_name_en: f.name_en.clone(),
            priority_class: req.priority_class.clone(),
            status: TicketStatus::Waiting,
            service_day: "2026-11-23".into(),
            issued_at: "2026-11-23T08:46:05+07:00".into(),
            people_ahead: f.waiting,
            // An honest estimate only for the busy field; the others have too little data.
            wait: (f.letter == "A").then_some(WaitRange { min_minutes: 10, max_minutes: 20 }),
            counters: f.counters.clone(),
            counter: None,
            dossier_code: None,
            session_id: None,
            citizen: None,
        };
        *self.last.lock().map_err(|_| BackendError::Internal("poisoned".into()))? = Some(t.clone());
        Ok(t)
    }

    fn confirm(&self, ticket_id: &str, _delivery: Delivery) -> Result<Ticket, BackendError> {
        let t = self.last.lock().map_err(|_| BackendError::Internal("poisoned".into()))?.clone();
        t.filter(|t| t.id == ticket_id)
            .ok_or_else(|| BackendError::Refused { code: "unknown_ticket".into(), message: ticket_id.into() })
    }
}

struct Rig {
    hub: Arc<FakeHub>,
    printer: SimPrinterHandle,
    ctx: KioskContext,
}

fn rig(width: u32, height: u32, offer_priority: bool) -> Rig {
    let hub = Arc::new(FakeHub::default());
    let printer = SimPrinter::new(PaperWidth::Mm80);
    let handle = printer.handle();
    let settings = KioskSettings { width, height, offer_priority, ..KioskSettings::default() };
    let cache = motcua_kiosk_app::lookup::DossierCache::in_memory().expect("cache");
    let lookup = Some(Arc::new(motcua_kiosk_app::lookup::Lookup::new(Box::new(SeededDossiers), cache)));
    let ctx = KioskContext { hub: hub.clone(), printer: Arc::new(Mutex::new(printer)), settings, lookup };
    Rig { hub, printer: handle, ctx }
}

/// The reference central's seeded dossiers, answered in-process.
struct SeededDossiers;

impl motcua_kiosk_app::lookup::DossierSource for SeededDossiers {
    fn fetch(&self, code: &str, secret: &str) -> Result<serde_json::Value, motcua_kiosk_app::lookup::LookupError> {
        motcua_central::CentralServer::seeded_dossiers()
            .into_iter()
            .find(|d| d.code == code && d.secret == secret)
            .map(|d| d.doc)
            .ok_or(motcua_kiosk_app::lookup::LookupError::NotFound)
    }
}

const PORTRAIT: (u32, u32) = (1080, 1920);
const LANDSCAPE: (u32, u32) = (1920, 1080);

fn shots_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("kiosk-shots");
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    dir
}

fn shot(kiosk: &HeadlessKiosk, name: &str) -> Screenshot {
    let s = kiosk.render();
    s.save(&shots_dir().join(format!("{name}.png"))).expect("write screenshot");
    s
}

fn differing_pixels(a: &Screenshot, b: &Screenshot) -> usize {
    assert_eq!((a.width, a.height), (b.width, b.height));
    a.rgb.chunks(3).zip(b.rgb.chunks(3)).filter(|(x, y)| x != y).count()
}

fn issued(hub: &FakeHub) -> Vec<IssueRequest> {
    hub.issued.lock().expect("lock").clone()
}

fn number(kiosk: &HeadlessKiosk) -> String {
    kiosk.ui().global::<ConfirmationAdapter>().get_number().to_string()
}

/// Every tappable element of the current screen lies inside the window, and the layout fits.
fn assert_on_screen(kiosk: &HeadlessKiosk, ids: &[(&str, usize)], what: &str) {
    let size = kiosk.window().size();
    assert!(kiosk.layout_fits(), "{what}: the layout needs more room than the window");
    for &(id, index) in ids {
        let r = kiosk.locate(id, index).unwrap_or_else(|| panic!("{what}: {id} #{index} is not on screen"));
        assert!(
            r.x >= 0.0 && r.y >= 0.0 && r.x + r.width <= size.width as f32 && r.y + r.height <= size.height as f32,
            "{what}: {id} #{index} at {r:?} is outside the {}x{} window",
            size.width,
            size.height
        );
        assert!(r.height >= 110.0, "{what}: {id} #{index} is only {} px tall", r.height);
    }
}

#[test]
fn tapping_a_field_issues_one_ticket_prints_it_and_shows_the_number() {
    let rig = rig(PORTRAIT.0, PORTRAIT.1, true);
    let kiosk = HeadlessKiosk::start(rig.ctx.clone()).expect("kiosk");
    assert_eq!(kiosk.screen(), Screen::Home);
    let home = shot(&kiosk, "flow-portrait-vi-1-home");

    let catalog_calls = *rig.hub.catalog_calls.lock().expect("lock");
    kiosk.tap("take-number", 0).expect("tap take-number");
    assert_eq!(kiosk.screen(), Screen::Picker);
    assert_eq!(*rig.hub.catalog_calls.lock().expect("lock"), catalog_calls + 1, "waiting counts refreshed");
    kiosk.tap("field", 1).expect("tap the second field");
    assert_eq!(kiosk.screen(), Screen::Priority);
    assert!(issued(&rig.hub).is_empty(), "no ticket before the priority choice");
    kiosk.tap("class", 0).expect("tap the first priority class");
    assert_eq!(kiosk.screen(), Screen::Confirmation);

    let reqs = issued(&rig.hub);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].field_id, "dat-dai");
    assert_eq!(reqs[0].priority_class.as_deref(), Some("nguoi-cao-tuoi"));

    let jobs = rig.printer.jobs();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].doc.texts().any(|t| t == "B001"), "{:?}", jobs[0].doc.texts().collect::<Vec<_>>());
    assert!(jobs[0].doc.texts().any(|t| t.contains("Đất đai – Xây dựng")));
    assert!(jobs[0].doc.texts().any(|t| t.contains("08:46 23/11/2026")));

    assert_eq!(number(&kiosk), "B001");
    let conf = kiosk.ui().global::<ConfirmationAdapter>();
    assert!(conf.get_printed());
    assert_eq!(conf.get_print_status(), "Vé đã được in. Vui lòng nhận vé.");
    assert_eq!(conf.get_priority_name(), "Người cao tuổi");
    assert!(!conf.get_has_wait(), "field B has no estimate");
    assert!(conf.get_has_ticket_image());
    let confirmation = shot(&kiosk, "flow-portrait-vi-4-confirmation");
    assert!(differing_pixels(&home, &confirmation) > 10_000);

    kiosk.tap("done", 0).expect("tap done");
    assert_eq!(kiosk.screen(), Screen::Home);
    assert_eq!(number(&kiosk), "");
    assert_eq!(rig.printer.jobs().len(), 1, "nothing printed twice");
}

#[test]
fn out_of_paper_still_shows_the_number_with_the_printer_failed_message() {
    let rig = rig(PORTRAIT.0, PORTRAIT.1, false);
    rig.printer.set_paper(PaperLevel::Out);
    let kiosk = HeadlessKiosk::start(rig.ctx.clone()).expect("kiosk");
    kiosk.tap("take-number", 0).expect("take-number");
    kiosk.tap("field", 0).expect("field");
    assert_eq!(kiosk.screen(), Screen::Confirmation, "no priority step when it is not offered");
    assert_eq!(issued(&rig.hub).len(), 1);
    assert!(rig.printer.jobs().is_empty());
    let conf = kiosk.ui().global::<ConfirmationAdapter>();
    assert_eq!(number(&kiosk), "A001");
    assert!(!conf.get_printed());
    assert_eq!(conf.get_print_status(), "Máy in gặp sự cố. Vui lòng ghi nhớ số thứ tự của bạn.");
    assert!(conf.get_has_wait());
    assert_eq!(conf.get_wait_range(), "10\u{2013}\u{2060}20");
    assert_eq!(conf.get_counters(), "1, 2");
    shot(&kiosk, "printer-failed-portrait-vi");
}

#[test]
fn switching_to_english_changes_the_visible_strings_and_the_catalog_names() {
    let rig = rig(PORTRAIT.0, PORTRAIT.1, true);
    let kiosk = HeadlessKiosk::start(rig.ctx.clone()).expect("kiosk");
    let home = kiosk.ui().global::<HomeAdapter>();
    assert_eq!(home.get_take_number_label(), "Lấy số thứ tự");
    let vi = kiosk.render();
    kiosk.tap("lang-en", 0).expect("tap English");
    assert_eq!(kiosk.language(), Lang::En);
    assert_eq!(home.get_take_number_label(), "Take a number");
    let en = shot(&kiosk, "lang-portrait-en-home");
    assert!(differing_pixels(&vi, &en) > 1_000);

    kiosk.tap("take-number", 0).expect("take-number");
    kiosk.tap("field", 0).expect("field");
    kiosk.tap("none", 0).expect("no priority");
    let conf = kiosk.ui().global::<ConfirmationAdapter>();
    assert_eq!(conf.get_field_name(), "Civil status – Certification");
    assert_eq!(conf.get_print_status(), "Your ticket has been printed. Please take it.");
    // The paper is Vietnamese first whatever the screen says.
    assert!(rig.printer.jobs()[0].doc.texts().any(|t| t.contains("Hộ tịch – Chứng thực")));
    shot(&kiosk, "lang-portrait-en-confirmation");

    kiosk.tap("done", 0).expect("done");
    assert_eq!(kiosk.language(), Lang::Vi, "the next citizen starts in the default language");
    assert_eq!(home.get_take_number_label(), "Lấy số thứ tự");
}

#[test]
fn idle_timeout_returns_home_in_the_default_language_and_clears_the_ticket() {
    let rig = rig(PORTRAIT.0, PORTRAIT.1, true);
    let idle = Duration::from_secs(rig.ctx.settings.idle_timeout_secs);
    let confirm = Duration::from_secs(rig.ctx.settings.confirmation_secs);
    let kiosk = HeadlessKiosk::start(rig.ctx.clone()).expect("kiosk");

    // On the picker, in English: a touch restarts the idle time.
    kiosk.tap("lang-en", 0).expect("English");
    kiosk.tap("take-number", 0).expect("take-number");
    kiosk.advance(idle - Duration::from_secs(5)).expect("advance");
    assert_eq!(kiosk.screen(), Screen::Picker);
    // Empty space just above the first field: no button there.
    let first = kiosk.locate("field", 0).expect("first field");
    kiosk.tap_at(first.x + first.width / 2.0, first.y - 12.0);
    kiosk.advance(idle - Duration::from_secs(5)).expect("advance");
    assert_eq!(kiosk.screen(), Screen::Picker, "the touch restarted the idle timer");
    kiosk.advance(Duration::from_secs(6)).expect("advance");
    assert_eq!(kiosk.screen(), Screen::Home);
    assert_eq!(kiosk.language(), Lang::Vi);

    // The confirmation goes away after its own, shorter time, and takes the ticket with it.
    kiosk.tap("take-number", 0).expect("take-number");
    kiosk.tap("field", 0).expect("field");
    kiosk.tap("none", 0).expect("none");
    assert_eq!(number(&kiosk), "A001");
    kiosk.advance(confirm - Duration::from_secs(1)).expect("advance");
    assert_eq!(kiosk.screen(), Screen::Confirmation);
    kiosk.advance(Duration::from_secs(2)).expect("advance");
    assert_eq!(kiosk.screen(), Screen::Home);
    let conf = kiosk.ui().global::<ConfirmationAdapter>();
    assert_eq!(conf.get_number(), "");
    assert_eq!(conf.get_field_name(), "");
    assert!(!conf.get_has_ticket_image());

    // Home in the default language has no idle timer to run.
    kiosk.advance(idle * 3).expect("advance");
    assert_eq!(kiosk.screen(), Screen::Home);
}

#[test]
fn hub_failure_shows_the_error_and_retry_takes_the_number() {
    let rig = rig(LANDSCAPE.0, LANDSCAPE.1, false);
    let kiosk = HeadlessKiosk::start(rig.ctx.clone()).expect("kiosk");
    kiosk.tap("take-number", 0).expect("take-number");
    rig.hub.fail.store(true, Ordering::SeqCst);
    kiosk.tap("field", 2).expect("field");
    assert_eq!(kiosk.screen(), Screen::Error);
    assert!(rig.printer.jobs().is_empty());
    assert_eq!(number(&kiosk), "");
    rig.hub.fail.store(false, Ordering::SeqCst);
    kiosk.tap("retry", 0).expect("retry");
    assert_eq!(kiosk.screen(), Screen::Confirmation);
    assert_eq!(number(&kiosk), "C001");
    assert_eq!(issued(&rig.hub).len(), 1);
}

#[test]
fn the_busy_overlay_swallows_taps_while_the_hub_is_slow() {
    let rig = rig(PORTRAIT.0, PORTRAIT.1, false);
    let (release, gate) = std::sync::mpsc::channel();
    *rig.hub.gate.lock().expect("lock") = Some(gate);
    let kiosk = HeadlessKiosk::start(rig.ctx.clone()).expect("kiosk");
    kiosk.tap("take-number", 0).expect("take-number");
    let field = kiosk.locate("field", 0).expect("field on screen");
    let back = kiosk.locate("back", 0).expect("back on screen");
    kiosk.tap_at(field.x + field.width / 2.0, field.y + field.height / 2.0);
    for _ in 0..100 {
        kiosk.pump();
        if kiosk.ui().global::<motcua_kiosk_app::ui::AppAdapter>().get_busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(kiosk.ui().global::<motcua_kiosk_app::ui::AppAdapter>().get_busy(), "busy overlay up");
    shot(&kiosk, "busy-portrait-vi");
    // Taps meanwhile reach nothing underneath.
    kiosk.tap_at(back.x + back.width / 2.0, back.y + back.height / 2.0);
    kiosk.tap_at(field.x + field.width / 2.0, field.y + field.height / 2.0);
    release.send(()).expect("release the hub");
    kiosk.settle().expect("settle");
    assert_eq!(kiosk.screen(), Screen::Confirmation);
    assert_eq!(issued(&rig.hub).len(), 1, "one ticket for one tap");
}

/// Every screen in both orientations: the layout fits and each button lies inside the window.
fn walk_every_screen(width: u32, height: u32, name: &str) {
    let rig = rig(width, height, true);
    let kiosk = HeadlessKiosk::start(rig.ctx.clone()).expect("kiosk");
    assert_on_screen(&kiosk, &[("take-number", 0), ("lookup", 0), ("lang-vi", 0), ("lang-en", 0)], "home");
    shot(&kiosk, &format!("{name}-1-home"));
    kiosk.tap("lookup", 0).expect("lookup");
    assert_eq!(kiosk.screen(), Screen::Lookup);
    let digits: Vec<(&str, usize)> =
        (0..10).map(|i| ("key", i)).chain([("backspace", 0), ("code", 0), ("secret", 0), ("back", 0)]).collect();
    assert_on_screen(&kiosk, &digits, "lookup (digits)");
    kiosk.type_on_keypad("0000012").expect("type");
    let letters: Vec<(&str, usize)> = (0..26).map(|i| ("key", i)).chain([("backspace", 0)]).collect();
    assert_on_screen(&kiosk, &letters, "lookup (letters)");
    shot(&kiosk, &format!("{name}-5-lookup"));
    let (code, secret) = motcua_kiosk_app::headless::SAMPLE_DOSSIER;
    kiosk.type_on_keypad(code.get(10..).unwrap_or_default()).expect("type the rest");
    kiosk.type_on_keypad(secret).expect("type the secret");
    assert_on_screen(&kiosk, &[("submit", 0)], "lookup (complete)");
    kiosk.tap("submit", 0).expect("submit");
    shot(&kiosk, &format!("{name}-5-lookup-result"));
    assert_on_screen(&kiosk, &[("print", 0), ("again", 0), ("back", 0)], "lookup result");
    kiosk.tap("back", 0).expect("back");
    assert_eq!(kiosk.screen(), Screen::Home);

    kiosk.tap("take-number", 0).expect("take-number");
    let fields: Vec<(&str, usize)> = (0..4).map(|i| ("field", i)).chain([("back", 0)]).collect();
    assert_on_screen(&kiosk, &fields, "picker");
    assert!(kiosk.locate("field", 4).is_none(), "only four fields");
    shot(&kiosk, &format!("{name}-2-picker"));
    kiosk.tap("field", 3).expect("field");
    let classes: Vec<(&str, usize)> =
        [("none", 0)].into_iter().chain((0..5).map(|i| ("class", i))).chain([("back", 0)]).collect();
    assert_on_screen(&kiosk, &classes, "priority");
    shot(&kiosk, &format!("{name}-3-priority"));
    kiosk.tap("back", 0).expect("back");
    assert_eq!(kiosk.screen(), Screen::Picker);
    kiosk.tap("field", 0).expect("field");
    kiosk.tap("class", 3).expect("class");
    assert_on_screen(&kiosk, &[("done", 0)], "confirmation");
    shot(&kiosk, &format!("{name}-4-confirmation"));
    kiosk.tap("done", 0).expect("done");

    rig.hub.fail.store(true, Ordering::SeqCst);
    kiosk.tap("take-number", 0).expect("take-number");
    kiosk.tap("field", 0).expect("field");
    kiosk.tap("none", 0).expect("none");
    assert_eq!(kiosk.screen(), Screen::Error);
    assert_on_screen(&kiosk, &[("retry", 0), ("home", 0)], "error");
    shot(&kiosk, &format!("{name}-6-error"));
    kiosk.tap("home", 0).expect("home");
    assert_eq!(kiosk.screen(), Screen::Home);
}

#[test]
fn every_screen_fits_a_portrait_window() {
    walk_every_screen(PORTRAIT.0, PORTRAIT.1, "portrait-vi");
}

#[test]
fn every_screen_fits_a_landscape_window() {
    walk_every_screen(LANDSCAPE.0, LANDSCAPE.1, "landscape-vi");
}

#[test]
fn run_headless_writes_every_screen_in_both_languages_and_orientations() {
    let rig = rig(PORTRAIT.0, PORTRAIT.1, true);
    let out = tempfile::tempdir().expect("tmp");
    let files = motcua_kiosk_app::headless::run_headless(rig.ctx.clone(), out.path()).expect("run_headless");
    assert_eq!(files.len(), 24, "{files:?}");
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", f.display());
    }
    assert!(files.iter().any(|f| f.ends_with("landscape-en-4-confirmation.png")));
    assert_eq!(issued(&rig.hub).len(), 4, "one real ticket per walk");
    assert_eq!(rig.printer.jobs().len(), 4);
}
