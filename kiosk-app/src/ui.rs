//! The Slint side: the window compiled from `ui/app.slint` and one adapter per screen global.
//!
//! The adapters are the only code that touches the Slint globals: they turn taps into
//! [`UiCommand`]s for the controllers and [`UiUpdate`]s into properties. Everything here runs on
//! the UI thread.

pub mod admin_adapter;
pub mod app_adapter;
pub mod confirmation_adapter;
pub mod field_picker_adapter;
pub mod home_adapter;
pub mod identify_adapter;
pub mod lookup_adapter;
pub mod priority_adapter;

// The code slint-build generates from ui/app.slint. It is not ours to lint.
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::restriction,
    missing_debug_implementations,
    missing_docs,
    unsafe_code,
    unused_qualifications
)]
mod generated {
    slint::include_modules!();
}

pub use generated::{
    AdminAdapter, AdminStage, AppAdapter, AppWindow, CallRow, ConfirmationAdapter, DisplayAdapter, DisplayWindow,
    FieldPickerAdapter, HitRect, HomeAdapter, IdentifyAdapter, LookupAdapter, PriorityAdapter, WaitingRow,
};
pub use generated::{CounterAdapter, CounterFieldChoice, CounterNotice, CounterWaitingRow, CounterWindow};

use crate::backend::KioskSettings;
use crate::bridge::CommandSender;
use crate::controllers::{Lang, Screen, Tagged, UiCommand, UiUpdate};

/// Wires every callback of `ui` to `commands`, applies `settings` (timeouts, default language),
/// and asks the controller for the catalog. Call once per window, after creating it.
pub fn attach(ui: &AppWindow, settings: &KioskSettings, commands: &CommandSender) {
    app_adapter::wire(ui, settings, commands);
    home_adapter::wire(ui, commands);
    field_picker_adapter::wire(ui, commands);
    priority_adapter::wire(ui, commands);
    identify_adapter::wire(ui, commands);
    confirmation_adapter::wire(ui, settings, commands);
    lookup_adapter::wire(ui, commands);
    admin_adapter::wire(ui, settings, commands);
    app_adapter::set_clock(ui, &settings.now());
    send(ui, commands, UiCommand::Start);
}

/// Sends `cmd` in the window's current session.
pub(crate) fn send(ui: &AppWindow, commands: &CommandSender, cmd: UiCommand) {
    commands.send(app_adapter::session(ui), cmd);
}

/// Applies one controller update to the window; updates of an ended session are dropped.
pub fn apply(ui: &AppWindow, tagged: Tagged) {
    let current = app_adapter::session(ui);
    if tagged.session != current {
        tracing::debug!(update_session = tagged.session, current, "stale update dropped");
        return;
    }
    tracing::trace!(update = ?tagged.update, "apply");
    match tagged.update {
        UiUpdate::Screen(screen) => app_adapter::set_screen(ui, screen),
        UiUpdate::Busy(busy) => app_adapter::set_busy(ui, busy),
        UiUpdate::Office { name } => app_adapter::set_office_name(ui, &name),
        UiUpdate::Fields { items, loading } => field_picker_adapter::show(ui, &items, loading),
        UiUpdate::Priorities { field_name, items } => priority_adapter::show(ui, &field_name, &items),
        UiUpdate::Confirmation(view) => confirmation_adapter::show(ui, &view),
        UiUpdate::Lookup(view) => lookup_adapter::show(ui, &view),
        UiUpdate::Identify(view) => identify_adapter::show(ui, &view),
        UiUpdate::Admin(view) => admin_adapter::show(ui, &view),
        // Only the headless driver waits for these.
        UiUpdate::Synced(_) => {}
    }
}

/// The screen shown now.
pub fn screen(ui: &AppWindow) -> Screen {
    app_adapter::screen(ui)
}

/// The language shown now.
pub fn language(ui: &AppWindow) -> Lang {
    app_adapter::language(ui)
}
