//! `motcua doctor` against a fake sysfs/procfs tree: discovery finds what a Raspberry Pi kiosk
//! has plugged in, configured devices are matched, a missing one fails the run with advice.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use motcua_kiosk_app::config::KioskConfig;
use motcua_kiosk_app::doctor::{self, DoctorOptions, Status, UsbKind};

const BIN: &str = env!("CARGO_BIN_EXE_motcua");

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

fn usb_device(root: &Path, name: &str, vendor: &str, product: &str, class: &str, strings: (&str, &str)) {
    let d = root.join("sys/bus/usb/devices").join(name);
    write(&d.join("idVendor"), &format!("{vendor}\n"));
    write(&d.join("idProduct"), &format!("{product}\n"));
    write(&d.join("bDeviceClass"), &format!("{class}\n"));
    if !strings.0.is_empty() {
        write(&d.join("manufacturer"), &format!("{}\n", strings.0));
    }
    if !strings.1.is_empty() {
        write(&d.join("product"), &format!("{}\n", strings.1));
    }
}

fn usb_interface(root: &Path, name: &str, class: &str) {
    write(&root.join("sys/bus/usb/devices").join(name).join("bInterfaceClass"), &format!("{class}\n"));
}

/// A class device (tty, video4linux) whose `device` link points into a USB interface, as sysfs
/// does.
fn class_device(root: &Path, class: &str, name: &str, interface: &str) {
    let d = root.join("sys/class").join(class).join(name);
    fs::create_dir_all(&d).expect("mkdir");
    symlink(format!("../../../devices/platform/scb/usb1/1-1/{interface}"), d.join("device")).expect("symlink");
}

/// What a Raspberry Pi kiosk with its devices looks like to sysfs and procfs.
fn fake_pi(root: &Path) {
    usb_device(root, "usb1", "1d6b", "0002", "09", ("Linux", "xHCI Host Controller"));
    usb_interface(root, "1-0:1.0", "09");
    usb_device(root, "1-1", "2109", "3431", "09", ("", "USB2.0 Hub"));
    usb_interface(root, "1-1:1.0", "09");
    // An ESC/POS printer (usblp): device class 00, printer interface.
    usb_device(root, "1-1.1", "0416", "5011", "00", ("Winbond", "POS58 Printer"));
    usb_interface(root, "1-1.1:1.0", "07");
    // The rating keypad: an RP2040 with CDC-ACM (misc device class EF).
    usb_device(root, "1-1.2", "2e8a", "000a", "ef", ("Raspberry Pi", "Pico"));
    usb_interface(root, "1-1.2:1.0", "02");
    usb_interface(root, "1-1.2:1.1", "0a");
    class_device(root, "tty", "ttyACM0", "1-1.2:1.0");
    // A keyboard-wedge scanner.
    usb_device(root, "1-1.3", "05e0", "1200", "00", ("Symbol", "Bar Code Scanner"));
    usb_interface(root, "1-1.3:1.0", "03");
    // A UVC webcam with a microphone.
    usb_device(root, "1-1.4", "046d", "0825", "ef", ("", "Webcam C270"));
    usb_interface(root, "1-1.4:1.0", "0e");
    usb_interface(root, "1-1.4:1.1", "0e");
    usb_interface(root, "1-1.4:1.2", "01");
    class_device(root, "video4linux", "video0", "1-1.4:1.0");
    write(&root.join("sys/class/video4linux/video0/name"), "UVC Camera (046d:0825)\n");
    // A CCID card reader.
    usb_device(root, "1-1.5", "072f", "b100", "00", ("", "ACR39U ICC Reader"));
    usb_interface(root, "1-1.5:1.0", "0b");
    // The Pi's own serial console: not a USB serial port.
    fs::create_dir_all(root.join("sys/class/tty/ttyAMA0")).expect("mkdir");
    write(
        &root.join("proc/asound/cards"),
        " 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n                      bcm2835 Headphones\n 2 [U0x46d0x825    ]: USB-Audio - USB Device 0x46d:0x825\n                      USB Device 0x46d:0x825 at usb-xhci-hcd.0-1.4, high speed\n",
    );
    write(
        &root.join("proc/asound/pcm"),
        "00-00: bcm2835 Headphones : bcm2835 Headphones : playback 8\n02-00: USB Audio : USB Audio : capture 1\n",
    );
}

fn opts(root: &Path) -> DoctorOptions {
    DoctorOptions { root: Some(root.to_path_buf()), ..DoctorOptions::default() }
}

#[test]
fn discovery_reads_usb_serial_video_and_alsa_from_sysfs() {
    let tmp = tempfile::tempdir().expect("tmp");
    fake_pi(tmp.path());
    let inv = doctor::discover(tmp.path());

    let names: Vec<&str> = inv.usb.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["1-1", "1-1.1", "1-1.2", "1-1.3", "1-1.4", "1-1.5"], "root hub usb1 left out");
    let dev = |n: &str| inv.usb_device(n).expect(n);
    assert_eq!(dev("1-1.1").kinds, [UsbKind::Printer]);
    assert_eq!(dev("1-1.1").id(), "0416:5011");
    assert_eq!(dev("1-1.1").label(), "0416:5011 \"Winbond POS58 Printer\"");
    assert_eq!(dev("1-1.2").kinds, [UsbKind::CdcAcm], "CDC comm + data are one kind; class EF says nothing");
    assert_eq!(dev("1-1.3").kinds, [UsbKind::Hid]);
    assert_eq!(dev("1-1.4").kinds, [UsbKind::Video, UsbKind::Audio]);
    assert_eq!(dev("1-1.5").kinds, [UsbKind::SmartCard]);
    assert_eq!(dev("1-1").kinds, [UsbKind::Hub]);

    assert_eq!(inv.serial.len(), 1, "ttyAMA0 is not a USB serial port: {:?}", inv.serial);
    assert_eq!(inv.serial[0].name, "ttyACM0");
    assert_eq!(inv.serial[0].usb.as_deref(), Some("1-1.2"));
    assert_eq!(inv.video.len(), 1);
    assert_eq!(inv.video[0].card, "UVC Camera (046d:0825)");
    assert_eq!(inv.video[0].usb.as_deref(), Some("1-1.4"));

    assert_eq!(inv.sound.len(), 2);
    assert_eq!((inv.sound[0].index, inv.sound[0].id.as_str()), (0, "Headphones"));
    assert!(inv.sound[0].playback && !inv.sound[0].capture);
    assert_eq!(inv.sound[1].name, "USB Device 0x46d:0x825");
    assert!(inv.sound[1].capture && !inv.sound[1].playback);
    assert!(!inv.pcscd);
}

#[test]
fn a_card_reader_without_pcscd_is_flagged_with_the_fix_and_never_panics() {
    let tmp = tempfile::tempdir().expect("tmp");
    fake_pi(tmp.path());
    let checks = doctor::run_checks(&opts(tmp.path()));
    let reader = checks.iter().find(|c| c.what.contains("PC/SC")).expect("reader line");
    assert_eq!(reader.status, Status::Warning);
    assert!(reader.detail.contains("pcscd không chạy / pcscd is not running"), "{}", reader.detail);
    assert!(reader.advice.contains("systemctl enable --now pcscd"), "{}", reader.advice);
    // Information and warnings do not fail the run.
    assert_eq!(doctor::render(&checks).1, 0);

    write(&tmp.path().join("run/pcscd/pcscd.comm"), "");
    let checks = doctor::run_checks(&opts(tmp.path()));
    let reader = checks.iter().find(|c| c.what.contains("PC/SC")).expect("reader line");
    assert_eq!(reader.status, Status::Info);
    assert!(reader.detail.contains("ACR39U"), "{}", reader.detail);
}

fn kiosk_config(printer_device: &Path, scanner_device: &Path) -> KioskConfig {
    let text = motcua_kiosk_app::config::SAMPLE
        .replace("kind = \"escpos-sim\"", "kind = \"escpos\"")
        .replace("device = \"/dev/motcua/printer\"", &format!("device = \"{}\"", printer_device.display()))
        .replace("kind = \"none\"\n# e.g.", "kind = \"serial\"\n# e.g.")
        .replace("device = \"\"\nbaud", &format!("device = \"{}\"\nbaud", scanner_device.display()));
    let cfg = KioskConfig::from_toml(&text).expect("config");
    assert_eq!((cfg.printer.kind.as_str(), cfg.scanner.kind.as_str()), ("escpos", "serial"));
    cfg
}

#[test]
fn a_configured_printer_that_is_missing_fails_and_says_what_to_do() {
    let tmp = tempfile::tempdir().expect("tmp");
    fake_pi(tmp.path());
    let scanner = tmp.path().join("dev/motcua/scanner");
    write(&scanner, "");
    let printer = tmp.path().join("dev/motcua/printer");
    let cfg = kiosk_config(&printer, &scanner);

    let checks = doctor::run_checks(&DoctorOptions { kiosk_config: Some(cfg.clone()), ..opts(tmp.path()) });
    let p = checks.iter().find(|c| c.what.starts_with("Máy in phiếu")).expect("printer line");
    assert_eq!(p.status, Status::Failed);
    // A USB printer is plugged in but has no stable name: point at the udev rule and its ids.
    assert!(p.detail.contains("0416:5011"), "{}", p.detail);
    assert!(p.advice.contains("60-motcua.rules") && p.advice.contains("udevadm trigger"), "{}", p.advice);
    let s = checks.iter().find(|c| c.what.starts_with("Máy quét")).expect("scanner line");
    assert_eq!(s.status, Status::Ok, "{}", s.detail);

    let (text, code) = doctor::render(&checks);
    assert_eq!(code, 1);
    assert!(text.contains("Cần làm / What to do:"), "{text}");
    assert!(text.contains("1 thiết bị không hoạt động / 1 device(s) not working: Máy in phiếu"), "{text}");

    // No USB printer at all: replug it.
    fs::remove_dir_all(tmp.path().join("sys/bus/usb/devices/1-1.1")).expect("rm");
    let checks = doctor::run_checks(&DoctorOptions { kiosk_config: Some(cfg), ..opts(tmp.path()) });
    let p = checks.iter().find(|c| c.what.starts_with("Máy in phiếu")).expect("printer line");
    assert_eq!(p.status, Status::Failed);
    assert!(p.advice.starts_with("Cắm lại cáp USB của máy in"), "{}", p.advice);
}

#[test]
fn a_missing_scanner_and_keypad_fail_and_the_keypad_is_found_under_its_kernel_name() {
    let tmp = tempfile::tempdir().expect("tmp");
    fake_pi(tmp.path());
    let printer = tmp.path().join("dev/motcua/printer");
    let cfg = kiosk_config(&printer, &tmp.path().join("dev/motcua/scanner"));
    let keypad = tmp.path().join("dev/motcua/keypad").display().to_string();
    let checks =
        doctor::run_checks(&DoctorOptions { kiosk_config: Some(cfg), keypad: Some(keypad), ..opts(tmp.path()) });
    let s = checks.iter().find(|c| c.what.starts_with("Máy quét")).expect("scanner line");
    assert_eq!(s.status, Status::Failed);
    assert!(s.advice.starts_with("Cắm lại cáp USB của máy quét mã"), "{}", s.advice);
    let k = checks.iter().find(|c| c.what.starts_with("Bàn phím")).expect("keypad line");
    assert_eq!(k.status, Status::Failed);
    assert!(k.detail.contains("/dev/ttyACM0"), "{}", k.detail);
    assert_eq!(doctor::render(&checks).1, 1);
}

#[test]
fn a_tcp_printer_that_does_not_answer_fails() {
    let tmp = tempfile::tempdir().expect("tmp");
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let text = motcua_kiosk_app::config::SAMPLE
        .replace("kind = \"escpos-sim\"", "kind = \"escpos\"")
        .replace("device = \"/dev/motcua/printer\"", &format!("device = \"tcp://127.0.0.1:{port}\""));
    let cfg = KioskConfig::from_toml(&text).expect("config");
    let checks = doctor::run_checks(&DoctorOptions { kiosk_config: Some(cfg), ..opts(tmp.path()) });
    let p = checks.iter().find(|c| c.what.starts_with("Máy in phiếu")).expect("printer line");
    assert_eq!(p.status, Status::Failed, "{}", p.detail);
}

#[test]
fn alsa_parsing_ignores_garbage() {
    let cards = doctor::parse_alsa("--- no soundcards ---\n x [broken\n", "garbage\n99-00: x : y : playback 1\n");
    assert!(cards.is_empty());
}

#[test]
fn simulated_devices_all_work_and_an_unplugged_one_fails_with_advice() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .args(["doctor", "--simulate", "--sys-root"])
            .arg(tmp.path())
            .args(extra)
            .env_remove("MOTCUA_KIOSK_CONFIG")
            .env("MOTCUA_LOG", "warn")
            .output()
            .expect("run")
    };
    let out = run(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for family in ["Máy in phiếu", "Đầu đọc thẻ CCCD", "Máy quét mã", "Bàn phím", "Camera quầy", "Micro", "Loa"]
    {
        let line = text.lines().find(|l| l.contains(family)).unwrap_or_else(|| panic!("{family} missing: {text}"));
        assert!(line.starts_with("[ OK ]"), "{line}");
    }
    assert!(text.contains("Mọi thiết bị đã cấu hình đều hoạt động"), "{text}");

    let out = run(&["--unplug", "printer"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text.lines().find(|l| l.contains("Máy in phiếu")).expect("printer line");
    assert!(line.starts_with("[ LỖI ]"), "{line}");
    assert!(text.contains("- Máy in phiếu / Ticket printer: Cắm lại cáp USB của máy in"), "{text}");
    assert!(text.contains("not working: Máy in phiếu / Ticket printer"), "{text}");
}

#[test]
fn a_configured_pcsc_reader_without_pcscd_says_so_with_the_fix() {
    let tmp = tempfile::tempdir().expect("tmp");
    fake_pi(tmp.path());
    let mut cfg = KioskConfig::from_toml(motcua_kiosk_app::config::SAMPLE).expect("config");
    cfg.id_card.kind = "pcsc".into();
    let checks = doctor::run_checks(&DoctorOptions { kiosk_config: Some(cfg), ..opts(tmp.path()) });
    let r = checks.iter().find(|c| c.what.starts_with("Đầu đọc thẻ CCCD")).expect("reader line");
    assert_eq!(r.status, Status::Failed);
    assert!(r.detail.contains("pcscd không chạy / pcscd is not running"), "{}", r.detail);
    assert!(r.advice.contains("sudo systemctl enable --now pcscd.socket"), "{}", r.advice);
    assert_eq!(doctor::render(&checks).1, 1);
}

/// The keypad self-test speaks the real protocol: the simulated keypad on a pseudo-terminal
/// answers the handshake; a port whose keypad stays silent is a clear failure.
#[test]
fn the_keypad_check_pings_through_the_protocol() {
    use motcua_keypad::SystemClock;
    use motcua_keypad::sim::KeypadTwin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    for silent in [false, true] {
        let (mut twin, end) = KeypadTwin::pair(SystemClock::new(), 7).expect("pty pair");
        twin.set_silent(silent);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_twin = Arc::clone(&stop);
        let keypad = std::thread::spawn(move || {
            while !stop_twin.load(Ordering::Relaxed) {
                let _ = twin.poll();
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let mut end = Some(end);
        let connector = move || end.take().ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound));
        let r = motcua_kiosk_app::doctor::keypad_ping(connector, std::time::Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
        keypad.join().expect("keypad thread");
        if silent {
            let e = r.expect_err("a silent keypad fails the check");
            assert!(e.contains("không trả lời") || e.contains("does not answer"), "{e}");
        } else {
            let ok = r.expect("the simulated keypad answers");
            assert!(ok.contains("handshake"), "{ok}");
        }
    }
}

/// The scan test waits for one code and says its kind and length, never its content; with no
/// scan it fails with what to do.
#[test]
fn the_scan_test_reports_the_kind_of_code_without_its_content() {
    use motcua_device::sim::SimCodeScanner;
    let mut scanner = SimCodeScanner::new();
    let cccd = "001099012345|123456789|Nguyễn Văn A|15031999|Nam|Số 1, Phường P, Quận Q, Thành phố H|15032021";
    scanner.handle().scan(cccd);
    let ok = doctor::scan_test(&mut scanner, std::time::Duration::from_secs(2)).expect("a code was scanned");
    assert!(ok.contains("CCCD QR"), "{ok}");
    assert!(!ok.contains("Nguyễn") && !ok.contains("001099012345"), "no personal data in the report: {ok}");
    scanner.handle().scan("000.00.12.H62-201105-0004|104729");
    let ok = doctor::scan_test(&mut scanner, std::time::Duration::from_secs(2)).expect("a receipt");
    assert!(ok.contains("dossier receipt"), "{ok}");
    let err = doctor::scan_test(&mut scanner, std::time::Duration::from_millis(200)).expect_err("nothing scanned");
    assert!(err.1.contains("no code within"), "{}", err.1);
    assert!(!err.2.is_empty(), "says what to do");
}

#[test]
fn microphone_levels_are_measured_in_dbfs() {
    let tone: Vec<u8> = (0..16_000)
        .flat_map(|i| {
            let s = (f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / 16_000.0).sin() * 16_384.0;
            (s as i16).to_le_bytes()
        })
        .collect();
    let db = doctor::level_dbfs(&tone);
    assert!((db - (-9.0)).abs() < 0.5, "a half-scale sine is about -9 dBFS, got {db}");
    assert_eq!(doctor::level_dbfs(&[0u8; 3200]), -120.0);
    assert_eq!(doctor::level_dbfs(&[]), -120.0);
}
