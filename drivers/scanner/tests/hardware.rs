//! Real-scanner tests (feature `hardware-tests`). Each waits up to 30 s for one scan of a
//! receipt QR and checks it classifies as a receipt. Devices come from the environment:
//! `MOTCUA_SCANNER_SERIAL=/dev/serial/by-id/...` (optional `MOTCUA_SCANNER_BAUD`, default
//! 9600) and `MOTCUA_SCANNER_EVDEV=/dev/input/by-id/...-event-kbd`; a test whose variable is
//! unset passes without doing anything. Scanner set to CR terminator, no prefix/suffix.

use std::time::{Duration, Instant};

use motcua_scanner::payload::Payload;
use motcua_scanner::{Config, DriverConfig, Event, HidScanner, SerialConfig, SerialScanner, classify};

fn wait_for_code(mut poll: impl FnMut() -> Option<Event>) -> String {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        match poll() {
            Some(Event::Code(c)) => return c.text,
            Some(Event::Rejected(r)) => eprintln!("rejected: {r}"),
            None => {}
        }
    }
    panic!("no scan within 30 s");
}

#[test]
fn serial_scanner_reads_a_receipt() {
    let Ok(path) = std::env::var("MOTCUA_SCANNER_SERIAL") else { return };
    let mut port = SerialConfig::new(path);
    if let Some(baud) = std::env::var("MOTCUA_SCANNER_BAUD").ok().and_then(|b| b.parse().ok()) {
        port.baud_rate = baud;
    }
    let mut d = SerialScanner::open_serial(port, Config::default(), DriverConfig::default());
    eprintln!("scan a receipt QR now");
    let text = wait_for_code(|| d.poll().ok().flatten());
    assert!(matches!(classify(&text), Payload::Receipt { .. }), "{:?}", classify(&text));
}

#[test]
fn hid_scanner_is_grabbed_and_reads_a_receipt() {
    let Ok(path) = std::env::var("MOTCUA_SCANNER_EVDEV") else { return };
    let mut d = HidScanner::open_evdev(path, Config::default(), DriverConfig::default());
    eprintln!("scan a receipt QR now");
    let text = wait_for_code(|| d.poll().ok().flatten());
    assert_eq!(d.health().grabbed, Some(true));
    assert!(matches!(classify(&text), Payload::Receipt { .. }), "{:?}", classify(&text));
}
