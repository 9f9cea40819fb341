//! The part both scanner cores share: one scan's bytes, its inter-character timer, and the
//! checks that turn a finished frame into a code or a typed rejection.
//!
//! Implements: prefix / suffix removal, UTF-8 and control-character checks, AIM symbology
//! identifier handling ([`AimMode`]), the length bound, half-scan detection on the
//! inter-character timeout, and suppression of fast repeats. Time is a millisecond counter
//! passed in by the caller; nothing here reads a clock or does I/O.
//!
//! Does not implement: what ends a frame (CR, Enter key...): the serial and HID cores decide
//! that and end the frame.

use std::collections::VecDeque;

use motcua_device::scanner::ScannedCode;

use crate::error::ScanError;

/// What ends a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Terminator {
    /// Carriage return (the usual factory setting). On HID scanners: the Enter key.
    #[default]
    Cr,
    /// Line feed. On HID scanners: the Enter key.
    Lf,
    /// CR LF. On HID scanners: the Enter key.
    CrLf,
    /// Horizontal tab (serial) or the Tab key (HID).
    Tab,
    /// Nothing: a pause of [`Config::inter_char_timeout_ms`] ends the scan (or the suffix, if
    /// one is configured).
    None,
}

/// AIM symbology identifiers (ISO/IEC 15424: `]` + symbology letter + modifier, e.g. `]Q1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AimMode {
    /// Leave the text alone (the scanner does not send identifiers). The default, because
    /// data may itself start with `]`.
    #[default]
    Off,
    /// Remove a leading identifier when one is present and report its symbology.
    Strip,
    /// The scanner always sends one: remove it, and reject scans without one.
    Require,
}

/// How Alt+numpad decimal sequences (HID scanners typing non-ASCII text) are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AltCodes {
    /// Every sequence is a Unicode code point in decimal, with or without leading zeros
    /// (`Alt+7871` = `ế`, `Alt+0224` = `Alt+224` = `à`). What 2D scanners in "Unicode" output
    /// mode send.
    #[default]
    Unicode,
    /// Windows rules for the ANSI form: a sequence with a leading zero and a value up to 255
    /// is Windows-1252 (`Alt+0128` = `€`); every other sequence is a Unicode code point. The
    /// OEM (code page 437) form without a leading zero below 256 is not implemented.
    Windows1252,
}

/// Scanner settings shared by the serial and HID cores (they must match the scanner's own
/// configuration, set by scanning its setup barcodes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// What ends a scan.
    pub terminator: Terminator,
    /// Text the scanner puts before every code (e.g. `"\u{2}"`, STX); removed, and required.
    /// Empty for none.
    pub prefix: String,
    /// Text the scanner puts after every code, before the terminator (e.g. `"\u{3}"`, ETX);
    /// removed, and required. Empty for none.
    pub suffix: String,
    /// Longest accepted code, in UTF-8 bytes (prefix, suffix and identifier not counted).
    pub max_len: usize,
    /// A pause this long inside a scan cuts it off: the partial scan is rejected as
    /// [`ScanError::HalfScan`]. With [`Terminator::None`] the pause ends the scan instead.
    pub inter_char_timeout_ms: u64,
    /// AIM symbology identifiers.
    pub aim: AimMode,
    /// The same code again within this many milliseconds of its last sighting is the same
    /// scan (a receipt held under the scanner re-reads every few hundred ms); 0 disables.
    pub repeat_window_ms: u64,
    /// How HID Alt+numpad sequences are read (ignored by the serial core).
    pub alt_codes: AltCodes,
}

/// Default longest code: a CCCD QR is about 150 bytes, a receipt QR well under 200; 1024 leaves
/// room for anything sane while bounding memory on a stuck stream.
pub const DEFAULT_MAX_LEN: usize = 1024;

impl Default for Config {
    /// CR terminator, no prefix or suffix, 1024 bytes, 300 ms inter-character timeout, no AIM
    /// identifiers, 1.5 s repeat window.
    fn default() -> Self {
        Config {
            terminator: Terminator::Cr,
            prefix: String::new(),
            suffix: String::new(),
            max_len: DEFAULT_MAX_LEN,
            inter_char_timeout_ms: 300,
            aim: AimMode::Off,
            repeat_window_ms: 1_500,
            alt_codes: AltCodes::Unicode,
        }
    }
}

/// What a core produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete, checked code (its text may be personal data: do not log it).
    Code(ScannedCode),
    /// A scan that was dropped, and why.
    Rejected(ScanError),
}

/// Counters for the health page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Codes delivered.
    pub codes: u64,
    /// Codes dropped as fast repeats of the previous one.
    pub repeats_suppressed: u64,
    /// Scans rejected (every [`Event::Rejected`]).
    pub rejected: u64,
    /// Of those, half scans.
    pub half_scans: u64,
    /// Input the HID core skipped: key repeats and event types a keyboard does not send.
    pub ignored_events: u64,
    /// The last rejection, for the operator.
    pub last_rejection: Option<ScanError>,
}

/// AIM identifier length: `]`, symbology letter, modifier.
const AIM_LEN: usize = 3;

/// One scan being assembled; see the module docs.
#[derive(Debug)]
pub(crate) struct Framer {
    config: Config,
    buf: Vec<u8>,
    /// Something of this scan arrived (even if it was thrown away as too long or bad).
    started: bool,
    last_at: u64,
    /// The first problem seen in this scan; reported when the scan ends.
    fault: Option<ScanError>,
    /// Raw bytes a frame may hold before it is cut as too long.
    raw_limit: usize,
    /// The frame passed `raw_limit`: its bytes are dropped until it ends.
    overflow: bool,
    events: VecDeque<Event>,
    last_code: Option<(String, u64)>,
    stats: Stats,
}

impl Framer {
    pub(crate) fn new(config: Config) -> Self {
        let raw_limit = config
            .max_len
            .saturating_add(config.prefix.len())
            .saturating_add(config.suffix.len())
            .saturating_add(if config.aim == AimMode::Off { 0 } else { AIM_LEN });
        Framer {
            config,
            buf: Vec::new(),
            started: false,
            last_at: 0,
            fault: None,
            raw_limit,
            overflow: false,
            events: VecDeque::new(),
            last_code: None,
            stats: Stats::default(),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    pub(crate) fn count_ignored(&mut self) {
        self.stats.ignored_events = self.stats.ignored_events.saturating_add(1);
    }

    /// Whether part of a scan is waiting.
    pub(crate) fn in_scan(&self) -> bool {
        self.started
    }

    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Call before handling input that arrived at `now`: a scan left waiting longer than the
    /// inter-character timeout ends (or is cut off) first.
    pub(crate) fn check_pause(&mut self, now: u64) {
        if self.started && now >= self.deadline() {
            self.pause(now);
        }
    }

    fn deadline(&self) -> u64 {
        self.last_at.saturating_add(self.config.inter_char_timeout_ms)
    }

    /// The instant the current scan times out, if one is in progress.
    pub(crate) fn poll_timeout(&self) -> Option<u64> {
        self.started.then(|| self.deadline())
    }

    /// Runs the inter-character timer.
    pub(crate) fn handle_timeout(&mut self, now: u64) {
        self.check_pause(now);
    }

    /// One data byte.
    pub(crate) fn push(&mut self, now: u64, byte: u8) {
        self.started = true;
        self.last_at = now;
        if self.overflow {
            return;
        }
        self.buf.push(byte);
        if self.buf.len() > self.raw_limit {
            // Stop buffering (memory stays bounded on a stuck stream) but keep the first fault.
            self.buf = Vec::new();
            self.overflow = true;
            self.fault.get_or_insert(ScanError::TooLong { max: self.config.max_len });
        }
    }

    /// Takes back the last data byte (a CR that turned out to belong to a CR LF terminator).
    pub(crate) fn drop_last(&mut self) {
        self.buf.pop();
    }

    /// Several data bytes (one character).
    pub(crate) fn push_all(&mut self, now: u64, bytes: &[u8]) {
        for &b in bytes {
            self.push(now, b);
        }
    }

    /// Marks the current scan bad; the first fault is reported when the scan ends.
    pub(crate) fn poison(&mut self, now: u64, fault: ScanError) {
        self.started = true;
        self.last_at = now;
        self.fault.get_or_insert(fault);
    }

    /// Input that keeps a scan alive without adding data (a Shift press between characters).
    pub(crate) fn touch(&mut self, now: u64) {
        if self.started {
            self.last_at = now;
        }
    }

    /// The terminator arrived: check and deliver the scan. A terminator with nothing before it
    /// is ignored (scanners never send empty codes; a blank line is noise).
    pub(crate) fn end(&mut self, now: u64) {
        if !self.started {
            return;
        }
        let outcome = match self.fault.take() {
            Some(f) => Err(f),
            None => self.check(),
        };
        self.reset();
        self.deliver(now, outcome);
    }

    /// The inter-character timeout ran out.
    fn pause(&mut self, now: u64) {
        if self.config.terminator == Terminator::None {
            self.end(now);
        } else {
            self.cut_off(now);
        }
    }

    /// The stream ended (device gone) or the scan timed out before its terminator: whatever
    /// was received is rejected. Input that is already bad is reported for what it is; clean
    /// text that merely stopped is a half scan.
    pub(crate) fn cut_off(&mut self, now: u64) {
        if !self.started {
            return;
        }
        let len = self.buf.len();
        let reason = match self.fault.take() {
            Some(f) => f,
            None => match self.check() {
                Err(e @ (ScanError::ControlChar { .. } | ScanError::InvalidUtf8 { .. })) => e,
                _ => ScanError::HalfScan { len },
            },
        };
        self.reset();
        self.deliver(now, Err(reason));
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.started = false;
        self.overflow = false;
        self.fault = None;
    }

    /// Checks the buffered frame and returns the code it carries.
    fn check(&self) -> Result<ScannedCode, ScanError> {
        let mut data = self.buf.as_slice();
        let prefix = self.config.prefix.as_bytes();
        if !prefix.is_empty() {
            data = data.strip_prefix(prefix).ok_or(ScanError::MissingPrefix)?;
        }
        let suffix = self.config.suffix.as_bytes();
        if !suffix.is_empty() {
            data = data.strip_suffix(suffix).ok_or(ScanError::MissingSuffix)?;
        }
        let text = std::str::from_utf8(data).map_err(|e| ScanError::InvalidUtf8 { valid_up_to: e.valid_up_to() })?;
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        if let Some((offset, c)) = text.char_indices().find(|(_, c)| c.is_control()) {
            return Err(ScanError::ControlChar { code: u32::from(c), offset });
        }
        let (symbology, text) = match (self.config.aim, split_aim(text)) {
            (AimMode::Off, _) => (None, text),
            (_, Some((sym, rest))) => (Some(sym), rest),
            (AimMode::Strip, None) => (None, text),
            (AimMode::Require, None) => return Err(ScanError::MissingAim),
        };
        if text.trim().is_empty() {
            return Err(ScanError::Empty);
        }
        if text.len() > self.config.max_len {
            return Err(ScanError::TooLong { max: self.config.max_len });
        }
        Ok(ScannedCode { text: text.to_owned(), symbology })
    }

    fn deliver(&mut self, now: u64, outcome: Result<ScannedCode, ScanError>) {
        match outcome {
            Ok(code) => {
                let repeat = self.config.repeat_window_ms > 0
                    && self.last_code.as_ref().is_some_and(|(text, at)| {
                        *text == code.text && now.saturating_sub(*at) < self.config.repeat_window_ms
                    });
                // The window runs from the last sighting, so a receipt left under the scanner
                // (re-read every few hundred ms) stays one scan however long it stays.
                self.last_code = Some((code.text.clone(), now));
                if repeat {
                    self.stats.repeats_suppressed = self.stats.repeats_suppressed.saturating_add(1);
                } else {
                    self.stats.codes = self.stats.codes.saturating_add(1);
                    self.events.push_back(Event::Code(code));
                }
            }
            Err(e) => {
                self.stats.rejected = self.stats.rejected.saturating_add(1);
                if matches!(e, ScanError::HalfScan { .. }) {
                    self.stats.half_scans = self.stats.half_scans.saturating_add(1);
                }
                self.stats.last_rejection = Some(e.clone());
                self.events.push_back(Event::Rejected(e));
            }
        }
    }

    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}

/// Splits a leading AIM identifier off `text`: `]`, an ASCII letter, an ASCII alphanumeric
/// modifier. Returns the symbology's name and the rest.
pub fn split_aim(text: &str) -> Option<(String, &str)> {
    let b = text.as_bytes();
    match b {
        [b']', sym, modifier, ..] if sym.is_ascii_alphabetic() && modifier.is_ascii_alphanumeric() => {
            let rest = text.get(AIM_LEN..)?;
            Some((symbology_name(*sym).to_owned(), rest))
        }
        _ => None,
    }
}

/// The name of an AIM symbology letter (ISO/IEC 15424 table).
fn symbology_name(letter: u8) -> &'static str {
    match letter {
        b'Q' => "QR",
        b'd' => "DataMatrix",
        b'z' => "Aztec",
        b'L' => "PDF417",
        b'C' => "Code128",
        b'A' => "Code39",
        b'G' => "Code93",
        b'E' => "EAN/UPC",
        b'e' => "GS1 DataBar",
        b'I' => "ITF",
        b'F' => "Codabar",
        b'U' => "MaxiCode",
        b'X' => "Other",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framer(config: Config) -> Framer {
        Framer::new(config)
    }

    fn frame(f: &mut Framer, now: u64, bytes: &[u8]) {
        f.check_pause(now);
        f.push_all(now, bytes);
        f.end(now);
    }

    #[test]
    fn aim_identifier_is_split_only_when_well_formed() {
        assert_eq!(split_aim("]Q1abc"), Some(("QR".to_owned(), "abc")));
        assert_eq!(split_aim("]d2x"), Some(("DataMatrix".to_owned(), "x")));
        assert_eq!(split_aim("]]]x"), None);
        assert_eq!(split_aim("]Q"), None);
        assert_eq!(split_aim("]Qé"), None);
    }

    #[test]
    fn require_mode_rejects_codes_without_identifier() {
        let mut f = framer(Config { aim: AimMode::Require, ..Config::default() });
        frame(&mut f, 0, b"abc");
        assert_eq!(f.poll_event(), Some(Event::Rejected(ScanError::MissingAim)));
        frame(&mut f, 10, b"]Q1abc");
        assert_eq!(f.poll_event(), Some(Event::Code(ScannedCode { text: "abc".into(), symbology: Some("QR".into()) })));
    }

    #[test]
    fn off_mode_keeps_a_leading_bracket_as_data() {
        let mut f = framer(Config::default());
        frame(&mut f, 0, b"]Q1abc");
        assert_eq!(f.poll_event(), Some(Event::Code(ScannedCode { text: "]Q1abc".into(), symbology: None })));
    }

    #[test]
    fn repeat_window_runs_from_the_last_sighting() {
        let mut f = framer(Config { repeat_window_ms: 1_000, ..Config::default() });
        for t in [0, 600, 1_200, 1_800] {
            frame(&mut f, t, b"X");
        }
        assert!(matches!(f.poll_event(), Some(Event::Code(_))));
        assert_eq!(f.poll_event(), None);
        assert_eq!(f.stats().repeats_suppressed, 3);
        frame(&mut f, 2_900, b"X");
        assert!(matches!(f.poll_event(), Some(Event::Code(_))));
    }
}
