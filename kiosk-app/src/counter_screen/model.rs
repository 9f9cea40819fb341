//! What the counter screen shows, as plain data built from the hub's catalog and queue snapshot.
//! No Slint here: `view.rs` copies a [`CounterView`] into `CounterAdapter`.

use motcua_hub::api::{Catalog, CounterState, QueueSnapshot, Ticket, TicketStatus};
use motcua_scanner::payload::{CodeError, PartialState, Slot, check_partial};

/// Waiting citizens listed by name; the rest are counted.
pub const WAITING_SHOWN: usize = 10;

/// Where the current ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrentStatus {
    /// Called; the citizen is on the way.
    Called,
    /// Being served.
    Serving,
}

/// The ticket called or served at this counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentTicket {
    /// Number, e.g. `A001`.
    pub number: String,
    /// Called or serving.
    pub status: CurrentStatus,
    /// Field name (Vietnamese).
    pub field_name: String,
    /// Dossier code the officer linked.
    pub dossier_code: Option<String>,
    /// Claimed a priority class.
    pub priority: bool,
    /// The citizen identified with their CCCD at the kiosk, until the hub purges it.
    pub citizen: Option<CitizenShown>,
}

/// An identified citizen on the officer's screen: name, masked ID, and whether the chip vouched
/// for them. `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct CitizenShown {
    /// Name as on the card.
    pub name: String,
    /// Masked ID (`001******345`).
    pub masked_id: String,
    /// Verified by the chip (passive and chip authentication, known issuer).
    pub verified: bool,
    /// From the printed QR only.
    pub qr_only: bool,
}

impl std::fmt::Debug for CitizenShown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenShown").field("verified", &self.verified).finish_non_exhaustive()
    }
}

/// One citizen waiting for this counter's fields, in call order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingEntry {
    /// Number.
    pub number: String,
    /// Field name (Vietnamese).
    pub field_name: String,
    /// `HH:MM` office time the ticket was issued.
    pub issued: String,
    /// Claimed a priority class.
    pub priority: bool,
}

/// A field the current ticket can be transferred to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChoice {
    /// Field id.
    pub id: String,
    /// Letter series.
    pub letter: String,
    /// Name (Vietnamese).
    pub name: String,
}

/// The counter's latest rating window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatingView {
    /// No service finished yet today.
    None,
    /// Open, not rated yet.
    Open {
        /// Number rated.
        number: String,
    },
    /// Rated.
    Rated {
        /// Number rated.
        number: String,
        /// The key's label (Vietnamese).
        label: String,
    },
    /// Closed without a rating.
    Unrated {
        /// Number.
        number: String,
    },
}

/// Why a typed dossier code was not sent to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// Nothing typed.
    Empty,
    /// Fewer than 25 characters.
    TooShort {
        /// Characters typed.
        len: usize,
    },
    /// More than 25 characters.
    TooLong,
    /// A character of the wrong kind.
    Unexpected {
        /// 1-based position.
        position: usize,
        /// What belongs there.
        expected: Slot,
    },
    /// The `YYMMDD` part is not a calendar date.
    BadDate,
}

impl From<CodeError> for CodeProblem {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::TooShort { len: 0 } => CodeProblem::Empty,
            CodeError::TooShort { len } => CodeProblem::TooShort { len },
            CodeError::TooLong => CodeProblem::TooLong,
            CodeError::Unexpected { at, expected } => CodeProblem::Unexpected { position: at + 1, expected },
            // BadDate and whatever the scanner crate adds later.
            _ => CodeProblem::BadDate,
        }
    }
}

/// What the last action did, for the notice line. Texts live in `ui/counter.slint` (`@tr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Nothing to say.
    None,
    /// An action before signing in.
    SignInFirst,
    /// Signed in.
    SignedIn,
    /// Signed out; the counter is closed.
    SignedOut,
    /// Wrong officer id or PIN, or the officer may not open this counter.
    SignInRefused,
    /// No officer id typed.
    OfficerMissing,
    /// A number was called.
    Called(String),
    /// Called again.
    Recalled(String),
    /// The citizen did not come.
    Skipped(String),
    /// Service started.
    Started(String),
    /// Service finished (the rating window opens on the keypad).
    Finished(String),
    /// Sent to another field.
    Transferred {
        /// Number.
        number: String,
        /// Field name (Vietnamese).
        field: String,
    },
    /// The dossier code is tied to the current ticket.
    DossierLinked(String),
    /// The typed dossier code is not one; nothing was sent.
    BadCode(CodeProblem),
    /// Nobody waits for this counter.
    NothingWaiting,
    /// The counter must finish, skip or transfer this number first.
    Busy(String),
    /// The action needs a current number and there is none.
    NoCurrent,
    /// The counter was closed, or another officer signed in, elsewhere.
    ClosedElsewhere,
    /// The hub refused for another reason (its message, English).
    Refused(String),
    /// The hub cannot be reached.
    Unreachable,
    /// The hub failed internally.
    Failed(String),
}

impl Notice {
    /// Whether it reports a problem (shown in red).
    pub fn is_error(&self) -> bool {
        !matches!(
            self,
            Notice::None
                | Notice::SignedIn
                | Notice::SignedOut
                | Notice::Called(_)
                | Notice::Recalled(_)
                | Notice::Skipped(_)
                | Notice::Started(_)
                | Notice::Finished(_)
                | Notice::Transferred { .. }
                | Notice::DossierLinked(_)
        )
    }
}

/// Live check of the dossier code being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeEntry {
    /// Nothing typed.
    Empty,
    /// A valid beginning.
    Incomplete,
    /// A complete, valid code.
    Complete,
    /// Cannot become a code.
    Invalid,
}

/// Classify what is typed in the dossier code box (surrounding space ignored).
pub fn code_entry(text: &str) -> CodeEntry {
    match check_partial(text.trim()) {
        PartialState::Empty => CodeEntry::Empty,
        PartialState::Incomplete { .. } => CodeEntry::Incomplete,
        PartialState::Complete(_) => CodeEntry::Complete,
        PartialState::Invalid(_) => CodeEntry::Invalid,
    }
}

/// Everything the counter screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterView {
    /// Counter number.
    pub counter: u32,
    /// Counter name (`Quầy 1`).
    pub counter_name: String,
    /// Office name (Vietnamese).
    pub office_name: String,
    /// The last hub call got an answer.
    pub connected: bool,
    /// The officer signed in on this screen, if any.
    pub officer: Option<String>,
    /// The number called or served here.
    pub current: Option<CurrentTicket>,
    /// The first [`WAITING_SHOWN`] citizens waiting for this counter's fields.
    pub waiting: Vec<WaitingEntry>,
    /// All of them.
    pub waiting_total: usize,
    /// Transfer targets.
    pub fields: Vec<FieldChoice>,
    /// The latest rating window.
    pub rating: RatingView,
    /// What the last action did.
    pub notice: Notice,
    /// The action used the typed dossier code: clear the box.
    pub clear_code: bool,
    /// A sign-in was tried: clear the PIN box.
    pub clear_pin: bool,
}

fn field_name(catalog: Option<&Catalog>, id: &str) -> String {
    catalog.and_then(|c| c.fields.iter().find(|f| f.id == id)).map_or_else(|| id.to_owned(), |f| f.name_vi.clone())
}

fn hhmm(rfc3339: &str) -> String {
    rfc3339.get(11..16).unwrap_or_default().to_owned()
}

impl CounterView {
    /// A view of `counter` from the hub's catalog and snapshot (either may be missing before
    /// the first answer); sign-in and notice as the controller knows them.
    pub fn build(
        counter: u32,
        catalog: Option<&Catalog>,
        snapshot: Option<&QueueSnapshot>,
        officer: Option<&str>,
        notice: Notice,
        connected: bool,
    ) -> Self {
        let state: Option<&CounterState> = snapshot.and_then(|s| s.counters.iter().find(|c| c.number == counter));
        let current = state.and_then(|s| s.current.as_ref()).and_then(|t| current_ticket(catalog, t));
        let waiting: Vec<&Ticket> = match (snapshot, state) {
            (Some(snap), Some(st)) => snap
                .waiting
                .iter()
                .filter(|t| t.status == TicketStatus::Waiting && st.fields.contains(&t.field_id))
                .collect(),
            _ => Vec::new(),
        };
        let rating = match state.and_then(|s| s.rating.as_ref()) {
            None => RatingView::None,
            Some(w) => match w.rated_key {
                Some(k) => RatingView::Rated {
                    number: w.number.clone(),
                    label: catalog
                        .and_then(|c| c.rating.keys.iter().find(|r| r.key == k))
                        .map_or_else(|| k.to_string(), |r| r.label_vi.clone()),
                },
                None if w.open => RatingView::Open { number: w.number.clone() },
                None => RatingView::Unrated { number: w.number.clone() },
            },
        };
        CounterView {
            counter,
            counter_name: state.map_or_else(|| format!("Quầy {counter}"), |s| s.name.clone()),
            office_name: catalog.map(|c| c.office.name_vi.clone()).unwrap_or_default(),
            connected,
            officer: officer.map(str::to_owned),
            current,
            waiting_total: waiting.len(),
            waiting: waiting
                .iter()
                .take(WAITING_SHOWN)
                .map(|t| WaitingEntry {
                    number: t.number.clone(),
                    field_name: field_name(catalog, &t.field_id),
                    issued: hhmm(&t.issued_at),
                    priority: t.priority_class.is_some(),
                })
                .collect(),
            fields: catalog
                .map(|c| {
                    c.fields
                        .iter()
                        .map(|f| FieldChoice { id: f.id.clone(), letter: f.letter.clone(), name: f.name_vi.clone() })
                        .collect()
                })
                .unwrap_or_default(),
            rating,
            notice,
            clear_code: false,
            clear_pin: false,
        }
    }
}

fn current_ticket(catalog: Option<&Catalog>, t: &Ticket) -> Option<CurrentTicket> {
    let status = match t.status {
        TicketStatus::Called => CurrentStatus::Called,
        TicketStatus::Serving => CurrentStatus::Serving,
        _ => return None,
    };
    Some(CurrentTicket {
        number: t.number.clone(),
        status,
        field_name: field_name(catalog, &t.field_id),
        dossier_code: t.dossier_code.clone(),
        priority: t.priority_class.is_some(),
        citizen: t.citizen.as_ref().map(|c| CitizenShown {
            name: c.display_name.clone(),
            masked_id: c.masked_id.clone(),
            verified: c.verification == motcua_hub::api::CitizenVerification::Verified,
            qr_only: c.verification == motcua_hub::api::CitizenVerification::QrOnly,
        }),
    })
}

#[cfg(test)]
mod citizen_tests {
    use motcua_hub::api::{CitizenVerification, Ticket, TicketCitizen, TicketStatus};

    use super::current_ticket;

    #[test]
    fn the_current_ticket_shows_the_identified_citizen_and_redacts_it_in_debug() {
        let t = Ticket {
            id: "id".into(),
            number: "A007".into(),
            field_id: "ho-tich".into(),
            field_name_vi: "Hộ tịch".into(),
            field_name_en: "Civil status".into(),
            priority_class: None,
            status: TicketStatus::Serving,
            service_day: "2026-11-23".into(),
            issued_at: "2026-11-23T08:05:00+07:00".into(),
            people_ahead: 0,
            counters: vec![1],
            wait: None,
            counter: Some(1),
            dossier_code: None,
            session_id: None,
            citizen: Some(TicketCitizen {
                display_name: "Nguyễn Văn A".into(),
                masked_id: "001******345".into(),
                verification: CitizenVerification::ChipConsistent,
            }),
        };
        let c = current_ticket(None, &t).and_then(|c| c.citizen).expect("citizen shown");
        assert_eq!(
            (c.name.as_str(), c.masked_id.as_str(), c.verified, c.qr_only),
            ("Nguyễn Văn A", "001******345", false, false)
        );
        assert!(!format!("{c:?}").contains("Nguy"));
        let plain = Ticket { citizen: None, ..t };
        assert!(current_ticket(None, &plain).is_some_and(|c| c.citizen.is_none()));
    }
}
