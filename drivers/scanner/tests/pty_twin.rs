//! The serial scanner driver against the simulated scanner through a real pty pair: the twin
//! writes bytes to the pty master, the driver opens the slave *by path* (through a link, as
//! with `/dev/serial/by-id/...`) with the real serial transport. Time is virtual.

use std::path::PathBuf;
use std::time::Duration;

use motcua_device::ErrorKind;
use motcua_device::scanner::{CodeScanner, ScannedCode};
use motcua_scanner::sim::{SerialScannerTwin, TwinFraming};
use motcua_scanner::{
    AimMode, Config, DriverConfig, Error, Event, ManualClock, ScanError, SerialConfig, SerialConnector, SerialScanner,
    Terminator,
};

type Driver = SerialScanner<SerialConnector, ManualClock>;

struct Rig {
    driver: Driver,
    twin: SerialScannerTwin,
    clock: ManualClock,
    _dir: tempfile::TempDir,
}

fn rig(scanner: Config) -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut twin = SerialScannerTwin::new().expect("pty pair");
    let link: PathBuf = twin.link_at(&dir.path().join("usb-Sim_Scanner-if00")).expect("link");
    let clock = ManualClock::new();
    let config = DriverConfig {
        read_timeout: Duration::from_millis(5),
        backoff_min_ms: 100,
        backoff_max_ms: 400,
        name: "Simulated serial scanner".into(),
    };
    let connector = SerialConnector::new(SerialConfig::new(link.to_string_lossy()));
    let driver = SerialScanner::serial(connector, clock.clone(), scanner, config);
    Rig { driver, twin, clock, _dir: dir }
}

/// Polls `steps` times, `step_ms` of virtual time apart; returns events and error kinds.
fn pump(r: &mut Rig, steps: usize, step_ms: u64) -> (Vec<Event>, Vec<String>) {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..steps {
        match r.driver.poll() {
            Ok(Some(e)) => events.push(e),
            Ok(None) => {}
            Err(e) => errors.push(format!("{e:?}")),
        }
        while let Some(e) = r.driver.try_event() {
            events.push(e);
        }
        r.clock.advance(step_ms);
    }
    (events, errors)
}

fn codes(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Code(c) => Some(c.text.clone()),
            Event::Rejected(_) => None,
        })
        .collect()
}

fn rejections(events: &[Event]) -> Vec<ScanError> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Rejected(r) => Some(r.clone()),
            Event::Code(_) => None,
        })
        .collect()
}

const CODE: &str = "000.00.12.H62-201105-0004";

/// Opens the port (first poll) so bytes written afterwards are read.
fn opened(scanner: Config) -> Rig {
    let mut r = rig(scanner);
    let (_, errors) = pump(&mut r, 1, 1);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(r.driver.is_open());
    r
}

#[test]
fn scan_through_the_pty_is_delivered_once_and_fast_repeats_are_one_scan() {
    let mut r = opened(Config::default());
    r.twin.scan(CODE).expect("scan");
    r.twin.scan(CODE).expect("repeat");
    let (ev, _) = pump(&mut r, 5, 10);
    r.twin.scan(CODE).expect("repeat at 50 ms");
    let (ev2, _) = pump(&mut r, 200, 10);
    r.twin.scan(CODE).expect("a new scan 2 s later");
    let (ev3, _) = pump(&mut r, 5, 10);
    assert_eq!(codes(&ev), [CODE]);
    assert!(ev2.is_empty(), "{ev2:?}");
    assert_eq!(codes(&ev3), [CODE]);
    assert_eq!(r.driver.health().scans.repeats_suppressed, 2);
    assert_eq!(r.driver.health().scans.codes, 2);
}

#[test]
fn half_scan_is_rejected_after_the_inter_character_timeout_and_never_delivered() {
    let mut r = opened(Config { inter_char_timeout_ms: 200, ..Config::default() });
    r.twin.half_scan(CODE, 13).expect("half");
    let (ev, _) = pump(&mut r, 30, 10);
    assert_eq!(rejections(&ev), [ScanError::HalfScan { len: 13 }]);
    assert!(codes(&ev).is_empty());
    r.twin.scan(CODE).expect("rescan");
    let (ev, _) = pump(&mut r, 3, 10);
    assert_eq!(codes(&ev), [CODE]);
}

#[test]
fn garbage_after_a_replug_is_rejected_and_the_next_scan_reads() {
    let mut r = opened(Config::default());
    r.twin.send_raw(&[0x00, 0xFF, 0xF0, 0x13, 0x11, b'\r']).expect("noise");
    r.twin.send_raw(b"AB\x1bC\r").expect("escape sequence");
    r.twin.scan(CODE).expect("scan");
    let (ev, _) = pump(&mut r, 3, 10);
    assert_eq!(
        rejections(&ev),
        [ScanError::InvalidUtf8 { valid_up_to: 1 }, ScanError::ControlChar { code: 0x1B, offset: 2 }]
    );
    assert_eq!(codes(&ev), [CODE]);
}

#[test]
fn prefix_suffix_aim_and_crlf_framing_with_vietnamese_text() {
    let scanner = Config {
        terminator: Terminator::CrLf,
        prefix: "\u{2}".into(),
        suffix: "\u{3}".into(),
        aim: AimMode::Require,
        ..Config::default()
    };
    let mut r = opened(scanner);
    r.twin.set_framing(TwinFraming {
        prefix: "\u{2}".into(),
        aim: "]Q1".into(),
        suffix: "\u{3}".into(),
        terminator: Terminator::CrLf,
    });
    let cccd = "001099012345||Nguyễn Văn A|15031999|Nam|Số 1, Phường P|15032021";
    r.twin.scan(cccd).expect("scan");
    let (ev, _) = pump(&mut r, 3, 10);
    assert_eq!(ev, [Event::Code(ScannedCode { text: cccd.into(), symbology: Some("QR".into()) })]);
}

#[test]
fn yanked_cable_mid_scan_gives_one_lost_error_a_half_scan_and_reconnects_through_the_link() {
    let mut r = opened(Config::default());
    r.twin.half_scan(CODE, 9).expect("half");
    let (ev, _) = pump(&mut r, 1, 10);
    assert!(ev.is_empty());
    r.twin.yank();
    let (ev, errors) = pump(&mut r, 5, 10);
    assert!(errors.first().is_some_and(|e| e.starts_with("Lost")), "{errors:?}");
    assert!(errors.iter().skip(1).all(|e| e == "Disconnected"), "{errors:?}");
    assert_eq!(rejections(&ev), [ScanError::HalfScan { len: 9 }]);
    assert!(!r.driver.health().open);
    // Still unplugged: reopen attempts fail with backoff, never panic.
    let (_, errors) = pump(&mut r, 50, 10);
    assert!(errors.iter().all(|e| e == "Disconnected"), "{errors:?}");
    r.twin.replug().expect("replug");
    let (_, _) = pump(&mut r, 60, 10);
    assert!(r.driver.is_open(), "reopened after the backoff");
    r.twin.scan(CODE).expect("scan after replug");
    let (ev, _) = pump(&mut r, 3, 10);
    assert_eq!(codes(&ev), [CODE]);
    let h = r.driver.health();
    assert_eq!(h.opens, 2);
    assert!(h.errors >= 2 && h.last_error.is_some());
}

#[test]
fn code_scanner_seam_reports_rejections_once_as_protocol_errors() {
    let mut r = opened(Config::default());
    r.twin.send_raw(b"\xff\r").expect("bad");
    r.twin.scan(CODE).expect("good");
    let mut results = Vec::new();
    for _ in 0..5 {
        match r.driver.poll_code() {
            Ok(Some(c)) => results.push(Ok(c.text)),
            Ok(None) => {}
            Err(e) => results.push(Err(e.kind())),
        }
    }
    assert_eq!(results, [Err(ErrorKind::Protocol), Ok(CODE.to_owned())]);
    assert_eq!(r.driver.info().family, motcua_device::DeviceFamily::CodeScanner);
}

#[test]
fn missing_device_is_disconnected_not_a_panic() {
    let clock = ManualClock::new();
    let connector = SerialConnector::new(SerialConfig::new("/nonexistent/motcua-scanner"));
    let mut d = SerialScanner::serial(connector, clock.clone(), Config::default(), DriverConfig::default());
    for _ in 0..3 {
        assert!(matches!(d.poll(), Err(Error::Disconnected)));
        clock.advance(10_000);
    }
    assert_eq!(d.health().errors, 3);
}
