//! The host side of the keypad link: [`KeypadDriver`].
//!
//! Implements: one [`Link`] in the host role over a [`ByteTransport`], the key-id → [`Key`]
//! mapping, link health, and reopening the port with exponential backoff after it fails. It
//! implements the [`Keypad`] seam, so the kiosk and hub see the same trait as with the sim.
//!
//! Why a polled driver and not the Handle/Runner pair of house style §3: the [`Keypad`] seam
//! is itself polled (`poll_key`), and the counter loop that calls it already runs on its own
//! thread; every call of [`KeypadDriver::poll`] is one turn of a runner loop (read with a
//! short timeout, feed the link, run timers, write). Wrapping it in a Runner thread with a
//! channel Handle is a thin layer that can come with the hub's counter flow.
//!
//! State that the keypad displays (LEDs, lines, the open rating window) is remembered and
//! sent again whenever the keypad (re)connects, so a keypad that restarted or was unplugged
//! shows the right screen without the caller doing anything.
//!
//! Does not implement: rating windows' meaning, deduplication of ratings across keypad
//! restarts (the hub does that on `window_id` / press sequence), the firmware.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use motcua_device::keypad::{Key, KeyPress, Keypad};
use motcua_device::{DeviceFamily, DeviceInfo};
use motcua_keypad_proto::{
    self as proto, DisplayText, Event, FirmwareVersion, Hello, Link, LinkStats, MAX_WIRE_LEN, Message, PROTO_VERSION,
    ProtoVersion, Role,
};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::transport::{ByteTransport, Connect};

/// Application messages the host link queues (a full screen plus LEDs, buzzer and window).
pub const QUEUE_CAPACITY: usize = 16;

/// Display lines the driver sends at most (the SSD1306 keypad shows 4).
pub const DEFAULT_MAX_LINES: usize = 4;

/// How the keypad's key ids map to meanings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    /// `rating[i]` is the key id of rating key `i + 1` (leftmost first); 3 to 5 keys.
    pub rating: Vec<u8>,
    /// Key id of "next".
    pub next: u8,
    /// Key id of "recall".
    pub recall: u8,
    /// Key id of "skip".
    pub skip: u8,
    /// Key id of "finish".
    pub finish: u8,
}

impl KeyMap {
    /// `ratings` rating keys with ids `0..ratings`, then next, recall, skip, finish.
    pub fn new(ratings: u8) -> Self {
        KeyMap {
            rating: (0..ratings).collect(),
            next: ratings,
            recall: ratings.saturating_add(1),
            skip: ratings.saturating_add(2),
            finish: ratings.saturating_add(3),
        }
    }

    /// The meaning of `key_id`, if it has one.
    pub fn key(&self, key_id: u8) -> Option<Key> {
        if let Some(i) = self.rating.iter().position(|&id| id == key_id) {
            return u8::try_from(i + 1).ok().map(Key::Rating);
        }
        match key_id {
            id if id == self.next => Some(Key::Next),
            id if id == self.recall => Some(Key::Recall),
            id if id == self.skip => Some(Key::Skip),
            id if id == self.finish => Some(Key::Finish),
            _ => None,
        }
    }
}

impl Default for KeyMap {
    /// Five rating keys (ids 0..=4), next 5, recall 6, skip 7, finish 8.
    fn default() -> Self {
        Self::new(5)
    }
}

/// Driver settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Link timing and our Hello (role host). Pick a fresh `hello.session` per process run.
    pub link: proto::Config,
    /// Key meanings.
    pub keymap: KeyMap,
    /// How long one [`KeypadDriver::poll`] waits for bytes. Short: the caller's loop also
    /// drives timers.
    pub read_timeout: Duration,
    /// First wait before reopening a lost port; doubles per failure up to `backoff_max_ms`.
    pub backoff_min_ms: u64,
    /// Longest wait between reopen attempts.
    pub backoff_max_ms: u64,
    /// Display lines sent at most; further lines are dropped.
    pub max_lines: usize,
}

impl Config {
    /// Defaults with the host Hello carrying `session` (a per-run number, e.g. from the time
    /// of day; it only has to differ between runs).
    pub fn new(session: u32) -> Self {
        let hello = Hello {
            proto_version: PROTO_VERSION,
            firmware_version: FirmwareVersion { major: 0, minor: 1, patch: 0 },
            keys: 0,
            role: Role::Host,
            session,
        };
        Config {
            link: proto::Config::new(hello),
            keymap: KeyMap::default(),
            read_timeout: Duration::from_millis(20),
            backoff_min_ms: 200,
            backoff_max_ms: 5_000,
            max_lines: DEFAULT_MAX_LINES,
        }
    }
}

/// Link health for the health page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    /// The serial port is open.
    pub port_open: bool,
    /// The handshake is complete and the keypad is talking.
    pub connected: bool,
    /// The keypad's Hello (firmware version, key count, session), once known.
    pub peer: Option<Hello>,
    /// The keypad went quiet (no valid frame for the silence timeout) and has not come back.
    pub peer_silent: bool,
    /// A keypad speaking another protocol major version is attached (its version).
    pub version_mismatch: Option<ProtoVersion>,
    /// Handshakes completed (first contact, keypad restarts, returns after silence).
    pub connects: u32,
    /// Times the keypad came back with a new session (it restarted).
    pub peer_restarts: u32,
    /// Times the port was opened.
    pub port_opens: u32,
    /// Failed opens plus failures of an open port.
    pub port_errors: u32,
    /// The last port error, for the operator.
    pub last_port_error: Option<String>,
    /// Key presses with an id the key map does not know (dropped).
    pub unknown_keys: u32,
    /// Messages from the keypad that a keypad should not send (dropped).
    pub unexpected_messages: u32,
    /// Our messages the keypad refused (Nack).
    pub rejected: u32,
    /// Our messages dropped after every retransmission went unanswered.
    pub delivery_failed: u32,
    /// The link's counters (decoder garbage/CRC errors, retransmissions, duplicates...).
    pub link: LinkStats,
}

/// The host keypad driver; see the module docs.
#[derive(Debug)]
pub struct KeypadDriver<C: Connect, K: Clock> {
    connector: C,
    clock: K,
    config: Config,
    port: Option<C::Transport>,
    link: Link<QUEUE_CAPACITY>,
    keys: VecDeque<KeyPress>,
    health: Health,
    next_open_at: u64,
    backoff_ms: u64,
    leds: Option<u16>,
    lines: Vec<String>,
    sent_lines: usize,
    window: Option<(u32, u16)>,
    /// The keypad is known and has not gone silent: state changes are queued right away
    /// (the link holds them until the handshake is answered). Otherwise they wait for
    /// [`Self::resend_state`] at the next connect.
    ready: bool,
    rx: Vec<u8>,
    tx: [u8; MAX_WIRE_LEN],
}

impl<C: Connect, K: Clock> KeypadDriver<C, K> {
    /// A driver that opens its port on the first [`KeypadDriver::poll`].
    pub fn new(connector: C, clock: K, config: Config) -> Self {
        let now = clock.now_ms();
        KeypadDriver {
            link: Link::new(config.link, now),
            backoff_ms: config.backoff_min_ms,
            connector,
            clock,
            config,
            port: None,
            keys: VecDeque::new(),
            health: Health::default(),
            next_open_at: now,
            leds: None,
            lines: Vec::new(),
            sent_lines: 0,
            window: None,
            ready: false,
            rx: vec![0; 512],
            tx: [0; MAX_WIRE_LEN],
        }
    }

    /// One turn: open the port if due, read what arrived (waiting up to
    /// [`Config::read_timeout`]), feed the link, run its timers, write what it emits.
    ///
    /// Errors are of kind `Disconnected` while the port is not open ([`Error::Disconnected`])
    /// or when it just failed ([`Error::PortLost`]); keep calling, the port is reopened with
    /// backoff. Key presses received before an error stay queued.
    pub fn poll(&mut self) -> Result<()> {
        self.ensure_port()?;
        let timeout = self.config.read_timeout;
        let read = match self.port.as_mut() {
            Some(port) => port.read(&mut self.rx, timeout),
            None => return Err(Error::Disconnected),
        };
        let now = self.clock.now_ms();
        match read {
            Ok(n) => {
                let data = self.rx.get(..n).unwrap_or_default().to_vec();
                self.feed(now, &data);
            }
            Err(e) => return Err(self.lose_port(now, e)),
        }
        self.link.handle_timeout(now);
        self.drain_events();
        self.flush(now)
    }

    /// The next mapped key press already received, without touching the port.
    pub fn try_key(&mut self) -> Option<KeyPress> {
        self.keys.pop_front()
    }

    /// Link health (a snapshot).
    pub fn health(&self) -> Health {
        Health { link: self.link.stats(), ..self.health.clone() }
    }

    /// Whether the keypad is connected (handshake done, not silent, port open).
    pub fn is_connected(&self) -> bool {
        self.health.connected
    }

    /// Opens rating window `window_id` on the keypad; the keypad closes it by itself after
    /// `timeout_s` seconds. Sent again if the keypad reconnects while it is open.
    pub fn open_rating_window(&mut self, window_id: u32, timeout_s: u16) -> Result<()> {
        self.window = Some((window_id, timeout_s));
        self.send_if_connected(Message::RatingWindow { open: true, window_id, timeout_s })
    }

    /// Closes the open rating window (no-op when none is open).
    pub fn close_rating_window(&mut self) -> Result<()> {
        match self.window.take() {
            Some((window_id, _)) => {
                self.send_if_connected(Message::RatingWindow { open: false, window_id, timeout_s: 0 })
            }
            None => Ok(()),
        }
    }

    /// Sounds the buzzer (`pattern` is firmware-defined; 0 = steady tone). Not repeated after
    /// a reconnect.
    pub fn buzz(&mut self, pattern: u8, duration_ms: u16) -> Result<()> {
        self.send_if_connected(Message::Buzzer { pattern, duration_ms })
    }

    /// Sets the key LEDs (bit `n` lights LED `n`).
    pub fn set_leds(&mut self, mask: u16) -> Result<()> {
        self.leds = Some(mask);
        self.send_if_connected(Message::Leds { mask })
    }

    /// Replaces the display: one line per string, each cut to the protocol's 63 bytes at a
    /// character boundary; lines beyond [`Config::max_lines`] are dropped, lines left over from
    /// a longer previous screen are blanked.
    pub fn show(&mut self, lines: &[String]) -> Result<()> {
        self.lines =
            lines.iter().take(self.config.max_lines).map(|l| DisplayText::truncated(l).as_str().to_owned()).collect();
        if self.ready { self.send_screen() } else { Ok(()) }
    }

    /// The key map in use.
    pub fn keymap(&self) -> &KeyMap {
        &self.config.keymap
    }

    /// The lines last given to [`KeypadDriver::show`], as truncated for the wire.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    fn ensure_port(&mut self) -> Result<()> {
        if self.port.is_some() {
            return Ok(());
        }
        let now = self.clock.now_ms();
        if now < self.next_open_at {
            return Err(Error::Disconnected);
        }
        match self.connector.connect() {
            Ok(port) => {
                tracing::info!("keypad port opened");
                self.port = Some(port);
                self.health.port_open = true;
                self.health.port_opens = self.health.port_opens.saturating_add(1);
                self.backoff_ms = self.config.backoff_min_ms;
                if self.link.peer().is_some() {
                    // Same keypad, probably: the link keeps its session (and so its duplicate
                    // suppression); what was queued before the loss may be stale.
                    self.ready = true;
                    self.resend_state();
                }
                Ok(())
            }
            Err(e) => {
                tracing::debug!(error = %e, retry_in_ms = self.backoff_ms, "keypad port open failed");
                self.note_port_error(&e);
                self.next_open_at = now.saturating_add(self.backoff_ms);
                self.backoff_ms = self.backoff_ms.saturating_mul(2).min(self.config.backoff_max_ms);
                Err(Error::Disconnected)
            }
        }
    }

    fn note_port_error(&mut self, e: &io::Error) {
        self.health.port_errors = self.health.port_errors.saturating_add(1);
        self.health.last_port_error = Some(e.to_string());
    }

    /// Drops the broken port and schedules the first reopen.
    fn lose_port(&mut self, now: u64, e: io::Error) -> Error {
        tracing::warn!(error = %e, "keypad port lost");
        self.note_port_error(&e);
        self.port = None;
        self.health.port_open = false;
        self.health.connected = false;
        self.ready = false;
        self.backoff_ms = self.config.backoff_min_ms;
        self.next_open_at = now.saturating_add(self.backoff_ms);
        Error::PortLost(e)
    }

    fn feed(&mut self, now: u64, mut data: &[u8]) {
        while !data.is_empty() {
            let used = self.link.handle_input(now, data);
            data = data.get(used..).unwrap_or_default();
            self.drain_events();
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.link.poll_event() {
            self.handle_event(event);
        }
        // The link may have gone quiet without an event (e.g. the port was reopened).
        self.health.connected = self.port.is_some() && self.link.is_connected();
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Connected(hello) => {
                let restarted = self.health.peer.is_some_and(|p| p.session != hello.session);
                if restarted {
                    self.health.peer_restarts = self.health.peer_restarts.saturating_add(1);
                }
                tracing::info!(session = hello.session, restarted, "keypad connected");
                self.health.peer = Some(hello);
                self.health.peer_silent = false;
                self.health.version_mismatch = None;
                self.health.connects = self.health.connects.saturating_add(1);
                self.ready = true;
                self.resend_state();
            }
            Event::VersionMismatch(hello) => {
                tracing::warn!(major = hello.proto_version.major, "keypad speaks another protocol version");
                self.health.version_mismatch = Some(hello.proto_version);
                self.ready = false;
            }
            Event::Message(Message::KeyPress { key_id, press_seq }) => match self.config.keymap.key(key_id) {
                Some(key) => self.keys.push_back(KeyPress { key, seq: u32::from(press_seq) }),
                None => self.health.unknown_keys = self.health.unknown_keys.saturating_add(1),
            },
            Event::Message(_) => self.health.unexpected_messages = self.health.unexpected_messages.saturating_add(1),
            Event::Delivered { .. } => {}
            Event::Rejected { .. } => self.health.rejected = self.health.rejected.saturating_add(1),
            Event::DeliveryFailed { .. } => {
                self.health.delivery_failed = self.health.delivery_failed.saturating_add(1);
            }
            Event::PeerSilent => {
                tracing::warn!("keypad went silent");
                self.health.peer_silent = true;
                self.ready = false;
            }
        }
    }

    /// After a (re)connect the keypad may have lost everything: replace whatever is queued
    /// (stale) by the current state.
    fn resend_state(&mut self) {
        self.link.clear_queue();
        self.sent_lines = 0;
        let mut messages = Vec::new();
        if let Some(mask) = self.leds {
            messages.push(Message::Leds { mask });
        }
        if let Some((window_id, timeout_s)) = self.window {
            messages.push(Message::RatingWindow { open: true, window_id, timeout_s });
        }
        for message in messages {
            if let Err(e) = self.link.send(message) {
                tracing::warn!(error = %e, "keypad state not re-sent");
            }
        }
        if let Err(e) = self.send_screen() {
            tracing::warn!(error = %e, "keypad screen not re-sent");
        }
    }

    fn send_screen(&mut self) -> Result<()> {
        let count = self.lines.len().max(self.sent_lines);
        for i in 0..count {
            let text = DisplayText::truncated(self.lines.get(i).map_or("", String::as_str));
            let line = u8::try_from(i).unwrap_or(u8::MAX);
            self.link.send(Message::Display { line, text }).map_err(queue_error)?;
        }
        self.sent_lines = self.lines.len();
        Ok(())
    }

    /// Queues `message` now if connected; otherwise it (or the state it sets) goes out with
    /// [`Self::resend_state`] on connect.
    fn send_if_connected(&mut self, message: Message) -> Result<()> {
        if !self.ready {
            return Ok(());
        }
        self.link.send(message).map(|_| ()).map_err(queue_error)
    }

    fn flush(&mut self, now: u64) -> Result<()> {
        while let Some(n) = self.link.poll_transmit(now, &mut self.tx) {
            let frame = self.tx.get(..n).unwrap_or_default();
            let written = match self.port.as_mut() {
                Some(port) => port.write_all(frame),
                None => return Err(Error::Disconnected),
            };
            if let Err(e) = written {
                return Err(self.lose_port(now, e));
            }
        }
        Ok(())
    }
}

fn queue_error(e: proto::Error) -> Error {
    match e {
        proto::Error::QueueFull => Error::Busy,
        other => Error::Protocol(other),
    }
}

impl<C, K> Keypad for KeypadDriver<C, K>
where
    C: Connect + Send,
    C::Transport: Send,
    K: Clock + Send,
{
    fn poll_key(&mut self) -> std::result::Result<Option<KeyPress>, motcua_device::Error> {
        if let Some(key) = self.keys.pop_front() {
            return Ok(Some(key));
        }
        self.poll()?;
        Ok(self.keys.pop_front())
    }

    fn set_leds(&mut self, mask: u16) -> std::result::Result<(), motcua_device::Error> {
        Ok(KeypadDriver::set_leds(self, mask)?)
    }

    fn show(&mut self, lines: &[String]) -> std::result::Result<(), motcua_device::Error> {
        Ok(KeypadDriver::show(self, lines)?)
    }

    fn info(&self) -> DeviceInfo {
        let name = match self.health.peer {
            Some(p) => {
                let v = p.firmware_version;
                format!("Counter keypad (firmware {}.{}.{}, {} keys)", v.major, v.minor, v.patch, p.keys)
            }
            None => "Counter keypad (not connected)".to_owned(),
        };
        DeviceInfo { family: DeviceFamily::Keypad, name, simulated: false }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use motcua_device::ErrorKind;

    use super::*;
    use crate::clock::ManualClock;

    /// In-memory transport: reads from `inbox`, appends writes to `outbox`; `broken` fails both.
    #[derive(Debug, Default)]
    struct Mem {
        inbox: Vec<u8>,
        outbox: Vec<u8>,
        broken: bool,
    }

    #[derive(Debug, Clone, Default)]
    struct MemPort(Rc<RefCell<Mem>>);

    impl ByteTransport for MemPort {
        fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> io::Result<usize> {
            let mut m = self.0.borrow_mut();
            if m.broken {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            let n = m.inbox.len().min(buf.len());
            buf[..n].copy_from_slice(&m.inbox[..n]);
            m.inbox.drain(..n);
            Ok(n)
        }

        fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
            let mut m = self.0.borrow_mut();
            if m.broken {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            m.outbox.extend_from_slice(data);
            Ok(())
        }
    }

    fn keypad_hello(major: u8, session: u32) -> Hello {
        Hello {
            proto_version: ProtoVersion { major, minor: 0 },
            firmware_version: FirmwareVersion { major: 1, minor: 2, patch: 3 },
            keys: 9,
            role: Role::Keypad,
            session,
        }
    }

    fn wire(message: Message) -> Vec<u8> {
        let mut buf = [0u8; MAX_WIRE_LEN];
        let n = proto::Frame { seq: 0, message }.encode(&mut buf).expect("encode");
        buf[..n].to_vec()
    }

    #[test]
    fn keymap_maps_ratings_and_officer_keys() {
        let map = KeyMap::new(3);
        assert_eq!(map.key(0), Some(Key::Rating(1)));
        assert_eq!(map.key(2), Some(Key::Rating(3)));
        assert_eq!(map.key(3), Some(Key::Next));
        assert_eq!(map.key(6), Some(Key::Finish));
        assert_eq!(map.key(7), None);
        let custom = KeyMap { rating: vec![10, 11, 12, 13], next: 1, recall: 2, skip: 3, finish: 4 };
        assert_eq!(custom.key(13), Some(Key::Rating(4)));
        assert_eq!(custom.key(4), Some(Key::Finish));
        assert_eq!(custom.key(0), None);
    }

    #[test]
    fn errors_convert_to_device_errors_of_the_same_kind() {
        for e in [Error::Disconnected, Error::PortLost(io::Error::from(io::ErrorKind::BrokenPipe))] {
            assert_eq!(e.kind(), ErrorKind::Disconnected);
            assert_eq!(motcua_device::Error::from(e).kind(), ErrorKind::Disconnected);
        }
        assert_eq!(motcua_device::Error::from(Error::Busy).kind(), ErrorKind::Busy);
    }

    #[test]
    fn broken_in_memory_port_is_lost_then_reopened() {
        let clock = ManualClock::new();
        let port = MemPort::default();
        let handle = port.clone();
        let opens = Rc::new(RefCell::new(0u32));
        let count = opens.clone();
        let connector = move || {
            *count.borrow_mut() += 1;
            Ok(port.clone())
        };
        let mut d = KeypadDriver::new(connector, clock.clone(), Config::new(7));
        d.poll().expect("first turn");
        assert!(!handle.0.borrow().outbox.is_empty(), "the host says Hello");
        handle.0.borrow_mut().broken = true;
        let e = d.poll().expect_err("broken");
        assert!(matches!(e, Error::PortLost(_)));
        assert!(matches!(d.poll(), Err(Error::Disconnected)), "no reopen before the backoff");
        handle.0.borrow_mut().broken = false;
        clock.advance(200);
        d.poll().expect("reopened");
        assert_eq!(*opens.borrow(), 2);
        assert_eq!(d.health().port_opens, 2);
    }

    #[test]
    fn other_protocol_major_is_reported_and_never_connects() {
        let clock = ManualClock::new();
        let port = MemPort::default();
        let handle = port.clone();
        let mut d = KeypadDriver::new(move || Ok(port.clone()), clock.clone(), Config::new(7));
        handle.0.borrow_mut().inbox = wire(Message::Hello(keypad_hello(PROTO_VERSION.major + 1, 9)));
        d.poll().expect("turn");
        let h = d.health();
        assert_eq!(h.version_mismatch.map(|v| v.major), Some(PROTO_VERSION.major + 1));
        assert!(!h.connected && h.peer.is_none());
    }

    #[test]
    fn keypad_hello_ack_connects_and_queued_leds_go_out() {
        let clock = ManualClock::new();
        let port = MemPort::default();
        let handle = port.clone();
        let mut d = KeypadDriver::new(move || Ok(port.clone()), clock.clone(), Config::new(7));
        d.set_leds(0x0F).expect("leds");
        d.poll().expect("hello out");
        handle.0.borrow_mut().outbox.clear();
        handle.0.borrow_mut().inbox = wire(Message::HelloAck(keypad_hello(PROTO_VERSION.major, 9)));
        d.poll().expect("turn");
        assert!(d.is_connected());
        let out = std::mem::take(&mut handle.0.borrow_mut().outbox);
        let mut decoder: proto::Decoder = proto::Decoder::new();
        let mut rest = out.as_slice();
        let mut messages = Vec::new();
        while !rest.is_empty() {
            let used = decoder.feed(rest);
            rest = &rest[used..];
            while let Ok(Some(frame)) = decoder.poll_frame() {
                messages.push(frame.message);
            }
        }
        assert!(messages.contains(&Message::Leds { mask: 0x0F }), "{messages:?}");
    }
}
