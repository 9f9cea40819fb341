//! The admin screen, driven like office IT staff would: five quick taps on the home screen's
//! corner, the PIN, device status, a printer test, the lockout after wrong PINs, and the idle
//! return home. Also: a citizen tapping the corner a few times, or a kiosk without an admin PIN,
//! never gets anywhere.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_device::printer::PaperLevel;
use motcua_device::sim::{SimPrinter, SimPrinterHandle};
use motcua_device::ticket::PaperWidth;
use motcua_hub::{Config, Hub, SystemClock};
use motcua_kiosk_app::backend::{KioskContext, KioskSettings};
use motcua_kiosk_app::controllers::Screen;
use motcua_kiosk_app::controllers::admin::ADMIN_ID;
use motcua_kiosk_app::headless::HeadlessKiosk;
use motcua_kiosk_app::hubclient::LocalHub;
use motcua_kiosk_app::ui::{AdminAdapter, AdminStage};
use slint::{ComponentHandle, Model};

const PIN: &str = "246810";

fn kiosk(pin: Option<&str>, width: u32, height: u32) -> (HeadlessKiosk, SimPrinterHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let hub = Hub::open(Config::sample(), &dir.path().join("hub.db"), Arc::new(SystemClock)).expect("hub");
    let printer = SimPrinter::new(PaperWidth::Mm80);
    let handle = printer.handle();
    let settings = KioskSettings {
        width,
        height,
        admin_pin_sha256: pin.map(|p| motcua_hub::config::pin_hash(ADMIN_ID, p)),
        ..KioskSettings::default()
    };
    let ctx = KioskContext {
        hub: Arc::new(LocalHub::new(hub, "kiosk-admin-test")),
        printer: Arc::new(Mutex::new(printer)),
        settings,
        lookup: None,
    };
    (HeadlessKiosk::start(ctx).expect("kiosk"), handle, dir)
}

fn corner_taps(k: &HeadlessKiosk, n: usize) {
    for _ in 0..n {
        k.tap("admin-corner", 0).expect("tap the corner");
    }
}

fn type_pin(k: &HeadlessKiosk, pin: &str) {
    for c in pin.chars() {
        let d = c.to_digit(10).expect("digit") as usize;
        k.tap("key", d).expect("tap a PIN key");
    }
    k.tap("submit", 0).expect("tap Mở");
}

fn admin(k: &HeadlessKiosk) -> AdminAdapter<'_> {
    k.ui().global::<AdminAdapter>()
}

fn status_lines(k: &HeadlessKiosk) -> Vec<String> {
    admin(k).get_status_lines().iter().map(|s| s.to_string()).collect()
}

fn save(k: &HeadlessKiosk, name: &str) {
    let dir = std::env::temp_dir().join("kiosk-shots");
    std::fs::create_dir_all(&dir).expect("shots dir");
    k.render().save(&dir.join(format!("{name}.png"))).expect("screenshot");
}

#[test]
fn the_right_pin_opens_status_and_the_printer_test() {
    let (k, printer, _dir) = kiosk(Some(PIN), 1080, 1920);
    assert_eq!(k.screen(), Screen::Home);
    // A citizen's few taps on the corner do nothing.
    corner_taps(&k, 4);
    assert_eq!(k.screen(), Screen::Home);
    corner_taps(&k, 1);
    assert_eq!(k.screen(), Screen::Admin);
    assert_eq!(admin(&k).get_stage(), AdminStage::Pin);
    assert!(k.layout_fits(), "the PIN pad fits the portrait window");
    for d in 0..10 {
        let r = k.locate("key", d).expect("every PIN key is on screen");
        assert!(r.height >= 110.0, "PIN key {d} is {} px tall", r.height);
    }
    type_pin(&k, &PIN[..3]);
    assert_eq!(admin(&k).get_pin_masked().chars().count(), 0, "a wrong PIN is cleared");
    assert!(admin(&k).get_message().contains("Còn 2 lần thử"), "{}", admin(&k).get_message());
    for c in PIN.chars() {
        k.tap("key", c.to_digit(10).expect("digit") as usize).expect("key");
    }
    assert_eq!(admin(&k).get_pin_masked().to_string(), "●".repeat(PIN.len()), "the PIN shows as dots only");
    save(&k, "admin-portrait-1-pin");
    k.tap("submit", 0).expect("submit");
    k.settle().expect("settle");
    assert_eq!(admin(&k).get_stage(), AdminStage::Menu);
    let lines = status_lines(&k);
    assert!(lines.iter().any(|l| l.starts_with("Máy in / Printer") && l.contains("sẵn sàng")), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("Queue hub") && l.contains("kết nối tốt")), "{lines:?}");

    let before = printer.jobs().len();
    // A person taps what was drawn: show the menu's frame first (Slint updates which page takes
    // touches when it renders).
    save(&k, "admin-portrait-2-menu");
    k.tap("print-test", 0).expect("print test");
    assert_eq!(printer.jobs().len(), before + 1, "one test ticket printed");
    assert!(admin(&k).get_message().contains("Đã in phiếu thử"));
    assert!(!admin(&k).get_message_error());
    assert!(k.layout_fits(), "the admin menu fits the portrait window");
    save(&k, "admin-portrait-3-tested");

    // Paper out: the test fails and the status says why.
    printer.set_paper(PaperLevel::Out);
    k.tap("print-test", 0).expect("print test");
    k.settle().expect("settle");
    assert!(admin(&k).get_message_error(), "a failed test print is shown as an error");
    assert!(status_lines(&k).iter().any(|l| l.contains("hết giấy")), "{:?}", status_lines(&k));

    k.tap("close", 0).expect("close");
    assert_eq!(k.screen(), Screen::Home);
    assert_eq!(admin(&k).get_stage(), AdminStage::Pin, "closing locks the admin screen again");
    assert!(status_lines(&k).is_empty());
}

#[test]
fn wrong_pins_lock_the_pad_and_idle_returns_home() {
    let (k, _printer, _dir) = kiosk(Some(PIN), 1920, 1080);
    corner_taps(&k, 5);
    assert_eq!(k.screen(), Screen::Admin);
    assert!(k.layout_fits(), "the PIN pad fits the landscape window");
    type_pin(&k, "1111");
    type_pin(&k, "2222");
    type_pin(&k, "3333");
    assert!(admin(&k).get_locked());
    assert!(admin(&k).get_message().contains("60 giây"), "{}", admin(&k).get_message());
    // Locked: even the right PIN is refused.
    type_pin(&k, PIN);
    assert_eq!(admin(&k).get_stage(), AdminStage::Pin);
    save(&k, "admin-landscape-locked");
    // Left alone, the kiosk goes home by itself.
    k.advance(Duration::from_secs(61)).expect("idle");
    assert_eq!(k.screen(), Screen::Home);
}

#[test]
fn without_an_admin_pin_the_pad_says_so_and_opens_nothing() {
    let (k, _printer, _dir) = kiosk(None, 1080, 1920);
    corner_taps(&k, 5);
    assert_eq!(k.screen(), Screen::Admin);
    assert!(admin(&k).get_message().contains("Chưa cấu hình"), "{}", admin(&k).get_message());
    type_pin(&k, "0000");
    assert_eq!(admin(&k).get_stage(), AdminStage::Pin);
    k.tap("close", 0).expect("close");
    assert_eq!(k.screen(), Screen::Home);
}
