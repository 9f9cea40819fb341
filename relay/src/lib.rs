//! The relay: delivers the hub's outbox to the provincial central system.
//!
//! An event leaves the outbox only after the central acknowledged it (`accepted` or
//! `duplicate`); `rejected` events are quarantined with the reason. Batches go in seq order;
//! a failed batch is retried with exponential backoff (full jitter, capped). The central
//! deduplicates by event id, so a crash between send and ack gives duplicates at the wire that
//! the receiver drops: exactly once at the receiver.

pub mod central;
pub mod outbox;
pub mod wire;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use central::{Central, HttpCentral, HttpCentralConfig, SendError};
pub use outbox::{Backlog, Disposition, MemoryOutbox, Outbox, OutboxError, SqliteOutbox};
use wire::AckStatus;

/// Delivery mode, named as in the health page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Backlog at most one batch; the central answers.
    #[default]
    Online,
    /// The last attempt failed; waiting before the next.
    BackingOff,
    /// The central answers and more than one batch is waiting.
    CatchingUp,
}

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Events per batch.
    pub batch_size: usize,
    /// First backoff delay.
    pub backoff_base: Duration,
    /// Backoff cap.
    pub backoff_max: Duration,
    /// How often to look at an empty outbox.
    pub poll_interval: Duration,
    /// Bound on the outbox's disk use (bytes).
    pub disk_limit_bytes: u64,
    /// Alarm when use reaches this fraction of the bound.
    pub disk_alarm_ratio: f64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_size: 500,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            poll_interval: Duration::from_millis(250),
            disk_limit_bytes: 512 * 1024 * 1024,
            disk_alarm_ratio: 0.8,
        }
    }
}

/// What the relay reports (health page, metrics).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RelayMetrics {
    /// Current mode.
    pub mode: Mode,
    /// Undelivered events.
    pub backlog: u64,
    /// Age of the oldest undelivered event, seconds.
    pub oldest_undelivered_age_s: Option<f64>,
    /// Events acknowledged `accepted` since start.
    pub delivered: u64,
    /// Events acknowledged `duplicate` since start.
    pub duplicates_acked: u64,
    /// Events quarantined since start.
    pub quarantined: u64,
    /// Failed attempts since start.
    pub retries: u64,
    /// Last failure, readable.
    pub last_error: Option<String>,
    /// Bytes the outbox uses.
    pub disk_bytes: u64,
    /// The bound.
    pub disk_limit_bytes: u64,
    /// Use reached the alarm threshold.
    pub disk_alarm: bool,
}

/// Shared view of the metrics.
#[derive(Debug, Clone, Default)]
pub struct MetricsHandle(Arc<Mutex<RelayMetrics>>);

impl MetricsHandle {
    /// A copy of the current figures.
    pub fn snapshot(&self) -> RelayMetrics {
        match self.0.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
    fn update(&self, f: impl FnOnce(&mut RelayMetrics)) {
        match self.0.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

/// Exponential backoff with full jitter and a cap.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    /// New, at attempt 0.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max, attempt: 0 }
    }
    /// The next delay: uniform in [ceiling/2, ceiling], ceiling = min(max, base·2^attempt).
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.base.saturating_mul(1u32 << self.attempt.min(20)).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let ms = ceiling.as_millis() as u64;
        Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))
    }
    /// After a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Relay failures that stop `run` (storage only: the central failing is retried forever).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The outbox store failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

fn age_secs(occurred_at: &str) -> Option<f64> {
    let ts: jiff::Timestamp = occurred_at.parse().ok()?;
    let d = jiff::Timestamp::now().duration_since(ts);
    Some(d.as_secs_f64().max(0.0))
}

fn refresh_backlog<O: Outbox>(outbox: &mut O, cfg: &RelayConfig, metrics: &MetricsHandle) -> Result<u64, RelayError> {
    let b = outbox.backlog()?;
    metrics.update(|m| {
        m.backlog = b.events;
        m.oldest_undelivered_age_s = b.oldest_occurred_at.as_deref().and_then(age_secs);
        m.disk_bytes = b.bytes;
        m.disk_limit_bytes = cfg.disk_limit_bytes;
        m.disk_alarm = b.bytes as f64 >= cfg.disk_limit_bytes as f64 * cfg.disk_alarm_ratio;
    });
    Ok(b.events)
}

/// Deliver until `shutdown` resolves. Cancel-safe: stopping (or dropping this future) at any
/// point loses nothing — an event is removed only in `Outbox::ack`, after the central's ack, and
/// a batch interrupted in flight is sent again (the central drops the duplicates).
pub async fn run<O: Outbox, C: Central>(
    mut outbox: O,
    central: C,
    cfg: RelayConfig,
    metrics: MetricsHandle,
    shutdown: impl Future<Output = ()>,
) -> Result<O, RelayError> {
    let mut backoff = Backoff::new(cfg.backoff_base, cfg.backoff_max);
    let mut shutdown = std::pin::pin!(shutdown);
    refresh_backlog(&mut outbox, &cfg, &metrics)?;
    loop {
        let batch = outbox.peek_batch(cfg.batch_size.max(1))?;
        if batch.is_empty() {
            refresh_backlog(&mut outbox, &cfg, &metrics)?;
            metrics.update(|m| {
                if m.mode != Mode::BackingOff {
                    m.mode = Mode::Online;
                }
            });
            tokio::select! {
                () = &mut shutdown => return Ok(outbox),
                () = tokio::time::sleep(cfg.poll_interval) => continue,
            }
        }
        let sent = tokio::select! {
            () = &mut shutdown => return Ok(outbox),
            r = central.send_batch(&batch) => r,
        };
        match sent {
            Ok(acks) => {
                let sent_ids: std::collections::HashSet<&str> = batch.iter().map(|e| e.id.as_str()).collect();
                let mut outcomes = Vec::with_capacity(acks.len());
                let (mut acc, mut dup, mut rej) = (0u64, 0u64, 0u64);
                for a in acks {
                    if !sent_ids.contains(a.id.as_str()) {
                        continue; // an ack for something we did not send: ignore it
                    }
                    let d = match a.status {
                        AckStatus::Accepted => {
                            acc += 1;
                            Disposition::Delivered
                        }
                        AckStatus::Duplicate => {
                            dup += 1;
                            Disposition::Delivered
                        }
                        AckStatus::Rejected => {
                            rej += 1;
                            Disposition::Rejected(a.reason.unwrap_or_else(|| "rejected (no reason given)".into()))
                        }
                    };
                    outcomes.push((a.id, d));
                }
                outbox.ack(&outcomes)?;
                let left = refresh_backlog(&mut outbox, &cfg, &metrics)?;
                let progress = !outcomes.is_empty();
                metrics.update(|m| {
                    m.delivered += acc;
                    m.duplicates_acked += dup;
                    m.quarantined += rej;
                    if progress {
                        m.mode = if left > cfg.batch_size as u64 { Mode::CatchingUp } else { Mode::Online };
                    }
                });
                if progress {
                    backoff.reset();
                } else {
                    // A reply acknowledging nothing: treat as a failure so we do not spin.
                    let delay = backoff.next_delay();
                    metrics.update(|m| {
                        m.mode = Mode::BackingOff;
                        m.retries += 1;
                        m.last_error = Some("the central acknowledged none of the batch".into());
                    });
                    tokio::select! {
                        () = &mut shutdown => return Ok(outbox),
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "relay: batch not delivered");
                refresh_backlog(&mut outbox, &cfg, &metrics)?;
                let delay = backoff.next_delay();
                metrics.update(|m| {
                    m.mode = Mode::BackingOff;
                    m.retries += 1;
                    m.last_error = Some(e.to_string());
                });
                tokio::select! {
                    () = &mut shutdown => return Ok(outbox),
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Ack, WireEvent};

    /// A fake central: down for the first `down_for` calls, then acknowledges everything.
    struct Fake {
        calls: std::sync::atomic::AtomicU32,
        down_for: u32,
        got: Mutex<Vec<String>>,
    }

    impl Central for Fake {
        async fn send_batch(&self, events: &[WireEvent]) -> Result<Vec<Ack>, SendError> {
            let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n < self.down_for {
                return Err(SendError::Transport("connection refused".into()));
            }
            let mut got = self.got.lock().map_err(|_| SendError::Transport("poisoned".into()))?;
            got.extend(events.iter().map(|e| e.id.clone()));
            Ok(events.iter().map(|e| Ack { id: e.id.clone(), status: AckStatus::Accepted, reason: None }).collect())
        }
    }

    fn ev(i: u64) -> WireEvent {
        WireEvent {
            id: format!("00000000-0000-7000-8000-{i:012}"),
            office_id: "o".into(),
            device_id: "d".into(),
            seq: i,
            kind: "ticket_issued".into(),
            occurred_at: "2026-11-23T08:00:00+07:00".into(),
            payload: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn memory_outbox_fake_central_backs_off_alarms_then_delivers_in_order() {
        let mut ob = MemoryOutbox::new();
        for i in 1..=50 {
            ob.append(&ev(i)).map_err(|e| e.to_string()).ok();
        }
        let fake = std::sync::Arc::new(Fake { calls: 0.into(), down_for: 3, got: Mutex::new(Vec::new()) });
        struct Shared(std::sync::Arc<Fake>);
        impl Central for Shared {
            fn send_batch(&self, events: &[WireEvent]) -> impl Future<Output = Result<Vec<Ack>, SendError>> + Send {
                self.0.send_batch(events)
            }
        }
        let cfg = RelayConfig {
            batch_size: 10,
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            poll_interval: Duration::from_millis(5),
            disk_limit_bytes: 1000,
            disk_alarm_ratio: 0.8,
        };
        let metrics = MetricsHandle::default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let m = metrics.clone();
        let task = tokio::spawn(run(ob, Shared(fake.clone()), cfg, m, async move {
            let _ = rx.await;
        }));
        let mut saw_alarm_backing_off = false;
        for _ in 0..400 {
            let s = metrics.snapshot();
            saw_alarm_backing_off |= s.mode == Mode::BackingOff && s.disk_alarm && s.backlog == 50;
            if s.delivered == 50 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let s = metrics.snapshot();
        let _ = tx.send(());
        let ob = task.await.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string()));
        assert!(saw_alarm_backing_off, "never saw BackingOff with the disk alarm: {s:?}");
        assert_eq!((s.delivered, s.backlog, s.retries, s.disk_alarm, s.mode), (50, 0, 3, false, Mode::Online));
        assert!(matches!(ob, Ok(ref o) if o.quarantine.is_empty()));
        let got = fake.got.lock().map(|g| g.clone()).unwrap_or_default();
        let want: Vec<String> = (1..=50).map(|i| ev(i).id).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn backoff_grows_to_cap_with_jitter() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let d: Vec<_> = (0..8).map(|_| b.next_delay()).collect();
        assert!(d[0] >= Duration::from_millis(50) && d[0] <= Duration::from_millis(100));
        assert!(d[7] >= Duration::from_millis(500) && d[7] <= Duration::from_secs(1));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
