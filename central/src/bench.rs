//! `motcua bench relay`: drain a backlog through the relay to the loopback reference central.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use motcua_relay::wire::{self, WireEvent};
use motcua_relay::{HttpCentral, HttpCentralConfig, MetricsHandle, RelayConfig, SqliteOutbox};

use crate::{CentralConfig, CentralServer, DeviceCred};

/// The bench's result; its JSON is the last line `motcua bench relay` prints.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenchFigures {
    /// Events in the backlog.
    pub events: u64,
    /// Drain rate (events acknowledged durably by the receiver per second).
    pub events_per_s: f64,
    /// Events the receiver does not hold.
    pub lost: u64,
    /// Events the receiver holds more than once.
    pub duplicates: u64,
}

/// Bench failures.
pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

/// Fill a hub outbox (SQLite, in a temporary directory) with `events` events, start the
/// reference central on 127.0.0.1:0, run the relay until the backlog is empty, and count at the
/// receiver. Builds its own tokio runtime: call it from synchronous code.
pub fn bench_relay(events: u64) -> Result<BenchFigures, BenchError> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("motcua-bench-relay-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = bench_in(&dir, events);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn bench_in(dir: &std::path::Path, events: u64) -> Result<BenchFigures, BenchError> {
    let key = b"bench-key".to_vec();
    let mut ob = SqliteOutbox::open(&dir.join("hub.sqlite"))?;
    let mut sent_ids = HashSet::with_capacity(events as usize);
    let now = wire::now_rfc3339();
    let mut left = events;
    while left > 0 {
        let n = left.min(10_000);
        let mut chunk: Vec<WireEvent> = (0..n)
            .map(|i| WireEvent {
                id: uuid::Uuid::now_v7().to_string(),
                office_id: "office-bench".into(),
                device_id: "kiosk-1".into(),
                seq: 0,
                kind: "ticket_issued".into(),
                occurred_at: now.clone(),
                payload: serde_json::json!({"ticket": format!("A{:03}", i % 1000), "field_id": "tuphap"}),
            })
            .collect();
        ob.append_many(&mut chunk)?;
        sent_ids.extend(chunk.into_iter().map(|e| e.id));
        left -= n;
    }
    let central = CentralServer::open(CentralConfig {
        db_path: dir.join("central.sqlite"),
        devices: vec![DeviceCred { device_id: "hub-bench".into(), office_id: "office-bench".into(), key: key.clone() }],
        replay_window: Duration::from_secs(300),
        test_fault_endpoint: false,
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let elapsed = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop_central, rx) = tokio::sync::oneshot::channel::<()>();
        let c = central.clone();
        let server = tokio::spawn(async move {
            c.serve(listener, async move {
                let _ = rx.await;
            })
            .await
        });
        let http = HttpCentral::new(HttpCentralConfig {
            base_url: format!("http://{addr}"),
            device_id: "hub-bench".into(),
            key,
            timeout: Duration::from_secs(30),
        })?;
        let metrics = MetricsHandle::default();
        let (stop_relay, rx) = tokio::sync::oneshot::channel::<()>();
        let cfg = RelayConfig { batch_size: 1000, ..RelayConfig::default() };
        let m = metrics.clone();
        let t0 = Instant::now();
        let relay = tokio::spawn(motcua_relay::run(ob, http, cfg, m, async move {
            let _ = rx.await;
        }));
        loop {
            let s = metrics.snapshot();
            if s.delivered + s.duplicates_acked + s.quarantined >= events && s.backlog == 0 {
                break;
            }
            if relay.is_finished() {
                return Err::<Duration, BenchError>("relay stopped early".into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let elapsed = t0.elapsed();
        let _ = stop_relay.send(());
        relay.await??;
        let _ = stop_central.send(());
        server.await??;
        Ok(elapsed)
    })?;
    let held = central.stored_events()?;
    let mut seen = HashSet::with_capacity(held.len());
    let mut duplicates = 0u64;
    for e in &held {
        if !seen.insert(e.id.as_str()) {
            duplicates += 1;
        }
    }
    let lost = sent_ids.iter().filter(|id| !seen.contains(id.as_str())).count() as u64;
    Ok(BenchFigures { events, events_per_s: events as f64 / elapsed.as_secs_f64().max(1e-9), lost, duplicates })
}
