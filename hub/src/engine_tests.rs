//! Unit tests of the pure engine: numbering, day reset, counter actions, policies.

use jiff::Timestamp;

use crate::api::{CounterAction, TicketStatus};
use crate::config::{Config, Policy};
use crate::engine::{Command, Ctx, Event, State};
use crate::error::Error;

fn cfg() -> Config {
    Config::sample()
}

/// 2026-11-23 08:00 in Hanoi (+07:00).
fn t0() -> Timestamp {
    "2026-11-23T01:00:00Z".parse().expect("timestamp")
}

fn mins(t: Timestamp, m: i64) -> Timestamp {
    t + jiff::SignedDuration::from_mins(m)
}

struct Sim {
    cfg: Config,
    state: State,
}

impl Sim {
    fn new(cfg: Config) -> Sim {
        let state = State::new(&cfg);
        Sim { cfg, state }
    }

    fn run(&mut self, cmd: Command, now: Timestamp) -> Result<Vec<Event>, Error> {
        let mut out = Vec::new();
        if let Some(ev) = self.state.roll_day(now) {
            self.state.apply(&ev, &self.cfg, now);
            out.push(ev);
        }
        let evs = self.state.decide(&cmd, Ctx { cfg: &self.cfg, now, device_id: "test" })?;
        for ev in &evs {
            self.state.apply(ev, &self.cfg, now);
        }
        out.extend(evs);
        Ok(out)
    }

    fn issue(&mut self, field: &str, pc: Option<&str>, now: Timestamp) -> String {
        let evs = self
            .run(
                Command::Issue {
                    field_id: field.into(),
                    priority_class: pc.map(Into::into),
                    hold: false,
                    citizen: None,
                },
                now,
            )
            .expect("issue");
        match evs.last() {
            Some(Event::TicketIssued { ticket }) => ticket.number.clone(),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn act(&mut self, counter: u32, action: CounterAction, now: Timestamp) -> Result<Vec<Event>, Error> {
        self.run(Command::Counter { counter, action }, now)
    }

    fn call(&mut self, counter: u32, now: Timestamp) -> Option<String> {
        match self.act(counter, CounterAction::CallNext, now) {
            Ok(evs) => evs.iter().find_map(|e| match e {
                Event::TicketCalled { number, .. } => Some(number.clone()),
                _ => None,
            }),
            Err(Error::NothingWaiting(_)) => None,
            Err(e) => panic!("call: {e}"),
        }
    }
}

#[test]
fn numbers_follow_one_series_per_field() {
    let mut s = Sim::new(cfg());
    assert_eq!(s.issue("ho-tich", None, t0()), "A001");
    assert_eq!(s.issue("ho-tich", None, t0()), "A002");
    assert_eq!(s.issue("dat-dai", None, t0()), "B001");
    assert_eq!(s.issue("ho-tich", None, t0()), "A003");
}

#[test]
fn number_width_grows_past_999_instead_of_wrapping() {
    let mut s = Sim::new(cfg());
    let mut last = String::new();
    for _ in 0..1000 {
        last = s.issue("ho-tich", None, t0());
    }
    assert_eq!(last, "A1000");
}

#[test]
fn numbering_resets_at_local_midnight_not_utc() {
    let mut s = Sim::new(cfg());
    // 23:59 local on the 23rd = 16:59Z.
    let before: Timestamp = "2026-11-23T16:59:00Z".parse().expect("ts");
    let after: Timestamp = "2026-11-23T17:00:00Z".parse().expect("ts"); // 00:00 on the 24th, +07:00
    assert_eq!(s.issue("ho-tich", None, before), "A001");
    assert_eq!(s.issue("ho-tich", None, before), "A002");
    assert_eq!(s.issue("ho-tich", None, after), "A001");
    assert_eq!(s.state.service_day.map(|d| d.to_string()), Some("2026-11-24".into()));
}

#[test]
fn day_start_expires_tickets_left_waiting() {
    let mut s = Sim::new(cfg());
    s.issue("ho-tich", None, t0());
    let next_day = mins(t0(), 24 * 60);
    let evs = s
        .run(Command::Issue { field_id: "ho-tich".into(), priority_class: None, hold: false, citizen: None }, next_day)
        .expect("issue");
    match &evs[0] {
        Event::DayStarted { expired, .. } => assert_eq!(expired.len(), 1),
        other => panic!("expected DayStarted, got {other:?}"),
    }
    assert_eq!(s.state.waiting_for_field("ho-tich"), 1);
}

#[test]
fn closed_counter_cannot_call() {
    let mut s = Sim::new(cfg());
    s.issue("ho-tich", None, t0());
    assert!(matches!(s.act(1, CounterAction::CallNext, t0()), Err(Error::CounterClosed(1))));
}

#[test]
fn counter_calls_only_its_fields_in_fifo_order() {
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: Some("cb01".into()), pin: None }, t0()).expect("open");
    s.issue("dat-dai", None, t0());
    s.issue("ho-tich", None, mins(t0(), 1));
    s.issue("ho-tich", None, mins(t0(), 2));
    assert_eq!(s.call(1, mins(t0(), 3)).as_deref(), Some("A001"));
    s.act(1, CounterAction::Start, mins(t0(), 3)).expect("start");
    // "Next" while serving finishes the current service first.
    let evs = s.act(1, CounterAction::CallNext, mins(t0(), 10)).expect("next");
    assert!(matches!(evs[0], Event::ServiceFinished { service_secs: 420, .. }), "{evs:?}");
    assert!(matches!(&evs[2], Event::TicketCalled { number, .. } if number == "A002"));
    s.act(1, CounterAction::Skip, mins(t0(), 12)).expect("skip");
    assert_eq!(s.call(1, mins(t0(), 12)), None, "B001 belongs to counter 3");
}

#[test]
fn call_while_a_ticket_is_called_is_refused() {
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    s.issue("ho-tich", None, t0());
    s.issue("ho-tich", None, t0());
    s.call(1, t0());
    assert!(matches!(s.act(1, CounterAction::CallNext, t0()), Err(Error::CounterBusy(1, _))));
    assert!(s.act(1, CounterAction::Recall, t0()).is_ok());
}

#[test]
fn transfer_keeps_the_place_and_reserves_the_counter() {
    let mut s = Sim::new(cfg());
    for c in [1, 3] {
        s.act(c, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    }
    s.issue("ho-tich", None, t0()); // A001
    s.issue("dat-dai", None, mins(t0(), 5)); // B001
    s.call(1, mins(t0(), 6));
    s.act(1, CounterAction::Transfer { field_id: Some("dat-dai".into()), counter: None }, mins(t0(), 7))
        .expect("transfer");
    // A001 was issued before B001, so counter 3 calls it first.
    assert_eq!(s.call(3, mins(t0(), 8)).as_deref(), Some("A001"));
    s.act(3, CounterAction::Finish, mins(t0(), 9)).expect("finish");
    // Transfer to a specific counter: only that counter may call it.
    s.call(3, mins(t0(), 10)); // B001
    s.act(3, CounterAction::Transfer { field_id: None, counter: Some(2) }, mins(t0(), 11)).expect("transfer");
    assert_eq!(s.call(1, mins(t0(), 12)), None, "reserved for counter 2");
    s.act(2, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    assert_eq!(s.call(2, mins(t0(), 12)).as_deref(), Some("B001"));
}

#[test]
fn aging_policy_lets_priority_go_first_within_its_boost() {
    let mut s = Sim::new(cfg()); // aging, boost 30 min
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    s.issue("ho-tich", None, t0()); // A001 normal at 0
    s.issue("ho-tich", Some("nguoi-cao-tuoi"), mins(t0(), 10)); // A002 priority at +10
    assert_eq!(s.call(1, mins(t0(), 11)).as_deref(), Some("A002"));
}

#[test]
fn aging_policy_never_starves_a_normal_ticket() {
    // A continuous stream of priority tickets, one a minute, and one normal ticket: under aging
    // the normal ticket is called once it has waited longer than the boost, whatever arrives.
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    s.issue("ho-tich", None, t0()); // A001, normal
    let mut called_at = None;
    for minute in 1..=120 {
        let now = mins(t0(), minute);
        s.issue("ho-tich", Some("nguoi-cao-tuoi"), now);
        s.act(1, CounterAction::Finish, now).ok();
        if s.call(1, now).as_deref() == Some("A001") {
            called_at = Some(minute);
            break;
        }
    }
    let m = called_at.expect("normal ticket starved for two hours");
    assert!(m <= 31, "called at minute {m}, boost is 30");
}

#[test]
fn ratio_policy_interleaves_and_never_starves() {
    let mut c = cfg();
    c.policy = Policy::Ratio { priority_per_normal: 2 };
    let mut s = Sim::new(c);
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    s.issue("ho-tich", None, t0()); // A001 normal
    s.issue("ho-tich", None, t0()); // A002 normal
    for i in 0..6 {
        s.issue("ho-tich", Some("nguoi-khuyet-tat"), mins(t0(), i)); // A003..A008
    }
    let mut order = Vec::new();
    for i in 0..8 {
        s.act(1, CounterAction::Finish, mins(t0(), 10 + i)).ok();
        order.push(s.call(1, mins(t0(), 10 + i)).expect("someone waits"));
    }
    assert_eq!(order, ["A003", "A004", "A001", "A005", "A006", "A002", "A007", "A008"]);
}

#[test]
fn unknown_field_and_class_are_refused_without_events() {
    let s = Sim::new(cfg());
    let ctx = Ctx { cfg: &s.cfg, now: t0(), device_id: "t" };
    let e =
        s.state.decide(&Command::Issue { field_id: "x".into(), priority_class: None, hold: false, citizen: None }, ctx);
    assert!(matches!(e, Err(Error::UnknownField(_))));
    let e = s.state.decide(
        &Command::Issue { field_id: "ho-tich".into(), priority_class: Some("vip".into()), hold: false, citizen: None },
        ctx,
    );
    assert!(matches!(e, Err(Error::UnknownPriorityClass(_))));
}

#[test]
fn finished_services_feed_the_wait_estimate() {
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    let mut now = t0();
    for _ in 0..5 {
        s.issue("ho-tich", None, now);
        s.call(1, now);
        s.act(1, CounterAction::Start, now).expect("start");
        now = mins(now, 6);
        s.act(1, CounterAction::Finish, now).expect("finish");
    }
    s.issue("ho-tich", None, now);
    s.issue("ho-tich", None, now);
    let evs = s
        .run(Command::Issue { field_id: "ho-tich".into(), priority_class: None, hold: false, citizen: None }, now)
        .expect("issue");
    match &evs[0] {
        Event::TicketIssued { ticket } => {
            assert_eq!(ticket.people_ahead, 2);
            let w = ticket.wait.expect("estimate after 5 services");
            // 2 ahead, 6-minute services, one counter: mean 18, sd ≈ 10.4 -> 5–30.
            assert_eq!((w.min_minutes, w.max_minutes), (5, 30));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.state.tickets.values().filter(|t| t.status == TicketStatus::Finished).count(), 5);
}

/// Random command sequences over three days: the engine never panics, and its invariants hold
/// after every step (a reference check, not a replay of the implementation).
#[test]
fn random_command_sequences_keep_the_invariants() {
    use std::collections::HashSet;
    let mut rng: u64 = 0x1234_5678_9abc_def0;
    let mut next = move |n: u64| {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (rng >> 33) % n
    };
    for policy in [Policy::Aging, Policy::Ratio { priority_per_normal: 2 }] {
        let mut c = cfg();
        c.policy = policy;
        let mut s = Sim::new(c);
        let fields = ["ho-tich", "dat-dai", "lao-dong", "kinh-doanh", "khong-co"];
        let classes = [None, Some("nguoi-cao-tuoi"), Some("nguoi-co-cong"), Some("vip")];
        let mut now = t0();
        let mut issued: HashSet<(String, String)> = HashSet::new();
        for _ in 0..4000 {
            now = mins(now, next(4) as i64); // ~3 days in all
            let counter = 1 + next(4) as u32; // counter 4 does not exist
            let cmd = match next(10) {
                0..=3 => Command::Issue {
                    field_id: fields[next(5) as usize].into(),
                    priority_class: classes[next(4) as usize].map(Into::into),
                    hold: false,
                    citizen: None,
                },
                4 => Command::Counter { counter, action: CounterAction::Open { officer_id: None, pin: None } },
                5 => Command::Counter { counter, action: CounterAction::CallNext },
                6 => Command::Counter { counter, action: CounterAction::Start },
                7 => Command::Counter { counter, action: CounterAction::Finish },
                8 => Command::Counter {
                    counter,
                    action: if next(2) == 0 { CounterAction::Skip } else { CounterAction::Recall },
                },
                _ => Command::Counter {
                    counter,
                    action: match next(3) {
                        0 => CounterAction::Close,
                        1 => CounterAction::Transfer { field_id: Some(fields[next(5) as usize].into()), counter: None },
                        _ => CounterAction::Transfer { field_id: None, counter: Some(1 + next(4) as u32) },
                    },
                },
            };
            if let Ok(evs) = s.run(cmd, now) {
                for ev in evs {
                    if let Event::TicketIssued { ticket } = ev {
                        let day_num = (ticket.service_day.to_string(), ticket.number.clone());
                        assert!(issued.insert(day_num), "number {} issued twice", ticket.number);
                    }
                }
            }
            // Invariants.
            for (n, c) in &s.state.counters {
                if let Some(id) = c.current {
                    let t = s.state.tickets.get(&id).expect("current ticket exists");
                    assert!(matches!(t.status, TicketStatus::Called | TicketStatus::Serving), "{t:?}");
                    assert_eq!(t.counter, Some(*n));
                }
            }
            for t in s.state.tickets.values() {
                if matches!(t.status, TicketStatus::Called | TicketStatus::Serving) {
                    let c = t.counter.expect("called ticket has a counter");
                    assert_eq!(s.state.counters[&c].current, Some(t.id), "ticket {} orphaned", t.number);
                }
                assert_eq!(Some(t.service_day), s.state.service_day, "stale ticket kept across days");
            }
        }
        assert!(issued.len() > 500, "the sequence exercised too little: {}", issued.len());
    }
}

fn secs(t: Timestamp, s: i64) -> Timestamp {
    t + jiff::SignedDuration::from_secs(s)
}

/// Counter 1 open, A001 called, served and finished at t0 + 5 min: the rating window opens.
fn finished_service(s: &mut Sim) -> u32 {
    s.act(1, CounterAction::Open { officer_id: Some("cb01".into()), pin: None }, t0()).expect("open");
    s.issue("ho-tich", None, t0());
    s.call(1, t0()).expect("called");
    s.act(1, CounterAction::LinkDossier { code: "000.00.12.H62-201105-0004".into() }, mins(t0(), 1)).expect("link");
    let evs = s.act(1, CounterAction::Finish, mins(t0(), 5)).expect("finish");
    match evs.as_slice() {
        [Event::ServiceFinished { .. }, Event::RatingWindowOpened { window_id, dossier_code, officer_id, .. }] => {
            assert_eq!(dossier_code.as_deref(), Some("000.00.12.H62-201105-0004"));
            assert_eq!(officer_id.as_deref(), Some("cb01"));
            *window_id
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn rate(s: &mut Sim, key: u8, window: Option<u32>, now: Timestamp) -> Result<Vec<Event>, Error> {
    s.act(1, CounterAction::Rate { key, window_id: window }, now)
}

#[test]
fn a_rating_is_recorded_once_with_officer_ticket_session_and_dossier() {
    let mut s = Sim::new(cfg());
    let w = finished_service(&mut s);
    let evs = rate(&mut s, 3, Some(w), secs(mins(t0(), 5), 4)).expect("rate");
    match evs.as_slice() {
        [Event::RatingRecorded { window_id, number, officer_id, dossier_code, level, label_vi, session_id, .. }] => {
            assert_eq!(*window_id, w);
            assert_eq!(number, "A001");
            assert_eq!(officer_id.as_deref(), Some("cb01"));
            assert_eq!(dossier_code.as_deref(), Some("000.00.12.H62-201105-0004"));
            assert_eq!(*level, crate::config::NationalLevel::Unsatisfied);
            assert_eq!(label_vi, "Không hài lòng");
            assert!(session_id.is_some());
        }
        other => panic!("unexpected {other:?}"),
    }
    // A retransmitted press, a second press, another key: nothing more.
    for key in [3, 3, 1] {
        assert_eq!(rate(&mut s, key, Some(w), secs(mins(t0(), 5), 6)).expect("duplicate"), vec![]);
    }
}

#[test]
fn no_rating_outside_a_window() {
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    assert!(matches!(rate(&mut s, 1, None, t0()), Err(Error::NoRatingWindow(1))));
    let mut s = Sim::new(cfg());
    let w = finished_service(&mut s);
    // 30 s window by default: at 30 s it is closed.
    assert!(matches!(rate(&mut s, 1, Some(w), secs(mins(t0(), 5), 30)), Err(Error::NoRatingWindow(1))));
    // A press tagged with an older window never rates the current one.
    assert!(matches!(rate(&mut s, 1, Some(w.wrapping_sub(1)), secs(mins(t0(), 5), 1)), Err(Error::NoRatingWindow(1))));
    assert!(matches!(rate(&mut s, 9, Some(w), secs(mins(t0(), 5), 1)), Err(Error::UnknownRatingKey(9))));
    // The window is still open for a valid press after the refusals.
    assert_eq!(rate(&mut s, 2, Some(w), secs(mins(t0(), 5), 2)).expect("rate").len(), 1);
}

#[test]
fn next_while_serving_opens_the_window_for_the_finished_ticket() {
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    s.issue("ho-tich", None, t0());
    s.issue("ho-tich", None, t0());
    s.call(1, t0());
    s.act(1, CounterAction::Start, mins(t0(), 1)).expect("start");
    let evs = s.act(1, CounterAction::CallNext, mins(t0(), 4)).expect("next");
    let kinds: Vec<&str> = evs.iter().map(Event::kind).collect();
    assert_eq!(kinds, ["service_finished", "rating_window_opened", "ticket_called"]);
    assert!(matches!(&evs[1], Event::RatingWindowOpened { number, .. } if number == "A001"));
    let evs = rate(&mut s, 1, None, secs(mins(t0(), 4), 3)).expect("rate");
    assert!(matches!(evs.as_slice(), [Event::RatingRecorded { number, .. }] if number == "A001"));
}

#[test]
fn window_ids_increase_across_counters() {
    let mut s = Sim::new(cfg());
    let w1 = finished_service(&mut s);
    s.issue("ho-tich", None, mins(t0(), 6));
    s.call(1, mins(t0(), 6));
    let evs = s.act(1, CounterAction::Finish, mins(t0(), 8)).expect("finish");
    let w2 = evs.iter().find_map(|e| match e {
        Event::RatingWindowOpened { window_id, .. } => Some(*window_id),
        _ => None,
    });
    assert_eq!(w2, Some(w1 + 1));
    // The first window is gone: its id no longer rates anything.
    assert!(matches!(rate(&mut s, 1, Some(w1), secs(mins(t0(), 8), 1)), Err(Error::NoRatingWindow(1))));
}

#[test]
fn officers_sign_in_with_their_pin() {
    let mut c = cfg();
    c.officers = vec![crate::config::Officer {
        id: "cb01".into(),
        name: "Nguyễn Thị Lan".into(),
        pin_sha256: crate::config::pin_hash("cb01", "2468"),
        counters: vec![1],
    }];
    let mut s = Sim::new(c);
    let open = |id: Option<&str>, pin: Option<&str>| CounterAction::Open {
        officer_id: id.map(Into::into),
        pin: pin.map(|p| crate::api::Pin(p.into())),
    };
    assert!(matches!(s.act(1, open(Some("cb01"), Some("1111")), t0()), Err(Error::SignInRefused(1))));
    assert!(matches!(s.act(1, open(Some("cb01"), None), t0()), Err(Error::SignInRefused(1))));
    assert!(matches!(s.act(1, open(None, Some("2468")), t0()), Err(Error::SignInRefused(1))));
    assert!(matches!(s.act(1, open(Some("cb99"), Some("2468")), t0()), Err(Error::SignInRefused(1))));
    assert!(matches!(s.act(2, open(Some("cb01"), Some("2468")), t0()), Err(Error::SignInRefused(2))));
    let evs = s.act(1, open(Some("cb01"), Some("2468")), t0()).expect("sign in");
    assert!(matches!(evs.as_slice(), [Event::CounterOpened { officer_id: Some(o), .. }] if o == "cb01"));
    assert!(!format!("{:?}", open(Some("cb01"), Some("2468"))).contains("2468"), "PIN must not reach logs");
}

#[test]
fn dossier_codes_are_checked_for_shape() {
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    s.issue("ho-tich", None, t0());
    s.call(1, t0());
    for bad in ["", "abc", "000.00.12.H62-2011-0004", "000.00.12.H62-201105-", "x-y-z; DROP TABLE"] {
        let r = s.act(1, CounterAction::LinkDossier { code: bad.into() }, t0());
        assert!(matches!(r, Err(Error::InvalidAction(_))), "{bad:?}: {r:?}");
    }
}

fn reserve(s: &mut Sim, now: Timestamp) -> (uuid::Uuid, String) {
    let evs = s
        .run(Command::Issue { field_id: "ho-tich".into(), priority_class: None, hold: true, citizen: None }, now)
        .expect("reserve");
    match evs.last() {
        Some(Event::TicketReserved { ticket }) => (ticket.id, ticket.number.clone()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_held_ticket_joins_the_queue_only_when_confirmed() {
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    let (printed, n1) = reserve(&mut s, t0());
    let (on_screen, n2) = reserve(&mut s, t0());
    assert_eq!((n1.as_str(), n2.as_str()), ("A001", "A002"));
    assert_eq!(s.call(1, t0()), None, "a reservation cannot be called");
    assert_eq!(s.state.waiting_for_field("ho-tich"), 0);

    let confirm = |s: &mut Sim, id, delivery| s.run(Command::Confirm { ticket_id: id, delivery }, t0());
    let evs = confirm(&mut s, printed, crate::api::Delivery::Printed).expect("printed");
    assert!(matches!(evs.as_slice(), [Event::TicketIssued { ticket }] if ticket.status == TicketStatus::Waiting));
    let evs = confirm(&mut s, on_screen, crate::api::Delivery::Screen).expect("screen");
    assert!(matches!(evs.as_slice(), [Event::TicketPrintFailed { number, .. }] if number == "A002"));
    // A retried confirmation changes nothing.
    assert_eq!(confirm(&mut s, printed, crate::api::Delivery::Printed).expect("again"), vec![]);
    assert_eq!(s.call(1, t0()).as_deref(), Some("A001"));
    s.act(1, CounterAction::Finish, t0()).expect("finish");
    assert_eq!(s.call(1, t0()).as_deref(), Some("A002"), "a number shown on screen stays valid");
}

#[test]
fn an_unconfirmed_reservation_is_voided_and_never_called() {
    let mut s = Sim::new(cfg());
    s.act(1, CounterAction::Open { officer_id: None, pin: None }, t0()).expect("open");
    let (id, _) = reserve(&mut s, t0());
    let later = secs(t0(), crate::engine::RESERVATION_TTL_SECS - 1);
    assert!(s.state.void_stale_reservations(later).is_empty());
    let evs = s.state.void_stale_reservations(secs(t0(), crate::engine::RESERVATION_TTL_SECS));
    assert!(matches!(evs.as_slice(), [Event::TicketVoided { number, .. }] if number == "A001"));
    for e in &evs {
        s.state.apply(e, &s.cfg, later);
    }
    let late = s.run(Command::Confirm { ticket_id: id, delivery: crate::api::Delivery::Printed }, later);
    assert!(matches!(late, Err(Error::InvalidAction(_))), "{late:?}");
    assert_eq!(s.call(1, later), None);
    // The next number does not reuse the voided one.
    assert_eq!(s.issue("ho-tich", None, later), "A002");
}
