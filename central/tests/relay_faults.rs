//! The relay against the reference central on loopback: outage, the fault matrix, crash
//! duplicates, quarantine, signatures. Every test is bounded in time.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use motcua_central::{CentralConfig, CentralServer, DeviceCred, Fault};
use motcua_relay::wire::{self, WireEvent};
use motcua_relay::{Central, HttpCentral, HttpCentralConfig, MetricsHandle, Mode, Outbox, RelayConfig, SqliteOutbox};
use tokio::sync::oneshot;

const KEY: &[u8] = b"device-key-of-hub-1";
const LIMIT: Duration = Duration::from_secs(60);

struct Rig {
    central: CentralServer,
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn start_central(dir: &Path) -> Rig {
    let central = CentralServer::open(CentralConfig {
        db_path: dir.join("central.sqlite"),
        devices: vec![DeviceCred { device_id: "hub-1".into(), office_id: "office-1".into(), key: KEY.to_vec() }],
        replay_window: Duration::from_secs(300),
        test_fault_endpoint: true,
    })
    .expect("ok");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("ok");
    let addr = listener.local_addr().expect("ok");
    let (tx, rx) = oneshot::channel::<()>();
    let c = central.clone();
    tokio::spawn(async move {
        c.serve(listener, async move {
            let _ = rx.await;
        })
        .await
        .expect("ok");
    });
    Rig { central, addr, _stop: tx }
}

fn http(addr: SocketAddr, key: &[u8], timeout: Duration) -> HttpCentral {
    HttpCentral::new(HttpCentralConfig {
        base_url: format!("http://{addr}"),
        device_id: "hub-1".into(),
        key: key.to_vec(),
        timeout,
    })
    .expect("ok")
}

fn events(n: usize, office: &str) -> Vec<WireEvent> {
    (0..n)
        .map(|i| WireEvent {
            id: uuid::Uuid::now_v7().to_string(),
            office_id: office.into(),
            device_id: "kiosk-1".into(),
            seq: 0,
            kind: "ticket_issued".into(),
            occurred_at: wire::now_rfc3339(),
            payload: serde_json::json!({"ticket": format!("A{:03}", i % 1000), "field_id": "tuphap"}),
        })
        .collect()
}

fn outbox_with(dir: &Path, n: usize) -> (SqliteOutbox, Vec<WireEvent>) {
    let mut ob = SqliteOutbox::open(&dir.join("hub.sqlite")).expect("ok");
    let mut evs = events(n, "office-1");
    ob.append_many(&mut evs).expect("ok");
    (ob, evs)
}

fn fast_cfg() -> RelayConfig {
    RelayConfig {
        batch_size: 200,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(80),
        poll_interval: Duration::from_millis(20),
        ..RelayConfig::default()
    }
}

struct Running {
    metrics: MetricsHandle,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<SqliteOutbox>,
}

fn spawn_relay(ob: SqliteOutbox, c: HttpCentral, cfg: RelayConfig) -> Running {
    let metrics = MetricsHandle::default();
    let (stop, rx) = oneshot::channel::<()>();
    let m = metrics.clone();
    let task = tokio::spawn(async move {
        motcua_relay::run(ob, c, cfg, m, async move {
            let _ = rx.await;
        })
        .await
        .expect("ok")
    });
    Running { metrics, stop, task }
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = tokio::time::Instant::now();
    while !f() {
        assert!(t0.elapsed() < LIMIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The relay has disposed of `n` events and holds none.
fn settled(m: &MetricsHandle, n: u64) -> bool {
    let m = m.snapshot();
    m.delivered + m.duplicates_acked + m.quarantined == n && m.backlog == 0
}

async fn stop(r: Running) -> SqliteOutbox {
    let _ = r.stop.send(());
    r.task.await.expect("ok")
}

/// Every sent event is held exactly once, in seq order.
fn assert_exactly_once_in_order(central: &CentralServer, sent: &[WireEvent]) {
    let held = central.stored_events().expect("ok");
    assert_eq!(held.len(), sent.len(), "receiver holds a different number of events");
    for (h, s) in held.iter().zip(sent) {
        assert_eq!(h.id, s.id, "order or identity differs at seq {}", s.seq);
        assert_eq!(h.seq, s.seq);
    }
}

/// Deliver a backlog while `fault` is on, then with it off; return the metrics seen under fault.
async fn fault_then_recover(
    fault: Fault,
    timeout: Duration,
    n: usize,
) -> (Rig, motcua_relay::RelayMetrics, SqliteOutbox) {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let (ob, sent) = outbox_with(dir.path(), n);
    rig.central.set_fault(fault);
    let r = spawn_relay(ob, http(rig.addr, KEY, timeout), fast_cfg());
    wait_for("retries under the fault", || r.metrics.snapshot().retries >= 3).await;
    let under = r.metrics.snapshot();
    assert_eq!(under.mode, Mode::BackingOff);
    rig.central.set_fault(Fault::None);
    wait_for("backlog drained", || r.metrics.snapshot().backlog == 0 && r.metrics.snapshot().mode == Mode::Online)
        .await;
    let mut ob = stop(r).await;
    assert_eq!(ob.backlog().expect("ok").events, 0);
    assert_exactly_once_in_order(&rig.central, &sent);
    drop(dir);
    (rig, under, ob)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_then_every_event_exactly_once_in_order() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    rig.central.set_fault(Fault::Down);
    let (ob, _) = outbox_with(dir.path(), 0);
    let r = spawn_relay(ob, http(rig.addr, KEY, Duration::from_secs(2)), fast_cfg());
    // Events accumulate during the outage, written by "the hub" through its own connection.
    let mut hub = SqliteOutbox::open(&dir.path().join("hub.sqlite")).expect("ok");
    let mut sent = Vec::new();
    for _ in 0..20 {
        let mut evs = events(1000, "office-1");
        hub.append_many(&mut evs).expect("ok");
        sent.extend(evs);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_for("backing off with the whole backlog", || {
        let m = r.metrics.snapshot();
        m.mode == Mode::BackingOff && m.backlog == 20_000
    })
    .await;
    let m = r.metrics.snapshot();
    assert!(m.oldest_undelivered_age_s.is_some());
    assert!(m.last_error.as_deref().unwrap_or("").contains("unavailable"), "{m:?}");
    assert_eq!(rig.central.event_count().expect("ok"), 0);
    rig.central.set_fault(Fault::None);
    let mut saw_catching_up = false;
    wait_for("drained", || {
        let m = r.metrics.snapshot();
        saw_catching_up |= m.mode == Mode::CatchingUp;
        m.backlog == 0
    })
    .await;
    assert!(saw_catching_up, "the relay never reported catching up");
    let m = stop(r).await;
    drop(m);
    assert_exactly_once_in_order(&rig.central, &sent);
    assert_eq!(rig.central.duplicates_dropped(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_5xx_retries_then_delivers() {
    let (_rig, under, _) = fault_then_recover(Fault::ServerError, Duration::from_secs(2), 500).await;
    assert!(under.last_error.expect("ok").contains("500"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_timeout_slow_central_dedups_the_resend() {
    let (rig, under, _) =
        fault_then_recover(Fault::Slow(Duration::from_millis(600)), Duration::from_millis(200), 500).await;
    assert!(under.last_error.expect("ok").contains("transport"));
    assert!(rig.central.duplicates_dropped() > 0, "the slow central stored, the resend must be a duplicate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_connection_reset_mid_reply() {
    let (rig, under, _) = fault_then_recover(Fault::Reset, Duration::from_secs(2), 500).await;
    assert!(under.last_error.expect("ok").contains("transport"));
    assert!(rig.central.duplicates_dropped() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_malformed_reply_body() {
    let (rig, under, _) = fault_then_recover(Fault::Malformed, Duration::from_secs(2), 500).await;
    assert!(under.last_error.expect("ok").contains("malformed"));
    assert!(rig.central.duplicates_dropped() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_partial_acks_resends_only_the_rest() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let (ob, sent) = outbox_with(dir.path(), 1000);
    rig.central.set_fault(Fault::PartialAcks);
    let r = spawn_relay(ob, http(rig.addr, KEY, Duration::from_secs(2)), fast_cfg());
    wait_for("drained under partial acks", || settled(&r.metrics, 1000)).await;
    let m = r.metrics.snapshot();
    stop(r).await;
    assert_exactly_once_in_order(&rig.central, &sent);
    assert_eq!(rig.central.duplicates_dropped(), 0, "only unacknowledged events may be resent");
    assert_eq!(m.delivered, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_clock_skew_beyond_window_is_a_clear_error() {
    let (_rig, under, _) = fault_then_recover(Fault::ClockSkew(3600), Duration::from_secs(2), 300).await;
    let e = under.last_error.expect("ok");
    assert!(e.contains("clock skew") && e.contains("replay window"), "{e}");
    assert_eq!(under.backlog, 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signature_is_401_and_nothing_is_acked() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let (ob, sent) = outbox_with(dir.path(), 50);
    let wrong = http(rig.addr, b"not-the-key", Duration::from_secs(2));
    match wrong.send_batch(&sent).await {
        Err(motcua_relay::SendError::Status { status, code, .. }) => {
            assert_eq!(status, 401);
            assert_eq!(code, "bad_signature");
        }
        other => panic!("expected 401 bad_signature, got {other:?}"),
    }
    let r = spawn_relay(ob, wrong, fast_cfg());
    wait_for("retries", || r.metrics.snapshot().retries >= 3).await;
    let mut ob = stop(r).await;
    assert_eq!(ob.backlog().expect("ok").events, 50);
    assert_eq!(rig.central.event_count().expect("ok"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_failure_keeps_the_backlog() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let (ob, _) = outbox_with(dir.path(), 20);
    // The central speaks plain HTTP: a TLS handshake with it fails.
    let c = HttpCentral::new(HttpCentralConfig {
        base_url: format!("https://{}", rig.addr),
        device_id: "hub-1".into(),
        key: KEY.to_vec(),
        timeout: Duration::from_secs(2),
    })
    .expect("ok");
    let r = spawn_relay(ob, c, fast_cfg());
    wait_for("retries", || r.metrics.snapshot().retries >= 2).await;
    let m = r.metrics.snapshot();
    let mut ob = stop(r).await;
    assert!(m.last_error.expect("ok").contains("transport"));
    assert_eq!(ob.backlog().expect("ok").events, 20);
    assert_eq!(rig.central.event_count().expect("ok"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_send_and_ack_is_deduplicated_at_the_receiver() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let (mut ob, sent) = outbox_with(dir.path(), 400);
    // The relay sent the first batch and "crashed" before recording the acks.
    let c = http(rig.addr, KEY, Duration::from_secs(2));
    let first = ob.peek_batch(200).expect("ok");
    let acks = c.send_batch(&first).await.expect("ok");
    assert_eq!(acks.len(), 200);
    drop(ob);
    // Restart over the same database.
    let ob = SqliteOutbox::open(&dir.path().join("hub.sqlite")).expect("ok");
    let r = spawn_relay(ob, c, fast_cfg());
    wait_for("drained", || settled(&r.metrics, 400)).await;
    let m = r.metrics.snapshot();
    stop(r).await;
    assert_eq!(m.duplicates_acked, 200);
    assert_eq!(rig.central.duplicates_dropped(), 200);
    assert_exactly_once_in_order(&rig.central, &sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_events_are_quarantined_not_retried() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let mut ob = SqliteOutbox::open(&dir.path().join("hub.sqlite")).expect("ok");
    let mut evs = events(10, "office-1");
    evs[4].office_id = "office-9".into(); // not this device's office
    ob.append_many(&mut evs).expect("ok");
    let r = spawn_relay(ob, http(rig.addr, KEY, Duration::from_secs(2)), fast_cfg());
    wait_for("drained", || settled(&r.metrics, 10)).await;
    let m = r.metrics.snapshot();
    let ob = stop(r).await;
    assert_eq!((m.delivered, m.quarantined), (9, 1));
    let q = ob.quarantined().expect("ok");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].0, evs[4].id);
    assert!(q[0].1.contains("office-9"));
    assert_eq!(rig.central.event_count().expect("ok"), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_mid_flight_loses_nothing() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let (ob, sent) = outbox_with(dir.path(), 600);
    rig.central.set_fault(Fault::Slow(Duration::from_millis(300)));
    let r = spawn_relay(ob, http(rig.addr, KEY, Duration::from_secs(5)), fast_cfg());
    tokio::time::sleep(Duration::from_millis(100)).await; // a batch is in flight
    let ob = stop(r).await;
    rig.central.set_fault(Fault::None);
    let r = spawn_relay(ob, http(rig.addr, KEY, Duration::from_secs(5)), fast_cfg());
    wait_for("drained", || rig.central.event_count().expect("ok") == 600 && r.metrics.snapshot().backlog == 0).await;
    stop(r).await;
    assert_exactly_once_in_order(&rig.central, &sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dossier_catalog_config_health_and_replay() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let c = http(rig.addr, KEY, Duration::from_secs(2));
    let d = &CentralServer::seeded_dossiers()[3];
    assert!(d.code.starts_with("000.00.12.H62-"));
    let ok = c
        .signed(reqwest::Method::GET, &format!("/v1/dossiers/{}?secret={}", d.code, d.secret), vec![])
        .send()
        .await
        .expect("ok");
    assert_eq!(ok.status(), 200);
    let doc: serde_json::Value = ok.json().await.expect("ok");
    assert_eq!(doc["status_label"], "Đã có kết quả");
    assert!(doc["due_at"].as_str().expect("ok").ends_with("+07:00"));
    let wrong = c
        .signed(reqwest::Method::GET, &format!("/v1/dossiers/{}?secret=000000", d.code), vec![])
        .send()
        .await
        .expect("ok");
    assert_eq!(wrong.status(), 404);
    let cat = c.signed(reqwest::Method::GET, "/v1/catalog", vec![]).send().await.expect("ok");
    assert_eq!(cat.status(), 200);
    let cfg = c.signed(reqwest::Method::GET, "/v1/offices/office-1/config", vec![]).send().await.expect("ok");
    assert_eq!(cfg.status(), 200);
    let other = c.signed(reqwest::Method::GET, "/v1/offices/office-2/config", vec![]).send().await.expect("ok");
    assert_eq!(other.status(), 403);
    let health = c
        .signed(reqwest::Method::POST, "/v1/devices/health", br#"{"printer":"ok"}"#.to_vec())
        .send()
        .await
        .expect("ok");
    assert_eq!(health.status(), 202);
    // Replaying a captured request (same nonce) is refused.
    let req = c.signed(reqwest::Method::GET, "/v1/catalog", vec![]).build().expect("ok");
    let client = reqwest::Client::new();
    let again = req.try_clone().expect("ok");
    assert_eq!(client.execute(req).await.expect("ok").status(), 200);
    let replay = client.execute(again).await.expect("ok");
    assert_eq!(replay.status(), 401);
    let e: wire::ApiError = replay.json().await.expect("ok");
    assert_eq!(e.code, "replayed_nonce");
}

#[test]
fn bench_relay_small_backlog_loses_nothing() {
    // MOTCUA_BENCH_EVENTS=100000 for the issue's figure.
    let n = std::env::var("MOTCUA_BENCH_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000);
    let f = motcua_central::bench_relay(n).expect("ok");
    eprintln!("{}", serde_json::to_string(&f).expect("ok"));
    assert_eq!((f.events, f.lost, f.duplicates), (n, 0, 0));
    assert!(f.events_per_s > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_settable_over_http_for_out_of_process_tests() {
    assert_eq!(Fault::parse("slow:250"), Some(Fault::Slow(Duration::from_millis(250))));
    assert_eq!(Fault::parse("skew:-90"), Some(Fault::ClockSkew(-90)));
    assert_eq!(Fault::parse("nonsense"), None);
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/_test/fault", rig.addr);
    assert_eq!(client.put(&url).body("down").send().await.expect("ok").status(), 200);
    assert_eq!(rig.central.fault(), Fault::Down);
    assert_eq!(client.put(&url).body("bogus").send().await.expect("ok").status(), 400);
    assert_eq!(client.put(&url).body("none").send().await.expect("ok").status(), 200);
    assert_eq!(rig.central.fault(), Fault::None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_kit_passes_against_the_reference_central() {
    let dir = tempfile::tempdir().expect("ok");
    let rig = start_central(dir.path()).await;
    let t = motcua_central::conformance::ConformanceTarget {
        url: format!("http://{}", rig.addr),
        device_id: "hub-1".into(),
        key: KEY.to_vec(),
        office_id: "office-1".into(),
    };
    let results = motcua_central::conformance::run_conformance(&t).await;
    assert_eq!(results.len(), 5);
    for r in &results {
        assert!(r.ok, "{r:?}");
    }
    // And it notices a central that misbehaves.
    rig.central.set_fault(Fault::ServerError);
    let results = motcua_central::conformance::run_conformance(&t).await;
    assert!(results.iter().any(|r| !r.ok));
}
