//! A receipt scanned on the kiosk's serial scanner (the simulated scanner on a pty, opened by
//! path from `[scanner]` exactly like a real one) reaches the lookup screen and shows the status.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motcua_kiosk_app::config::ScannerSection;
use motcua_scanner::sim::SerialScannerTwin;

#[test]
fn a_scanned_receipt_is_delivered_and_routed_to_the_lookup() {
    let mut twin = SerialScannerTwin::new().expect("pty");
    let cfg = ScannerSection { kind: "serial".into(), device: twin.pty_path().to_owned(), baud: 9600 };
    let scanner = motcua_kiosk_app::scanning::open(&cfg).expect("a scanner");
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&got);
    motcua_kiosk_app::scanning::spawn(scanner, move |text| sink.lock().map(|mut v| v.push(text)).is_ok())
        .expect("thread");
    let (code, secret) = motcua_kiosk_app::headless::SAMPLE_DOSSIER;
    // Half a scan first (the receipt moved away): it must never be delivered.
    twin.half_scan(&format!("{code}|{secret}"), 10).expect("half");
    std::thread::sleep(Duration::from_millis(400));
    twin.scan(&format!("https://dichvucong.example.gov.vn/tra-cuu?ma={code}&k={secret}")).expect("scan");
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.lock().map(|v| v.is_empty()).unwrap_or(true) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let texts = got.lock().map(|v| v.clone()).unwrap_or_default();
    assert_eq!(texts.len(), 1, "{texts:?}");
    match motcua_scanner::classify(&texts[0]) {
        motcua_scanner::Payload::Receipt { code: c, secret: s } => {
            assert_eq!(c.as_str(), code);
            assert_eq!(s.as_deref(), Some(secret));
        }
        other => panic!("not a receipt: {other:?}"),
    }
}
