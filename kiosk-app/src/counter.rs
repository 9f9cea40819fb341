//! The counter station: a rating keypad bound to one counter of the hub.
//!
//! Implements: [`Station`], which turns keypad presses into hub counter actions (next,
//! recall, skip, finish) and ratings, opens the keypad's rating window when the hub opens one,
//! and keeps the keypad's four display lines and key LEDs in step with the counter; the
//! [`CounterHub`] seam with in-process and LAN implementations; [`CounterKeypad`] for the
//! serial keypad driver.
//!
//! Exactly-once ratings are the hub's job (one rating per window, refused outside one); the
//! station only makes sure a press reaches the hub tagged with the window the keypad showed,
//! and that a press delivered twice (a keypad that restarted and resent its queue) does not
//! call two citizens.
//!
//! Does not implement: the counter screen (a later Slint mode), PIN entry on the keypad (the
//! officer signs in with `--officer` and a PIN from the environment).

use std::time::{Duration, Instant};

use motcua_device::keypad::{Key, KeyPress};
use motcua_hub::api::{CounterAction, CounterReply, Pin, RatingScale};
use motcua_keypad::{Clock as KeypadClock, Connect, KeypadDriver};

use crate::backend::BackendError;
use crate::hubclient::{LocalHub, RemoteHub};

/// What a counter asks of the hub.
pub trait CounterHub: Send {
    /// Perform `action` at `counter`.
    fn act(&self, counter: u32, action: CounterAction) -> Result<CounterReply, BackendError>;
    /// The rating scale (key labels, window length).
    fn rating_scale(&self) -> Result<RatingScale, BackendError>;
}

impl CounterHub for LocalHub {
    fn act(&self, counter: u32, action: CounterAction) -> Result<CounterReply, BackendError> {
        self.counter_action(counter, action)
    }
    fn rating_scale(&self) -> Result<RatingScale, BackendError> {
        Ok(self.hub().catalog().rating)
    }
}

impl CounterHub for RemoteHub {
    fn act(&self, counter: u32, action: CounterAction) -> Result<CounterReply, BackendError> {
        self.counter_action(counter, action)
    }
    fn rating_scale(&self) -> Result<RatingScale, BackendError> {
        use crate::backend::HubClient as _;
        Ok(self.catalog()?.rating)
    }
}

/// The keypad as the station drives it.
pub trait CounterKeypad {
    /// One turn of the keypad's link (read, timers, write). `Err` is a link problem; the
    /// keypad reconnects by itself.
    fn turn(&mut self) -> Result<(), String>;
    /// The next key press received.
    fn next_key(&mut self) -> Option<KeyPress>;
    /// Open the keypad's rating window.
    fn open_window(&mut self, window_id: u32, timeout_s: u16);
    /// Close it.
    fn close_window(&mut self);
    /// Replace the display lines.
    fn show(&mut self, lines: &[String]);
    /// Light key LEDs.
    fn leds(&mut self, mask: u16);
    /// Sound the buzzer.
    fn buzz(&mut self, pattern: u8, ms: u16);
    /// Bit mask of the rating keys' LEDs.
    fn rating_led_mask(&self) -> u16;
    /// Whether the keypad is talking.
    fn connected(&self) -> bool;
}

impl<C: Connect, K: KeypadClock> CounterKeypad for KeypadDriver<C, K> {
    fn turn(&mut self) -> Result<(), String> {
        self.poll().map_err(|e| e.to_string())
    }
    fn next_key(&mut self) -> Option<KeyPress> {
        self.try_key()
    }
    // The driver remembers what the keypad should show and sends it again on reconnect, so a
    // send that fails while the keypad is away is not lost: the errors below are only logged.
    fn open_window(&mut self, window_id: u32, timeout_s: u16) {
        if let Err(e) = self.open_rating_window(window_id, timeout_s) {
            tracing::debug!(error = %e, "keypad: rating window queued for reconnect");
        }
    }
    fn close_window(&mut self) {
        if let Err(e) = self.close_rating_window() {
            tracing::debug!(error = %e, "keypad: close queued for reconnect");
        }
    }
    fn show(&mut self, lines: &[String]) {
        if let Err(e) = KeypadDriver::show(self, lines) {
            tracing::debug!(error = %e, "keypad: lines queued for reconnect");
        }
    }
    fn leds(&mut self, mask: u16) {
        if let Err(e) = self.set_leds(mask) {
            tracing::debug!(error = %e, "keypad: LEDs queued for reconnect");
        }
    }
    fn buzz(&mut self, pattern: u8, ms: u16) {
        if let Err(e) = KeypadDriver::buzz(self, pattern, ms) {
            tracing::debug!(error = %e, "keypad: buzz dropped");
        }
    }
    fn rating_led_mask(&self) -> u16 {
        self.keymap().rating.iter().filter(|&&id| id < 16).fold(0u16, |m, &id| m | (1 << id))
    }
    fn connected(&self) -> bool {
        self.is_connected()
    }
}

/// A press repeated with the same sequence number within this time is the same press.
const REPEAT_WINDOW: Duration = Duration::from_secs(10);

/// How long the thank-you stays on the keypad.
const THANKS_FOR: Duration = Duration::from_secs(4);

/// What the station last did, for the terminal and the health page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StationEvent {
    /// A number was called (or recalled).
    Called(String),
    /// Nobody is waiting.
    NothingWaiting,
    /// A service finished; the rating window is open.
    WindowOpened {
        /// Window id.
        window_id: u32,
        /// Number rated.
        number: String,
    },
    /// The citizen's rating was recorded.
    Rated {
        /// Key pressed.
        key: u8,
    },
    /// A press the hub refused (e.g. a rating outside a window); nothing changed.
    Refused(String),
    /// The same press delivered again (or a PIN digit); nothing for the hub.
    Repeat,
    /// The officer signed in with the PIN typed on the keypad.
    SignedIn,
}

/// A keypad bound to one counter.
#[derive(Debug)]
pub struct Station<H, P> {
    counter: u32,
    hub: H,
    keypad: P,
    scale: RatingScale,
    current: Option<String>,
    waiting: u32,
    window: Option<(u32, Instant)>,
    thanks_until: Option<Instant>,
    last_press: Option<(KeyPress, Instant)>,
    last_reply: Option<CounterReply>,
    pin: Option<PinEntry>,
}

/// An officer typing their PIN on the keypad.
#[derive(Debug)]
struct PinEntry {
    officer: String,
    digits: String,
    failures: u32,
    locked_until: Option<Instant>,
}

/// Wrong PINs in a row before the keypad waits [`PIN_LOCKOUT`].
pub const PIN_TRIES: u32 = 3;

/// How long the keypad refuses PINs after [`PIN_TRIES`] wrong ones.
pub const PIN_LOCKOUT: Duration = Duration::from_secs(60);

impl<H: CounterHub, P: CounterKeypad> Station<H, P> {
    /// A station for `counter`; reads the rating scale from the hub.
    pub fn new(counter: u32, hub: H, keypad: P) -> Result<Self, BackendError> {
        let scale = hub.rating_scale()?;
        let mut s = Station {
            counter,
            hub,
            keypad,
            scale,
            current: None,
            waiting: 0,
            window: None,
            thanks_until: None,
            last_press: None,
            last_reply: None,
            pin: None,
        };
        s.show_idle();
        Ok(s)
    }

    /// Open the counter for `officer` (with the PIN when the office requires one).
    pub fn sign_in(&mut self, officer: Option<String>, pin: Option<String>) -> Result<(), BackendError> {
        let r = self.hub.act(self.counter, CounterAction::Open { officer_id: officer, pin: pin.map(Pin) })?;
        self.note(&r);
        self.show_idle();
        Ok(())
    }

    /// Sign `officer` in with a PIN typed on the keypad: key `n` types the digit `n` (rating keys
    /// first, then next, recall, skip), "finish" submits. Until then officer keys do nothing.
    pub fn begin_keypad_sign_in(&mut self, officer: &str) {
        self.pin =
            Some(PinEntry { officer: officer.to_owned(), digits: String::new(), failures: 0, locked_until: None });
        self.show_pin(None);
    }

    /// Whether the keypad is waiting for the officer's PIN.
    pub fn awaiting_pin(&self) -> bool {
        self.pin.is_some()
    }

    fn show_pin(&mut self, message: Option<&str>) {
        let Some(p) = &self.pin else { return };
        let lines = vec![
            "Đăng nhập".to_owned(),
            format!("Cán bộ: {}", p.officer),
            message.map_or_else(|| "Nhập mã PIN:".to_owned(), str::to_owned),
            "•".repeat(p.digits.chars().count()),
        ];
        self.keypad.show(&lines);
    }

    fn pin_key(&mut self, key: Key, now: Instant) -> StationEvent {
        let n = u8::try_from(self.scale.keys.len()).unwrap_or(5);
        let Some(p) = self.pin.as_mut() else { return StationEvent::Repeat };
        if p.locked_until.is_some_and(|t| now < t) {
            self.show_pin(Some("Thử lại sau 1 phút"));
            return StationEvent::Refused("PIN entry locked".into());
        }
        let digit = match key {
            Key::Rating(k) => Some(k),
            Key::Next => Some(n + 1),
            Key::Recall => Some(n + 2),
            Key::Skip => Some(n + 3),
            Key::Finish => None,
        };
        if let Some(d) = digit {
            if p.digits.len() < 8 {
                p.digits.push(char::from(b'0' + d.min(9)));
            }
            self.show_pin(None);
            return StationEvent::Repeat;
        }
        let (officer, pin) = (p.officer.clone(), std::mem::take(&mut p.digits));
        match self.hub.act(self.counter, CounterAction::Open { officer_id: Some(officer), pin: Some(Pin(pin)) }) {
            Ok(r) => {
                self.pin = None;
                self.note(&r);
                self.keypad.buzz(0, 100);
                self.show_idle();
                StationEvent::SignedIn
            }
            Err(e) => {
                if let Some(p) = self.pin.as_mut() {
                    p.failures += 1;
                    if p.failures >= PIN_TRIES {
                        p.failures = 0;
                        p.locked_until = Some(now + PIN_LOCKOUT);
                    }
                }
                self.keypad.buzz(1, 300);
                self.show_pin(Some("Sai mã PIN"));
                StationEvent::Refused(e.to_string())
            }
        }
    }

    /// The hub's reply to the last action it accepted (ticket, rating window), if any.
    pub fn last_reply(&self) -> Option<&CounterReply> {
        self.last_reply.as_ref()
    }

    /// The keypad.
    pub fn keypad(&self) -> &P {
        &self.keypad
    }

    /// The keypad, mutably (tests drive faults through it).
    pub fn keypad_mut(&mut self) -> &mut P {
        &mut self.keypad
    }

    /// One turn: drive the keypad link, handle every press received, expire the window.
    pub fn turn(&mut self, now: Instant) -> Vec<StationEvent> {
        if let Err(e) = self.keypad.turn() {
            tracing::debug!(error = %e, "keypad link");
        }
        let mut out = Vec::new();
        while let Some(k) = self.keypad.next_key() {
            out.push(self.press(k, now));
        }
        if self.window.is_some_and(|(_, until)| now >= until) {
            self.window = None;
            self.keypad.close_window();
            self.show_idle();
        }
        if self.thanks_until.is_some_and(|until| now >= until) {
            self.thanks_until = None;
            self.show_idle();
        }
        out
    }

    /// Handle one press.
    pub fn press(&mut self, k: KeyPress, now: Instant) -> StationEvent {
        if self.last_press.is_some_and(|(p, at)| p == k && now.duration_since(at) < REPEAT_WINDOW) {
            return StationEvent::Repeat;
        }
        self.last_press = Some((k, now));
        if self.pin.is_some() {
            return self.pin_key(k.key, now);
        }
        let action = match k.key {
            Key::Next => CounterAction::CallNext,
            Key::Recall => CounterAction::Recall,
            Key::Skip => CounterAction::Skip,
            Key::Finish => CounterAction::Finish,
            Key::Rating(key) => CounterAction::Rate { key, window_id: self.window.map(|(id, _)| id) },
        };
        match self.hub.act(self.counter, action) {
            Ok(r) => self.after(k.key, &r, now),
            Err(BackendError::Refused { code, message }) => {
                if code == "nothing_waiting" {
                    self.current = None;
                    self.show_idle();
                    return StationEvent::NothingWaiting;
                }
                if !matches!(k.key, Key::Rating(_)) {
                    self.keypad.buzz(1, 300);
                }
                StationEvent::Refused(format!("{code}: {message}"))
            }
            Err(e) => {
                self.keypad.buzz(1, 300);
                StationEvent::Refused(e.to_string())
            }
        }
    }

    fn after(&mut self, key: Key, r: &CounterReply, now: Instant) -> StationEvent {
        self.note(r);
        let window = r.rating.as_ref().filter(|w| w.open && w.rated_key.is_none());
        match key {
            Key::Rating(k) => {
                if r.rating.as_ref().and_then(|w| w.rated_key).is_some() && self.window.is_some() {
                    self.window = None;
                    self.keypad.close_window();
                    self.keypad.leds(0);
                    let label =
                        self.scale.keys.iter().find(|x| x.key == k).map(|x| x.label_vi.clone()).unwrap_or_default();
                    self.keypad.show(&["Cảm ơn ông/bà!".into(), "Đã ghi nhận:".into(), label]);
                    self.thanks_until = Some(now + THANKS_FOR);
                    return StationEvent::Rated { key: k };
                }
                StationEvent::Refused("rating already recorded".into())
            }
            _ => {
                // Finish, or Next while serving (which finishes first), opens a window.
                if let Some(w) = window.filter(|w| self.window.is_none_or(|(id, _)| id != w.window_id)) {
                    let secs = remaining_secs(&w.closes_at).unwrap_or(self.scale.window_secs);
                    self.window = Some((w.window_id, now + Duration::from_secs(u64::from(secs))));
                    self.keypad.open_window(w.window_id, u16::try_from(secs).unwrap_or(u16::MAX));
                    self.keypad.leds(self.keypad.rating_led_mask());
                    self.keypad.show(&self.rating_prompt(&w.number));
                    if key == Key::Finish {
                        return StationEvent::WindowOpened { window_id: w.window_id, number: w.number.clone() };
                    }
                } else {
                    self.show_idle();
                }
                match (&self.current, key) {
                    (Some(n), Key::Next | Key::Recall) => StationEvent::Called(n.clone()),
                    (_, Key::Finish) => StationEvent::Refused("no rating window (ratings off)".into()),
                    _ => StationEvent::Called(String::new()),
                }
            }
        }
    }

    fn note(&mut self, r: &CounterReply) {
        self.last_reply = Some(r.clone());
        self.waiting = r.waiting;
        self.current = r
            .ticket
            .as_ref()
            .filter(|t| {
                matches!(t.status, motcua_hub::api::TicketStatus::Called | motcua_hub::api::TicketStatus::Serving)
            })
            .map(|t| t.number.clone());
    }

    /// The keypad shows four lines of 16 characters, the first as a title bar.
    fn rating_prompt(&self, number: &str) -> Vec<String> {
        let mut lines = vec![format!("Đánh giá {number}")];
        let keys = &self.scale.keys;
        if keys.len() <= 3 {
            lines.extend(keys.iter().map(|k| format!("{} {}", k.key, k.label_vi)));
        } else if let (Some(first), Some(last)) = (keys.first(), keys.last()) {
            lines.push(format!("{} {}", first.key, first.label_vi));
            lines.push("…".into());
            lines.push(format!("{} {}", last.key, last.label_vi));
        }
        lines
    }

    fn show_idle(&mut self) {
        if self.window.is_some() || self.thanks_until.is_some() || self.pin.is_some() {
            return;
        }
        let serving = match &self.current {
            Some(n) => format!("Phục vụ: {n}"),
            None => "Chưa gọi số".to_owned(),
        };
        let lines = vec![format!("Quầy {}", self.counter), serving, format!("Đang chờ: {}", self.waiting)];
        self.keypad.show(&lines);
    }
}

/// Seconds from now until an RFC 3339 instant (0 when past), `None` when unparsable.
fn remaining_secs(rfc3339: &str) -> Option<u32> {
    let until: jiff::Timestamp = rfc3339.parse().ok()?;
    let left = (until - jiff::Timestamp::now()).get_seconds();
    Some(u32::try_from(left.max(0)).unwrap_or(u32::MAX))
}
