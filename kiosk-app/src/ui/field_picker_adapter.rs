//! `FieldPickerAdapter`: the service fields and their waiting counts.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, VecModel};

use super::generated::{AppWindow, FieldItem as SlintFieldItem, FieldPickerAdapter};
use super::send;
use crate::bridge::CommandSender;
use crate::controllers::{FieldItem, UiCommand};

pub(super) fn wire(ui: &AppWindow, commands: &CommandSender) {
    let picker = ui.global::<FieldPickerAdapter>();
    let (weak, tx) = (ui.as_weak(), commands.clone());
    picker.on_pick(move |id| {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::PickField(id.to_string()));
        }
    });
    let (weak, tx) = (ui.as_weak(), commands.clone());
    picker.on_back(move || {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::Back);
        }
    });
}

/// Shows `items`; `loading` while the waiting counts are refreshed.
pub fn show(ui: &AppWindow, items: &[FieldItem], loading: bool) {
    let picker = ui.global::<FieldPickerAdapter>();
    let rows: Vec<SlintFieldItem> = items
        .iter()
        .map(|f| SlintFieldItem {
            id: f.id.as_str().into(),
            letter: f.letter.as_str().into(),
            name: f.name.as_str().into(),
            waiting: i32::try_from(f.waiting).unwrap_or(i32::MAX),
        })
        .collect();
    picker.set_fields(ModelRc::from(Rc::new(VecModel::from(rows))));
    picker.set_loading(loading);
}

/// The ids of the fields shown, in order.
pub fn field_ids(ui: &AppWindow) -> Vec<String> {
    use slint::Model;
    ui.global::<FieldPickerAdapter>().get_fields().iter().map(|f| f.id.to_string()).collect()
}
