//! The counter end to end through a pseudo-terminal: the simulated keypad (the real protocol
//! on a pty), the real serial keypad driver, the counter station and the hub with its outbox.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motcua_hub::api::{CounterAction, IssueRequest};
use motcua_hub::{Clock, Config, Hub};
use motcua_keypad::sim::{Faults, KeypadTwin};
use motcua_keypad::{KeypadDriver, ManualClock, SerialTransport};
use motcua_kiosk_app::counter::{Station, StationEvent};
use motcua_kiosk_app::hubclient::LocalHub;

type Connector = Box<dyn FnMut() -> io::Result<SerialTransport> + Send>;
type Driver = KeypadDriver<Connector, ManualClock>;

/// Real time plus an offset the test moves forward.
#[derive(Debug, Default)]
struct ShiftedClock(Mutex<i64>);

impl ShiftedClock {
    fn advance_secs(&self, s: i64) {
        if let Ok(mut o) = self.0.lock() {
            *o += s;
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> jiff::Timestamp {
        let off = self.0.lock().map(|o| *o).unwrap_or(0);
        jiff::Timestamp::now() + jiff::SignedDuration::from_secs(off)
    }
}

// Key ids of the twin with the driver's default key map: rating keys 0..=4, then officer keys.
const RATE_3: u8 = 2;
const NEXT: u8 = 5;
const FINISH: u8 = 8;

struct Rig {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    hub: Hub,
    hub_clock: Arc<ShiftedClock>,
    station: Station<LocalHub, Driver>,
    twin: KeypadTwin<ManualClock>,
    clock: ManualClock,
}

impl Rig {
    fn new() -> Rig {
        Self::with_config(Config::sample())
    }

    fn with_config(config: Config) -> Rig {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("hub.db");
        let hub_clock = Arc::new(ShiftedClock::default());
        let hub = Hub::open(config, &db, hub_clock.clone()).expect("hub");
        let clock = ManualClock::new();
        let (twin, end) = KeypadTwin::pair(clock.clone(), 1).expect("pty pair");
        let slot = Arc::new(Mutex::new(Some(end)));
        let connector: Connector = Box::new(move || {
            slot.lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .take()
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        });
        let mut cfg = motcua_keypad::Config::new(7);
        cfg.read_timeout = Duration::from_millis(1);
        let driver = KeypadDriver::new(connector, clock.clone(), cfg);
        let station = Station::new(1, LocalHub::new(hub.clone(), "keypad-1"), driver).expect("station");
        let mut rig = Rig { _dir: dir, db, hub, hub_clock, station, twin, clock };
        rig.pump(30);
        rig
    }

    /// Runs keypad, link and station for `steps` 20 ms steps of keypad time.
    fn pump(&mut self, steps: usize) -> Vec<StationEvent> {
        let mut out = Vec::new();
        for _ in 0..steps {
            out.extend(self.station.turn(Instant::now()));
            let _ = self.twin.poll();
            self.clock.advance(20);
        }
        out
    }

    fn press(&mut self, key_id: u8) -> Vec<StationEvent> {
        self.twin.press(key_id).expect("press");
        self.pump(30)
    }

    fn ratings(&self) -> Vec<serde_json::Value> {
        let conn = rusqlite::Connection::open(&self.db).expect("db");
        let mut st = conn.prepare("SELECT payload FROM outbox WHERE kind = 'rating_recorded' ORDER BY seq").expect("q");
        st.query_map([], |r| r.get::<_, String>(0))
            .expect("rows")
            .map(|p| serde_json::from_str(&p.expect("row")).expect("json"))
            .collect()
    }
}

#[test]
fn one_unsatisfied_rating_tied_to_officer_ticket_and_dossier_whatever_the_keypad_does() {
    let mut rig = Rig::new();
    rig.station.sign_in(Some("cb01".into()), None).expect("sign in");
    rig.pump(10);
    assert_eq!(rig.twin.lines().get(&0).map(String::as_str), Some("Quầy 1"));

    // A rating key before any service: refused, nothing recorded.
    let ev = rig.press(RATE_3);
    assert!(matches!(ev.as_slice(), [StationEvent::Refused(_)]), "{ev:?}");

    rig.hub
        .blocking_issue(
            "kiosk-1",
            &IssueRequest { field_id: "ho-tich".into(), priority_class: None, hold_for_print: false, citizen: None },
        )
        .expect("issue");
    let ev = rig.press(NEXT);
    assert_eq!(ev, [StationEvent::Called("A001".into())]);
    assert_eq!(rig.twin.lines().get(&1).map(String::as_str), Some("Phục vụ: A001"));

    // The officer types the dossier code on the counter screen (same hub API).
    let code = "000.00.12.H62-201105-0004";
    LocalHub::new(rig.hub.clone(), "counter-screen-1")
        .counter_action(1, CounterAction::LinkDossier { code: code.into() })
        .expect("link dossier");

    let ev = rig.press(FINISH);
    let window = match ev.as_slice() {
        [StationEvent::WindowOpened { window_id, number }] if number == "A001" => *window_id,
        other => panic!("{other:?}"),
    };
    assert_eq!(rig.twin.rating_window().map(|w| w.window_id), Some(window));
    assert_eq!(rig.twin.lines().get(&3).map(String::as_str), Some("3 Không hài lòng"));

    // The keypad restarts mid-window: the driver re-sends the open window.
    rig.twin.restart(2);
    rig.pump(40);
    assert_eq!(rig.twin.rating_window().map(|w| w.window_id), Some(window), "window re-sent after reconnect");

    // The press goes out twice on the wire; the citizen then presses again and another key.
    rig.twin.set_faults(Faults { duplicate: 1, ..Faults::default() });
    let ev = rig.press(RATE_3);
    assert_eq!(ev, [StationEvent::Rated { key: 3 }]);
    assert_eq!(rig.twin.lines().get(&0).map(String::as_str), Some("Cảm ơn ông/bà!"));
    rig.press(RATE_3);
    rig.press(0);

    // A later service whose window expires: a late press records nothing.
    rig.hub
        .blocking_issue(
            "kiosk-1",
            &IssueRequest { field_id: "ho-tich".into(), priority_class: None, hold_for_print: false, citizen: None },
        )
        .expect("issue");
    rig.press(NEXT);
    rig.press(FINISH);
    rig.hub_clock.advance_secs(31);
    let ev = rig.press(1);
    assert!(matches!(ev.as_slice(), [StationEvent::Refused(_)]), "{ev:?}");

    let ratings = rig.ratings();
    assert_eq!(ratings.len(), 1, "{ratings:?}");
    let r = &ratings[0];
    assert_eq!(r["level"], "unsatisfied");
    assert_eq!(r["label_vi"], "Không hài lòng");
    assert_eq!(r["officer_id"], "cb01");
    assert_eq!(r["number"], "A001");
    assert_eq!(r["dossier_code"], code);
    assert_eq!(r["counter"], 1);
    assert_eq!(r["window_id"], window);
}

#[test]
fn the_officer_signs_in_with_a_pin_typed_on_the_keypad() {
    let mut cfg = Config::sample();
    cfg.officers = vec![motcua_hub::config::Officer {
        id: "cb01".into(),
        name: "Nguyễn Thị Lan".into(),
        pin_sha256: motcua_hub::config::pin_hash("cb01", "2136"),
        counters: vec![],
    }];
    let mut rig = Rig::with_config(cfg);
    rig.station.begin_keypad_sign_in("cb01");
    rig.pump(10);
    assert_eq!(rig.twin.lines().get(&2).map(String::as_str), Some("Nhập mã PIN:"));
    // Rating keys type their number, skip types 6 (three rating keys + next 4, recall 5): 2 1 3 6.
    let type_pin = |rig: &mut Rig, ids: &[u8]| {
        let mut ev = Vec::new();
        for &id in ids {
            ev.extend(rig.press(id));
        }
        ev
    };
    type_pin(&mut rig, &[1, 0, 2, 6]); // 2 1 3 5: wrong
    assert_eq!(rig.twin.lines().get(&3).map(String::as_str), Some("••••"), "the PIN is never shown");
    let ev = rig.press(FINISH);
    assert!(matches!(ev.as_slice(), [StationEvent::Refused(_)]), "{ev:?}");
    assert_eq!(rig.twin.lines().get(&2).map(String::as_str), Some("Sai mã PIN"));
    assert!(!rig.hub.snapshot().counters.iter().any(|c| c.number == 1 && c.open));
    // Officer keys do not act while the PIN is asked.
    type_pin(&mut rig, &[1, 0, 2, 7]);
    let ev = rig.press(FINISH);
    assert_eq!(ev, [StationEvent::SignedIn]);
    let c1 = rig.hub.snapshot().counters.into_iter().find(|c| c.number == 1).expect("counter 1");
    assert!(c1.open);
    assert_eq!(c1.officer_id.as_deref(), Some("cb01"));
    assert_eq!(rig.twin.lines().get(&0).map(String::as_str), Some("Quầy 1"));
}
