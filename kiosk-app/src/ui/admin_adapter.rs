//! `AdminAdapter`: the hidden gesture, the PIN pad with its lockout, and the admin screen's
//! actions. The gate runs here, on the UI thread ([`crate::controllers::admin`] holds its
//! rules); the printer test and the status go to the controller like every other command.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::generated::{AdminAdapter, AdminStage, AppWindow};
use super::{app_adapter, send};
use crate::backend::KioskSettings;
use crate::bridge::CommandSender;
use crate::controllers::admin::{AdminGate, AdminView, SecretTaps, Unlock, unlock_message};
use crate::controllers::{Lang, Screen, UiCommand};

/// Longest PIN the pad takes.
const MAX_PIN: usize = 12;

struct Gate {
    taps: SecretTaps,
    gate: AdminGate,
    typed: String,
}

impl Drop for Gate {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.typed);
    }
}

pub(super) fn wire(ui: &AppWindow, settings: &KioskSettings, commands: &CommandSender) {
    let admin = ui.global::<AdminAdapter>();
    admin.set_version(format!("motcua {}", env!("CARGO_PKG_VERSION")).into());
    let gate = Rc::new(RefCell::new(Gate {
        taps: SecretTaps::default(),
        gate: AdminGate::new(settings.admin_pin_sha256.as_deref()),
        typed: String::new(),
    }));

    let (weak, g, tx, s) = (ui.as_weak(), Rc::clone(&gate), commands.clone(), settings.clone());
    admin.on_corner_tap(move || {
        let Some(ui) = weak.upgrade() else { return };
        if !g.borrow_mut().taps.tap(Instant::now()) {
            return;
        }
        tracing::info!("admin gesture: PIN pad shown");
        // A fresh session: nothing of a citizen's visit can be on screen behind the admin pad.
        app_adapter::end_session(&ui, &s, &tx);
        let mut st = g.borrow_mut();
        st.typed.clear();
        show_pin(&ui, &st);
        if !st.gate.enabled() {
            let (vi, en) = unlock_message(Unlock::Disabled);
            set_message(&ui, &pick(&ui, vi, en), true);
        }
        app_adapter::set_screen(&ui, Screen::Admin);
    });

    let (weak, g) = (ui.as_weak(), Rc::clone(&gate));
    admin.on_key(move |digit| {
        let Some(ui) = weak.upgrade() else { return };
        let mut st = g.borrow_mut();
        if st.typed.len() < MAX_PIN && digit.len() == 1 && digit.chars().all(|c| c.is_ascii_digit()) {
            st.typed.push_str(&digit);
        }
        show_pin(&ui, &st);
    });

    let (weak, g) = (ui.as_weak(), Rc::clone(&gate));
    admin.on_backspace(move || {
        let Some(ui) = weak.upgrade() else { return };
        let mut st = g.borrow_mut();
        st.typed.pop();
        show_pin(&ui, &st);
    });

    let (weak, g, tx) = (ui.as_weak(), Rc::clone(&gate), commands.clone());
    admin.on_submit(move || {
        let Some(ui) = weak.upgrade() else { return };
        let mut st = g.borrow_mut();
        let pin = std::mem::take(&mut st.typed);
        let outcome = st.gate.try_pin(&pin, Instant::now());
        drop(zeroize::Zeroizing::new(pin));
        show_pin(&ui, &st);
        let a = ui.global::<AdminAdapter>();
        a.set_locked(matches!(outcome, Unlock::Locked { .. }));
        match outcome {
            Unlock::Granted => {
                a.set_stage(AdminStage::Menu);
                a.set_message(SharedString::default());
                a.set_status_lines(ModelRc::new(VecModel::from(vec![SharedString::from(
                    "Đang kiểm tra thiết bị… / Checking the devices…",
                )])));
                send(&ui, &tx, UiCommand::AdminStatus);
            }
            other => {
                let (vi, en) = unlock_message(other);
                set_message(&ui, &pick(&ui, vi, en), true);
            }
        }
    });

    let (weak, tx) = (ui.as_weak(), commands.clone());
    admin.on_print_test(move || {
        if let Some(ui) = weak.upgrade()
            && ui.global::<AdminAdapter>().get_stage() == AdminStage::Menu
        {
            send(&ui, &tx, UiCommand::AdminPrintTest);
        }
    });

    let weak = ui.as_weak();
    admin.on_restart(move || {
        if let Some(ui) = weak.upgrade()
            && ui.global::<AdminAdapter>().get_stage() == AdminStage::Menu
        {
            restart();
        }
    });

    let (weak, tx, s) = (ui.as_weak(), commands.clone(), settings.clone());
    admin.on_close(move || {
        if let Some(ui) = weak.upgrade() {
            app_adapter::end_session(&ui, &s, &tx);
        }
    });
}

fn pick(ui: &AppWindow, vi: String, en: String) -> String {
    match app_adapter::language(ui) {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

fn show_pin(ui: &AppWindow, st: &Gate) {
    let a = ui.global::<AdminAdapter>();
    a.set_pin_masked("●".repeat(st.typed.chars().count()).into());
}

fn set_message(ui: &AppWindow, text: &str, error: bool) {
    let a = ui.global::<AdminAdapter>();
    a.set_message(text.into());
    a.set_message_error(error);
}

/// Shows the controller's status lines and the last action's outcome.
pub fn show(ui: &AppWindow, view: &AdminView) {
    let a = ui.global::<AdminAdapter>();
    if a.get_stage() != AdminStage::Menu {
        return;
    }
    let lines: Vec<SharedString> = view.status_lines.iter().map(SharedString::from).collect();
    a.set_status_lines(ModelRc::new(VecModel::from(lines)));
    match &view.message {
        Some((text, failed)) => set_message(ui, text, *failed),
        None => set_message(ui, "", false),
    }
}

/// Back to the PIN pad with nothing typed (every return home calls this).
pub fn clear(ui: &AppWindow) {
    let a = ui.global::<AdminAdapter>();
    a.set_stage(AdminStage::Pin);
    a.set_pin_masked(SharedString::default());
    a.set_message(SharedString::default());
    a.set_message_error(false);
    a.set_status_lines(ModelRc::default());
}

/// "Khởi động lại ứng dụng": replace this process with a fresh copy of itself, same arguments.
/// Under systemd the PID stays the same and the new copy reports ready again; the hub's
/// database is crash-safe, so nothing acknowledged is lost.
fn restart() {
    use std::os::unix::process::CommandExt as _;
    tracing::warn!("admin: restarting the kiosk application");
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "cannot find the running program to restart it");
            return;
        }
    };
    let err = std::process::Command::new(exe).args(std::env::args_os().skip(1)).exec();
    tracing::error!(error = %err, "restart failed");
}
