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
}

/// Ask for a new ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IssueRequest {
    /// Field id from the catalog.
    pub field_id: String,
    /// Priority class id, if the citizen claimed one.
    #[serde(default)]
    pub priority_class: Option<String>,
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
}

/// A counter's action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CounterAction {
    /// Open the counter (officer signs in).
    Open {
        /// Officer id, if known.
        #[serde(default)]
        officer_id: Option<String>,
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
