//! `ConfirmationAdapter`: the issued ticket, and clearing it when the session ends.

use slint::{ComponentHandle, Image, Rgba8Pixel, SharedPixelBuffer};

use super::app_adapter;
use super::generated::{AppWindow, ConfirmationAdapter};
use crate::backend::KioskSettings;
use crate::bridge::CommandSender;
use crate::controllers::{ConfirmationView, TicketImage};

pub(super) fn wire(ui: &AppWindow, settings: &KioskSettings, commands: &CommandSender) {
    let conf = ui.global::<ConfirmationAdapter>();
    conf.set_seconds_left(i32::try_from(settings.confirmation_secs).unwrap_or(i32::MAX));
    let (weak, tx, settings) = (ui.as_weak(), commands.clone(), settings.clone());
    conf.on_done(move || {
        if let Some(ui) = weak.upgrade() {
            app_adapter::end_session(&ui, &settings, &tx);
        }
    });
}

/// Shows the ticket.
pub fn show(ui: &AppWindow, view: &ConfirmationView) {
    let conf = ui.global::<ConfirmationAdapter>();
    conf.set_number(view.number.as_str().into());
    conf.set_field_name(view.field_name.as_str().into());
    conf.set_priority_name(view.priority_name.as_deref().unwrap_or_default().into());
    conf.set_people_ahead(i32::try_from(view.people_ahead).unwrap_or(i32::MAX));
    conf.set_has_wait(view.wait.is_some());
    conf.set_wait_range(view.wait.map(|(lo, hi)| wait_range(lo, hi)).unwrap_or_default().into());
    let counters: Vec<String> = view.counters.iter().map(u32::to_string).collect();
    conf.set_counters(counters.join(", ").into());
    conf.set_counter_count(i32::try_from(view.counters.len()).unwrap_or(i32::MAX));
    conf.set_printed(view.printed);
    let (name, id) = view.citizen.as_ref().map(|c| (c.name.as_str(), c.masked_id.as_str())).unwrap_or_default();
    conf.set_citizen_name(name.into());
    conf.set_citizen_id(id.into());
    match view.image.as_deref().and_then(to_image) {
        Some(img) => {
            conf.set_ticket_image(img);
            conf.set_has_ticket_image(true);
        }
        None => {
            conf.set_ticket_image(Image::default());
            conf.set_has_ticket_image(false);
        }
    }
}

/// Removes every detail of the ticket from the screen.
pub fn clear(ui: &AppWindow) {
    let conf = ui.global::<ConfirmationAdapter>();
    conf.set_number("".into());
    conf.set_field_name("".into());
    conf.set_priority_name("".into());
    conf.set_people_ahead(0);
    conf.set_has_wait(false);
    conf.set_wait_range("".into());
    conf.set_counters("".into());
    conf.set_counter_count(0);
    conf.set_printed(false);
    conf.set_citizen_name("".into());
    conf.set_citizen_id("".into());
    conf.set_ticket_image(Image::default());
    conf.set_has_ticket_image(false);
}

/// The number on the confirmation screen (empty when none).
pub fn number(ui: &AppWindow) -> String {
    ui.global::<ConfirmationAdapter>().get_number().to_string()
}

/// The citizen line of the confirmation: name and masked ID (empty when not identified).
pub fn citizen(ui: &AppWindow) -> (String, String) {
    let conf = ui.global::<ConfirmationAdapter>();
    (conf.get_citizen_name().to_string(), conf.get_citizen_id().to_string())
}

/// Whether the confirmation says the ticket was printed.
pub fn printed(ui: &AppWindow) -> bool {
    ui.global::<ConfirmationAdapter>().get_printed()
}

/// Whether a ticket picture is shown.
pub fn has_ticket_image(ui: &AppWindow) -> bool {
    ui.global::<ConfirmationAdapter>().get_has_ticket_image()
}

/// "10–20" with a word joiner after the en dash: line breaking (UAX #14) may otherwise break
/// after the dash and leave "20 phút" alone on the next line.
pub fn wait_range(min_minutes: u32, max_minutes: u32) -> String {
    format!("{min_minutes}\u{2013}\u{2060}{max_minutes}")
}

fn to_image(t: &TicketImage) -> Option<Image> {
    let expected = usize::try_from(u64::from(t.width) * u64::from(t.height) * 4).ok()?;
    if t.width == 0 || t.height == 0 || t.rgba.len() != expected {
        tracing::warn!(width = t.width, height = t.height, bytes = t.rgba.len(), "bad ticket image");
        return None;
    }
    let buf = SharedPixelBuffer::<Rgba8Pixel>::clone_from_slice(&t.rgba, t.width, t.height);
    Some(Image::from_rgba8(buf))
}
