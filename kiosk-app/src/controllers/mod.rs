//! The kiosk's flows as plain Rust: no Slint types, unit-testable without a window.
//!
//! The UI sends a [`UiCommand`] for every tap; a controller answers with [`UiUpdate`]s (what
//! to show), each tagged with the session it belongs to ([`Tagged`]). A session ends whenever the
//! kiosk returns home on its own (idle, "Hoàn tất"); the UI then drops updates of older sessions,
//! so a slow reply can never put a previous citizen's ticket back on screen.
//!
//! Implements: the vocabulary shared by the UI and the controllers, and the take-a-number flow
//! ([`take_number`]). Does not implement: dossier lookup (a later issue), rating, admin.

pub mod admin;
pub mod identify;
pub mod lookup;
pub mod take_number;

pub use lookup::{LookupFocus, LookupStage, LookupView};
pub use take_number::TakeNumber;

use std::sync::Arc;

/// The two languages of the kiosk. Vietnamese is the source language of every screen text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Tiếng Việt.
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// `"vi"` or `"en"`: the code in settings and in the UI.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language for a code (`"vi"`, `"en"`, case-insensitive, region ignored: `en-US`).
    pub fn from_code(code: &str) -> Option<Lang> {
        let base = code.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match base.as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The bundled-translation name Slint selects for this language (`""` is the source).
    pub fn bundle(self) -> &'static str {
        match self {
            Lang::Vi => "",
            Lang::En => "en",
        }
    }

    /// Picks the Vietnamese or the English variant of a data string (catalog names); falls back
    /// to Vietnamese when the English one is empty.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::En if !en.trim().is_empty() => en,
            _ => vi,
        }
    }
}

/// The screens of the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Screen {
    /// Start: take a number, look up a dossier, language.
    #[default]
    Home,
    /// Choose the service field.
    Picker,
    /// Identify with the CCCD (optional step, after the field).
    Identify,
    /// Choose a priority class (optional step).
    Priority,
    /// The issued ticket.
    Confirmation,
    /// Dossier lookup (announces the feature for now).
    Lookup,
    /// The hub failed: retry or go home.
    Error,
    /// Office IT staff: behind a hidden gesture and a PIN ([`admin`]).
    Admin,
}

/// A service field as the picker shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldItem {
    /// Field id from the catalog.
    pub id: String,
    /// Letter series (`A`).
    pub letter: String,
    /// Name in the current language.
    pub name: String,
    /// Tickets waiting now.
    pub waiting: u32,
}

/// A priority class as the priority step shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityItem {
    /// Class id from the catalog.
    pub id: String,
    /// Name in the current language.
    pub name: String,
    /// Suggested from the identified citizen's age (the class's `min_age`); the citizen can
    /// decline.
    pub suggested: bool,
}

/// The identified citizen on the confirmation screen. `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct CitizenLine {
    /// Name as on the card.
    pub name: String,
    /// Masked ID (`001******345`).
    pub masked_id: String,
    /// How far the data was checked.
    pub verification: motcua_hub::api::CitizenVerification,
}

impl Drop for CitizenLine {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.name);
        zeroize::Zeroize::zeroize(&mut self.masked_id);
    }
}

impl std::fmt::Debug for CitizenLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenLine").field("verification", &self.verification).finish_non_exhaustive()
    }
}

/// An RGBA picture of the printed ticket.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketImage {
    /// Width in pixels (printer dots).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes, RGBA.
    pub rgba: Vec<u8>,
}

impl std::fmt::Debug for TicketImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketImage").field("width", &self.width).field("height", &self.height).finish_non_exhaustive()
    }
}

/// What the confirmation screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationView {
    /// The number, e.g. `A001`.
    pub number: String,
    /// Field name in the current language.
    pub field_name: String,
    /// Priority class name in the current language, if one was claimed.
    pub priority_name: Option<String>,
    /// Tickets ahead of this one.
    pub people_ahead: u32,
    /// Estimated wait in minutes (low, high), only when the hub has an honest estimate.
    pub wait: Option<(u32, u32)>,
    /// Counters serving the field.
    pub counters: Vec<u32>,
    /// The printer confirmed the ticket.
    pub printed: bool,
    /// The ticket as rendered for the printer, when rendering worked.
    pub image: Option<Arc<TicketImage>>,
    /// The citizen, when they identified with their CCCD.
    pub citizen: Option<CitizenLine>,
}

/// What a controller asks the UI to show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UiUpdate {
    /// Switch to a screen.
    Screen(Screen),
    /// Show or hide the busy overlay.
    Busy(bool),
    /// The office name in the current language.
    Office {
        /// The name (empty when the catalog is not available).
        name: String,
    },
    /// The picker's fields; `loading` while a refresh is under way.
    Fields {
        /// The fields in display order.
        items: Vec<FieldItem>,
        /// A refresh from the hub is under way.
        loading: bool,
    },
    /// The priority step's content.
    Priorities {
        /// The chosen field's name.
        field_name: String,
        /// The classes in display order.
        items: Vec<PriorityItem>,
    },
    /// The issued ticket.
    Confirmation(ConfirmationView),
    /// The lookup screen's content.
    Lookup(LookupView),
    /// The identify step's content.
    Identify(identify::IdentifyView),
    /// The admin screen's device status or the outcome of its printer test.
    Admin(admin::AdminView),
    /// Answer to [`UiCommand::Sync`]: every update caused by earlier commands was sent before it.
    Synced(u64),
}

/// What the UI asks a controller to do (one per tap, plus session bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UiCommand {
    /// The window is up: load the catalog for the office name.
    Start,
    /// "Lấy số thứ tự": show the picker and refresh the catalog (waiting counts).
    OpenPicker,
    /// A field was tapped.
    PickField(String),
    /// A priority choice was tapped (`None`: not in a priority group).
    PickPriority(Option<String>),
    /// "Quay lại".
    Back,
    /// "Tra cứu hồ sơ".
    OpenLookup,
    /// A key of the lookup screen's keypad.
    LookupKey(String),
    /// "Xóa" on the lookup keypad.
    LookupBackspace,
    /// The citizen tapped the code or the secret field.
    LookupFocus(LookupFocus),
    /// "Tra cứu".
    LookupSubmit,
    /// "Tra cứu hồ sơ khác": clear and start over.
    LookupAgain,
    /// "In phiếu": print the status shown.
    LookupPrint,
    /// A code scanner or the camera read this text (routed by its shape).
    Scanned(String),
    /// A tap on the identify screen.
    Identify(IdentifyAction),
    /// "Thử lại" on the error screen.
    Retry,
    /// The citizen switched language.
    SetLanguage(Lang),
    /// The UI went home on its own and cleared the screen: forget the citizen's session. (The
    /// session number travels in the [`Envelope`], with every command.)
    EndSession,
    /// The admin screen opened (after the PIN): report the devices' status.
    AdminStatus,
    /// "In thử" on the admin screen.
    AdminPrintTest,
    /// Reply with [`UiUpdate::Synced`] once everything before this command has been handled.
    Sync(u64),
}

/// The identify screen's buttons.
#[derive(Clone, PartialEq, Eq)]
pub enum IdentifyAction {
    /// "Chạm thẻ CCCD".
    Chip,
    /// "Quét mã QR trên CCCD".
    Qr,
    /// "Bỏ qua" (or "Không dùng" after a result): go on without identification.
    Skip,
    /// A keypad digit of the CAN (redacted in `Debug`).
    Key(String),
    /// "Xóa" on the keypad.
    Backspace,
    /// "Đọc thẻ" after the 6 digits.
    SubmitCan,
    /// "Thử lại" after a failure.
    Retry,
    /// "Tiếp tục" with the identified citizen.
    Accept,
}

impl std::fmt::Debug for IdentifyAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentifyAction::Chip => f.write_str("Chip"),
            IdentifyAction::Qr => f.write_str("Qr"),
            IdentifyAction::Skip => f.write_str("Skip"),
            IdentifyAction::Key(_) => f.write_str("Key(<redacted>)"),
            IdentifyAction::Backspace => f.write_str("Backspace"),
            IdentifyAction::SubmitCan => f.write_str("SubmitCan"),
            IdentifyAction::Retry => f.write_str("Retry"),
            IdentifyAction::Accept => f.write_str("Accept"),
        }
    }
}

/// A command and the UI's session when it was sent. A command from a newer session ends the
/// controller's current one first, so the two agree again even if an [`UiCommand::EndSession`]
/// was lost to a full queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The UI's session number.
    pub session: u64,
    /// The command.
    pub command: UiCommand,
}

/// An update and the session it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    /// The session the controller was in when it produced the update.
    pub session: u64,
    /// The update.
    pub update: UiUpdate,
}

/// Where a controller sends its updates (the Slint event loop, a test's queue, a vector).
pub trait UpdateSink: Send + Sync {
    /// Delivers one update; must not block.
    fn send(&self, update: Tagged);
}

impl UpdateSink for std::sync::Mutex<Vec<Tagged>> {
    fn send(&self, update: Tagged) {
        match self.lock() {
            Ok(mut v) => v.push(update),
            Err(poisoned) => poisoned.into_inner().push(update),
        }
    }
}
