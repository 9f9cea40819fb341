//! The keypad's brain, sans-IO: key presses and host bytes in; frames, the screen, the LEDs
//! and the buzzer out. The firmware's main loop and the host tests drive it the same way.
//!
//! Implements: [`Keypad`], wrapping a keypad-role [`Link`] from `motcua-keypad-proto` (the
//! very protocol the host driver `drivers/keypad` speaks), plus what the firmware decides on
//! its own because it must work at once and without the host:
//!
//! - **Key presses.** Every debounced press of a known key goes to the host as
//!   `KeyPress { key_id, press_seq }`; `press_seq` counts every press, including ones dropped
//!   because the send queue was full, so the host sees the gap. The link retransmits a press
//!   until the host acknowledges it, across a pulled cable, and the host's link delivers it once.
//! - **Rating window.** `RatingWindow { open: true, window_id, .. }` shows the rating prompt
//!   with the labels and a countdown; the keypad closes it by itself at its timeout. The first
//!   rating key pressed in the window is sent, the window closes locally and the thank-you
//!   shows. Only one rating per window id: an open for a window this keypad already rated,
//!   closed or timed out (the host re-sends its open window after a reconnect) changes nothing.
//!   Rating keys outside a window are still sent (the host may use them, e.g. as PIN digits,
//!   and ignores them as ratings); the keypad just does not show the thank-you.
//! - **Host screen.** `Display { line, text }` sets one of [`LINES`] lines (others are ignored),
//!   `Leds` the key LEDs (the rating keys' LEDs are also lit while a window is open), `Buzzer`
//!   a pattern ([`crate::buzzer`]).
//! - **Link state.** Before the first handshake the start screen, after the host fell silent
//!   the link-lost screen (an open rating window keeps priority: the citizen can still rate, the
//!   press waits in the link), a host of another protocol major version the version screen.
//!   A host that restarted (new session) gets a blank slate: lines, LEDs and the window are
//!   dropped, the host re-sends what it wants shown.
//!
//! Nothing here panics on any input; time is milliseconds on any monotonic clock.
//! Does not implement: pins, USB, drawing ([`crate::draw`]), what the keys mean to the hub.

use motcua_keypad_proto::{DisplayText, Event, Link, LinkStats, MAX_WIRE_LEN, Message, ProtoVersion};

use crate::buzzer::Buzzer;
use crate::config::{Config, KeyRole};
use crate::screen::Screen;

/// Display lines the host can set (the 128x64 OLED shows four 16-px lines).
pub const LINES: usize = 4;

/// Application messages (key presses) the link holds while the host is away.
pub const SEND_QUEUE: usize = 16;

/// Where the keypad's link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// No host has answered since boot.
    Connecting,
    /// The host is talking.
    Connected,
    /// The host was connected and went silent.
    Lost,
    /// The host speaks another protocol major version.
    VersionMismatch(ProtoVersion),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    None,
    /// Accepting one rating until `deadline`.
    Open {
        id: u32,
        opened_at: u64,
        deadline: u64,
    },
    /// Rated with `key`; the thank-you shows until `until`.
    Thanks {
        key: u8,
        until: u64,
    },
}

/// Counters for tests and debugging.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeypadStats {
    /// Key presses queued to the host.
    pub presses_sent: u32,
    /// Key presses dropped because the send queue was full.
    pub presses_dropped: u32,
    /// Key ids this keypad does not have (ignored).
    pub unknown_keys: u32,
    /// Ratings accepted (one per window at most).
    pub ratings: u32,
    /// Rating windows opened.
    pub windows_opened: u32,
    /// Opens of a window already open or done (ignored).
    pub windows_repeated: u32,
    /// Display messages for a line beyond [`LINES`] and messages a host should not send.
    pub ignored_messages: u32,
    /// Our key presses the host acknowledged.
    pub delivered: u32,
    /// Our key presses the host never acknowledged (link gave up).
    pub delivery_failed: u32,
}

/// The keypad state machine; see the module docs.
#[derive(Debug, Clone)]
pub struct Keypad {
    config: Config,
    link: Link<SEND_QUEUE>,
    state: LinkState,
    host_session: Option<u32>,
    lines: [DisplayText; LINES],
    host_leds: u16,
    buzzer: Buzzer,
    window: Window,
    /// The last window rated, closed or timed out: re-sent opens of it are ignored.
    done_window: Option<u32>,
    press_seq: u16,
    stats: KeypadStats,
}

impl Keypad {
    /// A keypad that starts its handshake at the first [`Keypad::poll_transmit`].
    pub fn new(config: Config, now: u64) -> Self {
        Keypad {
            link: Link::new(config.link(), now),
            config,
            state: LinkState::Connecting,
            host_session: None,
            lines: [DisplayText::EMPTY; LINES],
            host_leds: 0,
            buzzer: Buzzer::OFF,
            window: Window::None,
            done_window: None,
            press_seq: 0,
            stats: KeypadStats::default(),
        }
    }

    /// Feeds bytes from the host; returns how many were used (feed the rest again).
    pub fn handle_input(&mut self, now: u64, data: &[u8]) -> usize {
        let used = self.link.handle_input(now, data);
        self.drain_events(now);
        used
    }

    /// Feeds all of `data` (loops over [`Keypad::handle_input`], which drains the link's events
    /// each time, so every call makes progress; the guard only keeps a future change from
    /// hanging the keypad).
    pub fn handle_all_input(&mut self, now: u64, mut data: &[u8]) {
        while !data.is_empty() {
            let used = self.handle_input(now, data);
            if used == 0 {
                break;
            }
            data = data.get(used..).unwrap_or_default();
        }
    }

    /// A debounced key went down.
    pub fn key_down(&mut self, now: u64, key_id: u8) {
        self.expire(now);
        let Some(role) = self.config.role(key_id) else {
            self.stats.unknown_keys = self.stats.unknown_keys.saturating_add(1);
            return;
        };
        let press_seq = self.press_seq;
        self.press_seq = self.press_seq.wrapping_add(1);
        let sent = self.link.send(Message::KeyPress { key_id, press_seq }).is_ok();
        if sent {
            self.stats.presses_sent = self.stats.presses_sent.saturating_add(1);
        } else {
            self.stats.presses_dropped = self.stats.presses_dropped.saturating_add(1);
        }
        if let (KeyRole::Rating(index), Window::Open { id, .. }, true) = (role, self.window, sent) {
            self.done_window = Some(id);
            self.window = Window::Thanks { key: index, until: now.saturating_add(self.config.thanks_ms) };
            self.stats.ratings = self.stats.ratings.saturating_add(1);
            if self.config.confirm_beep_ms > 0 {
                self.buzzer.start(now, 0, self.config.confirm_beep_ms);
            }
        }
    }

    /// Runs timers: the link's, the window timeout, the thank-you.
    pub fn handle_timeout(&mut self, now: u64) {
        self.link.handle_timeout(now);
        self.drain_events(now);
        self.expire(now);
    }

    /// The next frame to write to the host, if any (call until `None`).
    pub fn poll_transmit(&mut self, now: u64, buf: &mut [u8; MAX_WIRE_LEN]) -> Option<usize> {
        self.link.poll_transmit(now, buf)
    }

    /// When [`Keypad::handle_timeout`] should run next, if anything is pending (the screen's
    /// countdown ticks once a second while a window is open).
    pub fn poll_timeout(&self, now: u64) -> Option<u64> {
        let mut earliest = self.link.poll_timeout();
        let mut consider = |t: u64| earliest = Some(earliest.map_or(t, |e: u64| e.min(t)));
        match self.window {
            Window::None => {}
            Window::Open { opened_at, deadline, .. } => {
                let next_second = opened_at + (now.saturating_sub(opened_at) / 1000 + 1) * 1000;
                consider(next_second.min(deadline));
            }
            Window::Thanks { until, .. } => consider(until),
        }
        if let Some(t) = self.buzzer.next_change(now) {
            consider(t);
        }
        earliest
    }

    /// What the display shows at `now`.
    pub fn screen(&self, now: u64) -> Screen {
        match self.window {
            Window::Open { opened_at, deadline, .. } => {
                let remaining_s = u16::try_from(deadline.saturating_sub(now).div_ceil(1000)).unwrap_or(u16::MAX);
                let pages = self.config.labels.len().div_ceil(crate::screen::LABELS_PER_PAGE).max(1);
                let page = (now.saturating_sub(opened_at) / self.config.page_ms.max(1)) as usize % pages;
                return Screen::RatingPrompt { labels: self.config.labels, page, remaining_s };
            }
            Window::Thanks { key, .. } => return Screen::Thanks { label: self.config.label(key) },
            Window::None => {}
        }
        match self.state {
            LinkState::Connecting => {
                Screen::Connecting { version: crate::config::FIRMWARE_VERSION, keys: self.config.key_count() }
            }
            LinkState::Lost => Screen::LinkLost,
            LinkState::VersionMismatch(host) => Screen::VersionMismatch { host },
            LinkState::Connected => Screen::Host { lines: self.lines },
        }
    }

    /// Key LEDs at `now`: the host's mask, plus the rating keys while a window is open.
    pub fn leds(&self) -> u16 {
        match self.window {
            Window::Open { .. } => self.host_leds | ((1u16 << self.config.rating_keys()) - 1),
            _ => self.host_leds,
        }
    }

    /// Whether the buzzer sounds at `now`.
    pub fn buzzer_on(&self, now: u64) -> bool {
        self.buzzer.is_on(now)
    }

    /// The link state.
    pub fn link_state(&self) -> LinkState {
        self.state
    }

    /// The open rating window's id, if one is accepting a rating.
    pub fn open_window(&self) -> Option<u32> {
        match self.window {
            Window::Open { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The host's display lines.
    pub fn lines(&self) -> &[DisplayText; LINES] {
        &self.lines
    }

    /// Key presses not yet acknowledged by the host.
    pub fn unacknowledged(&self) -> usize {
        self.link.queued()
    }

    /// Counters.
    pub fn stats(&self) -> KeypadStats {
        self.stats
    }

    /// The link's counters.
    pub fn link_stats(&self) -> LinkStats {
        self.link.stats()
    }

    /// The build settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn expire(&mut self, now: u64) {
        match self.window {
            Window::Open { id, deadline, .. } if now >= deadline => {
                self.done_window = Some(id);
                self.window = Window::None;
            }
            Window::Thanks { until, .. } if now >= until => self.window = Window::None,
            _ => {}
        }
    }

    fn drain_events(&mut self, now: u64) {
        while let Some(event) = self.link.poll_event() {
            match event {
                Event::Connected(host) => {
                    if self.host_session.is_some_and(|s| s != host.session) {
                        // The host restarted: what it had us show is stale; it re-sends its state.
                        self.lines = [DisplayText::EMPTY; LINES];
                        self.host_leds = 0;
                        if let Window::Open { id, .. } = self.window {
                            self.done_window = Some(id);
                            self.window = Window::None;
                        }
                    }
                    self.host_session = Some(host.session);
                    self.state = LinkState::Connected;
                }
                Event::VersionMismatch(host) => self.state = LinkState::VersionMismatch(host.proto_version),
                Event::PeerSilent => {
                    if self.state == LinkState::Connected {
                        self.state = LinkState::Lost;
                    }
                }
                Event::Message(message) => self.apply(now, message),
                Event::Delivered { .. } => self.stats.delivered = self.stats.delivered.saturating_add(1),
                Event::Rejected { .. } | Event::DeliveryFailed { .. } => {
                    self.stats.delivery_failed = self.stats.delivery_failed.saturating_add(1);
                }
            }
        }
    }

    fn apply(&mut self, now: u64, message: Message) {
        match message {
            Message::Display { line, text } => match self.lines.get_mut(usize::from(line)) {
                Some(slot) => *slot = text,
                None => self.stats.ignored_messages = self.stats.ignored_messages.saturating_add(1),
            },
            Message::Leds { mask } => self.host_leds = mask,
            Message::Buzzer { pattern, duration_ms } => self.buzzer.start(now, pattern, duration_ms),
            Message::RatingWindow { open: true, window_id, timeout_s } => {
                self.expire(now);
                let current = match self.window {
                    Window::Open { id, .. } => Some(id),
                    _ => None,
                };
                if current == Some(window_id) || self.done_window == Some(window_id) {
                    self.stats.windows_repeated = self.stats.windows_repeated.saturating_add(1);
                    return;
                }
                if let Some(id) = current {
                    // A new window replaces one the citizen did not use.
                    self.done_window = Some(id);
                }
                let seconds = if timeout_s == 0 { self.config.default_window_s } else { timeout_s };
                let deadline = now.saturating_add(u64::from(seconds) * 1000);
                self.window = Window::Open { id: window_id, opened_at: now, deadline };
                self.stats.windows_opened = self.stats.windows_opened.saturating_add(1);
            }
            Message::RatingWindow { open: false, window_id, .. } => {
                if let Window::Open { id, .. } = self.window
                    && id == window_id
                {
                    self.done_window = Some(id);
                    self.window = Window::None;
                }
            }
            // Key presses and link-internal messages never come from a host.
            _ => self.stats.ignored_messages = self.stats.ignored_messages.saturating_add(1),
        }
    }
}
