//! The dossier-lookup screen's state: the code and secret being typed on the on-screen keypad
//! (or filled by a scan), and what the last lookup answered.
//!
//! Implements: [`LookupState`], a pure state machine (keys in, [`LookupView`] out), used by the
//! kiosk controller, which does the lookup itself (see [`crate::lookup`]). The keypad offers
//! only what the next position of the code can hold (digits or letters) and types the `.` and
//! `-` of the code by itself; the secret takes digits only.

use motcua_scanner::payload::{self, PartialState, Slot};

use crate::lookup::DossierView;

/// Which field the keypad types into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LookupFocus {
    /// The dossier code.
    #[default]
    Code,
    /// The 6-digit lookup secret.
    Secret,
}

/// What the lookup screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LookupStage {
    /// Typing (or waiting for a scan).
    #[default]
    Entry,
    /// A status is shown.
    Result,
    /// No dossier with this code and secret.
    NotFound,
    /// The central is unreachable and nothing is cached.
    Unavailable,
}

/// Everything the lookup screen needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LookupView {
    /// Stage.
    pub stage: LookupStage,
    /// The code as typed.
    pub code: String,
    /// The secret, masked (`••••`).
    pub secret_masked: String,
    /// Where the keypad types.
    pub focus: LookupFocus,
    /// The keys the keypad offers now.
    pub keys: Vec<String>,
    /// Code and secret are complete: "Tra cứu" is enabled.
    pub can_submit: bool,
    /// The result, in [`LookupStage::Result`].
    pub result: Option<DossierView>,
    /// The status slip was printed.
    pub printed: Option<bool>,
}

/// The state behind [`LookupView`].
#[derive(Debug, Clone, Default)]
pub struct LookupState {
    code: String,
    secret: String,
    focus: LookupFocus,
    stage: LookupStage,
    result: Option<DossierView>,
    printed: Option<bool>,
}

const DIGITS: [&str; 10] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"];

impl LookupState {
    /// Start over: empty fields, focus on the code.
    pub fn reset(&mut self) {
        *self = LookupState::default();
    }

    /// The code and secret when both are complete.
    pub fn complete(&self) -> Option<(String, String)> {
        match payload::check_partial(&self.code) {
            PartialState::Complete(code) if payload::is_valid_secret(&self.secret) => {
                Some((code.as_str().to_owned(), self.secret.clone()))
            }
            _ => None,
        }
    }

    /// A scanned receipt: fills the code (and the secret when the QR carries it).
    pub fn scanned(&mut self, code: &str, secret: Option<&str>) {
        self.reset();
        self.code = code.to_owned();
        match secret.filter(|s| payload::is_valid_secret(s)) {
            Some(s) => self.secret = s.to_owned(),
            None => self.focus = LookupFocus::Secret,
        }
    }

    /// Move the keypad to `focus`.
    pub fn focus(&mut self, focus: LookupFocus) {
        self.focus = focus;
        self.stage = LookupStage::Entry;
    }

    /// A key of the on-screen keypad. Keys that cannot go at this position are ignored.
    pub fn key(&mut self, key: &str) {
        self.stage = LookupStage::Entry;
        match self.focus {
            LookupFocus::Secret => {
                if self.secret.len() < 6 && key.len() == 1 && key.bytes().all(|b| b.is_ascii_digit()) {
                    self.secret.push_str(key);
                }
            }
            LookupFocus::Code => {
                self.fill_separators();
                let candidate = format!("{}{key}", self.code);
                if !matches!(payload::check_partial(&candidate), PartialState::Invalid(_)) {
                    self.code = candidate;
                    self.fill_separators();
                    if matches!(payload::check_partial(&self.code), PartialState::Complete(_)) {
                        self.focus = LookupFocus::Secret;
                    }
                }
            }
        }
    }

    /// Type the `.` and `-` the code template expects next.
    fn fill_separators(&mut self) {
        while let PartialState::Incomplete { next, .. } = payload::check_partial(&self.code) {
            match next {
                Slot::Dot => self.code.push('.'),
                Slot::Dash => self.code.push('-'),
                _ => break,
            }
        }
    }

    /// Delete the last character of the focused field (and the separators before it).
    pub fn backspace(&mut self) {
        self.stage = LookupStage::Entry;
        match self.focus {
            LookupFocus::Secret if !self.secret.is_empty() => {
                self.secret.pop();
            }
            LookupFocus::Secret => self.focus = LookupFocus::Code,
            LookupFocus::Code => {
                // The separators were typed by the keypad: take them with the digit before.
                let strip = |c: &mut String| {
                    while c.ends_with(['.', '-']) {
                        c.pop();
                    }
                };
                strip(&mut self.code);
                self.code.pop();
                strip(&mut self.code);
            }
        }
    }

    /// The lookup answered.
    pub fn answered(&mut self, result: Result<DossierView, LookupStage>) {
        self.printed = None;
        match result {
            Ok(v) => {
                self.stage = LookupStage::Result;
                self.result = Some(v);
            }
            Err(stage) => {
                self.stage = stage;
                self.result = None;
                // The secret is re-typed after a miss: a wrong digit is the likely cause.
                self.secret.clear();
                self.focus = LookupFocus::Secret;
            }
        }
    }

    /// The slip was (not) printed.
    pub fn slip_printed(&mut self, ok: bool) {
        self.printed = Some(ok);
    }

    /// The result shown, if any.
    pub fn result(&self) -> Option<&DossierView> {
        self.result.as_ref()
    }

    /// What to show.
    pub fn view(&self) -> LookupView {
        let keys: Vec<String> = match self.focus {
            LookupFocus::Secret => DIGITS.iter().map(|d| (*d).to_owned()).collect(),
            LookupFocus::Code => match payload::check_partial(&self.code) {
                PartialState::Incomplete { next: Slot::Letter, .. } => {
                    (b'A'..=b'Z').map(|c| char::from(c).to_string()).collect()
                }
                PartialState::Complete(_) => Vec::new(),
                _ => DIGITS.iter().map(|d| (*d).to_owned()).collect(),
            },
        };
        LookupView {
            stage: self.stage,
            code: self.code.clone(),
            secret_masked: "•".repeat(self.secret.chars().count()),
            focus: self.focus,
            keys,
            can_submit: self.complete().is_some(),
            result: self.result.clone(),
            printed: self.printed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_all(s: &mut LookupState, text: &str) {
        for c in text.chars() {
            s.key(&c.to_string());
        }
    }

    #[test]
    fn the_keypad_types_separators_and_offers_only_what_fits() {
        let mut s = LookupState::default();
        assert_eq!(s.view().keys.len(), 10, "digits first");
        type_all(&mut s, "0000012");
        assert_eq!(s.view().code, "000.00.12.");
        assert_eq!(s.view().keys.len(), 26, "the agency class is a letter");
        type_all(&mut s, "H62261103");
        assert_eq!(s.view().code, "000.00.12.H62-261103-");
        s.key("x"); // not a digit: ignored
        type_all(&mut s, "0001");
        assert_eq!(s.view().code, "000.00.12.H62-261103-0001");
        assert_eq!(s.view().focus, LookupFocus::Secret, "a complete code moves to the secret");
        type_all(&mut s, "1234567");
        assert_eq!(s.view().secret_masked, "••••••", "six digits at most");
        assert!(s.view().can_submit);
        assert_eq!(s.complete(), Some(("000.00.12.H62-261103-0001".into(), "123456".into())));
    }

    #[test]
    fn backspace_removes_separators_with_the_character() {
        let mut s = LookupState::default();
        type_all(&mut s, "0000012");
        s.backspace();
        assert_eq!(s.view().code, "000.00.1");
        s.focus(LookupFocus::Secret);
        s.backspace();
        assert_eq!(s.view().focus, LookupFocus::Code, "backspace on an empty secret goes back to the code");
    }

    #[test]
    fn an_invalid_date_cannot_be_typed() {
        let mut s = LookupState::default();
        type_all(&mut s, "0000012H62");
        type_all(&mut s, "2613"); // month 13
        assert_eq!(s.view().code, "000.00.12.H62-261", "the 3 of month 13 was refused");
    }

    #[test]
    fn a_miss_clears_the_secret_and_a_scan_without_secret_asks_for_it() {
        let mut s = LookupState::default();
        s.scanned("000.00.12.H62-261103-0001", Some("123456"));
        assert!(s.view().can_submit);
        s.answered(Err(LookupStage::NotFound));
        assert_eq!(s.view().stage, LookupStage::NotFound);
        assert_eq!(s.view().secret_masked, "");
        s.scanned("000.00.12.H62-261103-0001", None);
        assert_eq!(s.view().focus, LookupFocus::Secret);
        assert!(!s.view().can_submit);
    }
}
