//! Durable store: SQLite (WAL, `synchronous=FULL`) behind one writer with group commit.
//!
//! Every command goes through the writer. It takes all requests that are waiting, runs each
//! through the engine, writes the rows the events touched and the events themselves (the outbox)
//! in ONE transaction, commits (one fsync for the whole group), and only then answers each
//! caller. So an acknowledged ticket is on disk, a number is never handed out twice (the
//! `UNIQUE(service_day, series, seq)` constraint backs the engine up), and every state change has
//! exactly one outbox event, written atomically with it. Under concurrency the fsync cost is
//! shared by the whole group, and deciding the next group overlaps committing this one (a
//! two-stage pipeline, see `Writer`), which is what keeps p99 latency near two fsyncs.
//!
//! Automatic checkpoints are off on the writer's connection (they would put a database fsync in
//! some unlucky caller's commit); a separate thread checkpoints passively every few seconds.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{broadcast, mpsc, oneshot};
use uuid::Uuid;

use crate::api::{self, CounterReply, EventEnvelope, TicketStatus};
use crate::config::Config;
use crate::engine::{self, Command, CounterRec, Ctx, Event, State, TicketRec};
use crate::error::{Error, Result};
use crate::estimate::Ewma;

/// Source of "now" for the hub; tests use a manual clock.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// What the writer answers.
#[derive(Debug)]
pub(crate) enum Reply {
    Issued(api::Ticket),
    Counter(CounterReply),
}

pub(crate) enum Request {
    Command {
        cmd: Command,
        device_id: String,
        reply: oneshot::Sender<Result<Reply>>,
    },
    Tick,
    /// Answered after the next successful commit: proves the writer and the disk are alive.
    Ping(std::sync::mpsc::Sender<()>),
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,
    service_day TEXT NOT NULL,
    series_field_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    field_id TEXT NOT NULL,
    priority_class TEXT,
    status TEXT NOT NULL,
    counter INTEGER,
    target_counter INTEGER,
    issued_ms INTEGER NOT NULL,
    called_ms INTEGER,
    started_ms INTEGER,
    finished_ms INTEGER,
    people_ahead INTEGER NOT NULL,
    wait_min INTEGER,
    wait_max INTEGER,
    issued_by TEXT NOT NULL,
    UNIQUE (service_day, series_field_id, seq)
) STRICT;
CREATE INDEX IF NOT EXISTS tickets_day ON tickets (service_day, status);
CREATE TABLE IF NOT EXISTS counters (
    number INTEGER PRIMARY KEY,
    open INTEGER NOT NULL,
    officer_id TEXT,
    current_ticket TEXT,
    priority_streak INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS service_stats (
    field_id TEXT NOT NULL,
    hour INTEGER NOT NULL,   -- 0..23, or -1 for the whole day
    mean_secs REAL NOT NULL,
    samples INTEGER NOT NULL,
    PRIMARY KEY (field_id, hour)
) STRICT;
CREATE TABLE IF NOT EXISTS rating_windows (
    window_id INTEGER PRIMARY KEY,
    counter INTEGER NOT NULL,
    ticket_id TEXT NOT NULL,
    number TEXT NOT NULL,
    session_id TEXT,
    officer_id TEXT,
    dossier_code TEXT,
    opened_ms INTEGER NOT NULL,
    closes_ms INTEGER NOT NULL,
    rated_key INTEGER,
    rated_level TEXT,
    rated_ms INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS rating_windows_counter ON rating_windows (counter, window_id);
-- The citizen identified at the kiosk, for the visit only (purge_citizens deletes the row).
-- Never the raw ID number: its keyed hash and a masked form.
CREATE TABLE IF NOT EXISTS ticket_citizens (
    ticket_id TEXT PRIMARY KEY,
    service_day TEXT NOT NULL,
    display_name TEXT NOT NULL,
    masked_id TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    birth_year INTEGER,
    verification TEXT NOT NULL
) STRICT;
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

/// Open a connection with the hub's durability settings.
pub fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// The writer's connection: the hub's settings, and no automatic checkpoints (a checkpoint would
/// put a database fsync into some unlucky caller's commit; a separate thread checkpoints).
pub fn writer_connection(path: &Path) -> Result<Connection> {
    let conn = open_connection(path)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

/// Create tables if needed and bring an older database up to the current schema.
pub fn migrate(conn: &Connection) -> Result<()> {
    conn.execute_batch(SCHEMA)?;
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1')", [])?;
    // Version 2: tickets carry their service session and dossier code.
    let has_column = |c: &str| -> Result<bool> {
        Ok(conn.query_row("SELECT COUNT(*) FROM pragma_table_info('tickets') WHERE name = ?1", [c], |r| {
            r.get::<_, i64>(0)
        })? > 0)
    };
    if !has_column("session_id")? {
        conn.execute_batch("ALTER TABLE tickets ADD COLUMN session_id TEXT")?;
    }
    if !has_column("dossier_code")? {
        conn.execute_batch("ALTER TABLE tickets ADD COLUMN dossier_code TEXT")?;
    }
    meta_set(conn, "schema_version", "2")?;
    Ok(())
}

fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn status_str(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::Pending => "pending",
        TicketStatus::Voided => "voided",
        TicketStatus::Waiting => "waiting",
        TicketStatus::Called => "called",
        TicketStatus::Serving => "serving",
        TicketStatus::Finished => "finished",
        TicketStatus::Skipped => "skipped",
    }
}

fn parse_status(s: &str) -> Option<TicketStatus> {
    Some(match s {
        "pending" => TicketStatus::Pending,
        "voided" => TicketStatus::Voided,
        "waiting" => TicketStatus::Waiting,
        "called" => TicketStatus::Called,
        "serving" => TicketStatus::Serving,
        "finished" => TicketStatus::Finished,
        "skipped" => TicketStatus::Skipped,
        _ => return None,
    })
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn bad_row(msg: String) -> Error {
    Error::Storage(rusqlite::Error::InvalidColumnType(0, msg, rusqlite::types::Type::Text))
}

/// Rebuild the engine state from the tables.
pub fn load_state(conn: &Connection, cfg: &Config) -> Result<(State, u64)> {
    let mut state = State::new(cfg);
    let day: Option<Date> = meta_get(conn, "service_day")?.and_then(|d| d.parse().ok());
    state.service_day = day;
    if let Some(day) = day {
        let d = day.to_string();
        let mut stmt = conn.prepare(
            "SELECT id, service_day, series_field_id, seq, number, field_id, priority_class, status, counter,
                    target_counter, issued_ms, called_ms, started_ms, finished_ms, people_ahead, wait_min,
                    wait_max, issued_by, session_id, dossier_code
             FROM tickets WHERE service_day = ?1 AND status != 'expired'",
        )?;
        let rows = stmt.query_map([&d], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<u32>>(8)?,
                r.get::<_, Option<u32>>(9)?,
                (
                    r.get::<_, i64>(10)?,
                    r.get::<_, Option<i64>>(11)?,
                    r.get::<_, Option<i64>>(12)?,
                    r.get::<_, Option<i64>>(13)?,
                ),
                (
                    r.get::<_, u32>(14)?,
                    r.get::<_, Option<u32>>(15)?,
                    r.get::<_, Option<u32>>(16)?,
                    r.get::<_, String>(17)?,
                ),
                (r.get::<_, Option<String>>(18)?, r.get::<_, Option<String>>(19)?),
            ))
        })?;
        for row in rows {
            let (id, series, seq, number, field_id, pc, status, counter, target, times, rest, (session, dossier)) =
                row?;
            let id = Uuid::parse_str(&id).map_err(|e| bad_row(format!("ticket id {id}: {e}")))?;
            let status = parse_status(&status).ok_or_else(|| bad_row(format!("ticket status {status}")))?;
            let (wait_min, wait_max) = (rest.1, rest.2);
            let t = TicketRec {
                id,
                service_day: day,
                field_id,
                series_field_id: series,
                seq,
                number,
                priority_class: pc,
                status,
                counter,
                target_counter: target,
                issued_at: ts(times.0),
                called_at: times.1.map(ts),
                started_at: times.2.map(ts),
                finished_at: times.3.map(ts),
                people_ahead: rest.0,
                wait: match (wait_min, wait_max) {
                    (Some(a), Some(b)) => Some(api::WaitRange { min_minutes: a, max_minutes: b }),
                    _ => None,
                },
                issued_by: rest.3,
                session_id: session.and_then(|s| Uuid::parse_str(&s).ok()),
                dossier_code: dossier,
                citizen: None,
            };
            state.tickets.insert(t.id, t);
        }
        state.reindex();
        load_citizens(conn, &mut state)?;
        let mut stmt = conn
            .prepare("SELECT series_field_id, MAX(seq) FROM tickets WHERE service_day = ?1 GROUP BY series_field_id")?;
        for row in stmt.query_map([&d], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))? {
            let (f, s) = row?;
            state.last_seq.insert(f, s);
        }
    }
    let mut stmt = conn.prepare("SELECT number, open, officer_id, current_ticket, priority_streak FROM counters")?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            r.get::<_, bool>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, u32>(4)?,
        ))
    })? {
        let (number, open, officer_id, current, streak) = row?;
        if let Some(c) = state.counters.get_mut(&number) {
            c.open = open;
            c.officer_id = officer_id;
            c.current = current.and_then(|s| Uuid::parse_str(&s).ok()).filter(|id| state.tickets.contains_key(id));
            c.priority_streak = streak;
        }
    }
    load_rating_windows(conn, &mut state)?;
    let mut stmt = conn.prepare("SELECT field_id, hour, mean_secs, samples FROM service_stats")?;
    for row in stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, f64>(2)?, r.get::<_, u32>(3)?))
    })? {
        let (f, hour, mean_secs, samples) = row?;
        let e = Ewma { mean_secs, samples };
        match u8::try_from(hour) {
            Ok(h) if h < 24 => {
                state.stats.by_hour.insert((f, h), e);
            }
            _ => {
                state.stats.by_field.insert(f, e);
            }
        }
    }
    let seq = meta_get(conn, "outbox_seq")?.and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((state, seq))
}

/// Each counter's latest rating window, and the highest window id.
fn load_rating_windows(conn: &Connection, state: &mut State) -> Result<()> {
    state.last_window_id =
        conn.query_row("SELECT COALESCE(MAX(window_id), 0) FROM rating_windows", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(
        "SELECT w.window_id, w.counter, w.ticket_id, w.number, w.session_id, w.officer_id, w.dossier_code,
                w.opened_ms, w.closes_ms, w.rated_key, w.rated_level
         FROM rating_windows w
         WHERE w.window_id = (SELECT MAX(window_id) FROM rating_windows x WHERE x.counter = w.counter)",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            (r.get::<_, u32>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?),
            (r.get::<_, Option<String>>(4)?, r.get::<_, Option<String>>(5)?, r.get::<_, Option<String>>(6)?),
            (r.get::<_, i64>(7)?, r.get::<_, i64>(8)?, r.get::<_, Option<u8>>(9)?, r.get::<_, Option<String>>(10)?),
        ))
    })?;
    for row in rows {
        let ((window_id, counter, ticket, number), (session, officer_id, dossier_code), (opened, closes, key, level)) =
            row?;
        let ticket_id = Uuid::parse_str(&ticket).map_err(|e| bad_row(format!("rating window ticket {ticket}: {e}")))?;
        let rated = match (key, level) {
            (Some(k), Some(l)) => Some((
                k,
                serde_json::from_value(serde_json::Value::String(l.clone()))
                    .map_err(|_| bad_row(format!("rating level {l}")))?,
            )),
            _ => None,
        };
        if let Some(c) = state.counters.get_mut(&counter) {
            c.rating = Some(engine::RatingWindowRec {
                window_id,
                ticket_id,
                number,
                session_id: session.and_then(|s| Uuid::parse_str(&s).ok()),
                officer_id,
                dossier_code,
                opened_at: ts(opened),
                closes_at: ts(closes),
                rated,
            });
        }
    }
    Ok(())
}

fn upsert_ticket(conn: &Connection, t: &TicketRec) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO tickets (id, service_day, series_field_id, seq, number, field_id, priority_class, status, counter,
                              target_counter, issued_ms, called_ms, started_ms, finished_ms, people_ahead, wait_min,
                              wait_max, issued_by, session_id, dossier_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT(id) DO UPDATE SET field_id = excluded.field_id, status = excluded.status,
             counter = excluded.counter, target_counter = excluded.target_counter, called_ms = excluded.called_ms,
             started_ms = excluded.started_ms, finished_ms = excluded.finished_ms,
             session_id = excluded.session_id, dossier_code = excluded.dossier_code",
    )?
    .execute(params![
        t.id.to_string(),
        t.service_day.to_string(),
        t.series_field_id,
        t.seq,
        t.number,
        t.field_id,
        t.priority_class,
        status_str(t.status),
        t.counter,
        t.target_counter,
        t.issued_at.as_millisecond(),
        t.called_at.map(|x| x.as_millisecond()),
        t.started_at.map(|x| x.as_millisecond()),
        t.finished_at.map(|x| x.as_millisecond()),
        t.people_ahead,
        t.wait.map(|w| w.min_minutes),
        t.wait.map(|w| w.max_minutes),
        t.issued_by,
        t.session_id.map(|u| u.to_string()),
        t.dossier_code,
    ])?;
    Ok(())
}

fn upsert_counter(conn: &Connection, c: &CounterRec) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO counters (number, open, officer_id, current_ticket, priority_streak) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(number) DO UPDATE SET open = excluded.open, officer_id = excluded.officer_id,
             current_ticket = excluded.current_ticket, priority_streak = excluded.priority_streak",
    )?
    .execute(params![c.number, c.open, c.officer_id, c.current.map(|u| u.to_string()), c.priority_streak])?;
    Ok(())
}

fn upsert_stat(conn: &Connection, field: &str, hour: i64, e: &Ewma) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO service_stats (field_id, hour, mean_secs, samples) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(field_id, hour) DO UPDATE SET mean_secs = excluded.mean_secs, samples = excluded.samples",
    )?
    .execute(params![field, hour, e.mean_secs, e.samples])?;
    Ok(())
}

/// Capture what an applied event changed, reading the new values from the state; the commit
/// stage writes them (see [`execute`]).
fn plan_rows(out: &mut Vec<Write>, state: &State, ev: &Event, now: Timestamp) {
    let ticket = |out: &mut Vec<Write>, id: &Uuid| {
        if let Some(t) = state.tickets.get(id) {
            out.push(Write::Ticket(Box::new(t.clone())));
        }
    };
    let counter = |out: &mut Vec<Write>, n: u32| {
        if let Some(c) = state.counters.get(&n) {
            out.push(Write::Counter(c.clone()));
        }
    };
    match ev {
        Event::DayStarted { service_day, expired } => {
            out.push(Write::Meta("service_day", service_day.to_string()));
            out.push(Write::Expire(expired.clone()));
            for c in state.counters.values() {
                out.push(Write::Counter(c.clone()));
            }
        }
        Event::TicketIssued { ticket: t } | Event::TicketReserved { ticket: t } => {
            // The reservation's row, or the row of a ticket issued at once.
            let cur = state.tickets.get(&t.id).unwrap_or(t);
            out.push(Write::Ticket(Box::new(cur.clone())));
            // The identified citizen, once, when the ticket is issued (purged on a timer).
            if cur.citizen.is_some() {
                out.push(Write::Citizen(Box::new(cur.clone())));
            }
        }
        Event::TicketPrintFailed { ticket_id, .. } | Event::TicketVoided { ticket_id, .. } => ticket(out, ticket_id),
        Event::CounterOpened { counter: n, .. } | Event::CounterClosed { counter: n } => counter(out, *n),
        Event::TicketCalled { ticket_id, counter: n, .. }
        | Event::TicketSkipped { ticket_id, counter: n, .. }
        | Event::TicketTransferred { ticket_id, from_counter: n, .. } => {
            ticket(out, ticket_id);
            counter(out, *n);
        }
        Event::TicketRecalled { ticket_id, .. }
        | Event::ServiceStarted { ticket_id, .. }
        | Event::DossierLinked { ticket_id, .. } => ticket(out, ticket_id),
        Event::RatingWindowOpened { .. } | Event::RatingRecorded { .. } => {
            out.push(Write::Rating(Box::new(ev.clone()), now));
        }
        Event::ServiceFinished { ticket_id, counter: n, field_id, .. } => {
            ticket(out, ticket_id);
            counter(out, *n);
            let hour = i64::from(state.local(now).hour());
            if let Some(e) = state.stats.by_hour.get(&(field_id.clone(), u8::try_from(hour).unwrap_or(0))) {
                out.push(Write::Stat(field_id.clone(), hour, *e));
            }
            if let Some(e) = state.stats.by_field.get(field_id) {
                out.push(Write::Stat(field_id.clone(), -1, *e));
            }
        }
    }
}

/// Execute one captured row write inside the commit stage's transaction.
fn execute(conn: &Connection, w: &Write) -> Result<()> {
    match w {
        Write::Meta(key, value) => meta_set(conn, key, value),
        Write::Ticket(t) => upsert_ticket(conn, t),
        Write::Citizen(t) => match &t.citizen {
            Some(c) => insert_citizen(conn, t, c),
            None => Ok(()),
        },
        Write::Counter(c) => upsert_counter(conn, c),
        Write::Stat(field, hour, e) => upsert_stat(conn, field, *hour, e),
        Write::Outbox(env) => append_outbox(conn, env),
        Write::Expire(ids) => {
            let mut st = conn.prepare_cached("UPDATE tickets SET status = 'expired' WHERE id = ?1")?;
            for id in ids {
                st.execute([id.to_string()])?;
            }
            Ok(())
        }
        Write::Rating(ev, now) => match &**ev {
            Event::RatingWindowOpened {
                window_id,
                counter,
                ticket_id,
                number,
                session_id,
                officer_id,
                dossier_code,
                closes_at,
            } => {
                conn.prepare_cached(
                    "INSERT INTO rating_windows (window_id, counter, ticket_id, number, session_id, officer_id,
                                                 dossier_code, opened_ms, closes_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    window_id,
                    counter,
                    ticket_id.to_string(),
                    number,
                    session_id.map(|u| u.to_string()),
                    officer_id,
                    dossier_code,
                    now.as_millisecond(),
                    closes_at.as_millisecond(),
                ])?;
                Ok(())
            }
            Event::RatingRecorded { window_id, key, level, .. } => {
                let level = serde_json::to_value(level).ok().and_then(|v| v.as_str().map(str::to_owned));
                // `rated_key IS NULL` makes a second rating of the same window impossible even if
                // the engine were wrong: the update changes nothing and the transaction fails.
                let n = conn
                    .prepare_cached(
                        "UPDATE rating_windows SET rated_key = ?2, rated_level = ?3, rated_ms = ?4
                         WHERE window_id = ?1 AND rated_key IS NULL",
                    )?
                    .execute(params![window_id, key, level, now.as_millisecond()])?;
                if n != 1 {
                    return Err(Error::NotStored(format!("rating window {window_id} is not open for a rating")));
                }
                Ok(())
            }
            _ => Ok(()),
        },
    }
}

/// The outbox body of an event: the event itself, with tickets in their wire form (local times).
/// An identified citizen leaves the office as the keyed ID hash and the verification status
/// only: never the name or the masked ID.
fn payload(state: &State, cfg: &Config, ev: &Event) -> serde_json::Value {
    match ev {
        Event::TicketIssued { ticket } | Event::TicketReserved { ticket } => {
            let t = state.tickets.get(&ticket.id).unwrap_or(ticket);
            let mut wire = state.to_api(cfg, t);
            wire.citizen = None;
            let mut body = serde_json::json!({ "ticket": wire });
            if let (Some(c), Some(o)) = (t.citizen.as_ref(), body.as_object_mut()) {
                o.insert(
                    "citizen".to_owned(),
                    serde_json::json!({ "id_hash": c.id_hash, "verification": c.verification }),
                );
            }
            body
        }
        other => {
            let mut v = serde_json::to_value(other).unwrap_or(serde_json::Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.remove("kind");
            }
            v
        }
    }
}

fn verification_str(v: api::CitizenVerification) -> &'static str {
    match v {
        api::CitizenVerification::Verified => "verified",
        api::CitizenVerification::ChipConsistent => "chip_consistent",
        api::CitizenVerification::QrOnly => "qr_only",
    }
}

fn insert_citizen(conn: &Connection, t: &TicketRec, c: &engine::CitizenRec) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO ticket_citizens (ticket_id, service_day, display_name, masked_id, id_hash, birth_year,
                                               verification)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        t.id.to_string(),
        t.service_day.to_string(),
        c.display_name,
        c.masked_id,
        c.id_hash,
        c.birth_year,
        verification_str(c.verification),
    ])?;
    Ok(())
}

/// Puts the stored citizens back on the loaded tickets.
fn load_citizens(conn: &Connection, state: &mut State) -> Result<()> {
    let mut stmt = conn
        .prepare("SELECT ticket_id, display_name, masked_id, id_hash, birth_year, verification FROM ticket_citizens")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<i32>>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    for row in rows {
        let (id, display_name, masked_id, id_hash, birth_year, v) = row?;
        let verification = match v.as_str() {
            "verified" => api::CitizenVerification::Verified,
            "chip_consistent" => api::CitizenVerification::ChipConsistent,
            _ => api::CitizenVerification::QrOnly,
        };
        let ticket = Uuid::parse_str(&id).ok().and_then(|id| state.tickets.get_mut(&id));
        if let Some(t) = ticket {
            t.citizen = Some(engine::CitizenRec { display_name, masked_id, id_hash, birth_year, verification });
        }
    }
    Ok(())
}

/// Purges identified citizens' data whose time is up (see [`State::citizens_due`]): from memory
/// and from the `ticket_citizens` table, with SQLite's `secure_delete` (the freed pages are
/// zeroed) and a truncating WAL checkpoint, so the bytes leave the files too. Rows of earlier
/// service days are deleted whatever the memory holds. Returns how many citizens were purged.
/// Runs on its own connection (`conn`), beside the writer.
pub fn purge_citizens(
    conn: &Connection,
    state: &std::sync::RwLock<State>,
    cfg: &Config,
    now: Timestamp,
) -> Result<usize> {
    let grace = jiff::SignedDuration::from_mins(i64::from(cfg.privacy.citizen_grace_minutes));
    conn.pragma_update(None, "secure_delete", "ON")?;
    let mut guard = state.write().unwrap_or_else(|p| p.into_inner());
    let due = guard.citizens_due(now, grace);
    let today = guard.day_of(now).to_string();
    let tx = conn.unchecked_transaction()?;
    let mut n = 0;
    {
        let mut del = tx.prepare_cached("DELETE FROM ticket_citizens WHERE ticket_id = ?1")?;
        for id in &due {
            n += del.execute([id.to_string()])?;
        }
        n += tx.execute("DELETE FROM ticket_citizens WHERE service_day < ?1", [&today])?;
    }
    tx.commit()?;
    guard.forget_citizens(&due);
    drop(guard);
    if n > 0 {
        // Best effort: a reader holding an old snapshot only delays the truncation.
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        tracing::info!(purged = n, "citizen data purged");
    }
    Ok(n)
}

/// Append one event to the outbox.
fn append_outbox(conn: &Connection, env: &EventEnvelope) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox (seq, id, office_id, device_id, kind, occurred_at, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        i64::try_from(env.seq).unwrap_or(i64::MAX),
        env.id,
        env.office_id,
        env.device_id,
        env.kind,
        env.occurred_at,
        env.payload.to_string(),
    ])?;
    Ok(())
}

/// The writer: owns the write connection and the only mutable access to the state.
/// Its connection must have automatic checkpoints off (see [`writer_connection`]).
///
/// It runs as a two-stage pipeline so that deciding one group overlaps committing the
/// previous one:
/// - **decide** (thread `hub-writer`): takes every waiting request, runs the engine, applies the
///   events to the in-memory state and captures the rows they touched and their outbox
///   envelopes as a [`Plan`] — no SQL;
/// - **commit** (thread `hub-commit`): writes every plan that is ready in ONE transaction and
///   commits it (one fsync with `synchronous=FULL`), and only then answers the callers and
///   pushes the events.
///
/// If a commit fails, the commit stage reloads the state from disk and bumps the pipeline's
/// epoch; plans decided on the discarded state carry the old epoch and are refused, so no
/// caller is ever answered for something that is not on disk.
pub(crate) struct Writer {
    pub(crate) conn: Connection,
    pub(crate) cfg: Arc<Config>,
    pub(crate) state: Arc<RwLock<State>>,
    pub(crate) next_seq: u64,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) events: broadcast::Sender<EventEnvelope>,
    pub(crate) db_path: PathBuf,
    pub(crate) stats: Arc<WriterStats>,
}

/// Counters of the writer, for metrics and the bench: how well group commit is folding.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Transactions committed.
    pub commits: std::sync::atomic::AtomicU64,
    /// Commands carried by those transactions (accepted or refused).
    pub commands: std::sync::atomic::AtomicU64,
}

/// Most requests folded into one decided group.
const MAX_GROUP: usize = 512;

/// Decided groups the commit stage may have waiting: the decide stage runs at most this far
/// ahead of the disk (requests keep queueing in the channel meanwhile and fold into bigger
/// groups).
const PLANS_AHEAD: usize = 2;

/// What the two stages share, always locked after the state's lock.
#[derive(Debug)]
struct Pipeline {
    /// Bumped when a commit failed and the state was reloaded from disk.
    epoch: u64,
    /// The outbox sequence number of the last event decided.
    next_seq: u64,
}

/// One row write, captured when a group is decided and executed when it is committed.
enum Write {
    Meta(&'static str, String),
    Ticket(Box<TicketRec>),
    /// The citizen identified on a newly issued ticket.
    Citizen(Box<TicketRec>),
    Counter(CounterRec),
    Expire(Vec<Uuid>),
    /// A rating window opened or rated: the event and when.
    Rating(Box<Event>, Timestamp),
    Stat(String, i64, Ewma),
    Outbox(Box<EventEnvelope>),
}

type ReplyTo = oneshot::Sender<Result<Reply>>;

/// A decided group, waiting for its commit.
struct Plan {
    epoch: u64,
    writes: Vec<Write>,
    replies: Vec<(ReplyTo, Result<Reply>)>,
    envelopes: Vec<EventEnvelope>,
    pings: Vec<std::sync::mpsc::Sender<()>>,
    commands: u64,
    /// The outbox sequence number after this group.
    end_seq: u64,
}

impl Writer {
    /// Serve requests until every sender is gone.
    pub(crate) fn run(self, mut rx: mpsc::Receiver<Request>) {
        let checkpointer = spawn_checkpointer(self.db_path.clone());
        let pipeline = Arc::new(std::sync::Mutex::new(Pipeline { epoch: 0, next_seq: self.next_seq }));
        let (plan_tx, plan_rx) = std::sync::mpsc::sync_channel::<Plan>(PLANS_AHEAD);
        let committer = Committer {
            conn: self.conn,
            cfg: Arc::clone(&self.cfg),
            state: Arc::clone(&self.state),
            pipeline: Arc::clone(&pipeline),
            events: self.events,
            stats: self.stats,
            committed_seq: self.next_seq,
            carried: Vec::new(),
        };
        let commit_thread = std::thread::Builder::new().name("hub-commit".into()).spawn(move || committer.run(plan_rx));
        let commit_thread = match commit_thread {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "cannot start the hub's commit thread");
                return;
            }
        };
        let decider = Decider { cfg: self.cfg, state: self.state, pipeline, clock: self.clock };
        let mut group = Vec::with_capacity(MAX_GROUP);
        while let Some(first) = rx.blocking_recv() {
            group.push(first);
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(r) => group.push(r),
                    Err(_) => break,
                }
            }
            let plan = decider.decide(&mut group);
            if plan_tx.send(plan).is_err() {
                tracing::error!("the hub's commit thread stopped; no more writes");
                break;
            }
        }
        drop(plan_tx);
        let _ = commit_thread.join();
        drop(checkpointer);
    }
}

/// The decide stage.
struct Decider {
    cfg: Arc<Config>,
    state: Arc<RwLock<State>>,
    pipeline: Arc<std::sync::Mutex<Pipeline>>,
    clock: Arc<dyn Clock>,
}

impl Decider {
    fn decide(&self, group: &mut Vec<Request>) -> Plan {
        let now = self.clock.now();
        let cfg = &*self.cfg;
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        let mut pipe = self.pipeline.lock().unwrap_or_else(|p| p.into_inner());
        let mut plan = Plan {
            epoch: pipe.epoch,
            writes: Vec::with_capacity(group.len() * 2 + 1),
            replies: Vec::with_capacity(group.len()),
            envelopes: Vec::new(),
            pings: Vec::new(),
            commands: 0,
            end_seq: pipe.next_seq,
        };
        let mut seq = pipe.next_seq;
        let mut emit = |state: &mut State, ev: Event, device: &str, plan: &mut Plan| {
            state.apply(&ev, cfg, now);
            plan_rows(&mut plan.writes, state, &ev, now);
            seq += 1;
            let env = EventEnvelope {
                id: engine::event_id(now).to_string(),
                office_id: cfg.office.id.clone(),
                device_id: device.to_owned(),
                seq,
                kind: ev.kind().to_owned(),
                occurred_at: engine::rfc3339(&state.local(now)),
                payload: payload(state, cfg, &ev),
            };
            plan.writes.push(Write::Outbox(Box::new(env.clone())));
            plan.envelopes.push(env);
        };
        if let Some(ev) = state.roll_day(now) {
            emit(&mut state, ev, "hub", &mut plan);
        }
        for ev in state.void_stale_reservations(now) {
            emit(&mut state, ev, "hub", &mut plan);
        }
        for req in group.drain(..) {
            let (cmd, device_id, reply) = match req {
                Request::Command { cmd, device_id, reply } => (cmd, device_id, reply),
                Request::Ping(p) => {
                    plan.pings.push(p);
                    continue;
                }
                Request::Tick => continue,
            };
            plan.commands += 1;
            let ctx = Ctx { cfg, now, device_id: &device_id };
            match state.decide(&cmd, ctx) {
                Err(e) => plan.replies.push((reply, Err(e))),
                Ok(events) => {
                    let touched = events.iter().rev().find_map(Event::ticket_id);
                    for ev in events {
                        emit(&mut state, ev, &device_id, &mut plan);
                    }
                    let r = answer(&state, cfg, &cmd, touched, now);
                    plan.replies.push((reply, Ok(r)));
                }
            }
        }
        plan.writes.push(Write::Meta("outbox_seq", seq.to_string()));
        plan.end_seq = seq;
        pipe.next_seq = seq;
        plan
    }
}

/// The commit stage: owns the write connection.
struct Committer {
    conn: Connection,
    cfg: Arc<Config>,
    state: Arc<RwLock<State>>,
    pipeline: Arc<std::sync::Mutex<Pipeline>>,
    events: broadcast::Sender<EventEnvelope>,
    stats: Arc<WriterStats>,
    /// The outbox sequence number on disk.
    committed_seq: u64,
    /// Plans decided while the last commit was on the disk, taken before its callers were
    /// answered: they are other callers than the answered ones.
    carried: Vec<Plan>,
}

impl Committer {
    fn run(mut self, rx: std::sync::mpsc::Receiver<Plan>) {
        let mut window = GatherWindow::default();
        loop {
            let mut plans = std::mem::take(&mut self.carried);
            let carried: u64 = plans.iter().map(|p| p.commands).sum();
            // Plans decided since the answers went out may already hold answered callers.
            while let Ok(p) = rx.try_recv() {
                plans.push(p);
            }
            if plans.is_empty() {
                match rx.recv() {
                    Ok(p) => plans.push(p),
                    Err(_) => return,
                }
            }
            let mut have: u64 = plans.iter().map(|p| p.commands).sum();
            if let Some(w) = window.wait_for(carried, have) {
                // The callers just answered are coming back: wait for them (at most half a
                // commit) so that they share this fsync instead of queueing behind it.
                let deadline = Instant::now() + w.max;
                while have < w.expected {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match rx.recv_timeout(left) {
                        Ok(p) => {
                            have += p.commands;
                            plans.push(p);
                        }
                        Err(_) => break,
                    }
                }
            }
            let started = Instant::now();
            self.commit(plans, &rx);
            window.committed(started.elapsed(), have);
        }
    }

    /// Write `plans` in one transaction, then answer their callers. Between the two, takes the
    /// plans decided meanwhile from `rx` into `self.carried`.
    fn commit(&mut self, plans: Vec<Plan>, rx: &std::sync::mpsc::Receiver<Plan>) {
        // Plans decided on a state that a failed commit discarded can't be written.
        let epoch = self.pipeline.lock().unwrap_or_else(|p| p.into_inner()).epoch;
        let (live, stale): (Vec<Plan>, Vec<Plan>) = plans.into_iter().partition(|p| p.epoch == epoch);
        for p in stale {
            refuse(p, "an earlier write to the hub's database failed; nothing of this request was kept");
        }
        if live.is_empty() {
            return;
        }
        let outcome = (|| -> Result<()> {
            let tx = self.conn.unchecked_transaction()?;
            for w in live.iter().flat_map(|p| &p.writes) {
                execute(&tx, w)?;
            }
            tx.commit()?;
            Ok(())
        })();
        while let Ok(p) = rx.try_recv() {
            self.carried.push(p);
        }
        match outcome {
            Ok(()) => {
                use std::sync::atomic::Ordering::Relaxed;
                self.stats.commits.fetch_add(1, Relaxed);
                for p in live {
                    self.stats.commands.fetch_add(p.commands, Relaxed);
                    self.committed_seq = p.end_seq;
                    for (reply, r) in p.replies {
                        let _ = reply.send(r);
                    }
                    for env in p.envelopes {
                        let _ = self.events.send(env);
                    }
                    for ping in p.pings {
                        let _ = ping.send(());
                    }
                }
            }
            Err(e) => {
                // Nothing of these groups was kept: reload memory from disk, move to a new epoch
                // (so groups decided meanwhile are refused too) and tell every caller.
                tracing::error!(error = %e, "hub write failed; group rolled back");
                let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
                let mut pipe = self.pipeline.lock().unwrap_or_else(|p| p.into_inner());
                pipe.epoch += 1;
                match load_state(&self.conn, &self.cfg) {
                    Ok((s, seq)) => {
                        *state = s;
                        pipe.next_seq = seq;
                        self.committed_seq = seq;
                    }
                    Err(e2) => {
                        tracing::error!(error = %e2, "reloading the hub state after a failed write failed");
                        pipe.next_seq = self.committed_seq;
                    }
                }
                drop(pipe);
                drop(state);
                let why = e.to_string();
                for p in live {
                    refuse(p, &why);
                }
            }
        }
    }
}

/// Adaptive group-commit window (the idea of PostgreSQL's `commit_delay` with
/// `commit_siblings`, sized from this disk instead of configured).
///
/// Without it, callers under load split into two cohorts that take turns: while one cohort's
/// commit is on the disk, the other's requests arrive and are decided, and start the next commit
/// the moment the disk is free, before the first cohort (answered at that moment) has had time
/// to come back. Every request then waits for a whole foreign commit and then its own: two
/// fsyncs. Waiting a fraction of a commit for the callers who were just answered folds the
/// cohorts into one, and a request waits for about one fsync.
///
/// After a commit of `n` commands, with `carried` commands already decided meanwhile, it
/// expects `carried + n` (the answered callers come back) and gathers until that many are
/// there, for at most half a commit. It never waits after a commit of a lone caller, and on a
/// fast disk (sub-millisecond commits) the wait shrinks to microseconds.
#[derive(Debug, Default)]
struct GatherWindow {
    /// Moving average of a commit's duration (SQL and fsync), in microseconds; 0 until measured.
    commit_us: f64,
    /// Commands the previous commit carried.
    last_commands: u64,
}

/// How long to keep gathering before a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gather {
    /// Stop once this many commands are gathered.
    expected: u64,
    /// Never wait longer than this.
    max: Duration,
}

impl GatherWindow {
    /// Weight of the newest commit in the moving average.
    const ALPHA: f64 = 0.125;

    /// Whether to wait before committing, given the commands decided while the previous commit
    /// was on the disk (`carried`) and all those gathered so far (`have`), and for how long.
    fn wait_for(&self, carried: u64, have: u64) -> Option<Gather> {
        if self.last_commands < 2 || self.commit_us <= 0.0 {
            return None;
        }
        let expected = carried.saturating_add(self.last_commands);
        if have >= expected {
            return None;
        }
        Some(Gather { expected, max: Duration::from_secs_f64(self.commit_us / 2.0 / 1e6) })
    }

    /// Record a commit of `commands` that took `took`.
    fn committed(&mut self, took: Duration, commands: u64) {
        let us = took.as_secs_f64() * 1e6;
        self.commit_us = if self.commit_us <= 0.0 { us } else { self.commit_us + Self::ALPHA * (us - self.commit_us) };
        self.last_commands = commands;
    }
}

/// Answer every caller of a plan that was not written.
fn refuse(plan: Plan, why: &str) {
    for (reply, _) in plan.replies {
        let _ = reply.send(Err(Error::NotStored(why.to_owned())));
    }
}

/// The reply to a command, read from the state right after its events were applied.
/// `touched` is the ticket the command's last event concerned (issued, called, finished, ...).
fn answer(state: &State, cfg: &Config, cmd: &Command, touched: Option<Uuid>, now: Timestamp) -> Reply {
    let ticket = touched.and_then(|id| state.tickets.get(&id)).map(|t| state.to_api(cfg, t));
    match (cmd, ticket) {
        (Command::Issue { .. } | Command::Confirm { .. }, Some(t)) => Reply::Issued(t),
        (Command::Issue { .. } | Command::Confirm { .. }, None) => {
            Reply::Counter(CounterReply { counter: 0, ticket: None, waiting: 0, rating: None })
        }
        (Command::Counter { counter, .. }, ticket) => {
            let fields = cfg.counter(*counter).map(|c| c.fields.as_slice()).unwrap_or_default();
            let waiting = state
                .tickets
                .values()
                .filter(|t| {
                    t.status == TicketStatus::Waiting
                        && match t.target_counter {
                            Some(tc) => tc == *counter,
                            None => fields.contains(&t.field_id),
                        }
                })
                .count();
            Reply::Counter(CounterReply {
                counter: *counter,
                ticket,
                waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
                rating: state.rating_info(*counter, now),
            })
        }
    }
}

/// Passive checkpoints from a second connection, so the WAL stays small without ever making a
/// caller's commit wait for a database fsync. Stops when the returned guard is dropped.
fn spawn_checkpointer(path: PathBuf) -> CheckpointGuard {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let handle = std::thread::Builder::new()
        .name("hub-checkpoint".into())
        .spawn(move || {
            let Ok(conn) = open_connection(&path) else { return };
            loop {
                match rx.recv_timeout(Duration::from_secs(2)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                            tracing::warn!(error = %e, "checkpoint failed");
                        }
                    }
                    _ => {
                        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
                        return;
                    }
                }
            }
        })
        .ok();
    CheckpointGuard { tx: Some(tx), handle }
}

struct CheckpointGuard {
    tx: Option<std::sync::mpsc::Sender<()>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for CheckpointGuard {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Undelivered outbox events and the age of the oldest, read from a separate connection.
pub fn outbox_stats(conn: &Connection) -> Result<(u64, Option<String>)> {
    let (n, oldest): (i64, Option<String>) =
        conn.query_row("SELECT COUNT(*), MIN(occurred_at) FROM outbox", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((u64::try_from(n).unwrap_or(0), oldest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window_after(commits: &[(u64, u64)]) -> GatherWindow {
        let mut w = GatherWindow::default();
        for &(ms, commands) in commits {
            w.committed(Duration::from_millis(ms), commands);
        }
        w
    }

    #[test]
    fn a_lone_caller_never_waits() {
        assert_eq!(GatherWindow::default().wait_for(0, 1), None, "nothing measured yet");
        let w = window_after(&[(10, 1), (10, 1)]);
        assert_eq!(w.wait_for(0, 1), None, "the previous commit carried one command");
    }

    #[test]
    fn under_load_it_waits_for_the_answered_callers_for_at_most_half_a_commit() {
        let w = window_after(&[(10, 25)]);
        assert_eq!(w.wait_for(0, 25), None, "the 25 answered callers are all back");
        let g = w.wait_for(0, 20).expect("5 of them still coming");
        assert_eq!(g, Gather { expected: 25, max: Duration::from_millis(5) });
        // Two cohorts taking turns: 25 answered, 25 decided meanwhile. Gather all 50.
        let g = w.wait_for(25, 25).expect("the answered cohort is coming back");
        assert_eq!(g.expected, 50);
    }

    #[test]
    fn the_window_follows_the_disk() {
        // An SD card at 10 ms per commit, then a fast SSD at 0.2 ms: the average moves down.
        let mut w = window_after(&[(10, 50)]);
        for _ in 0..60 {
            w.committed(Duration::from_micros(200), 50);
        }
        let g = w.wait_for(0, 10).expect("still under load");
        assert!(g.max < Duration::from_micros(150), "window {:?} did not shrink with the disk", g.max);
    }
}
