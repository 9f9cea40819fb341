//! `CounterAdapter` ↔ the controller: copies a [`CounterView`] into the window and turns the
//! window's callbacks into [`Command`]s. Runs on the UI thread; never calls the hub.

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::controller::Command;
use super::model::{CodeEntry, CodeProblem, CounterView, CurrentStatus, Notice, RatingView, code_entry};
use crate::ui::{CounterAdapter, CounterFieldChoice, CounterNotice, CounterWaitingRow, CounterWindow};
use motcua_scanner::payload::Slot;

fn notice_parts(n: &Notice) -> (CounterNotice, String, String) {
    let s = String::new;
    match n {
        Notice::None => (CounterNotice::None, s(), s()),
        Notice::SignInFirst => (CounterNotice::SignInFirst, s(), s()),
        Notice::SignedIn => (CounterNotice::SignedIn, s(), s()),
        Notice::SignedOut => (CounterNotice::SignedOut, s(), s()),
        Notice::SignInRefused => (CounterNotice::SignInRefused, s(), s()),
        Notice::OfficerMissing => (CounterNotice::OfficerMissing, s(), s()),
        Notice::Called(x) => (CounterNotice::Called, x.clone(), s()),
        Notice::Recalled(x) => (CounterNotice::Recalled, x.clone(), s()),
        Notice::Skipped(x) => (CounterNotice::Skipped, x.clone(), s()),
        Notice::Started(x) => (CounterNotice::Started, x.clone(), s()),
        Notice::Finished(x) => (CounterNotice::Finished, x.clone(), s()),
        Notice::Transferred { number, field } => (CounterNotice::Transferred, number.clone(), field.clone()),
        Notice::DossierLinked(x) => (CounterNotice::DossierLinked, x.clone(), s()),
        Notice::BadCode(p) => match p {
            CodeProblem::Empty => (CounterNotice::CodeEmpty, s(), s()),
            CodeProblem::TooShort { len } => (CounterNotice::CodeShort, len.to_string(), s()),
            CodeProblem::TooLong => (CounterNotice::CodeLong, s(), s()),
            CodeProblem::Unexpected { position, expected } => {
                let slot = match expected {
                    Slot::Digit => "digit",
                    Slot::Letter => "letter",
                    Slot::Dot => "dot",
                    Slot::Dash => "dash",
                };
                (CounterNotice::CodeUnexpected, position.to_string(), slot.to_owned())
            }
            CodeProblem::BadDate => (CounterNotice::CodeDate, s(), s()),
        },
        Notice::NothingWaiting => (CounterNotice::NothingWaiting, s(), s()),
        Notice::Busy(x) => (CounterNotice::Busy, x.clone(), s()),
        Notice::NoCurrent => (CounterNotice::NoCurrent, s(), s()),
        Notice::ClosedElsewhere => (CounterNotice::ClosedElsewhere, s(), s()),
        Notice::Refused(m) => (CounterNotice::Refused, m.clone(), s()),
        Notice::Unreachable => (CounterNotice::Unreachable, s(), s()),
        Notice::Failed(m) => (CounterNotice::Failed, m.clone(), s()),
    }
}

fn code_state(e: CodeEntry) -> i32 {
    match e {
        CodeEntry::Empty => 0,
        CodeEntry::Incomplete => 1,
        CodeEntry::Complete => 2,
        CodeEntry::Invalid => 3,
    }
}

/// Copy `v` into the window.
pub fn show(ui: &CounterWindow, v: &CounterView) {
    let a = ui.global::<CounterAdapter>();
    a.set_counter_name(v.counter_name.as_str().into());
    a.set_office_name(v.office_name.as_str().into());
    a.set_connected(v.connected);
    a.set_signed_in(v.officer.is_some());
    a.set_officer_id(v.officer.as_deref().unwrap_or_default().into());
    match &v.current {
        Some(c) => {
            a.set_current_number(c.number.as_str().into());
            a.set_current_status(match c.status {
                CurrentStatus::Called => 1,
                CurrentStatus::Serving => 2,
            });
            a.set_current_field(c.field_name.as_str().into());
            a.set_current_dossier(c.dossier_code.as_deref().unwrap_or_default().into());
            a.set_current_priority(c.priority);
            let (name, id, status) = match &c.citizen {
                Some(z) => (
                    z.name.as_str(),
                    z.masked_id.as_str(),
                    if z.verified {
                        1
                    } else if z.qr_only {
                        3
                    } else {
                        2
                    },
                ),
                None => ("", "", 0),
            };
            a.set_current_citizen(name.into());
            a.set_current_citizen_id(id.into());
            a.set_current_citizen_status(status);
        }
        None => {
            a.set_current_number(SharedString::new());
            a.set_current_status(0);
            a.set_current_field(SharedString::new());
            a.set_current_dossier(SharedString::new());
            a.set_current_priority(false);
            a.set_current_citizen(SharedString::new());
            a.set_current_citizen_id(SharedString::new());
            a.set_current_citizen_status(0);
            // Nothing left to transfer.
            a.set_transfer_open(false);
        }
    }
    let waiting: Vec<CounterWaitingRow> = v
        .waiting
        .iter()
        .map(|w| CounterWaitingRow {
            number: w.number.as_str().into(),
            field: w.field_name.as_str().into(),
            time: w.issued.as_str().into(),
            priority: w.priority,
        })
        .collect();
    a.set_waiting(ModelRc::new(VecModel::from(waiting)));
    a.set_waiting_total(i32::try_from(v.waiting_total).unwrap_or(i32::MAX));
    let fields: Vec<CounterFieldChoice> = v
        .fields
        .iter()
        .map(|f| CounterFieldChoice {
            id: f.id.as_str().into(),
            letter: f.letter.as_str().into(),
            name: f.name.as_str().into(),
        })
        .collect();
    a.set_fields(ModelRc::new(VecModel::from(fields)));
    let (state, number, label) = match &v.rating {
        RatingView::None => (0, "", ""),
        RatingView::Open { number } => (1, number.as_str(), ""),
        RatingView::Rated { number, label } => (2, number.as_str(), label.as_str()),
        RatingView::Unrated { number } => (3, number.as_str(), ""),
    };
    a.set_rating_state(state);
    a.set_rating_number(number.into());
    a.set_rating_label(label.into());
    let (kind, arg_a, arg_b) = notice_parts(&v.notice);
    a.set_notice(kind);
    a.set_notice_a(arg_a.into());
    a.set_notice_b(arg_b.into());
    a.set_notice_error(v.notice.is_error());
    if v.clear_pin {
        a.set_pin_text(SharedString::new());
    }
    if v.clear_code {
        a.set_code_text(SharedString::new());
        a.set_code_state(0);
    }
}

/// Route the window's callbacks to `send` (which must not block).
pub fn wire(ui: &CounterWindow, send: impl Fn(Command) + Clone + 'static) {
    let a = ui.global::<CounterAdapter>();
    let s = send.clone();
    a.on_sign_in(move |officer, pin| s(Command::SignIn { officer_id: officer.into(), pin: pin.into() }));
    let s = send.clone();
    a.on_sign_out(move || s(Command::SignOut));
    let s = send.clone();
    a.on_call_next(move || s(Command::CallNext));
    let s = send.clone();
    a.on_recall(move || s(Command::Recall));
    let s = send.clone();
    a.on_skip(move || s(Command::Skip));
    let s = send.clone();
    a.on_start(move || s(Command::Start));
    let s = send.clone();
    a.on_finish(move || s(Command::Finish));
    let s = send.clone();
    a.on_transfer(move |field| s(Command::Transfer { field_id: field.into() }));
    a.on_link_dossier(move |code| send(Command::LinkDossier { code: code.into() }));
    let weak = ui.as_weak();
    a.on_code_edited(move |text| {
        if let Some(ui) = weak.upgrade() {
            ui.global::<CounterAdapter>().set_code_state(code_state(code_entry(&text)));
        }
    });
}
