//! The counter screen's logic: officer commands in, hub actions out, a [`CounterView`] back.
//! Plain Rust and blocking: the window runs it on a worker thread, tests call it directly.

use motcua_hub::api::{Catalog, CounterAction, CounterReply, Pin, QueueSnapshot};
use motcua_scanner::payload::DossierCode;

use super::model::{CodeProblem, CounterView, Notice};
use crate::backend::BackendError;
use crate::hubclient::{LocalHub, RemoteHub};

/// What the counter screen asks of the hub.
pub trait ScreenHub: Send {
    /// Perform `action` at `counter`.
    fn act(&self, counter: u32, action: CounterAction) -> Result<CounterReply, BackendError>;
    /// Fields and office (names, rating labels).
    fn catalog(&self) -> Result<Catalog, BackendError>;
    /// Who waits and what every counter does.
    fn queue(&self) -> Result<QueueSnapshot, BackendError>;
}

impl ScreenHub for LocalHub {
    fn act(&self, counter: u32, action: CounterAction) -> Result<CounterReply, BackendError> {
        self.counter_action(counter, action)
    }
    fn catalog(&self) -> Result<Catalog, BackendError> {
        crate::backend::HubClient::catalog(self)
    }
    fn queue(&self) -> Result<QueueSnapshot, BackendError> {
        LocalHub::queue(self)
    }
}

impl ScreenHub for RemoteHub {
    fn act(&self, counter: u32, action: CounterAction) -> Result<CounterReply, BackendError> {
        self.counter_action(counter, action)
    }
    fn catalog(&self) -> Result<Catalog, BackendError> {
        crate::backend::HubClient::catalog(self)
    }
    fn queue(&self) -> Result<QueueSnapshot, BackendError> {
        RemoteHub::queue(self)
    }
}

/// What the officer does on the screen.
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    /// Sign in (opens the counter).
    SignIn {
        /// Officer id as typed.
        officer_id: String,
        /// PIN as typed (may be empty when the office lists no officers).
        pin: String,
    },
    /// Sign out (closes the counter).
    SignOut,
    /// Call the next citizen (finishes the current service first if one is running).
    CallNext,
    /// Call the current number again.
    Recall,
    /// The called citizen did not come.
    Skip,
    /// The citizen is at the counter.
    Start,
    /// Service finished.
    Finish,
    /// Send the current number to another field.
    Transfer {
        /// Target field id.
        field_id: String,
    },
    /// Tie the current number to a dossier code as typed.
    LinkDossier {
        /// The code as typed.
        code: String,
    },
    /// Re-read the queue.
    Refresh,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Never log a PIN.
            Command::SignIn { officer_id, .. } => f.debug_struct("SignIn").field("officer_id", officer_id).finish(),
            Command::SignOut => f.write_str("SignOut"),
            Command::CallNext => f.write_str("CallNext"),
            Command::Recall => f.write_str("Recall"),
            Command::Skip => f.write_str("Skip"),
            Command::Start => f.write_str("Start"),
            Command::Finish => f.write_str("Finish"),
            Command::Transfer { field_id } => f.debug_struct("Transfer").field("field_id", field_id).finish(),
            Command::LinkDossier { code } => f.debug_struct("LinkDossier").field("code", code).finish(),
            Command::Refresh => f.write_str("Refresh"),
        }
    }
}

/// The counter screen of one counter.
#[derive(Debug)]
pub struct CounterScreen<H> {
    hub: H,
    counter: u32,
    catalog: Option<Catalog>,
    snapshot: Option<QueueSnapshot>,
    officer: Option<String>,
    notice: Notice,
    connected: bool,
}

impl<H: ScreenHub> CounterScreen<H> {
    /// The screen of `counter`, signed out, before any hub call.
    pub fn new(hub: H, counter: u32) -> Self {
        CounterScreen {
            hub,
            counter,
            catalog: None,
            snapshot: None,
            officer: None,
            notice: Notice::None,
            connected: true,
        }
    }

    /// The hub.
    pub fn hub(&self) -> &H {
        &self.hub
    }

    /// The officer signed in on this screen.
    pub fn officer(&self) -> Option<&str> {
        self.officer.as_deref()
    }

    /// What the screen shows now.
    pub fn view(&self) -> CounterView {
        CounterView::build(
            self.counter,
            self.catalog.as_ref(),
            self.snapshot.as_ref(),
            self.officer.as_deref(),
            self.notice.clone(),
            self.connected,
        )
    }

    /// Carry out `cmd`, re-read the queue, and return the new view.
    pub fn handle(&mut self, cmd: Command) -> CounterView {
        tracing::debug!(counter = self.counter, ?cmd, "counter screen");
        let (mut clear_code, mut clear_pin) = (false, false);
        match cmd {
            Command::Refresh => {}
            Command::SignIn { officer_id, pin } => {
                clear_pin = true;
                self.sign_in(officer_id.trim(), pin);
            }
            _ if self.officer.is_none() => self.notice = Notice::SignInFirst,
            Command::SignOut => {
                if self.run(CounterAction::Close).is_some() {
                    self.officer = None;
                    self.notice = Notice::SignedOut;
                }
            }
            Command::CallNext => self.act_on_ticket(CounterAction::CallNext, Notice::Called),
            Command::Recall => self.act_on_ticket(CounterAction::Recall, Notice::Recalled),
            Command::Skip => self.act_on_ticket(CounterAction::Skip, Notice::Skipped),
            Command::Start => self.act_on_ticket(CounterAction::Start, Notice::Started),
            Command::Finish => self.act_on_ticket(CounterAction::Finish, Notice::Finished),
            Command::Transfer { field_id } => {
                let field = self
                    .catalog
                    .as_ref()
                    .and_then(|c| c.fields.iter().find(|f| f.id == field_id))
                    .map_or_else(|| field_id.clone(), |f| f.name_vi.clone());
                let action = CounterAction::Transfer { field_id: Some(field_id), counter: None };
                self.act_on_ticket(action, |number| Notice::Transferred { number, field });
            }
            Command::LinkDossier { code } => match DossierCode::parse(code.trim()) {
                Err(e) => self.notice = Notice::BadCode(CodeProblem::from(e)),
                Ok(code) => {
                    let text = code.as_str().to_owned();
                    if self.run(CounterAction::LinkDossier { code: text.clone() }).is_some() {
                        self.notice = Notice::DossierLinked(text);
                        clear_code = true;
                    }
                }
            },
        }
        self.refresh();
        let mut view = self.view();
        view.clear_code = clear_code;
        view.clear_pin = clear_pin;
        view
    }

    fn sign_in(&mut self, officer_id: &str, pin: String) {
        if officer_id.is_empty() {
            self.notice = Notice::OfficerMissing;
            return;
        }
        let pin = (!pin.is_empty()).then_some(Pin(pin));
        if self.run(CounterAction::Open { officer_id: Some(officer_id.to_owned()), pin }).is_some() {
            self.officer = Some(officer_id.to_owned());
            self.notice = Notice::SignedIn;
        }
    }

    /// An action whose success notice names the ticket it concerned.
    fn act_on_ticket(&mut self, action: CounterAction, notice: impl FnOnce(String) -> Notice) {
        if let Some(reply) = self.run(action) {
            let number = reply.ticket.map(|t| t.number).unwrap_or_default();
            self.notice = notice(number);
        }
    }

    /// One hub action; on failure the notice says why and `None` is returned.
    fn run(&mut self, action: CounterAction) -> Option<CounterReply> {
        match self.hub.act(self.counter, action) {
            Ok(reply) => {
                self.connected = true;
                Some(reply)
            }
            Err(e) => {
                self.notice = self.notice_for(e);
                None
            }
        }
    }

    fn notice_for(&mut self, e: BackendError) -> Notice {
        match e {
            BackendError::Unreachable(msg) => {
                tracing::warn!(error = %msg, "counter screen: hub unreachable");
                self.connected = false;
                Notice::Unreachable
            }
            BackendError::Refused { code, message } => match code.as_str() {
                "sign_in_refused" => Notice::SignInRefused,
                "nothing_waiting" => Notice::NothingWaiting,
                "no_current_ticket" => Notice::NoCurrent,
                "counter_busy" => Notice::Busy(self.current_number().unwrap_or_default()),
                "counter_closed" => {
                    self.officer = None;
                    Notice::ClosedElsewhere
                }
                _ => Notice::Refused(message),
            },
            // BackendError is non-exhaustive: anything else is the hub failing.
            other => {
                tracing::warn!(error = %other, "counter screen: hub failed");
                Notice::Failed(other.to_string())
            }
        }
    }

    fn current_number(&mut self) -> Option<String> {
        // The snapshot may be older than the refusal: read the queue again.
        self.refresh();
        let snap = self.snapshot.as_ref()?;
        let state = snap.counters.iter().find(|c| c.number == self.counter)?;
        state.current.as_ref().map(|t| t.number.clone())
    }

    /// Re-read the catalog (once) and the queue; notices an officer signed out elsewhere.
    pub fn refresh(&mut self) {
        if self.catalog.is_none() {
            match self.hub.catalog() {
                Ok(c) => self.catalog = Some(c),
                Err(e) => {
                    self.read_failed("catalog", e);
                    return;
                }
            }
        }
        match self.hub.queue() {
            Ok(snap) => {
                self.connected = true;
                if let Some(me) = &self.officer {
                    let state = snap.counters.iter().find(|c| c.number == self.counter);
                    let still_mine = state.is_some_and(|s| s.open && s.officer_id.as_deref() == Some(me.as_str()));
                    if !still_mine {
                        self.officer = None;
                        self.notice = Notice::ClosedElsewhere;
                    }
                }
                self.snapshot = Some(snap);
            }
            Err(e) => self.read_failed("queue", e),
        }
    }

    /// A read that failed: a link down shows the banner (the last queue stays on screen); a
    /// refusal (wrong device token, a counter this device may not serve) is said on the notice line.
    fn read_failed(&mut self, what: &str, e: BackendError) {
        tracing::debug!(error = %e, what, "counter screen: read failed");
        match e {
            BackendError::Unreachable(_) => self.connected = false,
            BackendError::Refused { message, .. } => {
                self.connected = true;
                self.notice = Notice::Refused(message);
            }
            other => {
                self.connected = true;
                self.notice = Notice::Failed(other.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use motcua_hub::api::{CounterState, FieldInfo, OfficeInfo, RatingScale, Ticket, TicketStatus};

    use super::*;
    use crate::counter_screen::model::{CurrentStatus, RatingView};

    fn ticket(number: &str, status: TicketStatus) -> Ticket {
        Ticket {
            id: format!("id-{number}"),
            number: number.into(),
            field_id: "ho-tich".into(),
            field_name_vi: "Hộ tịch".into(),
            field_name_en: "Civil status".into(),
            priority_class: None,
            status,
            service_day: "2026-11-23".into(),
            issued_at: "2026-11-23T08:05:00+07:00".into(),
            people_ahead: 0,
            counters: vec![1],
            wait: None,
            counter: None,
            dossier_code: None,
            session_id: None,
            citizen: None,
        }
    }

    /// A hub that replays scripted replies and records the actions it got.
    #[derive(Debug, Default, Clone)]
    struct FakeHub {
        inner: Arc<Mutex<Fake>>,
    }

    #[derive(Debug, Default)]
    struct Fake {
        actions: Vec<CounterAction>,
        replies: Vec<Result<CounterReply, BackendError>>,
        open: bool,
        officer: Option<String>,
        current: Option<Ticket>,
        waiting: Vec<Ticket>,
        down: bool,
    }

    impl FakeHub {
        fn push(&self, r: Result<CounterReply, BackendError>) {
            if let Ok(mut f) = self.inner.lock() {
                f.replies.push(r);
            }
        }
        fn with<T>(&self, f: impl FnOnce(&mut Fake) -> T) -> T {
            let mut g = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut g)
        }
    }

    fn reply(t: Option<Ticket>) -> Result<CounterReply, BackendError> {
        Ok(CounterReply { counter: 1, ticket: t, waiting: 0, rating: None })
    }

    fn refused(code: &str) -> Result<CounterReply, BackendError> {
        Err(BackendError::Refused { code: code.into(), message: format!("refused: {code}") })
    }

    impl ScreenHub for FakeHub {
        fn act(&self, _counter: u32, action: CounterAction) -> Result<CounterReply, BackendError> {
            self.with(|f| {
                if f.down {
                    return Err(BackendError::Unreachable("connection refused".into()));
                }
                let r = if f.replies.is_empty() { reply(None) } else { f.replies.remove(0) };
                if r.is_ok() {
                    if let CounterAction::Open { officer_id, .. } = &action {
                        f.open = true;
                        f.officer = officer_id.clone();
                    }
                    if matches!(action, CounterAction::Close) {
                        f.open = false;
                        f.officer = None;
                    }
                }
                f.actions.push(action);
                r
            })
        }
        fn catalog(&self) -> Result<Catalog, BackendError> {
            Ok(Catalog {
                office: OfficeInfo { id: "o".into(), name_vi: "UBND".into(), name_en: "PC".into() },
                fields: vec![FieldInfo {
                    id: "ho-tich".into(),
                    letter: "A".into(),
                    name_vi: "Hộ tịch".into(),
                    name_en: "Civil status".into(),
                    counters: vec![1],
                    waiting: 0,
                    counters_open: 1,
                }],
                priority_classes: vec![],
                rating: RatingScale::default(),
            })
        }
        fn queue(&self) -> Result<QueueSnapshot, BackendError> {
            self.with(|f| {
                if f.down {
                    return Err(BackendError::Unreachable("connection refused".into()));
                }
                Ok(QueueSnapshot {
                    service_day: "2026-11-23".into(),
                    waiting: f.waiting.clone(),
                    counters: vec![CounterState {
                        number: 1,
                        name: "Quầy 1".into(),
                        fields: vec!["ho-tich".into()],
                        open: f.open,
                        current: f.current.clone(),
                        officer_id: f.officer.clone(),
                        rating: None,
                    }],
                })
            })
        }
    }

    #[test]
    fn actions_before_sign_in_are_refused_without_calling_the_hub() {
        let hub = FakeHub::default();
        let mut s = CounterScreen::new(hub.clone(), 1);
        let v = s.handle(Command::CallNext);
        assert_eq!(v.notice, Notice::SignInFirst);
        assert!(v.notice.is_error());
        assert!(hub.with(|f| f.actions.is_empty()));
    }

    #[test]
    fn sign_in_needs_an_officer_id_and_clears_the_pin_box() {
        let hub = FakeHub::default();
        let mut s = CounterScreen::new(hub.clone(), 1);
        let v = s.handle(Command::SignIn { officer_id: "  ".into(), pin: "1234".into() });
        assert_eq!(v.notice, Notice::OfficerMissing);
        assert!(v.clear_pin);
        assert!(hub.with(|f| f.actions.is_empty()));

        let v = s.handle(Command::SignIn { officer_id: "cb01".into(), pin: "1234".into() });
        assert_eq!(v.notice, Notice::SignedIn);
        assert_eq!(v.officer.as_deref(), Some("cb01"));
        let sent = hub.with(|f| f.actions.clone());
        assert_eq!(sent, [CounterAction::Open { officer_id: Some("cb01".into()), pin: Some(Pin("1234".into())) }]);
    }

    #[test]
    fn refused_sign_in_stays_signed_out() {
        let hub = FakeHub::default();
        hub.push(refused("sign_in_refused"));
        let mut s = CounterScreen::new(hub.clone(), 1);
        let v = s.handle(Command::SignIn { officer_id: "cb01".into(), pin: "0000".into() });
        assert_eq!(v.notice, Notice::SignInRefused);
        assert_eq!(v.officer, None);
    }

    #[test]
    fn hub_codes_become_notices() {
        let hub = FakeHub::default();
        let mut s = CounterScreen::new(hub.clone(), 1);
        s.handle(Command::SignIn { officer_id: "cb01".into(), pin: String::new() });
        hub.push(refused("nothing_waiting"));
        assert_eq!(s.handle(Command::CallNext).notice, Notice::NothingWaiting);
        hub.with(|f| f.current = Some(ticket("A001", TicketStatus::Called)));
        hub.push(refused("counter_busy"));
        assert_eq!(s.handle(Command::CallNext).notice, Notice::Busy("A001".into()));
        hub.push(refused("invalid_action"));
        assert_eq!(s.handle(Command::Finish).notice, Notice::Refused("refused: invalid_action".into()));
        hub.push(reply(Some(ticket("A001", TicketStatus::Serving))));
        hub.with(|f| f.current = Some(ticket("A001", TicketStatus::Serving)));
        let v = s.handle(Command::Start);
        assert_eq!(v.notice, Notice::Started("A001".into()));
        assert_eq!(v.current.map(|c| c.status), Some(CurrentStatus::Serving));
        assert_eq!(v.rating, RatingView::None);
    }

    #[test]
    fn bad_dossier_codes_never_reach_the_hub() {
        let hub = FakeHub::default();
        let mut s = CounterScreen::new(hub.clone(), 1);
        s.handle(Command::SignIn { officer_id: "cb01".into(), pin: String::new() });
        let n = hub.with(|f| f.actions.len());
        let v = s.handle(Command::LinkDossier { code: "000.00.12.H62-201105".into() });
        assert_eq!(v.notice, Notice::BadCode(CodeProblem::TooShort { len: 20 }));
        assert!(!v.clear_code);
        let v = s.handle(Command::LinkDossier { code: "000.0X.12.H62-201105-0004".into() });
        assert_eq!(
            v.notice,
            Notice::BadCode(CodeProblem::Unexpected { position: 6, expected: motcua_scanner::payload::Slot::Digit })
        );
        let v = s.handle(Command::LinkDossier { code: "000.00.12.H62-201345-0004".into() });
        assert_eq!(v.notice, Notice::BadCode(CodeProblem::BadDate));
        assert_eq!(s.handle(Command::LinkDossier { code: " ".into() }).notice, Notice::BadCode(CodeProblem::Empty));
        assert_eq!(hub.with(|f| f.actions.len()), n, "no bad code was sent");

        // A good code, typed with a lower-case class letter and spaces: normalised, sent, cleared.
        let v = s.handle(Command::LinkDossier { code: " 000.00.12.h62-201105-0004 ".into() });
        assert_eq!(v.notice, Notice::DossierLinked("000.00.12.H62-201105-0004".into()));
        assert!(v.clear_code);
        assert_eq!(
            hub.with(|f| f.actions.last().cloned()),
            Some(CounterAction::LinkDossier { code: "000.00.12.H62-201105-0004".into() })
        );
    }

    #[test]
    fn a_counter_closed_elsewhere_signs_the_screen_out() {
        let hub = FakeHub::default();
        let mut s = CounterScreen::new(hub.clone(), 1);
        s.handle(Command::SignIn { officer_id: "cb01".into(), pin: String::new() });
        hub.with(|f| f.officer = Some("cb02".into()));
        let v = s.handle(Command::Refresh);
        assert_eq!(v.officer, None);
        assert_eq!(v.notice, Notice::ClosedElsewhere);
    }

    #[test]
    fn an_unreachable_hub_shows_the_banner_and_keeps_the_last_queue() {
        let hub = FakeHub::default();
        hub.with(|f| f.waiting = vec![ticket("A002", TicketStatus::Waiting)]);
        let mut s = CounterScreen::new(hub.clone(), 1);
        s.handle(Command::SignIn { officer_id: "cb01".into(), pin: String::new() });
        hub.with(|f| f.down = true);
        let v = s.handle(Command::CallNext);
        assert_eq!(v.notice, Notice::Unreachable);
        assert!(!v.connected);
        assert_eq!(v.waiting_total, 1);
        assert_eq!(v.officer.as_deref(), Some("cb01"), "a network blip does not sign the officer out");
        hub.with(|f| f.down = false);
        assert!(s.handle(Command::Refresh).connected);
    }

    #[test]
    fn pins_never_reach_debug_output() {
        let cmd = Command::SignIn { officer_id: "cb01".into(), pin: "987654".into() };
        assert!(!format!("{cmd:?}").contains("987654"));
    }
}
