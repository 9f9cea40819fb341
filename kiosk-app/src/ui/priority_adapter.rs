//! `PriorityAdapter`: the priority classes of the optional step.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, VecModel};

use super::generated::{AppWindow, PriorityAdapter, PriorityItem as SlintPriorityItem};
use super::send;
use crate::bridge::CommandSender;
use crate::controllers::{PriorityItem, UiCommand};

pub(super) fn wire(ui: &AppWindow, commands: &CommandSender) {
    let prio = ui.global::<PriorityAdapter>();
    let (weak, tx) = (ui.as_weak(), commands.clone());
    prio.on_pick(move |id| {
        if let Some(ui) = weak.upgrade() {
            let class = if id.is_empty() { None } else { Some(id.to_string()) };
            send(&ui, &tx, UiCommand::PickPriority(class));
        }
    });
    let (weak, tx) = (ui.as_weak(), commands.clone());
    prio.on_back(move || {
        if let Some(ui) = weak.upgrade() {
            send(&ui, &tx, UiCommand::Back);
        }
    });
}

/// Shows the classes for the field `field_name`.
pub fn show(ui: &AppWindow, field_name: &str, items: &[PriorityItem]) {
    let prio = ui.global::<PriorityAdapter>();
    let rows: Vec<SlintPriorityItem> = items
        .iter()
        .map(|p| SlintPriorityItem { id: p.id.as_str().into(), name: p.name.as_str().into(), suggested: p.suggested })
        .collect();
    prio.set_classes_suggested(items.iter().any(|p| p.suggested));
    prio.set_field_name(field_name.into());
    prio.set_classes(ModelRc::from(Rc::new(VecModel::from(rows))));
}

/// Forgets the chosen field.
pub fn clear(ui: &AppWindow) {
    let prio = ui.global::<PriorityAdapter>();
    prio.set_field_name("".into());
    prio.set_classes(ModelRc::default());
    prio.set_classes_suggested(false);
}
