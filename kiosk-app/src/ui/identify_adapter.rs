//! `IdentifyAdapter`: the optional CCCD identification step.

use slint::ComponentHandle;

use super::generated::{AppWindow, IdentifyAdapter, IdentifyStage as SlintStage};
use super::send;
use crate::bridge::CommandSender;
use crate::controllers::identify::{IdentifyError, IdentifyStage, IdentifyView};
use crate::controllers::{IdentifyAction, UiCommand};
use motcua_hub::api::CitizenVerification;

pub(super) fn wire(ui: &AppWindow, commands: &CommandSender) {
    let id = ui.global::<IdentifyAdapter>();
    let action = |a: fn() -> IdentifyAction| {
        let (weak, tx) = (ui.as_weak(), commands.clone());
        move || {
            if let Some(ui) = weak.upgrade() {
                send(&ui, &tx, UiCommand::Identify(a()));
            }
        }
    };
    id.on_chip(action(|| IdentifyAction::Chip));
    id.on_qr(action(|| IdentifyAction::Qr));
    id.on_skip(action(|| IdentifyAction::Skip));
    id.on_backspace(action(|| IdentifyAction::Backspace));
    id.on_submit_can(action(|| IdentifyAction::SubmitCan));
    id.on_retry(action(|| IdentifyAction::Retry));
    id.on_accept(action(|| IdentifyAction::Accept));
    let (weak, tx) = (ui.as_weak(), commands.clone());
    id.on_key(move |k| {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::Identify(IdentifyAction::Key(k.to_string())));
        }
    });
    let (weak, tx) = (ui.as_weak(), commands.clone());
    id.on_back(move || {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::Back);
        }
    });
}

/// Shows the step.
pub fn show(ui: &AppWindow, view: &IdentifyView) {
    let id = ui.global::<IdentifyAdapter>();
    let (stage, error) = match view.stage {
        IdentifyStage::Choose => (SlintStage::Choose, ""),
        IdentifyStage::EnterCan => (SlintStage::EnterCan, ""),
        IdentifyStage::WaitCard => (SlintStage::WaitCard, ""),
        IdentifyStage::Reading => (SlintStage::Reading, ""),
        IdentifyStage::WaitQr => (SlintStage::WaitQr, ""),
        IdentifyStage::Done => (SlintStage::Done, ""),
        IdentifyStage::Failed(e) => (SlintStage::Failed, error_word(e)),
    };
    id.set_stage(stage);
    id.set_error(error.into());
    id.set_chip_available(view.chip);
    id.set_can_len(i32::try_from(view.can_len).unwrap_or(0));
    id.set_name(view.name.as_str().into());
    id.set_masked_id(view.masked_id.as_str().into());
    id.set_verification(view.verification.map(verification_word).unwrap_or_default().into());
}

/// The word the screen keys its texts on.
pub fn verification_word(v: CitizenVerification) -> &'static str {
    match v {
        CitizenVerification::Verified => "verified",
        CitizenVerification::ChipConsistent => "chip-consistent",
        CitizenVerification::QrOnly => "qr-only",
    }
}

fn error_word(e: IdentifyError) -> &'static str {
    match e {
        IdentifyError::NoCard => "no-card",
        IdentifyError::CardRemoved => "card-removed",
        IdentifyError::AccessRefused => "access-refused",
        IdentifyError::Altered => "altered",
        IdentifyError::Timeout => "timeout",
        IdentifyError::ReaderFailed => "reader-failed",
        IdentifyError::NotCccdQr => "not-cccd-qr",
        _ => "unreadable",
    }
}

/// Forgets the citizen shown (end of the visit).
pub fn clear(ui: &AppWindow) {
    let id = ui.global::<IdentifyAdapter>();
    id.set_stage(SlintStage::Choose);
    id.set_error("".into());
    id.set_can_len(0);
    id.set_name("".into());
    id.set_masked_id("".into());
    id.set_verification("".into());
}

/// The step shown now (for tests).
pub fn stage(ui: &AppWindow) -> IdentifyStageName {
    match ui.global::<IdentifyAdapter>().get_stage() {
        SlintStage::Choose => "choose",
        SlintStage::EnterCan => "enter-can",
        SlintStage::WaitCard => "wait-card",
        SlintStage::Reading => "reading",
        SlintStage::WaitQr => "wait-qr",
        SlintStage::Done => "done",
        SlintStage::Failed => "failed",
    }
}

/// A stage's name as in `ui/globals/identify.slint`.
pub type IdentifyStageName = &'static str;
