//! `HomeAdapter`: the start screen's actions.

use slint::ComponentHandle;

use super::generated::{AppWindow, HomeAdapter};
use super::send;
use crate::bridge::CommandSender;
use crate::controllers::UiCommand;

pub(super) fn wire(ui: &AppWindow, commands: &CommandSender) {
    let home = ui.global::<HomeAdapter>();
    let (weak, tx) = (ui.as_weak(), commands.clone());
    home.on_take_number(move || {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::OpenPicker);
        }
    });
    let (weak, tx) = (ui.as_weak(), commands.clone());
    home.on_lookup(move || {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::OpenLookup);
        }
    });
}
