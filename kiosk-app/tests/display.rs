//! The hall display: its feed against the real hub over HTTP (snapshot, push events, the link
//! dropping and coming back), and its screen rendered headless.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use motcua_hub::api::{CounterAction, IssueRequest};
use motcua_hub::{Config, Hub, SystemClock};
use motcua_kiosk_app::display::feed::{self, FeedMsg};
use motcua_kiosk_app::display::model::DisplayModel;

const DISPLAY_TOKEN: &str = "change-me-display-1-000000000000000";

fn start_hub(dir: &std::path::Path, rt: &tokio::runtime::Runtime) -> (Hub, String, tokio::sync::oneshot::Sender<()>) {
    let hub = Hub::open(Config::sample(), &dir.join("hub.db"), Arc::new(SystemClock)).expect("hub");
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    rt.spawn(motcua_hub::server::serve(hub.clone(), listener, async {
        let _ = stopped.await;
    }));
    (hub, format!("http://{addr}"), stop)
}

#[test]
fn display_feed_follows_the_hub_and_reports_a_dropped_link() {
    let dir = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let (hub, url, stop) = start_hub(dir.path(), &rt);
    hub.blocking_issue(
        "k",
        &IssueRequest { field_id: "ho-tich".into(), priority_class: None, hold_for_print: false, citizen: None },
    )
    .expect("issue");

    let (tx, rx) = mpsc::channel::<FeedMsg>();
    let feed_url = url.clone();
    std::thread::spawn(move || feed::run(&feed_url, DISPLAY_TOKEN, |m| tx.send(m).is_ok()));
    let mut model = DisplayModel::default();
    let next = |rx: &mpsc::Receiver<FeedMsg>| rx.recv_timeout(Duration::from_secs(10)).expect("feed message");

    match next(&rx) {
        FeedMsg::Snapshot(s) => model.apply_snapshot(&s.0, &s.1),
        other => panic!("expected a snapshot, got {other:?}"),
    }
    assert!(model.connected);
    assert_eq!(model.fields["ho-tich"].waiting, 1);

    hub.blocking_counter("c", 1, CounterAction::Open { officer_id: None, pin: None }).expect("open");
    hub.blocking_counter("c", 1, CounterAction::CallNext).expect("call");
    let mut announced = None;
    while announced.is_none() {
        if let FeedMsg::Event(ev) = next(&rx) {
            announced = model.apply_event(&ev);
        }
    }
    let call = announced.expect("announcement");
    assert_eq!((call.number.as_str(), call.counter, call.recall), ("A001", 1, false));
    assert_eq!(model.calls[0].number, "A001");
    assert_eq!(model.fields["ho-tich"].waiting, 0);

    // The hub goes away: the display must say so, not keep showing a stale queue as live.
    let _ = stop.send(());
    drop(rt);
    loop {
        match next(&rx) {
            FeedMsg::Disconnected(_) => break,
            FeedMsg::Event(_) | FeedMsg::Snapshot(_) => {}
        }
    }
}

#[test]
fn voice_options_are_checked_before_the_display_starts() {
    use motcua_kiosk_app::display::VoiceOptions;
    let ok = VoiceOptions { volume_schedule: "07:30=80, 11:30=40".into(), ..VoiceOptions::default() };
    let p = ok.player().expect("valid options");
    assert_eq!(p.schedule.volume_at(12 * 60), 40);
    let no_number = VoiceOptions { wording: "Mời đến quầy {counter}".into(), ..VoiceOptions::default() };
    assert!(no_number.player().is_err());
    let bad_volume = VoiceOptions { volume_schedule: "07:30=loud".into(), ..VoiceOptions::default() };
    assert!(bad_volume.player().is_err());
}

#[test]
fn display_screen_renders_calls_and_the_disconnected_banner() {
    use motcua_hub::api::*;
    let mut m = DisplayModel::default();
    let f = |id: &str, l: &str, vi: &str, w| FieldInfo {
        id: id.into(),
        letter: l.into(),
        name_vi: vi.into(),
        name_en: String::new(),
        counters: vec![1],
        waiting: w,
        counters_open: 1,
    };
    let catalog = Catalog {
        office: OfficeInfo { id: "x".into(), name_vi: "UBND phường Bến Nghé".into(), name_en: String::new() },
        fields: vec![f("ho-tich", "A", "Hộ tịch – Chứng thực", 4), f("dat-dai", "B", "Đất đai – Xây dựng", 2)],
        priority_classes: vec![],
        rating: Default::default(),
    };
    m.apply_snapshot(&catalog, &QueueSnapshot { service_day: String::new(), waiting: vec![], counters: vec![] });
    for (i, (n, c)) in [("B002", 3), ("A022", 1), ("A023", 2)].iter().enumerate() {
        let ev = EventEnvelope {
            id: format!("e{i}"),
            office_id: "x".into(),
            device_id: "d".into(),
            seq: i as u64 + 1,
            kind: "ticket_called".into(),
            occurred_at: format!("2026-11-23T09:1{i}:00+07:00"),
            payload: serde_json::json!({"number": n, "counter": c}),
        };
        m.apply_event(&ev);
    }
    let out = std::env::temp_dir().join("kiosk-shots");
    std::fs::create_dir_all(&out).expect("dir");
    let live = out.join("display-landscape.png");
    motcua_kiosk_app::display::render_png(&m, false, &live).expect("render");
    m.connected = false;
    let down = out.join("display-landscape-disconnected.png");
    motcua_kiosk_app::display::render_png(&m, false, &down).expect("render");
    motcua_kiosk_app::display::render_png(&m, true, &out.join("display-portrait-disconnected.png")).expect("portrait");
    let (a, b) = (std::fs::read(&live).expect("png"), std::fs::read(&down).expect("png"));
    assert!(a.starts_with(b"\x89PNG") && b.starts_with(b"\x89PNG"));
    assert_ne!(a, b, "the disconnected banner must change the screen");
}
