//! The host driver against the simulated keypad twin through a real pty pair: the serial
//! transport, the host link and the twin's keypad-role link all run; time is virtual.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use motcua_device::ErrorKind;
use motcua_device::keypad::{Key, KeyPress, Keypad};
use motcua_keypad::sim::{Faults, KeypadTwin};
use motcua_keypad::{Config, KeypadDriver, ManualClock, SerialTransport};

/// Virtual milliseconds per pump step.
const STEP_MS: u64 = 20;

type Slot = Arc<Mutex<Option<SerialTransport>>>;
type Connector = Box<dyn FnMut() -> io::Result<SerialTransport> + Send>;
type Driver = KeypadDriver<Connector, ManualClock>;

fn config() -> Config {
    let mut c = Config::new(0x0A0B_0C0D);
    c.read_timeout = Duration::from_millis(1);
    c
}

/// A driver whose connector takes the transport out of `slot` (empty slot = port absent).
fn driver_on(slot: Slot, clock: &ManualClock) -> Driver {
    let connector: Connector = Box::new(move || {
        slot.lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .take()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    });
    KeypadDriver::new(connector, clock.clone(), config())
}

fn setup() -> (Driver, KeypadTwin<ManualClock>, ManualClock, Slot) {
    let clock = ManualClock::new();
    let (twin, end) = KeypadTwin::pair(clock.clone(), 1).expect("pty pair");
    let slot: Slot = Arc::new(Mutex::new(Some(end)));
    (driver_on(slot.clone(), &clock), twin, clock, slot)
}

/// Runs both sides for `steps` steps; returns the key presses the driver produced and the
/// kinds of the errors it reported.
fn pump(
    driver: &mut Driver,
    twin: &mut KeypadTwin<ManualClock>,
    clock: &ManualClock,
    steps: usize,
) -> (Vec<KeyPress>, Vec<ErrorKind>) {
    pump_by(driver, twin, clock, steps, STEP_MS)
}

/// [`pump`] with `step_ms` virtual milliseconds per step.
fn pump_by(
    driver: &mut Driver,
    twin: &mut KeypadTwin<ManualClock>,
    clock: &ManualClock,
    steps: usize,
    step_ms: u64,
) -> (Vec<KeyPress>, Vec<ErrorKind>) {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..steps {
        match Keypad::poll_key(driver) {
            Ok(Some(k)) => keys.push(k),
            Ok(None) => {}
            Err(e) => errors.push(e.kind()),
        }
        while let Some(k) = driver.try_key() {
            keys.push(k);
        }
        let _ = twin.poll();
        clock.advance(step_ms);
    }
    (keys, errors)
}

fn connected() -> (Driver, KeypadTwin<ManualClock>, ManualClock, Slot) {
    let (mut d, mut t, c, s) = setup();
    // Until both ends are up (a few steps; more if the machine is loaded).
    for _ in 0..100 {
        if d.is_connected() && t.is_connected() {
            break;
        }
        pump(&mut d, &mut t, &c, 1);
    }
    assert!(d.is_connected(), "driver connected: {:?}", d.health());
    assert!(t.is_connected(), "twin connected");
    (d, t, c, s)
}

#[test]
fn handshake_reports_peer_firmware_and_keys() {
    let (d, t, _c, _s) = connected();
    let h = d.health();
    let peer = h.peer.expect("peer hello");
    assert_eq!(peer.firmware_version, motcua_keypad::sim::TWIN_FIRMWARE);
    assert_eq!(peer.keys, 9);
    assert!(h.port_open && !h.peer_silent);
    assert_eq!(h.port_opens, 1);
    assert_eq!(t.host().map(|h| h.session), Some(0x0A0B_0C0D));
    assert!(Keypad::info(&d).name.contains("0.9.1"));
}

#[test]
fn key_press_maps_through_keymap() {
    let (mut d, mut t, c, _s) = connected();
    for id in [0, 4, 5, 6, 7, 8] {
        t.press(id).expect("press");
    }
    let (keys, errors) = pump(&mut d, &mut t, &c, 20);
    assert!(errors.is_empty());
    let got: Vec<Key> = keys.iter().map(|k| k.key).collect();
    assert_eq!(got, [Key::Rating(1), Key::Rating(5), Key::Next, Key::Recall, Key::Skip, Key::Finish]);
    assert_eq!(keys.iter().map(|k| k.seq).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
}

#[test]
fn unknown_key_id_is_counted_not_delivered() {
    let (mut d, mut t, c, _s) = connected();
    t.press(42).expect("press");
    let (keys, _) = pump(&mut d, &mut t, &c, 10);
    assert!(keys.is_empty());
    assert_eq!(d.health().unknown_keys, 1);
}

#[test]
fn duplicated_key_frame_arrives_exactly_once() {
    let (mut d, mut t, c, _s) = connected();
    t.set_faults(Faults { duplicate: 1, ..Faults::default() });
    t.press(8).expect("press");
    let (keys, _) = pump(&mut d, &mut t, &c, 20);
    assert_eq!(keys, [KeyPress { key: Key::Finish, seq: 0 }]);
    // At least the injected copy (more only if a loaded machine delayed the Ack past 250 ms).
    assert!(d.health().link.duplicates >= 1);
}

#[test]
fn lost_ack_retransmits_and_key_arrives_exactly_once() {
    let (mut d, mut t, c, _s) = connected();
    t.set_deaf(true);
    t.press(0).expect("press");
    // 500 ms virtual: the twin retransmits twice (every 250 ms); the host acks every copy.
    let (mut keys, _) = pump(&mut d, &mut t, &c, 25);
    assert!(t.stats().retransmissions >= 1);
    t.set_deaf(false);
    let (more, _) = pump(&mut d, &mut t, &c, 20);
    keys.extend(more);
    assert_eq!(keys, [KeyPress { key: Key::Rating(1), seq: 0 }]);
    assert_eq!(t.unacknowledged(), 0);
    assert!(d.health().link.duplicates >= 1);
}

#[test]
fn dropped_and_corrupted_key_frames_are_retransmitted() {
    let (mut d, mut t, c, _s) = connected();
    t.set_faults(Faults { drop: 1, corrupt: 1, duplicate: 0 });
    t.press(1).expect("press");
    t.press(2).expect("press");
    let (keys, _) = pump(&mut d, &mut t, &c, 60);
    assert_eq!(keys.iter().map(|k| k.key).collect::<Vec<_>>(), [Key::Rating(2), Key::Rating(3)]);
    assert!(
        {
            let s = d.health().link.decoder;
            s.crc_errors + s.invalid + s.garbage >= 1
        },
        "{:?}",
        d.health().link
    );
}

#[test]
fn vietnamese_display_text_arrives_intact() {
    let (mut d, mut t, c, _s) = connected();
    let lines = ["Quầy số 3".to_owned(), "Đánh giá mức độ hài lòng".to_owned()];
    Keypad::show(&mut d, &lines).expect("show");
    pump(&mut d, &mut t, &c, 20);
    assert_eq!(t.lines().get(&0).map(String::as_str), Some("Quầy số 3"));
    assert_eq!(t.lines().get(&1).map(String::as_str), Some("Đánh giá mức độ hài lòng"));
}

#[test]
fn long_display_line_is_cut_at_a_char_boundary() {
    let (mut d, mut t, c, _s) = connected();
    let long = "Đánh giá mức độ hài lòng của ông bà đối với cán bộ tiếp nhận hồ sơ".to_owned();
    Keypad::show(&mut d, std::slice::from_ref(&long)).expect("show");
    pump(&mut d, &mut t, &c, 20);
    let got = t.lines().get(&0).expect("line 0");
    assert!(got.len() <= 63 && long.starts_with(got.as_str()) && got.len() > 50, "{got}");
}

#[test]
fn shorter_screen_blanks_leftover_lines() {
    let (mut d, mut t, c, _s) = connected();
    Keypad::show(&mut d, &["A".to_owned(), "B".to_owned(), "C".to_owned()]).expect("show");
    pump(&mut d, &mut t, &c, 20);
    Keypad::show(&mut d, &["Xin chào".to_owned()]).expect("show");
    pump(&mut d, &mut t, &c, 20);
    let lines: Vec<&str> = t.lines().values().map(String::as_str).collect();
    assert_eq!(lines, ["Xin chào", "", ""]);
}

#[test]
fn leds_and_buzzer_reach_the_keypad() {
    let (mut d, mut t, c, _s) = connected();
    Keypad::set_leds(&mut d, 0b1_0000_0101).expect("leds");
    d.buzz(2, 300).expect("buzz");
    pump(&mut d, &mut t, &c, 20);
    assert_eq!(t.leds(), Some(0b1_0000_0101));
    assert_eq!(t.buzzes(), [(2, 300)]);
}

#[test]
fn rating_window_opens_and_closes_on_the_keypad() {
    let (mut d, mut t, c, _s) = connected();
    d.open_rating_window(77, 30).expect("open");
    pump(&mut d, &mut t, &c, 10);
    let w = t.rating_window().expect("window open");
    assert_eq!((w.window_id, w.timeout_s), (77, 30));
    d.close_rating_window().expect("close");
    pump(&mut d, &mut t, &c, 10);
    assert_eq!(t.rating_window(), None);
    assert_eq!(t.windows_opened(), [77]);
}

#[test]
fn state_set_before_the_keypad_answers_is_sent_on_connect() {
    let (mut d, mut t, c, _s) = setup();
    Keypad::set_leds(&mut d, 3).expect("leds");
    Keypad::show(&mut d, &["Quầy số 3".to_owned()]).expect("show");
    pump(&mut d, &mut t, &c, 20);
    assert_eq!(t.leds(), Some(3));
    assert_eq!(t.lines().get(&0).map(String::as_str), Some("Quầy số 3"));
}

#[test]
fn keypad_restart_is_detected_and_state_resent() {
    let (mut d, mut t, c, _s) = connected();
    Keypad::show(&mut d, &["Quầy số 3".to_owned()]).expect("show");
    Keypad::set_leds(&mut d, 0x1F).expect("leds");
    d.open_rating_window(5, 30).expect("open");
    pump(&mut d, &mut t, &c, 20);
    t.restart(2);
    assert!(t.lines().is_empty());
    pump(&mut d, &mut t, &c, 20);
    let h = d.health();
    assert_eq!(h.peer.map(|p| p.session), Some(2));
    assert_eq!(h.peer_restarts, 1);
    assert!(d.is_connected());
    assert_eq!(t.lines().get(&0).map(String::as_str), Some("Quầy số 3"));
    assert_eq!(t.leds(), Some(0x1F));
    assert_eq!(t.rating_window().map(|w| w.window_id), Some(5));
    // Press counters start over after the restart and still arrive.
    t.press(8).expect("press");
    let (keys, _) = pump(&mut d, &mut t, &c, 10);
    assert_eq!(keys, [KeyPress { key: Key::Finish, seq: 0 }]);
}

#[test]
fn silent_keypad_is_reported_then_reconnects() {
    let (mut d, mut t, c, _s) = connected();
    t.set_silent(true);
    pump_by(&mut d, &mut t, &c, 40, 100); // 4 s virtual > 3.5 s silence timeout
    let h = d.health();
    assert!(h.peer_silent && !h.connected, "{h:?}");
    t.set_silent(false);
    t.press(5).expect("press");
    let (keys, _) = pump(&mut d, &mut t, &c, 50);
    assert!(d.is_connected() && !d.health().peer_silent);
    assert_eq!(keys, [KeyPress { key: Key::Next, seq: 0 }]);
}

#[test]
fn garbage_on_the_line_is_survived() {
    let (mut d, mut t, c, _s) = connected();
    t.send_garbage(&[0xFF, 0x13, 0x37, 0x00, 0x05, 0x01, 0x02, 0x00, 0x00, 0xAA, 0xBB]).expect("garbage");
    t.send_garbage(&[0x42; 200]).expect("garbage");
    t.press(3).expect("press");
    let (keys, errors) = pump(&mut d, &mut t, &c, 20);
    assert!(errors.is_empty());
    assert_eq!(keys, [KeyPress { key: Key::Rating(4), seq: 0 }]);
    let dec = d.health().link.decoder;
    assert!(dec.garbage + dec.invalid + dec.crc_errors + dec.oversize >= 1, "garbage was counted: {dec:?}");
    assert!(d.is_connected());
}

#[test]
fn closed_port_is_a_disconnected_error_then_recovers() {
    let (mut d, t, c, slot) = connected();
    drop(t); // the keypad end of the pty closes: the driver's end hangs up
    let clock = c.clone();
    let mut errors = Vec::new();
    for _ in 0..5 {
        if let Err(e) = Keypad::poll_key(&mut d) {
            errors.push(e.kind());
        }
        clock.advance(STEP_MS);
    }
    assert!(!errors.is_empty() && errors.iter().all(|k| *k == ErrorKind::Disconnected), "{errors:?}");
    let h = d.health();
    assert!(!h.port_open && !h.connected && h.port_errors >= 1, "{h:?}");

    // The device comes back (a new pty stands in for the re-enumerated port), same keypad session.
    let (mut t2, end) = KeypadTwin::pair(c.clone(), 1).expect("pty pair");
    *slot.lock().expect("slot") = Some(end);
    t2.press(8).expect("press");
    let (keys, _) = pump(&mut d, &mut t2, &c, 60);
    assert!(d.is_connected(), "{:?}", d.health());
    assert_eq!(d.health().port_opens, 2);
    assert_eq!(keys, [KeyPress { key: Key::Finish, seq: 0 }]);
}

#[test]
fn port_open_failures_back_off_exponentially() {
    let clock = ManualClock::new();
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let log = attempts.clone();
    let clk = clock.clone();
    let connector: Connector = Box::new(move || {
        use motcua_keypad::Clock;
        log.lock().expect("log").push(clk.now_ms());
        Err(io::Error::from(io::ErrorKind::NotFound))
    });
    let mut d = KeypadDriver::new(connector, clock.clone(), config());
    for _ in 0..1000 {
        let e = d.poll().expect_err("no port");
        assert_eq!(e.kind(), ErrorKind::Disconnected);
        clock.advance(10);
    }
    let at = attempts.lock().expect("log").clone();
    let gaps: Vec<u64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(&gaps[..5], [200, 400, 800, 1600, 3200]);
    assert!(gaps.iter().all(|&g| g <= 5000));
    assert!(d.health().last_port_error.is_some());
}

#[test]
fn key_retransmitted_across_a_cable_pull_counts_once() {
    let (mut d, mut t, c, slot) = connected();
    d.open_rating_window(9, 30).expect("open");
    pump(&mut d, &mut t, &c, 10);
    // The citizen rates; the host gets it, but its Ack is lost, then the cable is pulled.
    t.set_deaf(true);
    t.press(0).expect("press");
    let (mut keys, _) = pump(&mut d, &mut t, &c, 5);
    assert_eq!(keys.len(), 1, "delivered before the pull");
    assert_eq!(t.unacknowledged(), 1, "the keypad still waits for the Ack");
    let end = t.replug().expect("replug");
    t.set_deaf(false);
    let (more, errors) = pump(&mut d, &mut t, &c, 5);
    keys.extend(more);
    assert!(errors.contains(&ErrorKind::Disconnected), "{errors:?}");
    *slot.lock().expect("slot") = Some(end);
    let (more, _) = pump(&mut d, &mut t, &c, 60);
    keys.extend(more);
    assert_eq!(keys, [KeyPress { key: Key::Rating(1), seq: 0 }]);
    assert_eq!(t.unacknowledged(), 0, "the retransmission was acknowledged");
    assert!(d.health().link.duplicates >= 1, "the retransmission was recognised as a duplicate");
    assert!(d.is_connected());
    assert_eq!(t.rating_window().map(|w| w.window_id), Some(9));
    assert_eq!(t.windows_opened(), [9], "the re-sent open is the same window");
}
