//! What the kiosk needs from the outside world, as seams the UI controllers call.
//!
//! `HubClient` is implemented by the in-process hub (the default: `motcua kiosk` with no hub URL)
//! and by the remote HTTP client (`--hub-url`). Both are blocking: controllers call them from
//! tokio's blocking pool, never from Slint's event loop.

use std::sync::{Arc, Mutex};

use motcua_device::printer::Printer;
use motcua_hub::api::{Catalog, Delivery, IssueRequest, Ticket};

/// Why a hub call failed, in the terms the kiosk screen needs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The hub cannot be reached (network down, hub stopped).
    #[error("hub unreachable: {0}")]
    Unreachable(String),
    /// The hub refused the request (unknown field, ...).
    #[error("hub refused: {code}: {message}")]
    Refused {
        /// Machine-readable code from the hub.
        code: String,
        /// Message from the hub.
        message: String,
    },
    /// The hub failed internally (storage error, ...).
    #[error("hub failed: {0}")]
    Internal(String),
}

/// The hub as the kiosk sees it.
pub trait HubClient: Send + Sync + 'static {
    /// The office's catalog with live waiting counts.
    fn catalog(&self) -> Result<Catalog, BackendError>;
    /// Issue a ticket; returns only after the hub made it durable.
    fn issue(&self, req: &IssueRequest) -> Result<Ticket, BackendError>;
    /// Confirm how the citizen got a ticket issued with `hold_for_print`.
    fn confirm(&self, ticket_id: &str, delivery: Delivery) -> Result<Ticket, BackendError>;
}

/// How the kiosk screen behaves.
#[derive(Debug, Clone)]
pub struct KioskSettings {
    /// Seconds without a touch before any screen returns home (and clears what it showed).
    pub idle_timeout_secs: u64,
    /// Seconds the confirmation screen stays before returning home.
    pub confirmation_secs: u64,
    /// Language at start and after every return home: `vi` or `en`.
    pub default_lang: String,
    /// Whether to offer the priority-class step after the field.
    pub offer_priority: bool,
    /// Window size in logical pixels (portrait 1080x1920 or landscape 1920x1080).
    pub width: u32,
    /// Window height in logical pixels.
    pub height: u32,
    /// The office's IANA time zone: the header clock shows office time whatever the system's
    /// zone is (tickets carry office time too).
    pub timezone: String,
    /// The optional CCCD identification step after the field (`None`: not offered).
    pub identify: Option<crate::controllers::identify::IdCardService>,
    /// Hash of the admin screen's PIN (`motcua officer-pin kiosk-admin PIN`); `None`: the admin
    /// screen can't be opened from the touchscreen.
    pub admin_pin_sha256: Option<String>,
}

impl KioskSettings {
    /// The office time zone; UTC if the name is unknown (the config loaders validate it).
    pub fn tz(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Now, in office time.
    pub fn now(&self) -> jiff::Zoned {
        jiff::Timestamp::now().to_zoned(self.tz())
    }
}

impl Default for KioskSettings {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 60,
            confirmation_secs: 15,
            default_lang: "vi".to_owned(),
            offer_priority: true,
            width: 1080,
            height: 1920,
            timezone: "Asia/Ho_Chi_Minh".to_owned(),
            identify: None,
            admin_pin_sha256: None,
        }
    }
}

/// Everything a kiosk window needs: the hub, the devices, the settings.
#[derive(Clone)]
pub struct KioskContext {
    /// The hub (in-process or remote).
    pub hub: Arc<dyn HubClient>,
    /// The ticket printer (a simulated twin when none is configured).
    pub printer: Arc<Mutex<dyn Printer>>,
    /// Screen behaviour.
    pub settings: KioskSettings,
    /// Dossier lookup (the central system and the offline cache); `None` when the kiosk has no
    /// way to reach a central: the lookup screen then says so.
    pub lookup: Option<Arc<crate::lookup::Lookup>>,
}

impl std::fmt::Debug for KioskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskContext").field("settings", &self.settings).finish_non_exhaustive()
    }
}
