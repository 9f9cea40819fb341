//! The whole take-a-number flow with nothing faked but the hardware: the headless kiosk (real
//! Slint UI, software renderer), the real hub embedded in-process (SQLite, outbox), and the
//! simulated printer. A tap on a field must leave a ticket in the hub's database with its
//! outbox event, a print job at the printer seam, and the number on the confirmation screen.

use std::sync::{Arc, Mutex};

use motcua_device::sim::SimPrinter;
use motcua_device::ticket::PaperWidth;
use motcua_hub::{Config, Hub, SystemClock};
use motcua_kiosk_app::backend::{KioskContext, KioskSettings};
use motcua_kiosk_app::controllers::Screen;
use motcua_kiosk_app::headless::HeadlessKiosk;
use motcua_kiosk_app::hubclient::LocalHub;
use motcua_kiosk_app::ui::ConfirmationAdapter;
use slint::ComponentHandle;

#[test]
fn tapping_a_field_stores_the_ticket_with_its_outbox_event_prints_it_and_shows_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let hub = Hub::open(Config::sample(), &db, Arc::new(SystemClock)).expect("hub");
    let printer = SimPrinter::new(PaperWidth::Mm80);
    let printed = printer.handle();
    let settings = KioskSettings { offer_priority: false, ..KioskSettings::default() };
    let ctx = KioskContext {
        hub: Arc::new(LocalHub::new(hub.clone(), "kiosk-e2e")),
        printer: Arc::new(Mutex::new(printer)),
        settings,
        lookup: None,
    };
    let kiosk = HeadlessKiosk::start(ctx).expect("kiosk");
    kiosk.tap("take-number", 0).expect("tap take-number");
    assert_eq!(kiosk.screen(), Screen::Picker);
    kiosk.tap("field", 0).expect("tap the first field (Hộ tịch – Chứng thực)");
    assert_eq!(kiosk.screen(), Screen::Confirmation);

    // The screen shows the number the hub allocated.
    let shown = kiosk.ui().global::<ConfirmationAdapter>().get_number().to_string();
    assert_eq!(shown, "A001");

    // The hub's database holds exactly that ticket, issued by this kiosk ...
    let conn = rusqlite::Connection::open(&db).expect("db");
    let (id, number, field, by): (String, String, String, String) = conn
        .query_row("SELECT id, number, field_id, issued_by FROM tickets", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .expect("one ticket row");
    assert_eq!((number.as_str(), field.as_str(), by.as_str()), ("A001", "ho-tich", "kiosk-e2e"));
    // ... and its one outbox event, written in the same transaction.
    let events: Vec<(String, String)> = conn
        .prepare("SELECT kind, device_id FROM outbox WHERE json_extract(payload, '$.ticket.id') = ?1")
        .expect("q")
        .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("q")
        .collect::<Result<_, _>>()
        .expect("rows");
    // Reserved while printing, issued once the printer confirmed the ticket.
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["ticket_reserved", "ticket_issued"]);
    assert!(events.iter().all(|(_, d)| d == "kiosk-e2e"));

    // The printer seam received the ticket.
    let jobs = printed.jobs();
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].doc.texts().any(|t| t == "A001"));
    assert!(jobs[0].doc.texts().any(|t| t.contains(&id)), "the QR/ticket id is on the ticket");
}

#[test]
fn the_escpos_driver_on_the_virtual_printer_confirms_the_ticket() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = Hub::open(Config::sample(), &dir.path().join("hub.db"), Arc::new(SystemClock)).expect("hub");
    let printer =
        motcua_kiosk_app::printcmd::kiosk_printer("escpos-sim", "", "generic-80", PaperWidth::Mm80).expect("printer");
    let ctx = KioskContext {
        hub: Arc::new(LocalHub::new(hub, "kiosk-e2e")),
        printer,
        settings: KioskSettings { offer_priority: false, ..KioskSettings::default() },
        lookup: None,
    };
    let kiosk = HeadlessKiosk::start(ctx).expect("kiosk");
    kiosk.tap("take-number", 0).expect("tap take-number");
    kiosk.tap("field", 1).expect("tap Đất đai");
    assert_eq!(kiosk.screen(), Screen::Confirmation);
    let conf = kiosk.ui().global::<ConfirmationAdapter>();
    assert_eq!(conf.get_number(), "B001");
    assert!(conf.get_printed(), "the ESC/POS job was confirmed by the (virtual) printer");
}

#[test]
fn an_unplugged_printer_does_not_stop_the_kiosk_and_the_number_is_shown() {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = Hub::open(Config::sample(), &dir.path().join("hub.db"), Arc::new(SystemClock)).expect("hub");
    let missing = dir.path().join("no-printer-here");
    let printer =
        motcua_kiosk_app::printcmd::kiosk_printer("escpos", &missing.to_string_lossy(), "generic-80", PaperWidth::Mm80)
            .expect("the kiosk starts without its printer");
    let ctx = KioskContext {
        hub: Arc::new(LocalHub::new(hub, "kiosk-e2e")),
        printer,
        settings: KioskSettings { offer_priority: false, ..KioskSettings::default() },
        lookup: None,
    };
    let kiosk = HeadlessKiosk::start(ctx).expect("kiosk");
    kiosk.tap("take-number", 0).expect("tap take-number");
    kiosk.tap("field", 0).expect("tap a field");
    let conf = kiosk.ui().global::<ConfirmationAdapter>();
    assert_eq!(conf.get_number(), "A001", "the number is still given, on screen");
    assert!(!conf.get_printed());
}

/// Paper out, cover open or a cutter error in the middle of the job: the ticket is not counted
/// as issued, the kiosk shows the number on screen, and the number stays valid in the queue.
#[test]
fn a_print_failing_mid_job_is_not_counted_as_issued_and_the_number_is_shown() {
    use motcua_device::printer::PaperLevel;
    use motcua_escpos::virtual_printer::{SimState, VirtualPrinter};
    let faults = [
        ("paper out", SimState { paper: PaperLevel::Out, ..SimState::default() }),
        ("cover open", SimState { cover_open: true, ..SimState::default() }),
        ("cutter error", SimState { cutter_error: true, ..SimState::default() }),
    ];
    for (what, fault) in faults {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("hub.db");
        let hub = Hub::open(Config::sample(), &db, Arc::new(SystemClock)).expect("hub");
        let profile = motcua_escpos::Profile::by_name("generic-80").expect("profile");
        let mut device = motcua_escpos::sim::VirtualEscposDevice::new(VirtualPrinter::new(profile.clone()));
        device.fault_after(300, fault);
        let printer = motcua_escpos::EscposPrinter::new(device, profile);
        let ctx = KioskContext {
            hub: Arc::new(LocalHub::new(hub.clone(), "kiosk-e2e")),
            printer: Arc::new(Mutex::new(printer)),
            settings: KioskSettings { offer_priority: false, ..KioskSettings::default() },
            lookup: None,
        };
        let kiosk = HeadlessKiosk::start(ctx).expect("kiosk");
        kiosk.tap("take-number", 0).expect("tap take-number");
        kiosk.tap("field", 0).expect("tap a field");
        assert_eq!(kiosk.screen(), Screen::Confirmation, "{what}");
        let conf = kiosk.ui().global::<ConfirmationAdapter>();
        assert_eq!(conf.get_number(), "A001", "{what}: the number is shown on screen");
        assert!(!conf.get_printed(), "{what}");

        let conn = rusqlite::Connection::open(&db).expect("db");
        let kinds: Vec<String> = conn
            .prepare("SELECT kind FROM outbox WHERE kind LIKE 'ticket_%' ORDER BY seq")
            .expect("q")
            .query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(kinds, ["ticket_reserved", "ticket_print_failed"], "{what}: not counted as issued");
        let waiting: Vec<String> = hub.snapshot().waiting.into_iter().map(|t| t.number).collect();
        assert_eq!(waiting, ["A001"], "{what}: the citizen's number stays valid");
    }
}
