//! The hub's one error type.

/// Result with the hub's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the hub.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid; the message names the entry.
    #[error("configuration: {0}")]
    Config(String),
    /// The command refers to a field that is not in the catalog.
    #[error("unknown field {0:?}")]
    UnknownField(String),
    /// The command refers to a counter that is not configured.
    #[error("unknown counter {0}")]
    UnknownCounter(u32),
    /// The priority class is not configured.
    #[error("unknown priority class {0:?}")]
    UnknownPriorityClass(String),
    /// The counter is closed; open it first.
    #[error("counter {0} is closed")]
    CounterClosed(u32),
    /// No ticket waits for this counter's fields.
    #[error("no ticket is waiting for counter {0}")]
    NothingWaiting(u32),
    /// The action needs a current ticket at the counter and there is none.
    #[error("counter {0} has no current ticket")]
    NoCurrentTicket(u32),
    /// The counter must finish or skip its current ticket first.
    #[error("counter {0} is still busy with {1}")]
    CounterBusy(u32, String),
    /// The action does not apply to the ticket's state (e.g. finish before start).
    #[error("invalid action: {0}")]
    InvalidAction(String),
    /// The durable store failed; nothing of the command was kept.
    #[error("storage: {0}")]
    Storage(#[from] rusqlite::Error),
    /// No ticket with this id today.
    #[error("unknown ticket {0}")]
    UnknownTicket(String),
    /// No rating window is open at this counter (never opened, expired, or another window).
    #[error("counter {0} has no open rating window")]
    NoRatingWindow(u32),
    /// The key is not on the office's rating scale.
    #[error("rating key {0} is not on the scale")]
    UnknownRatingKey(u8),
    /// Officer id or PIN wrong, or the officer may not open this counter. Deliberately vague.
    #[error("sign-in refused at counter {0}")]
    SignInRefused(u32),
    /// The command was valid but its write failed, so nothing of it was kept; retry.
    #[error("not stored: {0}")]
    NotStored(String),
    /// The hub is shutting down or its writer stopped.
    #[error("hub stopped")]
    Stopped,
    /// I/O failure (binding the API port, ...).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Coarse classes of [`Error`] for callers that branch (HTTP status, retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller asked for something that does not exist or is not allowed now; do not retry.
    Invalid,
    /// Nothing to do (no ticket waiting).
    Empty,
    /// Storage or shutdown; retry later.
    Unavailable,
    /// Configuration error.
    Config,
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::NothingWaiting(_) => ErrorKind::Empty,
            Error::Storage(_) | Error::NotStored(_) | Error::Stopped | Error::Io(_) => ErrorKind::Unavailable,
            _ => ErrorKind::Invalid,
        }
    }

    /// Stable machine-readable code for API replies.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::UnknownField(_) => "unknown_field",
            Error::UnknownCounter(_) => "unknown_counter",
            Error::UnknownPriorityClass(_) => "unknown_priority_class",
            Error::CounterClosed(_) => "counter_closed",
            Error::NothingWaiting(_) => "nothing_waiting",
            Error::NoCurrentTicket(_) => "no_current_ticket",
            Error::CounterBusy(..) => "counter_busy",
            Error::InvalidAction(_) => "invalid_action",
            Error::NoRatingWindow(_) => "no_rating_window",
            Error::UnknownTicket(_) => "unknown_ticket",
            Error::UnknownRatingKey(_) => "unknown_rating_key",
            Error::SignInRefused(_) => "sign_in_refused",
            Error::Storage(_) | Error::NotStored(_) => "storage",
            Error::Stopped => "stopped",
            Error::Io(_) => "io",
        }
    }
}
