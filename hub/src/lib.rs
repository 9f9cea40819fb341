#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod api;
pub mod config;
pub mod engine;
pub mod error;
pub mod estimate;
pub mod server;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};

pub use config::Config;
pub use error::{Error, ErrorKind, Result};
pub use store::{Clock, SystemClock};

use api::{
    Catalog, CounterAction, CounterReply, EventEnvelope, FieldInfo, IssueRequest, OfficeInfo, PriorityClassInfo,
    QueueSnapshot, Ticket,
};
use engine::{Command, State};
use store::{Reply, Request};

/// Capacity of the push channel; a subscriber that falls this far behind is told it lagged.
const PUSH_CAPACITY: usize = 4096;

/// A section another component (the relay, a device driver) adds to the hub's health page and
/// Prometheus metrics. The hub crate does not depend on those components: they plug in here.
pub trait HealthSource: Send + Sync + 'static {
    /// Section title (Vietnamese / English).
    fn title(&self) -> String;
    /// Rows of the section: label and value, readable.
    fn rows(&self) -> Vec<(String, String)>;
    /// Gauges: metric name (`motcua_…`), help text, value.
    fn metrics(&self) -> Vec<(String, String, f64)>;
}

/// Handle to a running hub. Cheap to clone; the writer thread stops when the last handle drops.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: Arc<Config>,
    state: Arc<RwLock<State>>,
    tx: mpsc::Sender<Request>,
    events: broadcast::Sender<EventEnvelope>,
    db_path: PathBuf,
    stats: Arc<store::WriterStats>,
    health: RwLock<Vec<Arc<dyn HealthSource>>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("office", &self.inner.cfg.office.id).field("db", &self.inner.db_path).finish()
    }
}

impl Hub {
    /// Open (or create) the hub's database and start its writer thread.
    pub fn open(cfg: Config, db_path: &Path, clock: Arc<dyn Clock>) -> Result<Hub> {
        if let Some(dir) = db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = store::writer_connection(db_path)?;
        store::migrate(&conn)?;
        let (state, next_seq) = store::load_state(&conn, &cfg)?;
        let cfg = Arc::new(cfg);
        let state = Arc::new(RwLock::new(state));
        let (events, _) = broadcast::channel(PUSH_CAPACITY);
        let (tx, rx) = mpsc::channel(4096);
        let stats = Arc::new(store::WriterStats::default());
        let writer = store::Writer {
            conn,
            cfg: Arc::clone(&cfg),
            state: Arc::clone(&state),
            next_seq,
            clock: Arc::clone(&clock),
            events: events.clone(),
            db_path: db_path.to_path_buf(),
            stats: Arc::clone(&stats),
        };
        std::thread::Builder::new().name("hub-writer".into()).spawn(move || writer.run(rx))?;
        // Roll the service day over at midnight even when nobody takes a number.
        let tick = tx.downgrade();
        std::thread::Builder::new().name("hub-tick".into()).spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(30));
                match tick.upgrade() {
                    Some(tx) => {
                        if tx.try_send(Request::Tick).is_err() && tx.is_closed() {
                            return;
                        }
                    }
                    None => return,
                }
            }
        })?;
        // Purge identified citizens' data once their visit (plus the grace) is over, and at
        // the office's local midnight: on a connection of its own, every 30 s.
        let (purge_state, purge_cfg, purge_clock) = (Arc::downgrade(&state), Arc::clone(&cfg), Arc::clone(&clock));
        let purge_conn = store::open_connection(db_path)?;
        std::thread::Builder::new().name("hub-purge".into()).spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(30));
                let Some(state) = purge_state.upgrade() else { return };
                if let Err(e) = store::purge_citizens(&purge_conn, &state, &purge_cfg, purge_clock.now()) {
                    tracing::error!(error = %e, "citizen purge failed; retrying");
                }
            }
        })?;
        Ok(Hub {
            inner: Arc::new(Inner {
                cfg,
                state,
                tx,
                events,
                db_path: db_path.to_path_buf(),
                stats,
                health: RwLock::new(Vec::new()),
                clock,
            }),
        })
    }

    /// Purges identified citizens' data that is due now (the background pass runs every 30 s;
    /// see [`store::purge_citizens`]). Returns how many were purged.
    pub fn purge_citizens_now(&self) -> Result<usize> {
        let conn = store::open_connection(&self.inner.db_path)?;
        store::purge_citizens(&conn, &self.inner.state, &self.inner.cfg, self.inner.clock.now())
    }

    /// The configuration the hub runs with.
    pub fn config(&self) -> &Config {
        &self.inner.cfg
    }

    /// Path of the database file.
    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    /// Issue a ticket. Returns once the ticket and its outbox event are on disk.
    pub async fn issue(&self, device_id: &str, req: &IssueRequest) -> Result<Ticket> {
        let cmd = Command::Issue {
            field_id: req.field_id.clone(),
            priority_class: req.priority_class.clone(),
            hold: req.hold_for_print,
            citizen: req.citizen.clone(),
        };
        match self.send(cmd, device_id).await? {
            Reply::Issued(t) => Ok(t),
            Reply::Counter(_) => Err(Error::UnknownField(req.field_id.clone())),
        }
    }

    /// Blocking twin of [`Hub::issue`]; must not be called from inside an async task.
    pub fn blocking_issue(&self, device_id: &str, req: &IssueRequest) -> Result<Ticket> {
        let cmd = Command::Issue {
            field_id: req.field_id.clone(),
            priority_class: req.priority_class.clone(),
            hold: req.hold_for_print,
            citizen: req.citizen.clone(),
        };
        match self.blocking_send(cmd, device_id)? {
            Reply::Issued(t) => Ok(t),
            Reply::Counter(_) => Err(Error::UnknownField(req.field_id.clone())),
        }
    }

    /// Confirm how the citizen got a held ticket (see [`api::IssueRequest::hold_for_print`]).
    pub async fn confirm(&self, device_id: &str, ticket_id: &str, delivery: api::Delivery) -> Result<Ticket> {
        let id = uuid::Uuid::parse_str(ticket_id).map_err(|_| Error::UnknownTicket(ticket_id.to_owned()))?;
        match self.send(Command::Confirm { ticket_id: id, delivery }, device_id).await? {
            Reply::Issued(t) => Ok(t),
            Reply::Counter(_) => Err(Error::UnknownTicket(ticket_id.to_owned())),
        }
    }

    /// Blocking twin of [`Hub::confirm`].
    pub fn blocking_confirm(&self, device_id: &str, ticket_id: &str, delivery: api::Delivery) -> Result<Ticket> {
        let id = uuid::Uuid::parse_str(ticket_id).map_err(|_| Error::UnknownTicket(ticket_id.to_owned()))?;
        match self.blocking_send(Command::Confirm { ticket_id: id, delivery }, device_id)? {
            Reply::Issued(t) => Ok(t),
            Reply::Counter(_) => Err(Error::UnknownTicket(ticket_id.to_owned())),
        }
    }

    /// A counter's action (call next, recall, skip, start, finish, transfer, open, close).
    pub async fn counter(&self, device_id: &str, counter: u32, action: CounterAction) -> Result<CounterReply> {
        match self.send(Command::Counter { counter, action }, device_id).await? {
            Reply::Counter(r) => Ok(r),
            Reply::Issued(_) => Err(Error::UnknownCounter(counter)),
        }
    }

    /// Blocking twin of [`Hub::counter`].
    pub fn blocking_counter(&self, device_id: &str, counter: u32, action: CounterAction) -> Result<CounterReply> {
        match self.blocking_send(Command::Counter { counter, action }, device_id)? {
            Reply::Counter(r) => Ok(r),
            Reply::Issued(_) => Err(Error::UnknownCounter(counter)),
        }
    }

    async fn send(&self, cmd: Command, device_id: &str) -> Result<Reply> {
        let (reply, rx) = oneshot::channel();
        let req = Request::Command { cmd, device_id: device_id.to_owned(), reply };
        self.inner.tx.send(req).await.map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    fn blocking_send(&self, cmd: Command, device_id: &str) -> Result<Reply> {
        let (reply, rx) = oneshot::channel();
        let req = Request::Command { cmd, device_id: device_id.to_owned(), reply };
        self.inner.tx.blocking_send(req).map_err(|_| Error::Stopped)?;
        rx.blocking_recv().map_err(|_| Error::Stopped)?
    }

    /// Whether the writer commits to disk within `timeout` (a round trip through it, including
    /// one durable commit). Used by the systemd watchdog. Blocking.
    pub fn blocking_ping(&self, timeout: Duration) -> bool {
        let (tx, rx) = std::sync::mpsc::channel();
        if self.inner.tx.try_send(Request::Ping(tx)).is_err() {
            return false;
        }
        rx.recv_timeout(timeout).is_ok()
    }

    /// The catalog with live waiting counts.
    pub fn catalog(&self) -> Catalog {
        let cfg = &self.inner.cfg;
        let state = self.inner.state.read().unwrap_or_else(|p| p.into_inner());
        Catalog {
            office: OfficeInfo {
                id: cfg.office.id.clone(),
                name_vi: cfg.office.name_vi.clone(),
                name_en: cfg.office.name_en.clone(),
            },
            fields: cfg
                .fields
                .iter()
                .map(|f| FieldInfo {
                    id: f.id.clone(),
                    letter: f.letter.clone(),
                    name_vi: f.name_vi.clone(),
                    name_en: f.name_en.clone(),
                    counters: cfg.counters_for(&f.id),
                    waiting: state.waiting_for_field(&f.id),
                    counters_open: state.open_counters_for(cfg, &f.id),
                })
                .collect(),
            priority_classes: cfg
                .priority_classes
                .iter()
                .map(|p| PriorityClassInfo {
                    id: p.id.clone(),
                    name_vi: p.name_vi.clone(),
                    name_en: p.name_en.clone(),
                    min_age: p.min_age,
                })
                .collect(),
            rating: api::RatingScale {
                window_secs: cfg.rating.window_secs,
                keys: (1u8..)
                    .zip(&cfg.rating.keys)
                    .map(|(key, k)| api::RatingKeyInfo {
                        key,
                        label_vi: k.label_vi.clone(),
                        label_en: k.label_en.clone(),
                        level: k.level,
                    })
                    .collect(),
            },
        }
    }

    /// The queue as displays and supervisors see it.
    pub fn snapshot(&self) -> QueueSnapshot {
        let cfg = &self.inner.cfg;
        let state = self.inner.state.read().unwrap_or_else(|p| p.into_inner());
        let now = self.inner.clock.now();
        QueueSnapshot {
            service_day: state.service_day.map(|d| d.to_string()).unwrap_or_default(),
            waiting: state.waiting_in_order(cfg).into_iter().map(|t| state.to_api(cfg, t)).collect(),
            counters: cfg
                .counters
                .iter()
                .map(|c| {
                    let rec = state.counters.get(&c.number);
                    api::CounterState {
                        number: c.number,
                        name: c.name.clone().unwrap_or_else(|| format!("Quầy {}", c.number)),
                        fields: c.fields.clone(),
                        open: rec.is_some_and(|r| r.open),
                        current: rec
                            .and_then(|r| r.current)
                            .and_then(|id| state.tickets.get(&id))
                            .map(|t| state.to_api(cfg, t)),
                        officer_id: rec.and_then(|r| r.officer_id.clone()),
                        rating: state.rating_info(c.number, now),
                    }
                })
                .collect(),
        }
    }

    /// Add a section to the health page and metrics.
    pub fn add_health_source(&self, source: Arc<dyn HealthSource>) {
        self.inner.health.write().unwrap_or_else(|p| p.into_inner()).push(source);
    }

    /// The sections added so far.
    pub fn health_sources(&self) -> Vec<Arc<dyn HealthSource>> {
        self.inner.health.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Transactions committed and commands they carried since the hub started.
    pub fn writer_stats(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.inner.stats.commits.load(Relaxed), self.inner.stats.commands.load(Relaxed))
    }

    /// Subscribe to committed events (the push channel for displays and counters).
    pub fn subscribe(&self) -> broadcast::Receiver<EventEnvelope> {
        self.inner.events.subscribe()
    }

    /// Outbox size and the time of its oldest event, read from a fresh connection.
    pub fn outbox_stats(&self) -> Result<(u64, Option<String>)> {
        let conn = store::open_connection(&self.inner.db_path)?;
        store::outbox_stats(&conn)
    }
}

#[cfg(test)]
mod engine_tests;
