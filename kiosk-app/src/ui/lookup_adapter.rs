//! `LookupAdapter`: the dossier lookup screen, and clearing it when the session ends.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::generated::{AppWindow, LookupAdapter, LookupStage as SlintStage, StepRow};
use super::send;
use crate::bridge::CommandSender;
use crate::controllers::{LookupFocus, LookupStage, LookupView, UiCommand};

pub(super) fn wire(ui: &AppWindow, commands: &CommandSender) {
    let a = ui.global::<LookupAdapter>();
    let on = |cmd: fn(SharedString) -> UiCommand| {
        let (weak, tx) = (ui.as_weak(), commands.clone());
        move |s: SharedString| {
            if let Some(ui) = weak.upgrade() {
                send(&ui, &tx, cmd(s));
            }
        }
    };
    let simple = |cmd: UiCommand| {
        let (weak, tx) = (ui.as_weak(), commands.clone());
        move || {
            if let Some(ui) = weak.upgrade() {
                send(&ui, &tx, cmd.clone());
            }
        }
    };
    a.on_key(on(|k| UiCommand::LookupKey(k.to_string())));
    a.on_backspace(simple(UiCommand::LookupBackspace));
    a.on_submit(simple(UiCommand::LookupSubmit));
    a.on_again(simple(UiCommand::LookupAgain));
    a.on_print(simple(UiCommand::LookupPrint));
    let (weak, tx) = (ui.as_weak(), commands.clone());
    a.on_focus(move |secret| {
        if let Some(ui) = weak.upgrade() {
            let f = if secret { LookupFocus::Secret } else { LookupFocus::Code };
            send(&ui, &tx, UiCommand::LookupFocus(f));
        }
    });
}

/// Shows `view`.
pub fn show(ui: &AppWindow, view: &LookupView) {
    let a = ui.global::<LookupAdapter>();
    a.set_stage(match view.stage {
        LookupStage::Entry => SlintStage::Entry,
        LookupStage::Result => SlintStage::Result,
        LookupStage::NotFound => SlintStage::NotFound,
        LookupStage::Unavailable => SlintStage::Unavailable,
    });
    a.set_code(view.code.as_str().into());
    a.set_secret_masked(view.secret_masked.as_str().into());
    a.set_focus_secret(view.focus == LookupFocus::Secret);
    let keys: Vec<SharedString> = view.keys.iter().map(|k| k.as_str().into()).collect();
    a.set_keys(ModelRc::from(Rc::new(VecModel::from(keys))));
    a.set_can_submit(view.can_submit);
    a.set_printed(match view.printed {
        None => 0,
        Some(true) => 1,
        Some(false) => 2,
    });
    let r = view.result.as_ref();
    let s = |f: fn(&crate::lookup::DossierView) -> &str| -> SharedString { r.map(f).unwrap_or_default().into() };
    a.set_r_code(s(|v| &v.code));
    a.set_r_procedure(s(|v| &v.procedure));
    a.set_r_applicant(s(|v| &v.applicant));
    a.set_r_status(s(|v| &v.status_label));
    a.set_r_status_key(s(|v| &v.status));
    a.set_r_received(s(|v| &v.received_at));
    a.set_r_due(s(|v| &v.due_at));
    a.set_r_as_of(r.and_then(|v| v.as_of.as_deref()).unwrap_or_default().into());
    a.set_r_timeliness(match r.and_then(|v| v.on_time) {
        None => 0,
        Some(true) => 1,
        Some(false) => 2,
    });
    // The latest steps matter most; a long history would push the buttons off the screen.
    let steps: Vec<StepRow> = r
        .map(|v| {
            let skip = v.steps.len().saturating_sub(4);
            v.steps
                .iter()
                .skip(skip)
                .map(|s| StepRow { at: s.at.as_str().into(), step: s.step.as_str().into() })
                .collect()
        })
        .unwrap_or_default();
    a.set_r_steps(ModelRc::from(Rc::new(VecModel::from(steps))));
}

/// Forgets everything the lookup screen showed.
pub fn clear(ui: &AppWindow) {
    show(ui, &LookupView::default());
}

/// The keys the keypad offers now (for tests and automation).
pub fn keys(ui: &AppWindow) -> Vec<String> {
    use slint::Model;
    ui.global::<LookupAdapter>().get_keys().iter().map(|k| k.to_string()).collect()
}
