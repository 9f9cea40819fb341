//! Bounded fuzz entry points (house style §9): each takes arbitrary bytes, must never panic,
//! and checks the invariants of what it produced. The `fuzz/` crate and this crate's
//! `tests/fuzz.rs` call them.

use crate::payload::{self, PartialState, Payload};
use crate::proto::{Config, Event, HidCore, ScanCore, SerialCore, Terminator};

/// Feeds `data` (lossily decoded as UTF-8) to [`payload::classify`] and
/// [`payload::check_partial`], and checks that what they accept is well formed.
pub fn fuzz_payload(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_payload(&payload::classify(&text));
    match payload::check_partial(&text) {
        PartialState::Complete(code) => {
            assert_eq!(code.as_str().len(), payload::CODE_LEN);
            assert_eq!(payload::DossierCode::parse(code.as_str()).as_ref(), Ok(&code));
        }
        PartialState::Incomplete { len, .. } => assert!(len < payload::CODE_LEN),
        PartialState::Empty | PartialState::Invalid(_) => {}
    }
}

fn check_payload(p: &Payload) {
    if let Payload::Receipt { code, secret } = p {
        assert_eq!(code.as_str().len(), payload::CODE_LEN);
        assert!(secret.as_deref().is_none_or(payload::is_valid_secret));
        // A routed code always classifies to itself.
        assert!(matches!(payload::classify(code.as_str()), Payload::Receipt { .. }));
    }
    // Debug output never fails (and redacts; checked in the tests).
    let _ = format!("{p:?}");
}

/// The first bytes of fuzz input choose a configuration; the rest is cut into chunks that
/// arrive at increasing times.
fn config_from(selector: u8, max_len: u8) -> Config {
    let terminator = match selector % 5 {
        0 => Terminator::Cr,
        1 => Terminator::Lf,
        2 => Terminator::CrLf,
        3 => Terminator::Tab,
        _ => Terminator::None,
    };
    let mut c =
        Config { terminator, max_len: usize::from(max_len) + 1, inter_char_timeout_ms: 50, ..Config::default() };
    if selector & 0x08 != 0 {
        c.prefix = "\u{2}".into();
    }
    if selector & 0x10 != 0 {
        c.suffix = "\u{3}".into();
    }
    c.aim = match (selector >> 5) % 3 {
        0 => crate::proto::AimMode::Off,
        1 => crate::proto::AimMode::Strip,
        _ => crate::proto::AimMode::Require,
    };
    c
}

fn check_event(ev: &Event, max_len: usize) {
    if let Event::Code(code) = ev {
        assert!(!code.text.trim().is_empty());
        assert!(code.text.len() <= max_len);
        assert!(!code.text.chars().any(char::is_control));
    }
}

/// Runs `data` through [`SerialCore`] in chunks at varying times, with timeouts between.
pub fn fuzz_serial(data: &[u8]) {
    let [selector, max_len, rest @ ..] = data else { return };
    let config = config_from(*selector, *max_len);
    let max = config.max_len;
    let mut core = SerialCore::new(config);
    run_chunks(rest, &mut core);
    core.handle_disconnect(u64::MAX / 2);
    while let Some(ev) = core.poll_event() {
        check_event(&ev, max);
    }
}

/// Runs `data` through [`HidCore`] (as raw `input_event` bytes) in chunks at varying times.
pub fn fuzz_hid(data: &[u8]) {
    let [selector, max_len, rest @ ..] = data else { return };
    let mut config = config_from(*selector, *max_len);
    if selector & 0x80 != 0 {
        config.alt_codes = crate::proto::AltCodes::Windows1252;
    }
    let max = config.max_len;
    let mut core = HidCore::new(config);
    run_chunks(rest, &mut core);
    core.handle_disconnect(u64::MAX / 2);
    while let Some(ev) = core.poll_event() {
        check_event(&ev, max);
    }
}

/// Splits `data` into chunks whose lengths and time gaps come from the data itself.
fn run_chunks(mut data: &[u8], core: &mut impl ScanCore) {
    let mut now = 0u64;
    while let [len, gap, rest @ ..] = data {
        let n = usize::from(*len % 64).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        now = now.saturating_add(u64::from(*gap));
        core.feed(now, chunk);
        if gap % 3 == 0 {
            core.handle_timeout(now.saturating_add(u64::from(*gap)));
        }
        data = tail;
    }
}
