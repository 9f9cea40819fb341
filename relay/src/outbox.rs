//! Where undelivered events wait: a storage trait, the SQLite implementation over the hub's own
//! database, and an in-memory one.
//!
//! **Delete, not watermark.** Delivered rows are deleted from the hub's `outbox` table. The hub
//! already reads `COUNT(*) FROM outbox` as "undelivered" (its health page), so deletion keeps
//! one meaning for that table; the disk bound is about the backlog, and deleting gives the space
//! back. It cannot lose rows: the hub numbers events from `meta.outbox_seq` (not `MAX(seq)` or
//! AUTOINCREMENT), so deleting the newest row never lets a number be reused; the relay deletes
//! only ids it has read (committed rows) and acknowledged; SQLite serialises the hub's writer and
//! the relay's delete (busy timeout), and WAL lets the relay read while the hub writes.
//!
//! Rejected events are moved, in the same transaction, to the relay's own table
//! `relay_quarantine` (created if missing; the hub's tables are untouched) with the reason.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, params};

use crate::wire::WireEvent;

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// SQLite failed.
    #[error("outbox storage: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored payload is not JSON.
    #[error("outbox payload of {id} is not JSON: {err}")]
    Payload {
        /// Event id.
        id: String,
        /// Parse error.
        err: serde_json::Error,
    },
}

/// What happened to one sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// The central holds it (accepted now or earlier): remove it.
    Delivered,
    /// The central will never take it: quarantine it with the reason.
    Rejected(String),
}

/// Backlog figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Backlog {
    /// Undelivered events.
    pub events: u64,
    /// `occurred_at` of the oldest undelivered event.
    pub oldest_occurred_at: Option<String>,
    /// Bytes the store uses (SQLite: database pages in use).
    pub bytes: u64,
}

/// The relay's view of the outbox.
pub trait Outbox: Send {
    /// Append an event (the hub appends in production; tests and the in-memory store use this).
    fn append(&mut self, ev: &WireEvent) -> Result<(), OutboxError>;
    /// Up to `max` of the oldest undelivered events, in seq order.
    fn peek_batch(&mut self, max: usize) -> Result<Vec<WireEvent>, OutboxError>;
    /// Record the central's answers; atomic: all or none.
    fn ack(&mut self, outcomes: &[(String, Disposition)]) -> Result<(), OutboxError>;
    /// Backlog figures.
    fn backlog(&mut self) -> Result<Backlog, OutboxError>;
}

/// In-memory outbox (tests, and a kiosk without a hub database).
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    events: VecDeque<WireEvent>,
    /// Quarantined events with reasons.
    pub quarantine: Vec<(WireEvent, String)>,
}

impl MemoryOutbox {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Outbox for MemoryOutbox {
    fn append(&mut self, ev: &WireEvent) -> Result<(), OutboxError> {
        self.events.push_back(ev.clone());
        Ok(())
    }
    fn peek_batch(&mut self, max: usize) -> Result<Vec<WireEvent>, OutboxError> {
        Ok(self.events.iter().take(max).cloned().collect())
    }
    fn ack(&mut self, outcomes: &[(String, Disposition)]) -> Result<(), OutboxError> {
        for (id, d) in outcomes {
            if let Some(pos) = self.events.iter().position(|e| &e.id == id)
                && let Some(ev) = self.events.remove(pos)
                && let Disposition::Rejected(reason) = d
            {
                self.quarantine.push((ev, reason.clone()));
            }
        }
        Ok(())
    }
    fn backlog(&mut self) -> Result<Backlog, OutboxError> {
        let bytes = self.events.iter().map(|e| e.payload.to_string().len() as u64 + 128).sum();
        Ok(Backlog {
            events: self.events.len() as u64,
            oldest_occurred_at: self.events.front().map(|e| e.occurred_at.clone()),
            bytes,
        })
    }
}

/// The hub's schema for the tables the relay touches (identical to `hub/src/store.rs`; created
/// only if missing, so a relay started before the hub, or a test, has them).
const HUB_TABLES: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    office_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL
) STRICT;
";

const RELAY_TABLES: &str = "
CREATE TABLE IF NOT EXISTS relay_quarantine (
    seq INTEGER NOT NULL,
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    quarantined_at TEXT NOT NULL
) STRICT;
";

/// The hub's outbox, read through the relay's own connection.
#[derive(Debug)]
pub struct SqliteOutbox {
    conn: Connection,
}

impl SqliteOutbox {
    /// Open the hub's database (WAL, synchronous=FULL, busy timeout as the hub).
    pub fn open(path: &Path) -> Result<Self, OutboxError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(HUB_TABLES)?;
        conn.execute_batch(RELAY_TABLES)?;
        Ok(Self { conn })
    }

    /// Quarantined events: (id, reason).
    pub fn quarantined(&self) -> Result<Vec<(String, String)>, OutboxError> {
        let mut st = self.conn.prepare("SELECT id, reason FROM relay_quarantine ORDER BY seq")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Append many events in one transaction, numbering them as the hub does
    /// (from `meta.outbox_seq`). For tests and the bench.
    pub fn append_many(&mut self, evs: &mut [WireEvent]) -> Result<(), OutboxError> {
        let tx = self.conn.transaction()?;
        let mut seq: u64 = tx
            .query_row("SELECT value FROM meta WHERE key = 'outbox_seq'", [], |r| r.get::<_, String>(0))
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO outbox (seq, id, office_id, device_id, kind, occurred_at, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for ev in evs.iter_mut() {
                seq += 1;
                ev.seq = seq;
                st.execute(params![
                    seq as i64,
                    ev.id,
                    ev.office_id,
                    ev.device_id,
                    ev.kind,
                    ev.occurred_at,
                    ev.payload.to_string()
                ])?;
            }
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('outbox_seq', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [seq.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl Outbox for SqliteOutbox {
    fn append(&mut self, ev: &WireEvent) -> Result<(), OutboxError> {
        self.append_many(&mut [ev.clone()])
    }

    fn peek_batch(&mut self, max: usize) -> Result<Vec<WireEvent>, OutboxError> {
        let mut st = self.conn.prepare_cached(
            "SELECT seq, id, office_id, device_id, kind, occurred_at, payload FROM outbox ORDER BY seq LIMIT ?1",
        )?;
        let rows = st.query_map([max as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, id, office_id, device_id, kind, occurred_at, payload) = row?;
            let payload = match serde_json::from_str(&payload) {
                Ok(p) => p,
                Err(err) => return Err(OutboxError::Payload { id, err }),
            };
            out.push(WireEvent { id, office_id, device_id, seq: seq as u64, kind, occurred_at, payload });
        }
        Ok(out)
    }

    fn ack(&mut self, outcomes: &[(String, Disposition)]) -> Result<(), OutboxError> {
        let tx = self.conn.transaction()?;
        {
            let mut del = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
            let mut quar = tx.prepare_cached(
                "INSERT OR REPLACE INTO relay_quarantine (seq, id, office_id, device_id, kind, occurred_at, payload, reason, quarantined_at)
                 SELECT seq, id, office_id, device_id, kind, occurred_at, payload, ?2, ?3 FROM outbox WHERE id = ?1",
            )?;
            let now = crate::wire::now_rfc3339();
            for (id, d) in outcomes {
                if let Disposition::Rejected(reason) = d {
                    quar.execute(params![id, reason, now])?;
                }
                del.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn backlog(&mut self) -> Result<Backlog, OutboxError> {
        let (events, oldest): (i64, Option<String>) = self.conn.query_row(
            "SELECT COUNT(*), (SELECT occurred_at FROM outbox ORDER BY seq LIMIT 1) FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let page_size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let free: i64 = self.conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        Ok(Backlog {
            events: events as u64,
            oldest_occurred_at: oldest,
            bytes: ((pages - free).max(0) * page_size) as u64,
        })
    }
}
