//! The HID keyboard-wedge core: Linux `input_event` records in, codes out.
//!
//! Implements: decoding of raw evdev records ([`InputEvent`], the 24-byte `struct input_event`
//! of 64-bit Linux: `timeval` seconds and microseconds as i64, then type u16, code u16, value
//! i32, native byte order), key presses to text on a US layout with Shift and Caps Lock, the
//! keypad, Ctrl+letter control characters (rejected as garbage unless they are the configured
//! prefix or suffix), Enter / Tab terminators, and the Alt+numpad decimal mode that 2D scanners
//! use to type non-ASCII (Vietnamese) text: Alt held, keypad digits, Alt released → that
//! character ([`AltCodes`] chooses how the number is read). Key repeats (value 2) are skipped;
//! keys a scanner does not type reject the scan as [`ScanError::UnknownKey`]. Framing, half
//! scans, garbage and repeats are the shared rules of [`super::frame`].
//!
//! Time: the caller passes the millisecond time the records were read. The records' own
//! timestamps are not used, since they come from the kernel's clock (realtime by default),
//! not the caller's.
//!
//! Does not implement: other keyboard layouts (scanners must be set to US), Num Lock off (the
//! keypad always types digits), 32-bit `time_t` records (16 bytes; armhf userland), the
//! OEM code-page (437) Alt form, dead keys.

use super::frame::{AltCodes, Config, Event, Framer, Stats, Terminator};
use crate::error::ScanError;

/// Size of one `struct input_event` on 64-bit Linux.
pub const INPUT_EVENT_SIZE: usize = 24;

/// Event types and codes from `linux/input-event-codes.h` that the core and the twin use.
pub mod codes {
    #![allow(missing_docs)]
    pub const EV_SYN: u16 = 0x00;
    pub const EV_KEY: u16 = 0x01;
    pub const EV_REL: u16 = 0x02;
    pub const EV_MSC: u16 = 0x04;
    pub const EV_LED: u16 = 0x11;
    pub const EV_REP: u16 = 0x14;
    pub const SYN_REPORT: u16 = 0;
    pub const MSC_SCAN: u16 = 4;

    pub const KEY_ESC: u16 = 1;
    pub const KEY_1: u16 = 2;
    pub const KEY_0: u16 = 11;
    pub const KEY_MINUS: u16 = 12;
    pub const KEY_EQUAL: u16 = 13;
    pub const KEY_BACKSPACE: u16 = 14;
    pub const KEY_TAB: u16 = 15;
    pub const KEY_Q: u16 = 16;
    pub const KEY_LEFTBRACE: u16 = 26;
    pub const KEY_RIGHTBRACE: u16 = 27;
    pub const KEY_ENTER: u16 = 28;
    pub const KEY_LEFTCTRL: u16 = 29;
    pub const KEY_A: u16 = 30;
    pub const KEY_SEMICOLON: u16 = 39;
    pub const KEY_APOSTROPHE: u16 = 40;
    pub const KEY_GRAVE: u16 = 41;
    pub const KEY_LEFTSHIFT: u16 = 42;
    pub const KEY_BACKSLASH: u16 = 43;
    pub const KEY_Z: u16 = 44;
    pub const KEY_COMMA: u16 = 51;
    pub const KEY_DOT: u16 = 52;
    pub const KEY_SLASH: u16 = 53;
    pub const KEY_RIGHTSHIFT: u16 = 54;
    pub const KEY_KPASTERISK: u16 = 55;
    pub const KEY_LEFTALT: u16 = 56;
    pub const KEY_SPACE: u16 = 57;
    pub const KEY_CAPSLOCK: u16 = 58;
    pub const KEY_F1: u16 = 59;
    pub const KEY_NUMLOCK: u16 = 69;
    pub const KEY_SCROLLLOCK: u16 = 70;
    pub const KEY_KP7: u16 = 71;
    pub const KEY_KP8: u16 = 72;
    pub const KEY_KP9: u16 = 73;
    pub const KEY_KPMINUS: u16 = 74;
    pub const KEY_KP4: u16 = 75;
    pub const KEY_KP5: u16 = 76;
    pub const KEY_KP6: u16 = 77;
    pub const KEY_KPPLUS: u16 = 78;
    pub const KEY_KP1: u16 = 79;
    pub const KEY_KP2: u16 = 80;
    pub const KEY_KP3: u16 = 81;
    pub const KEY_KP0: u16 = 82;
    pub const KEY_KPDOT: u16 = 83;
    pub const KEY_KPENTER: u16 = 96;
    pub const KEY_RIGHTCTRL: u16 = 97;
    pub const KEY_KPSLASH: u16 = 98;
    pub const KEY_RIGHTALT: u16 = 100;
    pub const KEY_KPEQUAL: u16 = 117;
    pub const KEY_LEFTMETA: u16 = 125;
    pub const KEY_RIGHTMETA: u16 = 126;
}

use codes::*;

/// One `struct input_event` (64-bit layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InputEvent {
    /// `time.tv_sec`.
    pub sec: i64,
    /// `time.tv_usec`.
    pub usec: i64,
    /// `type` (`EV_KEY`, `EV_SYN`...).
    pub kind: u16,
    /// `code` (`KEY_A`...).
    pub code: u16,
    /// `value` (for keys: 0 release, 1 press, 2 auto-repeat).
    pub value: i32,
}

impl InputEvent {
    /// An event at time zero.
    pub fn new(kind: u16, code: u16, value: i32) -> Self {
        InputEvent { sec: 0, usec: 0, kind, code, value }
    }

    /// The kernel's byte layout (native byte order).
    pub fn to_bytes(&self) -> [u8; INPUT_EVENT_SIZE] {
        let mut out = [0u8; INPUT_EVENT_SIZE];
        let parts: [&[u8]; 5] = [
            &self.sec.to_ne_bytes(),
            &self.usec.to_ne_bytes(),
            &self.kind.to_ne_bytes(),
            &self.code.to_ne_bytes(),
            &self.value.to_ne_bytes(),
        ];
        let mut at = 0;
        for p in parts {
            if let Some(dst) = out.get_mut(at..at + p.len()) {
                dst.copy_from_slice(p);
            }
            at += p.len();
        }
        out
    }

    /// Decodes one record.
    pub fn from_bytes(b: &[u8; INPUT_EVENT_SIZE]) -> Self {
        let (sec, rest) = b.split_first_chunk::<8>().map_or(([0; 8], &[][..]), |(a, r)| (*a, r));
        let (usec, rest) = rest.split_first_chunk::<8>().map_or(([0; 8], &[][..]), |(a, r)| (*a, r));
        let (kind, rest) = rest.split_first_chunk::<2>().map_or(([0; 2], &[][..]), |(a, r)| (*a, r));
        let (code, rest) = rest.split_first_chunk::<2>().map_or(([0; 2], &[][..]), |(a, r)| (*a, r));
        let value = rest.first_chunk::<4>().copied().unwrap_or_default();
        InputEvent {
            sec: i64::from_ne_bytes(sec),
            usec: i64::from_ne_bytes(usec),
            kind: u16::from_ne_bytes(kind),
            code: u16::from_ne_bytes(code),
            value: i32::from_ne_bytes(value),
        }
    }
}

/// Alt+numpad digits typed so far.
#[derive(Debug, Clone, Copy, Default)]
struct AltSeq {
    value: u32,
    digits: u8,
    leading_zero: bool,
}

/// Longest Alt+numpad sequence read (U+10FFFF is 7 decimal digits).
const MAX_ALT_DIGITS: u8 = 7;

/// The HID keyboard-wedge core; see the module docs.
#[derive(Debug)]
pub struct HidCore {
    framer: Framer,
    /// Bytes of a record split across reads.
    partial: Vec<u8>,
    shift: u8,
    ctrl: u8,
    alt: u8,
    meta: u8,
    caps: bool,
    alt_seq: AltSeq,
}

const LEFT: u8 = 1;
const RIGHT: u8 = 2;

impl HidCore {
    /// A core for a scanner set up as `config` says. [`Terminator::Cr`], [`Terminator::Lf`]
    /// and [`Terminator::CrLf`] all mean the Enter key (main or keypad).
    pub fn new(config: Config) -> Self {
        HidCore {
            framer: Framer::new(config),
            partial: Vec::with_capacity(INPUT_EVENT_SIZE),
            shift: 0,
            ctrl: 0,
            alt: 0,
            meta: 0,
            caps: false,
            alt_seq: AltSeq::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.framer.config()
    }

    /// Raw bytes read from the event device at `now` (ms). Records may be split across calls.
    pub fn feed(&mut self, now: u64, mut bytes: &[u8]) {
        if !self.partial.is_empty() {
            let want = INPUT_EVENT_SIZE.saturating_sub(self.partial.len());
            let (head, rest) = bytes.split_at(want.min(bytes.len()));
            self.partial.extend_from_slice(head);
            bytes = rest;
            if let Ok(record) = <[u8; INPUT_EVENT_SIZE]>::try_from(self.partial.as_slice()) {
                self.partial.clear();
                self.handle_event(now, InputEvent::from_bytes(&record));
            }
        }
        let mut chunks = bytes.chunks_exact(INPUT_EVENT_SIZE);
        for chunk in chunks.by_ref() {
            if let Ok(record) = <&[u8; INPUT_EVENT_SIZE]>::try_from(chunk) {
                self.handle_event(now, InputEvent::from_bytes(record));
            }
        }
        self.partial.extend_from_slice(chunks.remainder());
    }

    /// One decoded event that arrived at `now` (ms).
    pub fn handle_event(&mut self, now: u64, ev: InputEvent) {
        self.framer.check_pause(now);
        match ev.kind {
            // Report boundaries, scancodes, LED and autorepeat settings carry no text.
            EV_SYN | EV_MSC | EV_LED | EV_REP => {}
            EV_KEY => match ev.value {
                1 => {
                    self.framer.touch(now);
                    self.press(now, ev.code);
                }
                0 => {
                    self.framer.touch(now);
                    self.release(now, ev.code);
                }
                // 2 is auto-repeat: a scanner never holds a key; other values are nonsense.
                _ => self.framer.count_ignored(),
            },
            // Mouse movement or the like from a combined receiver: not part of any scan.
            _ => self.framer.count_ignored(),
        }
    }

    fn press(&mut self, now: u64, code: u16) {
        match code {
            KEY_LEFTSHIFT => self.shift |= LEFT,
            KEY_RIGHTSHIFT => self.shift |= RIGHT,
            KEY_LEFTCTRL => self.ctrl |= LEFT,
            KEY_RIGHTCTRL => self.ctrl |= RIGHT,
            KEY_LEFTALT => self.alt |= LEFT,
            KEY_RIGHTALT => self.alt |= RIGHT,
            KEY_LEFTMETA => self.meta |= LEFT,
            KEY_RIGHTMETA => self.meta |= RIGHT,
            KEY_CAPSLOCK => self.caps = !self.caps,
            KEY_NUMLOCK | KEY_SCROLLLOCK => {}
            _ if self.alt != 0 => match keypad_digit(code) {
                Some(d) => self.alt_digit(now, d),
                None => self.framer.poison(now, ScanError::UnknownKey { code }),
            },
            _ if self.meta != 0 => self.framer.poison(now, ScanError::UnknownKey { code }),
            _ if self.ctrl != 0 => match letter(code) {
                // Ctrl+A..Ctrl+Z type C0 controls (STX/ETX prefixes and suffixes).
                Some(l) => self.framer.push(now, l.to_ascii_uppercase() & 0x1F),
                None => self.framer.poison(now, ScanError::UnknownKey { code }),
            },
            KEY_ENTER | KEY_KPENTER => match self.framer.config().terminator {
                Terminator::Cr | Terminator::Lf | Terminator::CrLf => self.framer.end(now),
                Terminator::Tab | Terminator::None => self.framer.push(now, b'\r'),
            },
            KEY_TAB => match self.framer.config().terminator {
                Terminator::Tab => self.framer.end(now),
                _ => self.framer.push(now, b'\t'),
            },
            KEY_ESC => self.framer.push(now, 0x1B),
            KEY_BACKSPACE => self.framer.push(now, 0x08),
            _ => match self.char_for(code) {
                Some(c) => {
                    let mut buf = [0u8; 4];
                    self.framer.push_all(now, c.encode_utf8(&mut buf).as_bytes());
                }
                None => self.framer.poison(now, ScanError::UnknownKey { code }),
            },
        }
    }

    fn release(&mut self, now: u64, code: u16) {
        match code {
            KEY_LEFTSHIFT => self.shift &= !LEFT,
            KEY_RIGHTSHIFT => self.shift &= !RIGHT,
            KEY_LEFTCTRL => self.ctrl &= !LEFT,
            KEY_RIGHTCTRL => self.ctrl &= !RIGHT,
            KEY_LEFTMETA => self.meta &= !LEFT,
            KEY_RIGHTMETA => self.meta &= !RIGHT,
            KEY_LEFTALT | KEY_RIGHTALT => {
                self.alt &= if code == KEY_LEFTALT { !LEFT } else { !RIGHT };
                if self.alt == 0 {
                    self.finish_alt(now);
                }
            }
            _ => {}
        }
    }

    fn alt_digit(&mut self, now: u64, d: u32) {
        let seq = &mut self.alt_seq;
        if seq.digits == 0 && d == 0 {
            seq.leading_zero = true;
        }
        seq.digits = seq.digits.saturating_add(1);
        seq.value = seq.value.saturating_mul(10).saturating_add(d);
        if seq.digits > MAX_ALT_DIGITS {
            // Keep counting so the sequence stays bad until Alt is released.
            self.framer.poison(now, ScanError::BadAltCode);
        }
    }

    fn finish_alt(&mut self, now: u64) {
        let seq = std::mem::take(&mut self.alt_seq);
        if seq.digits == 0 {
            return;
        }
        if seq.digits > MAX_ALT_DIGITS {
            return; // already reported
        }
        let value = match self.framer.config().alt_codes {
            AltCodes::Windows1252 if seq.leading_zero && seq.value <= 0xFF => cp1252(seq.value),
            _ => Some(seq.value),
        };
        match value.and_then(char::from_u32).filter(|&c| c != '\0') {
            Some(c) => {
                let mut buf = [0u8; 4];
                self.framer.push_all(now, c.encode_utf8(&mut buf).as_bytes());
            }
            None => self.framer.poison(now, ScanError::BadAltCode),
        }
    }

    /// The character `code` types on a US layout with the current Shift and Caps Lock.
    fn char_for(&self, code: u16) -> Option<char> {
        let shifted = self.shift != 0;
        if let Some(l) = letter(code) {
            let upper = shifted != self.caps;
            return Some(char::from(if upper { l.to_ascii_uppercase() } else { l }));
        }
        if let Some(d) = keypad_digit(code) {
            return char::from_digit(d, 10);
        }
        let (plain, shift) = match code {
            KEY_1..=KEY_0 => {
                let i = usize::from(code - KEY_1);
                (*b"1234567890".get(i)?, *b"!@#$%^&*()".get(i)?)
            }
            KEY_MINUS => (b'-', b'_'),
            KEY_EQUAL => (b'=', b'+'),
            KEY_LEFTBRACE => (b'[', b'{'),
            KEY_RIGHTBRACE => (b']', b'}'),
            KEY_SEMICOLON => (b';', b':'),
            KEY_APOSTROPHE => (b'\'', b'"'),
            KEY_GRAVE => (b'`', b'~'),
            KEY_BACKSLASH => (b'\\', b'|'),
            KEY_COMMA => (b',', b'<'),
            KEY_DOT => (b'.', b'>'),
            KEY_SLASH => (b'/', b'?'),
            KEY_SPACE => (b' ', b' '),
            KEY_KPASTERISK => (b'*', b'*'),
            KEY_KPMINUS => (b'-', b'-'),
            KEY_KPPLUS => (b'+', b'+'),
            KEY_KPDOT => (b'.', b'.'),
            KEY_KPSLASH => (b'/', b'/'),
            KEY_KPEQUAL => (b'=', b'='),
            _ => return None,
        };
        Some(char::from(if shifted { shift } else { plain }))
    }

    /// Runs the inter-key timer at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        self.framer.handle_timeout(now);
    }

    /// When [`handle_timeout`](Self::handle_timeout) must run next if nothing arrives.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.framer.poll_timeout()
    }

    /// The device went away: a scan in progress is a half scan, a split record is dropped, and
    /// keys held down are forgotten (their releases will never come).
    pub fn handle_disconnect(&mut self, now: u64) {
        self.partial.clear();
        self.shift = 0;
        self.ctrl = 0;
        self.alt = 0;
        self.meta = 0;
        self.alt_seq = AltSeq::default();
        self.framer.cut_off(now);
    }

    /// The next code or rejection, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.framer.poll_event()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        self.framer.stats()
    }
}

/// The lowercase letter of a letter key.
pub(crate) fn letter(code: u16) -> Option<u8> {
    let row = |start: u16, keys: &[u8]| code.checked_sub(start).and_then(|i| keys.get(usize::from(i)).copied());
    row(KEY_Q, b"qwertyuiop").or_else(|| row(KEY_A, b"asdfghjkl")).or_else(|| row(KEY_Z, b"zxcvbnm"))
}

/// The digit of a keypad digit key.
pub(crate) fn keypad_digit(code: u16) -> Option<u32> {
    Some(match code {
        KEY_KP0 => 0,
        KEY_KP1 => 1,
        KEY_KP2 => 2,
        KEY_KP3 => 3,
        KEY_KP4 => 4,
        KEY_KP5 => 5,
        KEY_KP6 => 6,
        KEY_KP7 => 7,
        KEY_KP8 => 8,
        KEY_KP9 => 9,
        _ => return None,
    })
}

/// The keypad key (`KEY_KP0`...`KEY_KP9`) that types digit `d` (for Alt+numpad sequences).
pub fn keypad_key(d: u32) -> Option<u16> {
    [KEY_KP0, KEY_KP1, KEY_KP2, KEY_KP3, KEY_KP4, KEY_KP5, KEY_KP6, KEY_KP7, KEY_KP8, KEY_KP9]
        .get(usize::try_from(d).ok()?)
        .copied()
}

/// Windows-1252 to Unicode for one byte; `None` for its five unassigned bytes.
fn cp1252(b: u32) -> Option<u32> {
    const HIGH: [u32; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D,
        0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,
        0x017E, 0x0178,
    ];
    match b {
        0x80..=0x9F => HIGH.get(usize::try_from(b - 0x80).ok()?).copied().filter(|&c| c != 0),
        _ => Some(b),
    }
}

#[cfg(test)]
mod tests {
    use motcua_device::scanner::ScannedCode;

    use super::*;

    fn key(core: &mut HidCore, now: u64, code: u16, value: i32) {
        core.handle_event(now, InputEvent::new(EV_KEY, code, value));
    }

    fn tap(core: &mut HidCore, now: u64, code: u16) {
        key(core, now, code, 1);
        key(core, now, code, 0);
    }

    fn alt_code(core: &mut HidCore, now: u64, digits: &str) {
        key(core, now, KEY_LEFTALT, 1);
        for d in digits.chars().filter_map(|c| c.to_digit(10)) {
            tap(core, now, keypad_key(d).unwrap_or(0));
        }
        key(core, now, KEY_LEFTALT, 0);
    }

    fn code(text: &str) -> Option<Event> {
        Some(Event::Code(ScannedCode { text: text.to_owned(), symbology: None }))
    }

    #[test]
    fn record_layout_round_trips_and_matches_the_kernel_struct() {
        let ev = InputEvent { sec: 1_700_000_000, usec: 123_456, kind: EV_KEY, code: KEY_A, value: 1 };
        let b = ev.to_bytes();
        assert_eq!(&b[16..18], &EV_KEY.to_ne_bytes());
        assert_eq!(&b[18..20], &KEY_A.to_ne_bytes());
        assert_eq!(&b[20..24], &1i32.to_ne_bytes());
        assert_eq!(InputEvent::from_bytes(&b), ev);
    }

    #[test]
    fn shift_and_caps_lock_give_the_right_case() {
        let mut c = HidCore::new(Config::default());
        key(&mut c, 0, KEY_LEFTSHIFT, 1);
        tap(&mut c, 0, KEY_A);
        tap(&mut c, 0, KEY_1);
        key(&mut c, 0, KEY_LEFTSHIFT, 0);
        tap(&mut c, 0, KEY_A);
        tap(&mut c, 0, KEY_CAPSLOCK);
        tap(&mut c, 0, KEY_A);
        key(&mut c, 0, KEY_RIGHTSHIFT, 1);
        tap(&mut c, 0, KEY_A);
        tap(&mut c, 0, KEY_SLASH);
        key(&mut c, 0, KEY_RIGHTSHIFT, 0);
        tap(&mut c, 0, KEY_KP7);
        tap(&mut c, 0, KEY_ENTER);
        assert_eq!(c.poll_event(), code("A!aAa?7"));
    }

    #[test]
    fn alt_numpad_types_vietnamese_in_both_forms() {
        let mut c = HidCore::new(Config::default());
        // "Hồ sơ": ồ = U+1ED3 = 7891, ơ = U+01A1 = 417; à with a leading zero = 0224.
        key(&mut c, 0, KEY_LEFTSHIFT, 1);
        tap(&mut c, 0, KEY_Q + 5); // the sixth key of the top row: 'y'
        key(&mut c, 0, KEY_LEFTSHIFT, 0);
        alt_code(&mut c, 0, "7891");
        alt_code(&mut c, 0, "417");
        alt_code(&mut c, 0, "0224");
        tap(&mut c, 0, KEY_ENTER);
        assert_eq!(c.poll_event(), code("Yồơà"));
    }

    #[test]
    fn windows_mode_reads_leading_zero_codes_as_cp1252() {
        let mut c = HidCore::new(Config { alt_codes: AltCodes::Windows1252, ..Config::default() });
        alt_code(&mut c, 0, "0128");
        alt_code(&mut c, 0, "128");
        tap(&mut c, 0, KEY_ENTER);
        // U+0080 typed without a leading zero is a C1 control: rejected.
        assert_eq!(c.poll_event(), Some(Event::Rejected(ScanError::ControlChar { code: 0x80, offset: 3 })));
        alt_code(&mut c, 0, "0128");
        tap(&mut c, 0, KEY_ENTER);
        assert_eq!(c.poll_event(), code("€"));
    }

    #[test]
    fn bad_alt_codes_and_unknown_keys_reject_the_scan() {
        let mut c = HidCore::new(Config { repeat_window_ms: 0, ..Config::default() });
        alt_code(&mut c, 0, "55296"); // a surrogate
        tap(&mut c, 0, KEY_ENTER);
        alt_code(&mut c, 1, "99999999");
        tap(&mut c, 1, KEY_ENTER);
        tap(&mut c, 2, KEY_A);
        tap(&mut c, 2, KEY_F1);
        tap(&mut c, 2, KEY_ENTER);
        key(&mut c, 3, KEY_LEFTALT, 1);
        tap(&mut c, 3, KEY_A);
        key(&mut c, 3, KEY_LEFTALT, 0);
        tap(&mut c, 3, KEY_ENTER);
        let ev: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
        assert_eq!(
            ev,
            [
                Event::Rejected(ScanError::BadAltCode),
                Event::Rejected(ScanError::BadAltCode),
                Event::Rejected(ScanError::UnknownKey { code: KEY_F1 }),
                Event::Rejected(ScanError::UnknownKey { code: KEY_A }),
            ]
        );
    }

    #[test]
    fn repeats_sync_and_msc_are_ignored_and_records_may_be_split() {
        let mut c = HidCore::new(Config::default());
        let mut bytes = Vec::new();
        for ev in [
            InputEvent::new(EV_MSC, MSC_SCAN, 0x70004),
            InputEvent::new(EV_KEY, KEY_A, 1),
            InputEvent::new(EV_SYN, SYN_REPORT, 0),
            InputEvent::new(EV_KEY, KEY_A, 2),
            InputEvent::new(EV_KEY, KEY_A, 0),
            InputEvent::new(EV_KEY, KEY_ENTER, 1),
        ] {
            bytes.extend_from_slice(&ev.to_bytes());
        }
        for chunk in bytes.chunks(7) {
            c.feed(0, chunk);
        }
        assert_eq!(c.poll_event(), code("a"));
        assert_eq!(c.stats().ignored_events, 1);
    }

    #[test]
    fn tab_terminator_and_ctrl_prefix() {
        let config = Config { terminator: Terminator::Tab, prefix: "\u{2}".into(), ..Config::default() };
        let mut c = HidCore::new(config);
        key(&mut c, 0, KEY_LEFTCTRL, 1);
        tap(&mut c, 0, KEY_A + 4); // 'g'
        key(&mut c, 0, KEY_LEFTCTRL, 0);
        tap(&mut c, 0, KEY_Z);
        tap(&mut c, 0, KEY_ENTER);
        tap(&mut c, 0, KEY_TAB);
        // Ctrl+G is BEL, not STX: the prefix is missing.
        assert_eq!(c.poll_event(), Some(Event::Rejected(ScanError::MissingPrefix)));
        key(&mut c, 10, KEY_LEFTCTRL, 1);
        tap(&mut c, 10, KEY_Z + 4); // 'b'
        key(&mut c, 10, KEY_LEFTCTRL, 0);
        tap(&mut c, 10, KEY_Z);
        tap(&mut c, 10, KEY_TAB);
        assert_eq!(c.poll_event(), code("z"));
    }

    #[test]
    fn half_scan_on_inter_key_pause_and_on_disconnect() {
        let mut c = HidCore::new(Config { inter_char_timeout_ms: 100, ..Config::default() });
        tap(&mut c, 0, KEY_A);
        key(&mut c, 50, KEY_LEFTSHIFT, 1); // keeps the scan alive
        c.handle_timeout(120);
        assert_eq!(c.poll_event(), None);
        c.handle_timeout(150);
        assert_eq!(c.poll_event(), Some(Event::Rejected(ScanError::HalfScan { len: 1 })));
        key(&mut c, 200, KEY_LEFTSHIFT, 0);
        tap(&mut c, 200, KEY_B_FOR_TEST);
        c.handle_disconnect(201);
        assert_eq!(c.poll_event(), Some(Event::Rejected(ScanError::HalfScan { len: 1 })));
    }

    const KEY_B_FOR_TEST: u16 = KEY_Z + 4;

    #[test]
    fn first_fault_is_kept_when_the_scan_then_overflows() {
        let mut c = HidCore::new(Config { max_len: 4, ..Config::default() });
        tap(&mut c, 0, KEY_F1);
        for _ in 0..20 {
            tap(&mut c, 0, KEY_A);
        }
        tap(&mut c, 0, KEY_ENTER);
        assert_eq!(c.poll_event(), Some(Event::Rejected(ScanError::UnknownKey { code: KEY_F1 })));
        for _ in 0..20 {
            tap(&mut c, 1, KEY_A);
        }
        tap(&mut c, 1, KEY_ENTER);
        assert_eq!(c.poll_event(), Some(Event::Rejected(ScanError::TooLong { max: 4 })));
        tap(&mut c, 2, KEY_A);
        tap(&mut c, 2, KEY_ENTER);
        assert_eq!(c.poll_event(), code("a"));
    }
}
