//! The HID scanner driver against the simulated keyboard-wedge scanner: the twin writes raw
//! `input_event` records (kernel layout, with EV_MSC and EV_SYN) into a socketpair, and the
//! real evdev transport reads them and the HID core decodes them. Time is virtual.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_device::scanner::CodeScanner;
use motcua_scanner::proto::InputEvent;
use motcua_scanner::proto::hid::codes::*;
use motcua_scanner::sim::HidTwin;
use motcua_scanner::{Config, DriverConfig, EvdevTransport, Event, HidScanner, ManualClock, ScanError, Terminator};

type Slot = Arc<Mutex<Option<EvdevTransport>>>;
type Connector = Box<dyn FnMut() -> io::Result<EvdevTransport> + Send>;
type Driver = HidScanner<Connector, ManualClock>;

struct Rig {
    driver: Driver,
    twin: HidTwin,
    clock: ManualClock,
    slot: Slot,
}

fn rig(scanner: Config) -> Rig {
    let (twin, transport) = HidTwin::pair().expect("socketpair");
    let slot: Slot = Arc::new(Mutex::new(Some(transport)));
    let taken = slot.clone();
    let connector: Connector = Box::new(move || {
        taken
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .take()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    });
    let clock = ManualClock::new();
    let config = DriverConfig {
        read_timeout: Duration::from_millis(3),
        backoff_min_ms: 100,
        backoff_max_ms: 400,
        name: "Simulated HID scanner".into(),
    };
    let driver = HidScanner::hid(connector, clock.clone(), scanner, config);
    Rig { driver, twin, clock, slot }
}

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
    events.iter().filter_map(|e| if let Event::Code(c) = e { Some(c.text.clone()) } else { None }).collect()
}

fn rejections(events: &[Event]) -> Vec<ScanError> {
    events.iter().filter_map(|e| if let Event::Rejected(r) = e { Some(r.clone()) } else { None }).collect()
}

const CODE: &str = "000.00.12.H62-201105-0004";
const URL: &str = "https://dichvucong.example.gov.vn/tra-cuu?ma=000.00.12.H62-261103-0001&k=104729";

#[test]
fn typed_code_and_url_arrive_through_the_socket_and_the_grab_is_reported_skipped() {
    let mut r = rig(Config { repeat_window_ms: 0, ..Config::default() });
    r.twin.scan(CODE).expect("scan");
    r.twin.scan(URL).expect("scan url");
    let (ev, errors) = pump(&mut r, 5, 10);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(codes(&ev), [CODE, URL]);
    assert_eq!(r.driver.health().grabbed, Some(false), "a socket is not an event device: not grabbed");
}

#[test]
fn vietnamese_arrives_through_alt_numpad_codes() {
    let mut r = rig(Config::default());
    let cccd = "001099012345||Nguyễn Thị Hồng Nhung|15031999|Nữ|Số 1, Phường Đông Ngạc, Hà Nội|15032021";
    r.twin.scan(cccd).expect("scan");
    // About 20 kB of records: several reads.
    let (ev, _) = pump(&mut r, 20, 10);
    assert_eq!(codes(&ev), [cccd]);
}

#[test]
fn caps_lock_on_still_gives_the_right_case() {
    let mut r = rig(Config::default());
    r.twin.set_caps_lock(true).expect("caps");
    r.twin.scan("Ab-9.h62").expect("scan");
    let (ev, _) = pump(&mut r, 5, 10);
    assert_eq!(codes(&ev), ["Ab-9.h62"]);
}

#[test]
fn half_scan_is_rejected_after_the_inter_key_timeout() {
    let mut r = rig(Config { inter_char_timeout_ms: 150, ..Config::default() });
    r.twin.type_text("000.00.12.H6").expect("half");
    let (ev, _) = pump(&mut r, 30, 10);
    assert_eq!(rejections(&ev), [ScanError::HalfScan { len: 12 }]);
    assert!(codes(&ev).is_empty());
    r.twin.scan(CODE).expect("rescan");
    let (ev, _) = pump(&mut r, 3, 10);
    assert_eq!(codes(&ev), [CODE]);
}

#[test]
fn unknown_keys_garbage_records_and_key_repeats() {
    let mut r = rig(Config { repeat_window_ms: 0, ..Config::default() });
    r.twin.type_text("AB").expect("type");
    r.twin.tap(KEY_F1 + 3).expect("F4");
    r.twin.tap(KEY_ENTER).expect("enter");
    // Noise records: a mouse movement (ignored), a key repeat (ignored), a nonsense value.
    r.twin
        .send_records(&[
            InputEvent::new(EV_REL, 0, 5),
            InputEvent::new(EV_KEY, KEY_A, 1),
            InputEvent::new(EV_KEY, KEY_A, 2),
            InputEvent::new(EV_KEY, KEY_A, 2),
            InputEvent::new(EV_KEY, KEY_A, 0),
            InputEvent::new(EV_KEY, KEY_ENTER, 1),
            InputEvent::new(EV_KEY, KEY_ENTER, 0),
        ])
        .expect("records");
    r.twin.scan(CODE).expect("scan");
    let (ev, _) = pump(&mut r, 5, 10);
    assert_eq!(rejections(&ev), [ScanError::UnknownKey { code: KEY_F1 + 3 }]);
    assert_eq!(codes(&ev), ["a", CODE]);
    assert_eq!(r.driver.health().scans.ignored_events, 3);
}

#[test]
fn fast_repeat_within_the_window_is_one_scan() {
    let mut r = rig(Config { repeat_window_ms: 1_500, ..Config::default() });
    r.twin.scan(CODE).expect("1");
    pump(&mut r, 1, 700);
    r.twin.scan(CODE).expect("2");
    pump(&mut r, 1, 700);
    r.twin.scan(CODE).expect("3");
    let (ev, _) = pump(&mut r, 1, 2_000);
    r.twin.scan(CODE).expect("4");
    let (ev2, _) = pump(&mut r, 2, 10);
    assert!(ev.is_empty());
    assert_eq!(codes(&ev2), [CODE]);
    assert_eq!(r.driver.health().scans.codes, 2);
    assert_eq!(r.driver.health().scans.repeats_suppressed, 2);
}

#[test]
fn yanked_device_mid_scan_is_lost_once_with_a_half_scan_then_replugged() {
    let mut r = rig(Config::default());
    // Shift held when the cable goes: it must not stick after the replug.
    r.twin.key(KEY_LEFTSHIFT, 1).expect("shift");
    r.twin.type_text("000.00").expect("half");
    pump(&mut r, 1, 10);
    r.twin.yank();
    let (ev, errors) = pump(&mut r, 5, 10);
    assert!(errors.first().is_some_and(|e| e.starts_with("Lost")), "{errors:?}");
    assert!(errors.iter().skip(1).all(|e| e == "Disconnected"), "{errors:?}");
    assert_eq!(rejections(&ev), [ScanError::HalfScan { len: 6 }]);
    let transport = r.twin.replug().expect("replug");
    *r.slot.lock().expect("slot") = Some(transport);
    pump(&mut r, 20, 10);
    r.twin.scan("abc").expect("scan");
    let (ev, _) = pump(&mut r, 3, 10);
    assert_eq!(codes(&ev), ["abc"]);
    assert_eq!(r.driver.health().opens, 2);
}

#[test]
fn split_records_across_writes_decode_the_same() {
    let mut r = rig(Config::default());
    let mut bytes = Vec::new();
    for (code, value) in [(KEY_A, 1), (KEY_A, 0), (KEY_ENTER, 1), (KEY_ENTER, 0)] {
        bytes.extend_from_slice(&InputEvent::new(EV_KEY, code, value).to_bytes());
    }
    let (a, b) = bytes.split_at(37);
    r.twin.send_raw(a).expect("first half");
    pump(&mut r, 1, 1);
    r.twin.send_raw(b).expect("second half");
    let (ev, _) = pump(&mut r, 2, 1);
    assert_eq!(codes(&ev), ["a"]);
}

#[test]
fn tab_terminator_and_seam() {
    let mut r = rig(Config { terminator: Terminator::Tab, ..Config::default() });
    r.twin.set_terminator(Terminator::Tab);
    r.twin.scan(CODE).expect("scan");
    let mut got = None;
    for _ in 0..5 {
        if let Ok(Some(c)) = r.driver.poll_code() {
            got = Some(c.text);
        }
        r.clock.advance(10);
    }
    assert_eq!(got.as_deref(), Some(CODE));
}
