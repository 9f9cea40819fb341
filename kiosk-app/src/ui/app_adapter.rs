//! `AppAdapter`: screen, language, busy overlay, clock, idle timers and the end of a session.

use std::time::Duration;

use slint::ComponentHandle;

use super::generated::{AppAdapter, AppWindow, Screen as SlintScreen};
use super::{confirmation_adapter, priority_adapter, send};
use crate::backend::KioskSettings;
use crate::bridge::CommandSender;
use crate::controllers::{Lang, Screen, UiCommand};

pub(super) fn wire(ui: &AppWindow, settings: &KioskSettings, commands: &CommandSender) {
    let app = ui.global::<AppAdapter>();
    let default = Lang::from_code(&settings.default_lang).unwrap_or_default();
    app.set_default_language(default.code().into());
    app.set_portrait(settings.height >= settings.width);
    app.set_idle_timeout(duration_ms(settings.idle_timeout_secs));
    app.set_confirmation_timeout(duration_ms(settings.confirmation_secs));
    set_language(ui, default);

    let (weak, tx) = (ui.as_weak(), commands.clone());
    app.on_select_language(move |code| {
        let Some(ui) = weak.upgrade() else { return };
        let Some(lang) = Lang::from_code(&code) else {
            tracing::warn!(%code, "unknown language");
            return;
        };
        set_language(&ui, lang);
        send(&ui, &tx, UiCommand::SetLanguage(lang));
    });

    let (weak, tx, settings_for_idle) = (ui.as_weak(), commands.clone(), settings.clone());
    app.on_idle_expired(move || {
        if let Some(ui) = weak.upgrade() {
            tracing::info!(screen = ?screen(&ui), "idle: back to the start screen");
            end_session(&ui, &settings_for_idle, &tx);
        }
    });

    let (weak, tx, settings_for_home) = (ui.as_weak(), commands.clone(), settings.clone());
    app.on_go_home(move || {
        if let Some(ui) = weak.upgrade() {
            end_session(&ui, &settings_for_home, &tx);
        }
    });

    let (weak, tx) = (ui.as_weak(), commands.clone());
    app.on_back(move || {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::Back);
        }
    });

    let (weak, tx) = (ui.as_weak(), commands.clone());
    app.on_retry(move || {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::Retry);
        }
    });
}

/// Milliseconds for Slint's `duration` properties, saturating.
fn duration_ms(secs: u64) -> i64 {
    i64::try_from(Duration::from_secs(secs).as_millis()).unwrap_or(i64::MAX)
}

/// Ends the citizen's session: home screen, default language, every ticket detail cleared, and
/// a new session number so that late replies of the old one are dropped.
pub fn end_session(ui: &AppWindow, settings: &KioskSettings, commands: &CommandSender) {
    let app = ui.global::<AppAdapter>();
    app.set_session(app.get_session().saturating_add(1));
    app.set_busy(false);
    app.set_screen(SlintScreen::Home);
    confirmation_adapter::clear(ui);
    priority_adapter::clear(ui);
    super::identify_adapter::clear(ui);
    super::lookup_adapter::clear(ui);
    super::admin_adapter::clear(ui);
    set_language(ui, Lang::from_code(&settings.default_lang).unwrap_or_default());
    send(ui, commands, UiCommand::EndSession);
}

/// The current session number.
pub fn session(ui: &AppWindow) -> u64 {
    u64::try_from(ui.global::<AppAdapter>().get_session()).unwrap_or(0)
}

/// Shows `lang`: selects the bundled translation and marks the language switch.
pub fn set_language(ui: &AppWindow, lang: Lang) {
    if let Err(e) = slint::select_bundled_translation(lang.bundle()) {
        tracing::warn!(error = %e, lang = lang.code(), "cannot select the translation");
    }
    ui.global::<AppAdapter>().set_language(lang.code().into());
}

/// The language shown now.
pub fn language(ui: &AppWindow) -> Lang {
    Lang::from_code(&ui.global::<AppAdapter>().get_language()).unwrap_or_default()
}

/// Switches the visible screen.
pub fn set_screen(ui: &AppWindow, screen: Screen) {
    let s = match screen {
        Screen::Home => SlintScreen::Home,
        Screen::Picker => SlintScreen::Picker,
        Screen::Identify => SlintScreen::Identify,
        Screen::Priority => SlintScreen::Priority,
        Screen::Confirmation => SlintScreen::Confirmation,
        Screen::Lookup => SlintScreen::Lookup,
        Screen::Error => SlintScreen::Error,
        Screen::Admin => SlintScreen::Admin,
    };
    ui.global::<AppAdapter>().set_screen(s);
}

/// The visible screen.
pub fn screen(ui: &AppWindow) -> Screen {
    match ui.global::<AppAdapter>().get_screen() {
        SlintScreen::Home => Screen::Home,
        SlintScreen::Picker => Screen::Picker,
        SlintScreen::Identify => Screen::Identify,
        SlintScreen::Priority => Screen::Priority,
        SlintScreen::Confirmation => Screen::Confirmation,
        SlintScreen::Lookup => Screen::Lookup,
        SlintScreen::Error => Screen::Error,
        SlintScreen::Admin => Screen::Admin,
    }
}

/// Shows or hides the busy overlay.
pub fn set_busy(ui: &AppWindow, busy: bool) {
    ui.global::<AppAdapter>().set_busy(busy);
}

/// Whether the busy overlay is up.
pub fn busy(ui: &AppWindow) -> bool {
    ui.global::<AppAdapter>().get_busy()
}

/// The office name in the header.
pub fn set_office_name(ui: &AppWindow, name: &str) {
    ui.global::<AppAdapter>().set_office_name(name.into());
}

/// Shows `now` in the header: weekday, `DD/MM/YYYY` and `HH:MM`.
pub fn set_clock(ui: &AppWindow, now: &jiff::Zoned) {
    let app = ui.global::<AppAdapter>();
    app.set_weekday(i32::from(now.weekday().to_sunday_zero_offset()));
    app.set_date_text(now.strftime("%d/%m/%Y").to_string().into());
    app.set_time_text(now.strftime("%H:%M").to_string().into());
}

/// Keeps the header clock current; keep the returned timer alive as long as the window.
pub fn start_clock(ui: &AppWindow, settings: &KioskSettings) -> slint::Timer {
    let timer = slint::Timer::default();
    let weak = ui.as_weak();
    let settings = settings.clone();
    timer.start(slint::TimerMode::Repeated, Duration::from_secs(1), move || {
        if let Some(ui) = weak.upgrade() {
            set_clock(&ui, &settings.now());
        }
    });
    timer
}
