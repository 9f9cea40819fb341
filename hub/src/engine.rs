//! The queue engine: a pure core. Commands in, events out, time passed in.
//!
//! [`State::decide`] checks a [`Command`] against the state and returns the [`Event`]s it causes,
//! without changing anything; [`State::apply`] folds an event into the state. The store persists
//! exactly the events it applies, in the same transaction, so memory, tables and outbox agree.
//! [`State::roll_day`] starts a new service day at the office's local midnight: numbering restarts
//! at 1 in every series, and tickets left waiting from the day before expire.
//!
//! Nothing here reads a clock, touches a file or a socket: tests drive it with any time they like.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::Serialize;
use uuid::Uuid;

use crate::api::{self, CounterAction, TicketStatus, WaitRange};
use crate::config::{Config, NationalLevel, Policy};
use crate::error::{Error, Result};
use crate::estimate::ServiceStats;

/// Seconds a held ticket waits for the kiosk's print confirmation before it is voided. A
/// raster ticket at 9600 baud takes about 30 s; this leaves room for a slow printer.
pub const RESERVATION_TTL_SECS: i64 = 120;

/// A ticket as the hub keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketRec {
    /// UUIDv7.
    pub id: Uuid,
    /// Office-local date the ticket belongs to.
    pub service_day: Date,
    /// Field it waits for (changes on transfer).
    pub field_id: String,
    /// Field whose series the number belongs to (never changes).
    pub series_field_id: String,
    /// Position in the series, from 1.
    pub seq: u32,
    /// Printed number (`A001`).
    pub number: String,
    /// Priority class id.
    pub priority_class: Option<String>,
    /// Lifecycle state.
    pub status: TicketStatus,
    /// Counter called to / serving.
    pub counter: Option<u32>,
    /// Only this counter may call it (set by a transfer to a counter).
    pub target_counter: Option<u32>,
    /// Issue time.
    pub issued_at: Timestamp,
    /// Last call time.
    pub called_at: Option<Timestamp>,
    /// Service start.
    pub started_at: Option<Timestamp>,
    /// Service end.
    pub finished_at: Option<Timestamp>,
    /// Same-field tickets waiting when it was issued.
    pub people_ahead: u32,
    /// Estimate given at issue.
    pub wait: Option<WaitRange>,
    /// Device that issued it.
    pub issued_by: String,
    /// The service session of the latest call (ratings and recordings are tied to it).
    pub session_id: Option<Uuid>,
    /// Dossier code the officer linked to this ticket.
    pub dossier_code: Option<String>,
    /// The citizen identified at the kiosk, until purged ([`State::citizens_due`]). Never
    /// serialised with the ticket: the outbox carries the ID hash only.
    #[serde(skip)]
    pub citizen: Option<CitizenRec>,
}

/// What the hub keeps about an identified citizen, for the visit only: display name, masked ID,
/// keyed ID hash, birth year (only when a priority class needed it). `Debug` redacts it.
#[derive(Clone, PartialEq)]
pub struct CitizenRec {
    /// Name as on the card.
    pub display_name: String,
    /// Masked ID (`001******345`).
    pub masked_id: String,
    /// HMAC-SHA256 of the ID with the office key (hex).
    pub id_hash: String,
    /// Year of birth, if needed for priority.
    pub birth_year: Option<i32>,
    /// How the kiosk checked the data.
    pub verification: api::CitizenVerification,
}

impl std::fmt::Debug for CitizenRec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenRec").field("verification", &self.verification).finish_non_exhaustive()
    }
}

impl From<&api::CitizenClaim> for CitizenRec {
    fn from(c: &api::CitizenClaim) -> Self {
        Self {
            display_name: c.display_name.trim().to_owned(),
            masked_id: c.masked_id.clone(),
            id_hash: c.id_hash.clone(),
            birth_year: c.birth_year,
            verification: c.verification,
        }
    }
}

/// A counter as the hub keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CounterRec {
    /// Counter number.
    pub number: u32,
    /// Opened by an officer.
    pub open: bool,
    /// Officer signed in.
    pub officer_id: Option<String>,
    /// Ticket called or being served.
    pub current: Option<Uuid>,
    /// Priority tickets called in a row (for the ratio policy).
    pub priority_streak: u32,
    /// The latest rating window (open, expired or rated).
    pub rating: Option<RatingWindowRec>,
}

/// A rating window: opened when a service finishes, rated at most once, closed by time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingWindowRec {
    /// Office-unique, increasing.
    pub window_id: u32,
    /// Ticket served.
    pub ticket_id: Uuid,
    /// Its number.
    pub number: String,
    /// The service session rated.
    pub session_id: Option<Uuid>,
    /// Officer who served.
    pub officer_id: Option<String>,
    /// Dossier code, when the officer entered one.
    pub dossier_code: Option<String>,
    /// Opened.
    pub opened_at: Timestamp,
    /// Closes.
    pub closes_at: Timestamp,
    /// The key pressed and its level, once rated.
    pub rated: Option<(u8, NationalLevel)>,
}

impl RatingWindowRec {
    /// Whether a rating can still be recorded at `now`.
    pub fn accepts(&self, now: Timestamp) -> bool {
        self.rated.is_none() && now < self.closes_at
    }
}

/// Input to the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Issue a ticket.
    Issue {
        /// Field id.
        field_id: String,
        /// Priority class id.
        priority_class: Option<String>,
        /// Reserve it until [`Command::Confirm`] (print confirmation) instead of issuing it.
        hold: bool,
        /// The citizen identified at the kiosk, if any.
        citizen: Option<api::CitizenClaim>,
    },
    /// The kiosk reports how the citizen got a reserved ticket.
    Confirm {
        /// Ticket.
        ticket_id: Uuid,
        /// Printed, or shown on screen after a failed print.
        delivery: api::Delivery,
    },
    /// A counter's action.
    Counter {
        /// Counter number.
        counter: u32,
        /// What it does.
        action: CounterAction,
    },
}

/// Output of the engine: one state change. Every event goes to the outbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A new service day began; series restart at 1; these waiting tickets expired.
    DayStarted {
        /// The new day.
        service_day: Date,
        /// Tickets of earlier days that were still waiting or called.
        expired: Vec<Uuid>,
    },
    /// A ticket was issued (printed, or issued without printing): it is in the queue.
    TicketIssued {
        /// The ticket as issued.
        ticket: TicketRec,
    },
    /// A number was reserved for a kiosk that is printing it; not in the queue until confirmed.
    TicketReserved {
        /// The ticket as reserved.
        ticket: TicketRec,
    },
    /// The print failed and the kiosk showed the number on screen: the ticket is in the queue
    /// but not counted as issued.
    TicketPrintFailed {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
    },
    /// A reservation was never confirmed: the number is void and nobody will be called for it.
    TicketVoided {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
    },
    /// An officer opened a counter.
    CounterOpened {
        /// Counter.
        counter: u32,
        /// Officer.
        officer_id: Option<String>,
    },
    /// A counter closed.
    CounterClosed {
        /// Counter.
        counter: u32,
    },
    /// A ticket was called to a counter.
    TicketCalled {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Counter.
        counter: u32,
        /// The ticket's priority class, if any.
        priority_class: Option<String>,
        /// Seconds it waited.
        waited_secs: i64,
        /// The estimate printed on the ticket, so prediction error can be reported per field.
        predicted_wait: Option<WaitRange>,
        /// The service session this call starts.
        session_id: Uuid,
        /// Officer at the counter.
        officer_id: Option<String>,
    },
    /// The call was repeated.
    TicketRecalled {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Counter.
        counter: u32,
    },
    /// The called citizen did not come.
    TicketSkipped {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Counter.
        counter: u32,
    },
    /// Service started.
    ServiceStarted {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Counter.
        counter: u32,
    },
    /// Service finished.
    ServiceFinished {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Counter.
        counter: u32,
        /// Field served.
        field_id: String,
        /// Service duration in seconds (from start, or from the call when start was not pressed).
        service_secs: i64,
    },
    /// The officer tied the current ticket to a dossier.
    DossierLinked {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Counter.
        counter: u32,
        /// Dossier code.
        dossier_code: String,
    },
    /// A service finished and the keypad invites the citizen to rate it.
    RatingWindowOpened {
        /// Window id.
        window_id: u32,
        /// Counter.
        counter: u32,
        /// Ticket served.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Service session.
        session_id: Option<Uuid>,
        /// Officer who served.
        officer_id: Option<String>,
        /// Dossier code, if linked.
        dossier_code: Option<String>,
        /// When the window closes.
        closes_at: Timestamp,
    },
    /// The citizen rated the service. Recorded at most once per window.
    RatingRecorded {
        /// Window id.
        window_id: u32,
        /// Counter.
        counter: u32,
        /// Ticket served.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Service session.
        session_id: Option<Uuid>,
        /// Officer who served.
        officer_id: Option<String>,
        /// Dossier code, if linked.
        dossier_code: Option<String>,
        /// 1-based key position pressed.
        key: u8,
        /// The key's label on this office's scale.
        label_vi: String,
        /// The national level it counts as.
        level: NationalLevel,
    },
    /// A ticket went back to the queue for another field or counter.
    TicketTransferred {
        /// Ticket.
        ticket_id: Uuid,
        /// Its number.
        number: String,
        /// Counter it came from.
        from_counter: u32,
        /// New field.
        to_field: String,
        /// Counter it is reserved for, if any.
        to_counter: Option<u32>,
    },
}

impl Event {
    /// The ticket this event concerns, if any.
    pub fn ticket_id(&self) -> Option<Uuid> {
        match self {
            Event::DayStarted { .. } | Event::CounterOpened { .. } | Event::CounterClosed { .. } => None,
            Event::TicketIssued { ticket } | Event::TicketReserved { ticket } => Some(ticket.id),
            Event::TicketPrintFailed { ticket_id, .. } | Event::TicketVoided { ticket_id, .. } => Some(*ticket_id),
            Event::TicketCalled { ticket_id, .. }
            | Event::TicketRecalled { ticket_id, .. }
            | Event::TicketSkipped { ticket_id, .. }
            | Event::ServiceStarted { ticket_id, .. }
            | Event::ServiceFinished { ticket_id, .. }
            | Event::TicketTransferred { ticket_id, .. }
            | Event::DossierLinked { ticket_id, .. }
            | Event::RatingWindowOpened { ticket_id, .. }
            | Event::RatingRecorded { ticket_id, .. } => Some(*ticket_id),
        }
    }

    /// The event's kind as stored in the outbox.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::DayStarted { .. } => "day_started",
            Event::TicketIssued { .. } => "ticket_issued",
            Event::TicketReserved { .. } => "ticket_reserved",
            Event::TicketPrintFailed { .. } => "ticket_print_failed",
            Event::TicketVoided { .. } => "ticket_voided",
            Event::CounterOpened { .. } => "counter_opened",
            Event::CounterClosed { .. } => "counter_closed",
            Event::TicketCalled { .. } => "ticket_called",
            Event::TicketRecalled { .. } => "ticket_recalled",
            Event::TicketSkipped { .. } => "ticket_skipped",
            Event::ServiceStarted { .. } => "service_started",
            Event::ServiceFinished { .. } => "service_finished",
            Event::TicketTransferred { .. } => "ticket_transferred",
            Event::DossierLinked { .. } => "dossier_linked",
            Event::RatingWindowOpened { .. } => "rating_window_opened",
            Event::RatingRecorded { .. } => "rating_recorded",
        }
    }
}

/// The queue's whole state for the current service day.
#[derive(Debug, Clone)]
pub struct State {
    /// Current service day, once any command ran.
    pub service_day: Option<Date>,
    /// Tickets of the current day, by id.
    pub tickets: HashMap<Uuid, TicketRec>,
    /// Last number used per series (field id).
    pub last_seq: HashMap<String, u32>,
    /// Counters by number.
    pub counters: BTreeMap<u32, CounterRec>,
    /// Learned service times.
    pub stats: ServiceStats,
    /// The highest rating window id used so far.
    pub last_window_id: u32,
    tz: TimeZone,
    /// Waiting tickets per field, kept by [`State::apply`] so issuing a ticket does not scan
    /// the whole day (see [`State::reindex`] after filling `tickets` directly).
    waiting_by_field: HashMap<String, u32>,
}

/// What `decide` needs besides the command.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The office configuration.
    pub cfg: &'a Config,
    /// Now.
    pub now: Timestamp,
    /// Device causing the command.
    pub device_id: &'a str,
}

impl State {
    /// An empty state for this office.
    pub fn new(cfg: &Config) -> State {
        let counters =
            cfg.counters.iter().map(|c| (c.number, CounterRec { number: c.number, ..CounterRec::default() })).collect();
        State {
            service_day: None,
            tickets: HashMap::new(),
            last_seq: HashMap::new(),
            counters,
            stats: ServiceStats::default(),
            last_window_id: 0,
            tz: cfg.tz(),
            waiting_by_field: HashMap::new(),
        }
    }

    /// Rebuild the derived indexes after `tickets` was filled or changed directly (loading
    /// from the store, tests). [`State::apply`] keeps them up to date otherwise.
    pub fn reindex(&mut self) {
        let mut w: HashMap<String, u32> = HashMap::new();
        for t in self.tickets.values().filter(|t| t.status == TicketStatus::Waiting) {
            *w.entry(t.field_id.clone()).or_default() += 1;
        }
        self.waiting_by_field = w;
    }

    /// The office-local date of an instant.
    pub fn day_of(&self, t: Timestamp) -> Date {
        t.to_zoned(self.tz.clone()).date()
    }

    /// The office-local time of an instant.
    pub fn local(&self, t: Timestamp) -> Zoned {
        t.to_zoned(self.tz.clone())
    }

    /// If `now` is on a later service day than the state, the event that starts it.
    pub fn roll_day(&self, now: Timestamp) -> Option<Event> {
        let today = self.day_of(now);
        match self.service_day {
            Some(d) if d >= today => None,
            _ => {
                let mut expired: Vec<&TicketRec> = self
                    .tickets
                    .values()
                    .filter(|t| {
                        matches!(
                            t.status,
                            TicketStatus::Pending
                                | TicketStatus::Waiting
                                | TicketStatus::Called
                                | TicketStatus::Serving
                        )
                    })
                    .collect();
                expired.sort_by_key(|t| (t.issued_at, t.id));
                Some(Event::DayStarted { service_day: today, expired: expired.iter().map(|t| t.id).collect() })
            }
        }
    }

    /// Reservations older than [`RESERVATION_TTL_SECS`]: the events that void them.
    pub fn void_stale_reservations(&self, now: Timestamp) -> Vec<Event> {
        let mut stale: Vec<&TicketRec> = self
            .tickets
            .values()
            .filter(|t| t.status == TicketStatus::Pending && (now - t.issued_at).get_seconds() >= RESERVATION_TTL_SECS)
            .collect();
        stale.sort_by_key(|t| (t.issued_at, t.seq));
        stale.iter().map(|t| Event::TicketVoided { ticket_id: t.id, number: t.number.clone() }).collect()
    }

    /// Check a command and return the events it causes. The state is not changed.
    pub fn decide(&self, cmd: &Command, ctx: Ctx<'_>) -> Result<Vec<Event>> {
        match cmd {
            Command::Issue { field_id, priority_class, hold, citizen } => {
                if let Some(c) = citizen {
                    c.check().map_err(|m| Error::InvalidAction(format!("citizen: {m}")))?;
                }
                let mut evs = self.decide_issue(field_id, priority_class.as_deref(), ctx)?;
                for e in &mut evs {
                    if let Event::TicketIssued { ticket } = e {
                        ticket.citizen = citizen.as_ref().map(CitizenRec::from);
                    }
                }
                if *hold {
                    evs = evs
                        .into_iter()
                        .map(|e| match e {
                            Event::TicketIssued { mut ticket } => {
                                ticket.status = TicketStatus::Pending;
                                Event::TicketReserved { ticket }
                            }
                            other => other,
                        })
                        .collect();
                }
                Ok(evs)
            }
            Command::Confirm { ticket_id, delivery } => {
                let t = self.tickets.get(ticket_id).ok_or_else(|| Error::UnknownTicket(ticket_id.to_string()))?;
                match (t.status, delivery) {
                    (TicketStatus::Pending, api::Delivery::Printed) => {
                        let mut ticket = t.clone();
                        ticket.status = TicketStatus::Waiting;
                        Ok(vec![Event::TicketIssued { ticket }])
                    }
                    (TicketStatus::Pending, api::Delivery::Screen) => {
                        Ok(vec![Event::TicketPrintFailed { ticket_id: t.id, number: t.number.clone() }])
                    }
                    (TicketStatus::Voided, _) => {
                        Err(Error::InvalidAction(format!("{} was voided: it was not confirmed in time", t.number)))
                    }
                    // Confirmed already (a retried request): nothing changes.
                    _ => Ok(vec![]),
                }
            }
            Command::Counter { counter, action } => self.decide_counter(*counter, action, ctx),
        }
    }

    fn decide_issue(&self, field_id: &str, pc: Option<&str>, ctx: Ctx<'_>) -> Result<Vec<Event>> {
        let field = ctx.cfg.field(field_id).ok_or_else(|| Error::UnknownField(field_id.to_owned()))?;
        if let Some(pc) = pc {
            ctx.cfg.priority_class(pc).ok_or_else(|| Error::UnknownPriorityClass(pc.to_owned()))?;
        }
        let seq = self
            .last_seq
            .get(field_id)
            .copied()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or_else(|| Error::InvalidAction(format!("series {} exhausted for today", field.letter)))?;
        let people_ahead = self.waiting_for_field(field_id);
        let hour = self.local(ctx.now).hour().clamp(0, 23) as u8;
        let wait = self.stats.estimate(
            field_id,
            hour,
            people_ahead,
            self.open_counters_for(ctx.cfg, field_id),
            &ctx.cfg.estimate,
        );
        let ticket = TicketRec {
            id: uuid_v7(ctx.now, field_id, seq),
            service_day: self.day_of(ctx.now),
            field_id: field_id.to_owned(),
            series_field_id: field_id.to_owned(),
            seq,
            number: format_number(&field.letter, seq),
            priority_class: pc.map(str::to_owned),
            status: TicketStatus::Waiting,
            counter: None,
            target_counter: None,
            issued_at: ctx.now,
            called_at: None,
            started_at: None,
            finished_at: None,
            people_ahead,
            wait,
            issued_by: ctx.device_id.to_owned(),
            session_id: None,
            dossier_code: None,
            citizen: None,
        };
        Ok(vec![Event::TicketIssued { ticket }])
    }

    fn decide_counter(&self, n: u32, action: &CounterAction, ctx: Ctx<'_>) -> Result<Vec<Event>> {
        let cfg_counter = ctx.cfg.counter(n).ok_or(Error::UnknownCounter(n))?;
        let counter = self.counters.get(&n).ok_or(Error::UnknownCounter(n))?;
        let current = counter.current.and_then(|id| self.tickets.get(&id));
        let need_open = || if counter.open { Ok(()) } else { Err(Error::CounterClosed(n)) };
        let need_current = || current.ok_or(Error::NoCurrentTicket(n));
        match action {
            CounterAction::Open { officer_id, pin } => {
                if !ctx.cfg.officers.is_empty() {
                    let refused = || Error::SignInRefused(n);
                    let officer = officer_id.as_deref().and_then(|id| ctx.cfg.officer(id)).ok_or_else(refused)?;
                    let pin_ok = pin.as_ref().is_some_and(|p| officer.pin_matches(&p.0));
                    if !pin_ok || !(officer.counters.is_empty() || officer.counters.contains(&n)) {
                        return Err(refused());
                    }
                }
                if counter.open && counter.officer_id == *officer_id {
                    return Ok(vec![]);
                }
                if let Some(t) = current.filter(|_| counter.open && counter.officer_id != *officer_id) {
                    // Another officer takes over a counter mid-service: the session's officer
                    // would be wrong on the rating.
                    return Err(Error::CounterBusy(n, t.number.clone()));
                }
                Ok(vec![Event::CounterOpened { counter: n, officer_id: officer_id.clone() }])
            }
            CounterAction::Close => {
                if let Some(t) = current {
                    return Err(Error::CounterBusy(n, t.number.clone()));
                }
                if !counter.open {
                    return Ok(vec![]);
                }
                Ok(vec![Event::CounterClosed { counter: n }])
            }
            CounterAction::CallNext => {
                need_open()?;
                let mut events = Vec::new();
                if let Some(t) = current {
                    match t.status {
                        // "Next" while serving finishes the current service: one key press.
                        TicketStatus::Serving => events.extend(self.finish_events(t, counter, ctx)),
                        _ => return Err(Error::CounterBusy(n, t.number.clone())),
                    }
                }
                let next =
                    self.pick_next(ctx.cfg, &cfg_counter.fields, counter, ctx.now).ok_or(Error::NothingWaiting(n))?;
                events.push(Event::TicketCalled {
                    ticket_id: next.id,
                    number: next.number.clone(),
                    counter: n,
                    priority_class: next.priority_class.clone(),
                    waited_secs: (ctx.now - next.issued_at).get_seconds(),
                    predicted_wait: next.wait,
                    session_id: event_id(ctx.now),
                    officer_id: counter.officer_id.clone(),
                });
                Ok(events)
            }
            CounterAction::Recall => {
                need_open()?;
                let t = need_current()?;
                if t.status != TicketStatus::Called {
                    return Err(Error::InvalidAction(format!("{} is already being served", t.number)));
                }
                Ok(vec![Event::TicketRecalled { ticket_id: t.id, number: t.number.clone(), counter: n }])
            }
            CounterAction::Skip => {
                let t = need_current()?;
                if t.status != TicketStatus::Called {
                    return Err(Error::InvalidAction(format!("{} is being served; finish or transfer it", t.number)));
                }
                Ok(vec![Event::TicketSkipped { ticket_id: t.id, number: t.number.clone(), counter: n }])
            }
            CounterAction::Start => {
                let t = need_current()?;
                if t.status != TicketStatus::Called {
                    return Err(Error::InvalidAction(format!("{} is already being served", t.number)));
                }
                Ok(vec![Event::ServiceStarted { ticket_id: t.id, number: t.number.clone(), counter: n }])
            }
            CounterAction::Finish => {
                let t = need_current()?;
                Ok(self.finish_events(t, counter, ctx))
            }
            CounterAction::LinkDossier { code } => {
                let t = need_current()?;
                let code = code.trim();
                if !crate::engine::plausible_dossier_code(code) {
                    return Err(Error::InvalidAction(format!("{code:?} is not a dossier code")));
                }
                if t.dossier_code.as_deref() == Some(code) {
                    return Ok(vec![]);
                }
                Ok(vec![Event::DossierLinked {
                    ticket_id: t.id,
                    number: t.number.clone(),
                    counter: n,
                    dossier_code: code.to_owned(),
                }])
            }
            CounterAction::Rate { key, window_id } => {
                let w = counter.rating.as_ref().ok_or(Error::NoRatingWindow(n))?;
                if window_id.is_some_and(|id| id != w.window_id) {
                    return Err(Error::NoRatingWindow(n));
                }
                if w.rated.is_some() {
                    // The keypad retransmitted, reconnected, or the citizen pressed twice:
                    // the first press counts, the rest change nothing.
                    return Ok(vec![]);
                }
                if !w.accepts(ctx.now) {
                    return Err(Error::NoRatingWindow(n));
                }
                let k = ctx.cfg.rating.key(*key).ok_or(Error::UnknownRatingKey(*key))?;
                Ok(vec![Event::RatingRecorded {
                    window_id: w.window_id,
                    counter: n,
                    ticket_id: w.ticket_id,
                    number: w.number.clone(),
                    session_id: w.session_id,
                    officer_id: w.officer_id.clone(),
                    dossier_code: w.dossier_code.clone(),
                    key: *key,
                    label_vi: k.label_vi.clone(),
                    level: k.level,
                }])
            }
            CounterAction::Transfer { field_id, counter: to_counter } => {
                let t = need_current()?;
                if field_id.is_none() && to_counter.is_none() {
                    return Err(Error::InvalidAction("transfer needs a field or a counter".into()));
                }
                if let Some(to) = to_counter {
                    ctx.cfg.counter(*to).ok_or(Error::UnknownCounter(*to))?;
                    if *to == n {
                        return Err(Error::InvalidAction("transfer to the same counter".into()));
                    }
                }
                let to_field = match field_id {
                    Some(f) => ctx.cfg.field(f).ok_or_else(|| Error::UnknownField(f.clone()))?.id.clone(),
                    None => t.field_id.clone(),
                };
                Ok(vec![Event::TicketTransferred {
                    ticket_id: t.id,
                    number: t.number.clone(),
                    from_counter: n,
                    to_field,
                    to_counter: *to_counter,
                }])
            }
        }
    }

    /// Fold an event into the state.
    pub fn apply(&mut self, ev: &Event, cfg: &Config, now: Timestamp) {
        // Every event changes at most the ticket it names: compare that ticket's place in the
        // waiting index before and after, instead of rescanning the day.
        let touched = ev.ticket_id();
        let before = self.waiting_key(touched);
        self.apply_inner(ev, cfg, now);
        if matches!(ev, Event::DayStarted { .. }) {
            self.reindex();
            return;
        }
        let after = self.waiting_key(touched);
        if before != after {
            if let Some(f) = before
                && let Some(n) = self.waiting_by_field.get_mut(&f)
            {
                *n = n.saturating_sub(1);
            }
            if let Some(f) = after {
                *self.waiting_by_field.entry(f).or_default() += 1;
            }
        }
    }

    /// The field a ticket waits in, if it is waiting.
    fn waiting_key(&self, id: Option<Uuid>) -> Option<String> {
        let t = self.tickets.get(&id?)?;
        (t.status == TicketStatus::Waiting).then(|| t.field_id.clone())
    }

    fn apply_inner(&mut self, ev: &Event, cfg: &Config, now: Timestamp) {
        match ev {
            Event::DayStarted { service_day, expired } => {
                self.service_day = Some(*service_day);
                for id in expired {
                    self.tickets.remove(id);
                }
                // Finished and skipped tickets of earlier days are history, kept in the store only.
                self.tickets.retain(|_, t| t.service_day >= *service_day);
                self.last_seq.clear();
                for c in self.counters.values_mut() {
                    c.current = None;
                    c.priority_streak = 0;
                }
            }
            Event::TicketIssued { ticket } | Event::TicketReserved { ticket } => {
                self.last_seq.insert(ticket.series_field_id.clone(), ticket.seq);
                match self.tickets.get_mut(&ticket.id) {
                    // A confirmed reservation keeps its row; only its status changes.
                    Some(t) => t.status = ticket.status,
                    None => {
                        self.tickets.insert(ticket.id, ticket.clone());
                    }
                }
            }
            Event::TicketPrintFailed { ticket_id, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    t.status = TicketStatus::Waiting;
                }
            }
            Event::TicketVoided { ticket_id, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    t.status = TicketStatus::Voided;
                }
            }
            Event::CounterOpened { counter, officer_id } => {
                if let Some(c) = self.counters.get_mut(counter) {
                    c.open = true;
                    c.officer_id = officer_id.clone();
                }
            }
            Event::CounterClosed { counter } => {
                if let Some(c) = self.counters.get_mut(counter) {
                    c.open = false;
                    c.officer_id = None;
                }
            }
            Event::TicketCalled { ticket_id, counter, priority_class, session_id, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    t.status = TicketStatus::Called;
                    t.counter = Some(*counter);
                    t.called_at = Some(now);
                    t.session_id = Some(*session_id);
                }
                if let Some(c) = self.counters.get_mut(counter) {
                    c.current = Some(*ticket_id);
                    c.priority_streak = if priority_class.is_some() { c.priority_streak.saturating_add(1) } else { 0 };
                }
            }
            Event::TicketRecalled { ticket_id, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    t.called_at = Some(now);
                }
            }
            Event::TicketSkipped { ticket_id, counter, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    t.status = TicketStatus::Skipped;
                }
                self.clear_current(*counter);
            }
            Event::ServiceStarted { ticket_id, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    t.status = TicketStatus::Serving;
                    t.started_at = Some(now);
                }
            }
            Event::ServiceFinished { ticket_id, counter, field_id, service_secs, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    t.status = TicketStatus::Finished;
                    t.finished_at = Some(now);
                }
                let hour = self.local(now).hour().clamp(0, 23) as u8;
                self.stats.record(field_id, hour, *service_secs as f64, &cfg.estimate);
                self.clear_current(*counter);
            }
            Event::DossierLinked { ticket_id, dossier_code, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    t.dossier_code = Some(dossier_code.clone());
                }
            }
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
                self.last_window_id = self.last_window_id.max(*window_id);
                if let Some(c) = self.counters.get_mut(counter) {
                    c.rating = Some(RatingWindowRec {
                        window_id: *window_id,
                        ticket_id: *ticket_id,
                        number: number.clone(),
                        session_id: *session_id,
                        officer_id: officer_id.clone(),
                        dossier_code: dossier_code.clone(),
                        opened_at: now,
                        closes_at: *closes_at,
                        rated: None,
                    });
                }
            }
            Event::RatingRecorded { window_id, counter, key, level, .. } => {
                if let Some(w) =
                    self.counters.get_mut(counter).and_then(|c| c.rating.as_mut()).filter(|w| w.window_id == *window_id)
                {
                    w.rated = Some((*key, *level));
                }
            }
            Event::TicketTransferred { ticket_id, from_counter, to_field, to_counter, .. } => {
                if let Some(t) = self.tickets.get_mut(ticket_id) {
                    // Back in the queue with its original issue time: a transfer never costs the
                    // citizen their place.
                    t.status = TicketStatus::Waiting;
                    t.field_id = to_field.clone();
                    t.target_counter = *to_counter;
                    t.counter = None;
                    t.called_at = None;
                    t.started_at = None;
                }
                self.clear_current(*from_counter);
            }
        }
    }

    /// A finished service: the finish, then the rating window when ratings are on.
    fn finish_events(&self, t: &TicketRec, counter: &CounterRec, ctx: Ctx<'_>) -> Vec<Event> {
        let mut v = vec![finish_event(t, counter.number, ctx.now)];
        if ctx.cfg.rating.enabled {
            v.push(Event::RatingWindowOpened {
                window_id: self.last_window_id.saturating_add(1),
                counter: counter.number,
                ticket_id: t.id,
                number: t.number.clone(),
                session_id: t.session_id,
                officer_id: counter.officer_id.clone(),
                dossier_code: t.dossier_code.clone(),
                closes_at: ctx.now + jiff::SignedDuration::from_secs(i64::from(ctx.cfg.rating.window_secs)),
            });
        }
        v
    }

    /// The wire form of a counter's latest rating window.
    pub fn rating_info(&self, counter: u32, now: Timestamp) -> Option<api::RatingWindowInfo> {
        let w = self.counters.get(&counter)?.rating.as_ref()?;
        Some(api::RatingWindowInfo {
            window_id: w.window_id,
            session_id: w.session_id.map(|s| s.to_string()).unwrap_or_default(),
            number: w.number.clone(),
            closes_at: rfc3339(&self.local(w.closes_at)),
            open: w.accepts(now),
            rated_key: w.rated.map(|r| r.0),
            level: w.rated.map(|r| r.1),
        })
    }

    fn clear_current(&mut self, counter: u32) {
        if let Some(c) = self.counters.get_mut(&counter) {
            c.current = None;
        }
    }

    /// Waiting tickets of a field.
    pub fn waiting_for_field(&self, field_id: &str) -> u32 {
        let n = self.waiting_by_field.get(field_id).copied().unwrap_or(0);
        debug_assert_eq!(
            n as usize,
            self.tickets.values().filter(|t| t.status == TicketStatus::Waiting && t.field_id == field_id).count(),
            "waiting index out of step with the tickets"
        );
        n
    }

    /// Open counters serving a field.
    pub fn open_counters_for(&self, cfg: &Config, field_id: &str) -> u32 {
        let n = cfg
            .counters
            .iter()
            .filter(|c| c.fields.iter().any(|f| f == field_id))
            .filter(|c| self.counters.get(&c.number).is_some_and(|r| r.open))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Tickets a counter may call now.
    fn candidates<'a>(&'a self, fields: &'a [String], counter: u32) -> impl Iterator<Item = &'a TicketRec> + 'a {
        self.tickets.values().filter(move |t| {
            t.status == TicketStatus::Waiting
                && match t.target_counter {
                    Some(c) => c == counter,
                    None => fields.contains(&t.field_id),
                }
        })
    }

    /// The ticket the policy calls next at this counter.
    pub fn pick_next<'a>(
        &'a self,
        cfg: &Config,
        fields: &'a [String],
        counter: &CounterRec,
        now: Timestamp,
    ) -> Option<&'a TicketRec> {
        let _ = now; // The aging key is time-invariant: order by issue time minus the head start.
        match cfg.policy {
            Policy::Aging => self.candidates(fields, counter.number).min_by_key(|t| aging_key(cfg, t)),
            Policy::Ratio { priority_per_normal } => {
                let oldest_normal = self
                    .candidates(fields, counter.number)
                    .filter(|t| t.priority_class.is_none())
                    .min_by_key(|t| fifo_key(t));
                let oldest_priority = self
                    .candidates(fields, counter.number)
                    .filter(|t| t.priority_class.is_some())
                    .min_by_key(|t| fifo_key(t));
                match (oldest_priority, oldest_normal) {
                    (Some(_), Some(n)) if counter.priority_streak >= priority_per_normal => Some(n),
                    (Some(p), _) => Some(p),
                    (None, n) => n,
                }
            }
        }
    }

    /// Waiting tickets in the order the policy would call them (ignoring counter restrictions).
    pub fn waiting_in_order(&self, cfg: &Config) -> Vec<&TicketRec> {
        let mut v: Vec<&TicketRec> = self.tickets.values().filter(|t| t.status == TicketStatus::Waiting).collect();
        match cfg.policy {
            Policy::Aging => v.sort_by_key(|t| aging_key(cfg, t)),
            Policy::Ratio { .. } => v.sort_by_key(|t| (t.priority_class.is_none(), fifo_key(t))),
        }
        v
    }

    /// The wire form of a ticket.
    pub fn to_api(&self, cfg: &Config, t: &TicketRec) -> api::Ticket {
        let field = cfg.field(&t.field_id);
        api::Ticket {
            id: t.id.to_string(),
            number: t.number.clone(),
            field_id: t.field_id.clone(),
            field_name_vi: field.map(|f| f.name_vi.clone()).unwrap_or_default(),
            field_name_en: field.map(|f| f.name_en.clone()).unwrap_or_default(),
            priority_class: t.priority_class.clone(),
            status: t.status,
            service_day: t.service_day.to_string(),
            issued_at: rfc3339(&self.local(t.issued_at)),
            people_ahead: t.people_ahead,
            counters: match t.target_counter {
                Some(c) => vec![c],
                None => cfg.counters_for(&t.field_id),
            },
            wait: t.wait,
            counter: t.counter,
            dossier_code: t.dossier_code.clone(),
            session_id: t.session_id.map(|s| s.to_string()),
            citizen: t.citizen.as_ref().map(|c| api::TicketCitizen {
                display_name: c.display_name.clone(),
                masked_id: c.masked_id.clone(),
                verification: c.verification,
            }),
        }
    }

    /// Tickets whose citizen data must go at `now`: the visit ended (finished, skipped or
    /// voided) at least `grace` ago, or the ticket belongs to an earlier service day (the
    /// office's local midnight has passed).
    pub fn citizens_due(&self, now: Timestamp, grace: jiff::SignedDuration) -> Vec<Uuid> {
        let today = self.day_of(now);
        let mut due: Vec<Uuid> = self
            .tickets
            .values()
            .filter(|t| t.citizen.is_some())
            .filter(|t| {
                let ended = match t.status {
                    TicketStatus::Finished => Some(t.finished_at.unwrap_or(t.issued_at)),
                    TicketStatus::Skipped => Some(t.called_at.unwrap_or(t.issued_at)),
                    TicketStatus::Voided => Some(t.issued_at),
                    _ => None,
                };
                t.service_day < today || ended.is_some_and(|at| now.duration_since(at) >= grace)
            })
            .map(|t| t.id)
            .collect();
        due.sort();
        due
    }

    /// Forgets the citizen data of `ids` (memory only; the store deletes the rows).
    pub fn forget_citizens(&mut self, ids: &[Uuid]) {
        for id in ids {
            if let Some(t) = self.tickets.get_mut(id) {
                t.citizen = None;
            }
        }
    }
}

fn finish_event(t: &TicketRec, counter: u32, now: Timestamp) -> Event {
    let from = t.started_at.or(t.called_at).unwrap_or(now);
    Event::ServiceFinished {
        ticket_id: t.id,
        number: t.number.clone(),
        counter,
        field_id: t.field_id.clone(),
        service_secs: (now - from).get_seconds().max(0),
    }
}

/// Aging order: earlier "virtual issue time" first, where a priority class moves the ticket
/// `boost_minutes` earlier. A normal ticket's key is fixed while new priority tickets' keys keep
/// growing with their issue time, so every ticket is eventually first: no starvation.
fn aging_key(cfg: &Config, t: &TicketRec) -> (i64, i64, u32, Uuid) {
    let boost = t
        .priority_class
        .as_deref()
        .and_then(|p| cfg.priority_class(p))
        .map_or(0, |p| i64::from(p.boost_minutes) * 60_000);
    let issued = t.issued_at.as_millisecond();
    // Tickets issued in the same millisecond keep their series order (the UUID's random bits
    // must not decide who goes first).
    (issued - boost, issued, t.seq, t.id)
}

fn fifo_key(t: &TicketRec) -> (Timestamp, u32, Uuid) {
    (t.issued_at, t.seq, t.id)
}

/// `A` + seq, zero-padded to three digits; the width grows past 999 instead of wrapping.
pub fn format_number(letter: &str, seq: u32) -> String {
    format!("{letter}{seq:03}")
}

/// Whether `code` has the shape of a dossier code (`000.00.12.H62-201105-0004`): three
/// dot-separated unit parts, a `YYMMDD` date and a sequence, letters and digits only. The
/// kiosk's scanner crate validates strictly; the hub only refuses what is plainly not a code.
pub fn plausible_dossier_code(code: &str) -> bool {
    let parts: Vec<&str> = code.split('-').collect();
    matches!(parts.as_slice(), [unit, date, seq]
        if !unit.is_empty() && unit.len() <= 32
            && unit.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
            && date.len() == 6 && date.bytes().all(|b| b.is_ascii_digit())
            && !seq.is_empty() && seq.len() <= 8 && seq.bytes().all(|b| b.is_ascii_digit()))
}

/// RFC 3339 with the zone's offset (e.g. `2026-11-23T08:46:00+07:00`), whole seconds.
pub fn rfc3339(z: &Zoned) -> String {
    z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// A UUIDv7 from the command's time plus randomness, so ids sort by time (RFC 9562 §5.7).
fn uuid_v7(now: Timestamp, _field: &str, _seq: u32) -> Uuid {
    let ms = u64::try_from(now.as_millisecond()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, ((ms % 1000) * 1_000_000) as u32);
    Uuid::new_v7(ts)
}

/// A fresh UUIDv7 for an event at `now`.
pub fn event_id(now: Timestamp) -> Uuid {
    uuid_v7(now, "", 0)
}
