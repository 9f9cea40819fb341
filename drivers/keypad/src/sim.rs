//! The simulated keypad twin: the *device* side of the keypad protocol.
//!
//! Implements: [`KeypadTwin`], which runs its own keypad-proto [`Link`] in the keypad role,
//! exactly as the firmware does, over one end of a pseudo-terminal pair
//! (`serialport::TTYPort::pair()`); the driver gets the other end, so the real serial
//! transport code runs in tests (house style §8). It presses keys, records what the host
//! asked it to show (display lines, LEDs, buzzer, rating window), and injects faults: drop,
//! duplicate or corrupt its next application frames, go deaf (lose everything the host sends,
//! e.g. Acks), go silent, restart with a new session, or put garbage on the line.
//!
//! Time comes from a [`Clock`], so tests drive retransmission and silence on virtual time.
//! Does not implement: the firmware's screens, debounce or its own rating-window UI.

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use motcua_keypad_proto::{
    Config, Decoder, Event, FirmwareVersion, Hello, Link, LinkStats, MAX_WIRE_LEN, Message, PROTO_VERSION, Role,
};
use serialport::TTYPort;

use crate::clock::Clock;
use crate::transport::ByteTransport;
use crate::transport::serial::SerialTransport;

/// A rating window as the keypad sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingWindow {
    /// The host's window id.
    pub window_id: u32,
    /// Seconds until the keypad closes it by itself.
    pub timeout_s: u16,
    /// When it opened (twin clock, ms).
    pub opened_at: u64,
}

/// Faults applied to the twin's next outgoing application frames (key presses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Drop this many (the link retransmits them).
    pub drop: u32,
    /// Send this many twice.
    pub duplicate: u32,
    /// Flip a byte in this many (the host counts a CRC or COBS error; the link retransmits).
    pub corrupt: u32,
}

/// The simulated keypad; see the module docs.
#[derive(Debug)]
pub struct KeypadTwin<K: Clock> {
    port: SerialTransport,
    clock: K,
    keys: u8,
    link: Link<8>,
    press_seq: u16,
    faults: Faults,
    deaf: bool,
    silent: bool,
    lines: BTreeMap<u8, String>,
    leds: Option<u16>,
    buzzes: Vec<(u8, u16)>,
    window: Option<RatingWindow>,
    windows_opened: Vec<u32>,
    host: Option<Hello>,
    connects: u32,
    read_timeout: Duration,
    rx: Vec<u8>,
    tx: [u8; MAX_WIRE_LEN],
}

/// The twin's firmware version in its Hello.
pub const TWIN_FIRMWARE: FirmwareVersion = FirmwareVersion { major: 0, minor: 9, patch: 1 };

impl<K: Clock> KeypadTwin<K> {
    /// Creates a pty pair; the twin keeps one end and the driver's end is returned.
    pub fn pair(clock: K, session: u32) -> io::Result<(Self, SerialTransport)> {
        let (twin_end, driver_end) = TTYPort::pair().map_err(io::Error::from)?;
        Ok((Self::new(twin_end, clock, session), SerialTransport::from_port(driver_end)))
    }

    /// A twin on `port` with 9 keys (five rating keys, four officer keys) and `session`.
    pub fn new(port: TTYPort, clock: K, session: u32) -> Self {
        let now = clock.now_ms();
        let keys = 9;
        KeypadTwin {
            port: SerialTransport::from_port(port),
            link: Link::new(Config::new(hello(keys, session)), now),
            clock,
            keys,
            press_seq: 0,
            faults: Faults::default(),
            deaf: false,
            silent: false,
            lines: BTreeMap::new(),
            leds: None,
            buzzes: Vec::new(),
            window: None,
            windows_opened: Vec::new(),
            host: None,
            connects: 0,
            read_timeout: Duration::from_millis(1),
            rx: vec![0; 512],
            tx: [0; MAX_WIRE_LEN],
        }
    }

    /// Presses key `key_id`; returns its press sequence number. The press goes out (and is
    /// retransmitted) on the following [`KeypadTwin::poll`]s.
    pub fn press(&mut self, key_id: u8) -> Result<u16, motcua_keypad_proto::Error> {
        let press_seq = self.press_seq;
        self.link.send(Message::KeyPress { key_id, press_seq })?;
        self.press_seq = self.press_seq.wrapping_add(1);
        Ok(press_seq)
    }

    /// One turn of the firmware's loop: read, feed, timers, write (with faults applied).
    pub fn poll(&mut self) -> io::Result<()> {
        let n = self.port.read(&mut self.rx, self.read_timeout)?;
        let now = self.clock.now_ms();
        if !self.deaf {
            let data = self.rx.get(..n).unwrap_or_default().to_vec();
            let mut input = data.as_slice();
            while !input.is_empty() {
                let used = self.link.handle_input(now, input);
                input = input.get(used..).unwrap_or_default();
                self.drain_events(now);
            }
        }
        self.link.handle_timeout(now);
        self.drain_events(now);
        if let Some(w) = self.window
            && now >= w.opened_at.saturating_add(u64::from(w.timeout_s) * 1000)
        {
            self.window = None;
        }
        while let Some(len) = self.link.poll_transmit(now, &mut self.tx) {
            let frame = self.tx.get(..len).unwrap_or_default().to_vec();
            if self.silent {
                continue;
            }
            self.write_with_faults(frame)?;
        }
        Ok(())
    }

    fn write_with_faults(&mut self, mut frame: Vec<u8>) -> io::Result<()> {
        if !is_application(&frame) {
            return self.port.write_all(&frame);
        }
        if self.faults.drop > 0 {
            self.faults.drop -= 1;
            return Ok(());
        }
        if self.faults.corrupt > 0 {
            self.faults.corrupt -= 1;
            // Flip bits of a byte in the middle, never making it a delimiter.
            let mid = frame.len() / 2;
            if let Some(b) = frame.get_mut(mid) {
                *b = if *b == 0x5A { 0xA5 } else { 0x5A };
            }
            return self.port.write_all(&frame);
        }
        self.port.write_all(&frame)?;
        if self.faults.duplicate > 0 {
            self.faults.duplicate -= 1;
            self.port.write_all(&frame)?;
        }
        Ok(())
    }

    fn drain_events(&mut self, now: u64) {
        while let Some(event) = self.link.poll_event() {
            match event {
                Event::Connected(host) => {
                    self.host = Some(host);
                    self.connects += 1;
                }
                Event::Message(Message::Display { line, text }) => {
                    self.lines.insert(line, text.as_str().to_owned());
                }
                Event::Message(Message::Leds { mask }) => self.leds = Some(mask),
                Event::Message(Message::Buzzer { pattern, duration_ms }) => self.buzzes.push((pattern, duration_ms)),
                Event::Message(Message::RatingWindow { open: true, window_id, timeout_s })
                    if self.window.map(|w| w.window_id) != Some(window_id) =>
                {
                    // A re-sent open of the window already open (after a reconnect) changes nothing.
                    self.windows_opened.push(window_id);
                    self.window = Some(RatingWindow { window_id, timeout_s, opened_at: now });
                }
                Event::Message(Message::RatingWindow { open: false, window_id, .. })
                    if self.window.map(|w| w.window_id) == Some(window_id) =>
                {
                    self.window = None;
                }
                _ => {}
            }
        }
    }

    /// Faults for the next outgoing application frames (replaces the previous setting).
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Deaf: everything the host sends is lost (its Acks too, so the twin retransmits).
    pub fn set_deaf(&mut self, deaf: bool) {
        self.deaf = deaf;
    }

    /// Silent: the twin sends nothing (its link keeps running), as with a broken TX wire.
    pub fn set_silent(&mut self, silent: bool) {
        self.silent = silent;
    }

    /// Power-cycles the keypad: a new link with a new `session`, blank screen, LEDs off, no
    /// rating window, press counter from 0. Faults are kept.
    pub fn restart(&mut self, session: u32) {
        let now = self.clock.now_ms();
        self.link = Link::new(Config::new(hello(self.keys, session)), now);
        self.press_seq = 0;
        self.lines.clear();
        self.leds = None;
        self.window = None;
        self.host = None;
    }

    /// Pulls and replugs the cable while the keypad stays powered: the twin moves to a new pty
    /// pair (the driver's old end hangs up) and keeps its link, session and unacknowledged
    /// messages. Returns the new driver-side end, to hand to the driver's connector.
    pub fn replug(&mut self) -> io::Result<SerialTransport> {
        let (twin_end, driver_end) = TTYPort::pair().map_err(io::Error::from)?;
        self.port = SerialTransport::from_port(twin_end);
        Ok(SerialTransport::from_port(driver_end))
    }

    /// Writes raw bytes to the line (noise, half frames).
    pub fn send_garbage(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port.write_all(bytes)
    }

    /// Display lines received, by line index.
    pub fn lines(&self) -> &BTreeMap<u8, String> {
        &self.lines
    }

    /// The LED mask last received.
    pub fn leds(&self) -> Option<u16> {
        self.leds
    }

    /// Buzzer commands received (pattern, duration).
    pub fn buzzes(&self) -> &[(u8, u16)] {
        &self.buzzes
    }

    /// The open rating window, if any.
    pub fn rating_window(&self) -> Option<RatingWindow> {
        self.window
    }

    /// Ids of every rating window opened, in order (a re-sent open of the same id is not repeated).
    pub fn windows_opened(&self) -> &[u32] {
        &self.windows_opened
    }

    /// The host's Hello, once connected in this session.
    pub fn host(&self) -> Option<Hello> {
        self.host
    }

    /// Handshakes seen over the twin's lifetime.
    pub fn connects(&self) -> u32 {
        self.connects
    }

    /// Whether the twin's link is connected both ways.
    pub fn is_connected(&self) -> bool {
        self.link.is_connected()
    }

    /// Application messages not yet acknowledged by the host.
    pub fn unacknowledged(&self) -> usize {
        self.link.queued()
    }

    /// The twin link's counters.
    pub fn stats(&self) -> LinkStats {
        self.link.stats()
    }
}

fn hello(keys: u8, session: u32) -> Hello {
    Hello { proto_version: PROTO_VERSION, firmware_version: TWIN_FIRMWARE, keys, role: Role::Keypad, session }
}

/// Whether a wire frame carries an application message (as opposed to link control).
fn is_application(wire: &[u8]) -> bool {
    let mut decoder: Decoder = Decoder::new();
    let mut input = wire;
    while !input.is_empty() {
        let used = decoder.feed(input);
        input = input.get(used..).unwrap_or_default();
        if let Ok(Some(frame)) = decoder.poll_frame() {
            return frame.message.is_application();
        }
        if used == 0 {
            break;
        }
    }
    false
}
