//! Crash safety of the relay: a relay process killed with SIGKILL at random points during
//! delivery; the receiver ends with every event exactly once, in order.
//!
//! The child is this same test binary re-run with `MOTCUA_RELAY_CHILD=<db>|<addr>` set: it runs
//! the relay over the hub database against the central at `addr` until killed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use motcua_central::{CentralConfig, CentralServer, DeviceCred, Fault};
use motcua_relay::wire::{self, WireEvent};
use motcua_relay::{HttpCentral, HttpCentralConfig, MetricsHandle, RelayConfig, SqliteOutbox};

const CHILD_ENV: &str = "MOTCUA_RELAY_CHILD";
const KEY: &[u8] = b"crash-key";
const EVENTS: usize = 7000;

fn relay_cfg() -> RelayConfig {
    RelayConfig {
        batch_size: 50,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        poll_interval: Duration::from_millis(20),
        ..RelayConfig::default()
    }
}

fn http(addr: &str) -> HttpCentral {
    HttpCentral::new(HttpCentralConfig {
        base_url: format!("http://{addr}"),
        device_id: "hub-1".into(),
        key: KEY.to_vec(),
        timeout: Duration::from_secs(5),
    })
    .expect("client")
}

/// The child's body; does nothing in a normal test run.
#[test]
fn relay_child_entry() {
    let Ok(arg) = std::env::var(CHILD_ENV) else { return };
    let Some((db, addr)) = arg.split_once('|') else { return };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let ob = SqliteOutbox::open(std::path::Path::new(db)).expect("outbox");
    let _ =
        rt.block_on(motcua_relay::run(ob, http(addr), relay_cfg(), MetricsHandle::default(), std::future::pending()));
}

struct Lcg(u64);

impl Lcg {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        lo + (self.0 >> 33) % (hi - lo)
    }
}

#[test]
fn sigkill_during_delivery_every_event_exactly_once_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.sqlite");
    let mut sent: Vec<WireEvent> = (0..EVENTS)
        .map(|i| WireEvent {
            id: uuid::Uuid::now_v7().to_string(),
            office_id: "office-1".into(),
            device_id: "kiosk-1".into(),
            seq: 0,
            kind: "rating_given".into(),
            occurred_at: wire::now_rfc3339(),
            payload: serde_json::json!({"rating": if i % 7 == 0 { "khong_hai_long" } else { "hai_long" }}),
        })
        .collect();
    SqliteOutbox::open(&db).expect("outbox").append_many(&mut sent).expect("append");

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let central = CentralServer::open(CentralConfig {
        db_path: dir.path().join("central.sqlite"),
        devices: vec![DeviceCred { device_id: "hub-1".into(), office_id: "office-1".into(), key: KEY.to_vec() }],
        replay_window: Duration::from_secs(300),
        test_fault_endpoint: false,
    })
    .expect("central");
    // Replies come 30 ms after the events are stored: many kills land between store and ack.
    central.set_fault(Fault::Slow(Duration::from_millis(30)));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let c = central.clone();
    rt.spawn(async move { c.serve(listener, std::future::pending()).await });

    let exe = std::env::current_exe().expect("exe");
    let mut rng = Lcg(0x5eed_7777);
    let mut kills = 0;
    let started = Instant::now();
    while kills < 50 && (central.event_count().expect("count") as usize) < EVENTS {
        assert!(started.elapsed() < Duration::from_secs(120), "crash rounds took too long");
        let mut child = Command::new(&exe)
            .args(["relay_child_entry", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{}|{addr}", db.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        std::thread::sleep(Duration::from_millis(rng.next_ms(30, 250)));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        kills += 1;
    }
    // Finish the backlog with a relay that is left alone.
    central.set_fault(Fault::None);
    let ob = SqliteOutbox::open(&db).expect("outbox");
    let metrics = MetricsHandle::default();
    let m = metrics.clone();
    let relay = rt.spawn(motcua_relay::run(ob, http(&addr), relay_cfg(), m, std::future::pending()));
    let t0 = Instant::now();
    while (central.event_count().expect("count") as usize) < EVENTS || metrics.snapshot().backlog > 0 {
        assert!(t0.elapsed() < Duration::from_secs(60), "final drain timed out: {:?}", metrics.snapshot());
        std::thread::sleep(Duration::from_millis(20));
    }
    relay.abort();
    let held = central.stored_events().expect("held");
    assert_eq!(held.len(), EVENTS);
    for (h, s) in held.iter().zip(&sent) {
        assert_eq!((&h.id, h.seq), (&s.id, s.seq), "order differs");
    }
    eprintln!("kills: {kills}, duplicates dropped at the receiver: {}", central.duplicates_dropped());
    assert!(kills >= 20, "too few kills to mean anything: {kills}");
}
