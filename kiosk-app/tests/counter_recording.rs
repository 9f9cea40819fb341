//! One recording per service session at the counter: the simulated keypad on a pty, the real
//! serial keypad driver, the station and the hub, with the recorder on generated sources and an
//! accelerated capture clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use motcua_hub::api::IssueRequest;
use motcua_hub::{Config, Hub, SystemClock};
use motcua_keypad::sim::KeypadTwin;
use motcua_keypad::{KeypadDriver, ManualClock, SerialTransport};
use motcua_kiosk_app::counter::{Station, StationEvent};
use motcua_kiosk_app::hubclient::LocalHub;
use motcua_kiosk_app::recording::{IndicatorKeypad, RECORDING_LED, RecordingEvent, SessionRecorder};
use motcua_recorder::{
    ClipRecord, Clock, JpegFileSource, PcmSource, Rating, Recorder, RecorderConfig, Store, StoreConfig,
};

type Connector = Box<dyn FnMut() -> io::Result<SerialTransport> + Send>;
type Driver = IndicatorKeypad<KeypadDriver<Connector, ManualClock>>;

// Key ids of the twin with the driver's default key map: rating keys 0..=4, then officer keys.
const RATE_3: u8 = 2;
const NEXT: u8 = 5;
const FINISH: u8 = 8;

/// Capture clock speed: a second of real time is ten seconds of recording.
const SPEED: f64 = 10.0;

struct Rig {
    dir: tempfile::TempDir,
    hub: Hub,
    station: Station<LocalHub, Driver>,
    twin: KeypadTwin<ManualClock>,
    clock: ManualClock,
    rec: SessionRecorder,
    store: Arc<Mutex<Store>>,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().expect("tmp");
        let hub = Hub::open(Config::sample(), &dir.path().join("hub.db"), Arc::new(SystemClock)).expect("hub");

        let mut store_cfg = StoreConfig::new(dir.path().join("recordings"));
        store_cfg.budget_bytes = 1 << 30;
        store_cfg.reserve_bytes = 8 << 20;
        let store = Arc::new(Mutex::new(Store::open(store_cfg, 1000).expect("store").0));
        let capture = Clock::accelerated(SPEED);
        let video = JpegFileSource::generated(640, 480, 15, 3, capture).expect("frames");
        let audio = PcmSource::tone(16_000, 100, capture).expect("tone");
        let mut rcfg = RecorderConfig::new("Q1");
        rcfg.queue = 256;
        let recorder = Recorder::spawn(video, audio, capture, store.clone(), rcfg).expect("recorder");
        let scale = hub.catalog().rating;
        let rec = SessionRecorder::new(recorder, store.clone(), scale, Some("cb01".into()), None).expect("worker");

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
        let driver = IndicatorKeypad::new(KeypadDriver::new(connector, clock.clone(), cfg), Some(rec.indicator()));
        let station = Station::new(1, LocalHub::new(hub.clone(), "keypad-1"), driver).expect("station");
        let mut rig = Rig { dir, hub, station, twin, clock, rec, store };
        rig.pump(30);
        rig
    }

    /// Runs keypad, link, station and the session recorder for `steps` 20 ms keypad steps.
    fn pump(&mut self, steps: usize) -> Vec<StationEvent> {
        let mut out = Vec::new();
        for _ in 0..steps {
            let events = self.station.turn(Instant::now());
            self.rec.observe(&events, self.station.last_reply(), Instant::now());
            out.extend(events);
            let _ = self.twin.poll();
            self.clock.advance(20);
        }
        out
    }

    fn press(&mut self, key_id: u8) -> Vec<StationEvent> {
        self.twin.press(key_id).expect("press");
        self.pump(30)
    }

    fn issue(&self) {
        self.hub
            .blocking_issue(
                "kiosk-1",
                &IssueRequest {
                    field_id: "ho-tich".into(),
                    priority_class: None,
                    hold_for_print: false,
                    citizen: None,
                },
            )
            .expect("issue");
    }

    /// The called ticket's id, from the hub's reply the station keeps.
    fn called_session_id(&self) -> String {
        self.station
            .last_reply()
            .and_then(|r| r.ticket.as_ref())
            .and_then(|t| t.session_id.clone())
            .expect("the called ticket's service session in the reply")
    }

    fn wait_for(&self, what: &str, pick: impl Fn(&RecordingEvent) -> bool) -> RecordingEvent {
        let deadline = Instant::now() + Duration::from_secs(8);
        while Instant::now() < deadline {
            if let Some(ev) = self.rec.next_event(Duration::from_millis(100)) {
                if pick(&ev) {
                    return ev;
                }
                assert!(!matches!(ev, RecordingEvent::Failed(_) | RecordingEvent::NotRecorded { .. }), "{ev:?}");
            }
        }
        panic!("no {what} from the recording worker");
    }

    fn wait_stopped(&self) -> ClipRecord {
        match self.wait_for("finished clip", |e| matches!(e, RecordingEvent::Stopped(_))) {
            RecordingEvent::Stopped(clip) => *clip,
            other => panic!("{other:?}"),
        }
    }

    fn led_lit(&self) -> bool {
        self.station.keypad().recording_lit() && self.twin.leds().is_some_and(|m| m & RECORDING_LED != 0)
    }

    fn rating_events(&self) -> Vec<serde_json::Value> {
        let conn = rusqlite::Connection::open(self.dir.path().join("hub.db")).expect("db");
        let mut st = conn.prepare("SELECT payload FROM outbox WHERE kind = 'rating_recorded' ORDER BY seq").expect("q");
        st.query_map([], |r| r.get::<_, String>(0))
            .expect("rows")
            .map(|p| serde_json::from_str(&p.expect("row")).expect("json"))
            .collect()
    }
}

#[test]
fn an_unsatisfied_session_gives_one_flagged_clip_from_call_to_rating() {
    let mut rig = Rig::new();
    rig.station.sign_in(Some("cb01".into()), None).expect("sign in");
    rig.pump(10);
    assert!(!rig.led_lit(), "nothing recorded before a call");
    rig.issue();

    let ev = rig.press(NEXT);
    assert_eq!(ev, [StationEvent::Called("A001".into())]);
    let ticket_id = rig.called_session_id();
    let started = rig.wait_for("start", |e| matches!(e, RecordingEvent::Started { .. }));
    assert!(matches!(&started, RecordingEvent::Started { session_id, .. } if *session_id == ticket_id), "{started:?}");
    rig.pump(10);
    assert!(rig.led_lit(), "the citizen sees the recording LED while served");
    assert_eq!(rig.rec.recording_session(), Some(ticket_id.as_str()));

    // Serving takes a while (3 s of capture time).
    std::thread::sleep(Duration::from_millis(300));
    let ev = rig.press(FINISH);
    assert!(matches!(ev.as_slice(), [StationEvent::WindowOpened { number, .. }] if number == "A001"), "{ev:?}");
    // The rating window is part of the session: still recording, LED still lit along the
    // rating keys' LEDs.
    assert_eq!(rig.rec.recording_session(), Some(ticket_id.as_str()));
    let mask = rig.twin.leds().expect("leds");
    assert_eq!(mask & RECORDING_LED, RECORDING_LED, "{mask:#06x}");
    assert_ne!(mask & !RECORDING_LED, 0, "rating keys lit too: {mask:#06x}");
    std::thread::sleep(Duration::from_millis(100));

    let ev = rig.press(RATE_3);
    assert_eq!(ev, [StationEvent::Rated { key: 3 }]);
    assert_eq!(rig.twin.lines().get(&2).map(String::as_str), Some("Không hài lòng"));
    let clip = rig.wait_stopped();
    assert_eq!(clip.rating, Some(Rating::Unsatisfied));
    assert!(clip.flagged, "Không hài lòng clips are flagged");
    assert!(!clip.recovered);
    assert_eq!(clip.meta.session_id, ticket_id);
    assert_eq!(
        (clip.meta.ticket.as_str(), clip.meta.officer.as_str(), clip.meta.counter.as_str()),
        ("A001", "cb01", "Q1")
    );
    // From the call to the rating: about 4 s of capture time (0.4 s real at 10x).
    assert!((3000..15_000).contains(&clip.duration_ms), "{} ms", clip.duration_ms);

    // The hub's rating event names the same ticket: the clip is tied to the rated session.
    let ratings = rig.rating_events();
    assert_eq!(ratings.len(), 1, "{ratings:?}");
    assert_eq!(ratings[0]["session_id"], ticket_id.as_str(), "the clip and the rating name one session");
    assert_eq!(ratings[0]["level"], "unsatisfied");
    assert!(ratings[0]["session_id"].as_str().is_some_and(|s| !s.is_empty()));

    // Exactly one finished clip, on disk, waiting for upload; nothing partial left.
    rig.pump(10);
    assert!(!rig.led_lit(), "LED off once the session is over");
    assert_eq!(rig.rec.recording_session(), None);
    let store = rig.store.lock().unwrap();
    assert_eq!(store.clips(), std::slice::from_ref(&clip));
    assert_eq!(store.pending_uploads(), std::slice::from_ref(&clip));
    let path = store.clip_path(&clip);
    assert_eq!(std::fs::metadata(&path).expect("clip file").len(), clip.bytes);
    let names: Vec<String> = std::fs::read_dir(rig.dir.path().join("recordings"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
}

#[test]
fn an_unrated_window_ends_the_clip_when_it_closes() {
    let mut rig = Rig::new();
    rig.station.sign_in(Some("cb01".into()), None).expect("sign in");
    rig.issue();
    rig.press(NEXT);
    let ticket_id = rig.called_session_id();
    rig.wait_for("start", |e| matches!(e, RecordingEvent::Started { .. }));
    std::thread::sleep(Duration::from_millis(200));
    rig.press(FINISH);
    // Still recording within the window...
    rig.rec.poll(Instant::now() + Duration::from_secs(5));
    assert_eq!(rig.rec.recording_session(), Some(ticket_id.as_str()));
    // ...and stopped, unrated, once its 30 s have passed.
    rig.rec.poll(Instant::now() + Duration::from_secs(31));
    let clip = rig.wait_stopped();
    assert_eq!((clip.rating, clip.flagged), (None, false));
    assert_eq!(clip.meta.session_id, ticket_id);
    assert_eq!(rig.store.lock().unwrap().clips().len(), 1);
}
