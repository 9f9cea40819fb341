//! Wire types of the hub's LAN API (HTTP/JSON and the push stream).
//!
//! The same types serve the HTTP server, the in-process client the kiosk uses by default, and the
//! remote client; the OpenAPI document is generated from them (`utoipa`). Times are RFC 3339 with
//! the office's offset (`+07:00` in Vietnam).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The office, its service fields and priority classes, as a kiosk shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Catalog {
    /// Office identity.
    pub office: OfficeInfo,
    /// Service fields (lĩnh vực) in display order.
    pub fields: Vec<FieldInfo>,
    /// Priority classes a citizen may claim (người cao tuổi, ...), in display order.
    pub priority_classes: Vec<PriorityClassInfo>,
    /// The rating keys, key 1 first, and how long a rating window stays open.
    #[serde(default)]
    pub rating: RatingScale,
}

/// The office's rating scale as keypads and counter screens show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RatingScale {
    /// Seconds a window stays open after a service finishes.
    pub window_secs: u32,
    /// Keys in keypad order.
    pub keys: Vec<RatingKeyInfo>,
}

/// One rating key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RatingKeyInfo {
    /// 1-based position.
    pub key: u8,
    /// Label in Vietnamese.
    pub label_vi: String,
    /// Label in English.
    pub label_en: String,
    /// National level it counts as.
    pub level: crate::config::NationalLevel,
}

/// Office identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OfficeInfo {
    /// Stable office id used in every event (e.g. `000.00.12.H62`).
    pub id: String,
    /// Office name in Vietnamese.
    pub name_vi: String,
    /// Office name in English.
    pub name_en: String,
}

/// A service field with its live queue figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldInfo {
    /// Stable field id (e.g. `tu-phap`).
    pub id: String,
    /// Letter series of the field's numbers (e.g. `A`).
    pub letter: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    pub name_en: String,
    /// Counters configured to serve this field.
    pub counters: Vec<u32>,
    /// Tickets waiting now.
    pub waiting: u32,
    /// Counters open now that serve this field.
    pub counters_open: u32,
}

/// A priority class (đối tượng ưu tiên).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PriorityClassInfo {
    /// Stable id (e.g. `elderly`).
    pub id: String,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    pub name_en: String,
    /// Minimum age (years) that qualifies for the class by age alone (e.g. 60 for "người cao
    /// tuổi"): the kiosk suggests the class when an identified citizen is at least this old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_age: Option<u32>,
}

/// How far the kiosk could trust what it read from a CCCD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CitizenVerification {
    /// Chip read, passive authentication verified up to a trusted CSCA, chip authenticated.
    Verified,
    /// Chip read, its data matches its own signature and the chip authenticated, but the
    /// issuer's certificate is not in the kiosk's trust list.
    ChipConsistent,
    /// From the card's printed QR code only: unsigned, not verified.
    QrOnly,
}

/// The citizen a ticket was taken for, as the kiosk sends it: the minimum the officer needs.
/// Never the raw ID number (only its keyed hash), never the face, ethnicity or religion.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CitizenClaim {
    /// Name as on the card (NFC), shown to the officer.
    pub display_name: String,
    /// The ID masked to its first and last three digits (`001******345`).
    pub masked_id: String,
    /// HMAC-SHA256 of the 12-digit ID with the office key, lowercase hex (64 characters).
    pub id_hash: String,
    /// Year of birth, only when the claimed priority class depends on age.
    #[serde(default)]
    pub birth_year: Option<i32>,
    /// How the data was checked.
    pub verification: CitizenVerification,
}

impl std::fmt::Debug for CitizenClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenClaim")
            .field("name_len", &self.display_name.chars().count())
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

impl CitizenClaim {
    /// Checks the shape of what a kiosk sent: a bounded name, a masked (never raw) ID, a
    /// 64-hex-digit hash. Returns what is wrong.
    pub fn check(&self) -> Result<(), &'static str> {
        let name = self.display_name.trim();
        if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
            return Err("display_name must be 1 to 120 printable characters");
        }
        let m = self.masked_id.as_bytes();
        let masked_ok = m.len() == 12
            && m.iter().enumerate().all(|(i, b)| if (3..9).contains(&i) { *b == b'*' } else { b.is_ascii_digit() });
        if !masked_ok {
            return Err("masked_id must be 3 digits, 6 '*' and 3 digits");
        }
        if self.id_hash.len() != 64 || !self.id_hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err("id_hash must be 64 lowercase hex digits");
        }
        if self.birth_year.is_some_and(|y| !(1890..=2200).contains(&y)) {
            return Err("birth_year is out of range");
        }
        Ok(())
    }
}

/// The citizen on a ticket as counters see it (the hash stays in the hub and the outbox).
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketCitizen {
    /// Name as on the card.
    pub display_name: String,
    /// Masked ID (`001******345`).
    pub masked_id: String,
    /// How the data was checked.
    pub verification: CitizenVerification,
}

impl std::fmt::Debug for TicketCitizen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketCitizen").field("verification", &self.verification).finish_non_exhaustive()
    }
}

/// Ask for a new ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// Field id from the catalog.
    pub field_id: String,
    /// Priority class id, if the citizen claimed one.
    #[serde(default)]
    pub priority_class: Option<String>,
    /// Reserve the number until the kiosk confirms how the citizen got it
    /// (`POST /api/v1/tickets/{id}/confirm`); unconfirmed reservations are voided after
    /// two minutes, so a kiosk that died mid-print leaves no phantom number in the queue.
    #[serde(default)]
    pub hold_for_print: bool,
    /// The citizen, when they identified with their CCCD at the kiosk (optional step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen: Option<CitizenClaim>,
}

/// How the citizen got a held ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The printer confirmed the ticket (completion barrier passed): counted as issued.
    Printed,
    /// The print failed and the kiosk showed the number on screen: the number is valid and
    /// callable, but the ticket is not counted as issued.
    Screen,
}

/// Body of `POST /api/v1/tickets/{id}/confirm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConfirmRequest {
    /// How the citizen got the number.
    pub delivery: Delivery,
}

/// Estimated wait, shown as a range ("khoảng 10–20 phút").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaitRange {
    /// Lower bound in whole minutes.
    pub min_minutes: u32,
    /// Upper bound in whole minutes.
    pub max_minutes: u32,
}

/// Lifecycle of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Reserved for a kiosk that is printing it; not in the queue yet.
    Pending,
    /// Reserved but never confirmed (the kiosk died mid-print): the number is void.
    Voided,
    /// Issued, waiting to be called.
    Waiting,
    /// Called to a counter, citizen not yet at the counter.
    Called,
    /// Being served at a counter.
    Serving,
    /// Service finished.
    Finished,
    /// Called but did not come (no-show).
    Skipped,
}

/// An issued ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    /// Ticket id (UUIDv7).
    pub id: String,
    /// The number as printed (e.g. `A001`; width grows past 999).
    pub number: String,
    /// Field id.
    pub field_id: String,
    /// Field name in Vietnamese.
    pub field_name_vi: String,
    /// Field name in English.
    pub field_name_en: String,
    /// Priority class id, if any.
    pub priority_class: Option<String>,
    /// Current status.
    pub status: TicketStatus,
    /// Service day (office-local date, `YYYY-MM-DD`).
    pub service_day: String,
    /// When it was issued (RFC 3339, office offset).
    pub issued_at: String,
    /// Tickets of the same field ahead of this one when it was issued.
    pub people_ahead: u32,
    /// Counters serving this field.
    pub counters: Vec<u32>,
    /// Estimated wait; absent when the data is too thin to be honest.
    pub wait: Option<WaitRange>,
    /// Counter the ticket is called to or served at.
    pub counter: Option<u32>,
    /// Dossier code the officer linked, if any.
    #[serde(default)]
    pub dossier_code: Option<String>,
    /// The service session of the latest call (UUIDv7), once called: ratings and counter
    /// recordings carry it.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The identified citizen (name and masked ID), until the hub purges it after the visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen: Option<TicketCitizen>,
}

/// A counter's action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CounterAction {
    /// Open the counter (officer signs in).
    Open {
        /// Officer id, if known. Required when the office lists officers.
        #[serde(default)]
        officer_id: Option<String>,
        /// The officer's PIN. Required when the office lists officers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<String>)]
        pin: Option<Pin>,
    },
    /// Close the counter.
    Close,
    /// Call the next ticket by the office's policy.
    CallNext,
    /// Call the current ticket again.
    Recall,
    /// The called citizen did not come.
    Skip,
    /// The citizen is at the counter; service starts.
    Start,
    /// Service finished.
    Finish,
    /// Send the current ticket to another field or counter.
    Transfer {
        /// Target field id.
        #[serde(default)]
        field_id: Option<String>,
        /// Target counter number.
        #[serde(default)]
        counter: Option<u32>,
    },
    /// Tie the current ticket to a dossier code (its ratings and recording carry it).
    LinkDossier {
        /// Dossier code, e.g. `000.00.12.H62-201105-0004`.
        code: String,
    },
    /// The citizen pressed a rating key.
    Rate {
        /// 1-based key position on the keypad's rating scale.
        key: u8,
        /// The rating window the keypad was showing; when given it must be the counter's
        /// current window, so a press meant for an earlier citizen never rates the next one.
        #[serde(default)]
        window_id: Option<u32>,
    },
}

/// A PIN: never printed by `Debug`, so it cannot reach a log.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pin(pub String);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(***)")
    }
}

/// A counter's rating window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RatingWindowInfo {
    /// Window id (unique in the office, increasing): the keypad echoes it.
    pub window_id: u32,
    /// The service session being rated.
    pub session_id: String,
    /// Ticket number being rated.
    pub number: String,
    /// When the window closes (RFC 3339, office offset).
    pub closes_at: String,
    /// Whether it is still open now.
    pub open: bool,
    /// The key pressed, once rated.
    pub rated_key: Option<u8>,
    /// The national level of that key, once rated.
    pub level: Option<crate::config::NationalLevel>,
}

/// Result of a counter action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CounterReply {
    /// Counter number.
    pub counter: u32,
    /// The ticket the action concerned, if any (after the action).
    pub ticket: Option<Ticket>,
    /// Tickets still waiting for this counter's fields.
    pub waiting: u32,
    /// The counter's latest rating window, if any.
    #[serde(default)]
    pub rating: Option<RatingWindowInfo>,
}

/// Queue snapshot for displays and supervisors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QueueSnapshot {
    /// Service day (`YYYY-MM-DD`).
    pub service_day: String,
    /// Waiting tickets in call order per the policy at this instant (first = next).
    pub waiting: Vec<Ticket>,
    /// Counters and what they are doing.
    pub counters: Vec<CounterState>,
}

/// A counter's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CounterState {
    /// Counter number.
    pub number: u32,
    /// Display name.
    pub name: String,
    /// Fields it serves.
    pub fields: Vec<String>,
    /// Whether an officer has opened it.
    pub open: bool,
    /// Ticket called or being served.
    pub current: Option<Ticket>,
    /// Officer signed in.
    #[serde(default)]
    pub officer_id: Option<String>,
    /// The latest rating window, if any.
    #[serde(default)]
    pub rating: Option<RatingWindowInfo>,
}

/// An event as stored in the outbox and pushed to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventEnvelope {
    /// Event id (UUIDv7): the idempotency key at the central system.
    pub id: String,
    /// Office id.
    pub office_id: String,
    /// Device that caused it (from its bearer token).
    pub device_id: String,
    /// Per-office sequence number, gapless, starting at 1.
    pub seq: u64,
    /// Event kind (`ticket_issued`, `ticket_called`, ...).
    pub kind: String,
    /// When it happened (RFC 3339, office offset).
    pub occurred_at: String,
    /// Kind-specific body.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// Error body of every non-2xx reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// Machine-readable code (`unknown_field`, `nothing_waiting`, `unauthorized`, ...).
    pub code: String,
    /// Human-readable message (English).
    pub message: String,
}
