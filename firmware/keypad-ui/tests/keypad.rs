//! The keypad state machine against a real host-role keypad-proto `Link` (what the host driver
//! `drivers/keypad` runs), over a simulated wire with faults, on virtual time.

// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use keypad_ui::config::{Config, FIRMWARE_VERSION};
use keypad_ui::keypad::{Keypad, LinkState, SEND_QUEUE};
use keypad_ui::screen::Screen;
use motcua_keypad_proto::{
    Config as LinkConfig, DisplayText, Event, FirmwareVersion, Hello, Link, MAX_WIRE_LEN, Message, PROTO_VERSION,
    ProtoVersion, Role,
};

/// Key ids of a five-rating keypad (the host driver's default `KeyMap`).
const NOT_SATISFIED: u8 = 3;
const VERY_SATISFIED: u8 = 0;
const NEXT: u8 = 5;
const FINISH: u8 = 8;

fn host_hello(session: u32, major: u8) -> Hello {
    Hello {
        proto_version: ProtoVersion { major, minor: 0 },
        firmware_version: FirmwareVersion { major: 0, minor: 1, patch: 0 },
        keys: 0,
        role: Role::Host,
        session,
    }
}

/// A keypad and a host link joined by a wire that can be cut or can duplicate frames.
struct Rig {
    now: u64,
    keypad: Keypad,
    host: Link<16>,
    /// Application messages the host link delivered (key presses), in order.
    delivered: Vec<Message>,
    host_events: Vec<Event>,
    /// Everything sent either way is lost.
    cut: bool,
    /// Every frame is sent twice, both ways.
    duplicate: bool,
}

impl Rig {
    fn new(rating_keys: u8) -> Self {
        Rig {
            now: 0,
            keypad: Keypad::new(Config::new(rating_keys, 0xC0FFEE), 0),
            host: Link::new(LinkConfig::new(host_hello(77, PROTO_VERSION.major)), 0),
            delivered: Vec::new(),
            host_events: Vec::new(),
            cut: false,
            duplicate: false,
        }
    }

    /// Runs both ends for `ms` in 10-ms turns.
    fn run(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            self.now += 10;
            self.turn();
        }
    }

    fn turn(&mut self) {
        let now = self.now;
        let mut buf = [0u8; MAX_WIRE_LEN];
        self.keypad.handle_timeout(now);
        self.host.handle_timeout(now);
        self.drain_host();
        let mut to_host = Vec::new();
        while let Some(n) = self.keypad.poll_transmit(now, &mut buf) {
            to_host.extend_from_slice(&buf[..n]);
            if self.duplicate {
                to_host.extend_from_slice(&buf[..n]);
            }
        }
        let mut to_keypad = Vec::new();
        while let Some(n) = self.host.poll_transmit(now, &mut buf) {
            to_keypad.extend_from_slice(&buf[..n]);
            if self.duplicate {
                to_keypad.extend_from_slice(&buf[..n]);
            }
        }
        if self.cut {
            return;
        }
        let mut input = to_host.as_slice();
        while !input.is_empty() {
            let used = self.host.handle_input(now, input);
            input = &input[used..];
            self.drain_host();
        }
        self.keypad.handle_all_input(now, &to_keypad);
    }

    fn drain_host(&mut self) {
        while let Some(e) = self.host.poll_event() {
            if let Event::Message(m) = e {
                self.delivered.push(m);
            }
            self.host_events.push(e);
        }
    }

    fn send(&mut self, m: Message) {
        self.host.send(m).expect("host queue has room");
    }

    fn press(&mut self, key_id: u8) {
        self.keypad.key_down(self.now, key_id);
    }

    fn presses(&self) -> Vec<(u8, u16)> {
        self.delivered
            .iter()
            .filter_map(|m| match m {
                Message::KeyPress { key_id, press_seq } => Some((*key_id, *press_seq)),
                _ => None,
            })
            .collect()
    }

    fn connected() -> Self {
        let mut rig = Rig::new(5);
        rig.run(100);
        assert_eq!(rig.keypad.link_state(), LinkState::Connected);
        assert!(rig.host.is_connected());
        rig
    }
}

#[test]
fn handshake_reports_keypad_identity_and_leaves_the_start_screen() {
    let mut rig = Rig::new(5);
    assert!(matches!(rig.keypad.screen(0), Screen::Connecting { keys: 9, .. }));
    rig.run(100);
    let hello = rig.host.peer().copied().expect("host knows the keypad");
    assert_eq!(hello.role, Role::Keypad);
    assert_eq!(hello.keys, 9);
    assert_eq!(hello.firmware_version, FIRMWARE_VERSION);
    assert_eq!(hello.session, 0xC0FFEE);
    assert!(matches!(rig.keypad.screen(rig.now), Screen::Host { .. }));
}

#[test]
fn three_key_keypad_says_seven_keys() {
    let mut rig = Rig::new(3);
    rig.run(100);
    assert_eq!(rig.host.peer().map(|h| h.keys), Some(7));
}

#[test]
fn host_lines_leds_and_buzzer_are_applied() {
    let mut rig = Rig::connected();
    rig.send(Message::Display { line: 0, text: DisplayText::new("Quầy số 3").expect("fits") });
    rig.send(Message::Display { line: 2, text: DisplayText::new("1023").expect("fits") });
    rig.send(Message::Display { line: 9, text: DisplayText::new("nowhere").expect("fits") });
    rig.send(Message::Leds { mask: 0b1_0010_0000 });
    rig.send(Message::Buzzer { pattern: 1, duration_ms: 1000 });
    rig.run(200);
    let lines = rig.keypad.lines();
    assert_eq!(lines[0].as_str(), "Quầy số 3");
    assert_eq!(lines[1].as_str(), "");
    assert_eq!(lines[2].as_str(), "1023");
    assert_eq!(rig.keypad.stats().ignored_messages, 1, "line 9 does not exist");
    assert_eq!(rig.keypad.leds(), 0b1_0010_0000);
    // Buzzer pattern 1 (double beep) started when the message arrived, within the last 200 ms.
    let started = (rig.now - 200..rig.now).find(|&t| rig.keypad.buzzer_on(t)).expect("buzzer sounded");
    assert!(!rig.keypad.buzzer_on(started + 150));
    assert!(rig.keypad.buzzer_on(started + 250));
    assert!(!rig.keypad.buzzer_on(started + 1000));
}

#[test]
fn officer_keys_are_sent_in_order_with_press_sequence() {
    let mut rig = Rig::connected();
    rig.press(NEXT);
    rig.press(FINISH);
    rig.press(42); // no such key
    rig.run(500);
    assert_eq!(rig.presses(), vec![(NEXT, 0), (FINISH, 1)]);
    assert_eq!(rig.keypad.stats().unknown_keys, 1);
    assert_eq!(rig.keypad.unacknowledged(), 0);
    assert_eq!(rig.keypad.stats().delivered, 2);
}

#[test]
fn rating_window_prompt_one_rating_then_thanks() {
    let mut rig = Rig::connected();
    rig.send(Message::RatingWindow { open: true, window_id: 42, timeout_s: 30 });
    rig.run(100);
    assert_eq!(rig.keypad.open_window(), Some(42));
    match rig.keypad.screen(rig.now) {
        Screen::RatingPrompt { labels, remaining_s, .. } => {
            assert_eq!(labels.len(), 5);
            assert_eq!(remaining_s, 30);
        }
        other => panic!("expected the rating prompt, got {other:?}"),
    }
    assert_eq!(rig.keypad.leds() & 0b1_1111, 0b1_1111, "rating keys lit");
    rig.run(2_000);
    assert!(matches!(rig.keypad.screen(rig.now), Screen::RatingPrompt { remaining_s: 28, .. }));
    rig.press(NOT_SATISFIED);
    assert_eq!(rig.keypad.screen(rig.now), Screen::Thanks { label: "Không hài lòng" });
    assert!(rig.keypad.buzzer_on(rig.now), "confirmation beep");
    assert_eq!(rig.keypad.open_window(), None);
    assert_eq!(rig.keypad.leds() & 0b1_1111, 0, "rating LEDs off again");
    // A second rating key in the same window is only a key press, not a second rating.
    rig.press(VERY_SATISFIED);
    assert_eq!(rig.keypad.screen(rig.now), Screen::Thanks { label: "Không hài lòng" });
    rig.run(500);
    assert_eq!(rig.presses(), vec![(NOT_SATISFIED, 0), (VERY_SATISFIED, 1)]);
    assert_eq!(rig.keypad.stats().ratings, 1);
    // The thank-you goes after its time, back to the host's screen.
    rig.run(4_000);
    assert!(matches!(rig.keypad.screen(rig.now), Screen::Host { .. }));
}

#[test]
fn duplicated_frames_change_nothing() {
    let mut rig = Rig::connected();
    rig.duplicate = true;
    rig.send(Message::RatingWindow { open: true, window_id: 7, timeout_s: 30 });
    rig.run(100);
    rig.press(NOT_SATISFIED);
    rig.run(500);
    assert_eq!(rig.presses(), vec![(NOT_SATISFIED, 0)], "one press despite every frame doubled");
    assert_eq!(rig.keypad.stats().windows_opened, 1);
    assert_eq!(rig.keypad.stats().ratings, 1);
    assert!(rig.keypad.link_stats().duplicates >= 1, "the keypad saw and dropped the copy");
    assert!(rig.host.stats().duplicates >= 1, "the host saw and dropped the copy");
}

#[test]
fn rating_pressed_while_the_link_is_down_is_delivered_once_after_reconnect() {
    let mut rig = Rig::connected();
    rig.send(Message::Display { line: 0, text: DisplayText::new("Quầy số 3").expect("fits") });
    rig.send(Message::RatingWindow { open: true, window_id: 42, timeout_s: 30 });
    rig.run(100);
    rig.cut = true;
    rig.run(4_000);
    assert_eq!(rig.keypad.link_state(), LinkState::Lost);
    // The open window keeps priority over the link-lost screen: the citizen can still rate.
    assert!(matches!(rig.keypad.screen(rig.now), Screen::RatingPrompt { .. }));
    rig.press(NOT_SATISFIED);
    assert_eq!(rig.keypad.screen(rig.now), Screen::Thanks { label: "Không hài lòng" });
    rig.run(6_000);
    assert_eq!(rig.keypad.screen(rig.now), Screen::LinkLost);
    assert_eq!(rig.keypad.unacknowledged(), 1, "the press waits in the link");
    assert!(rig.presses().is_empty());
    // The cable comes back: the host driver re-sends its state, including the open window.
    rig.cut = false;
    rig.run(1_000);
    assert_eq!(rig.keypad.link_state(), LinkState::Connected);
    rig.send(Message::RatingWindow { open: true, window_id: 42, timeout_s: 30 });
    rig.run(1_000);
    assert_eq!(rig.presses(), vec![(NOT_SATISFIED, 0)]);
    assert_eq!(rig.keypad.unacknowledged(), 0);
    assert_eq!(rig.keypad.open_window(), None, "a rated window does not reopen");
    assert_eq!(rig.keypad.stats().windows_repeated, 1);
    assert_eq!(rig.keypad.lines()[0].as_str(), "Quầy số 3", "same host session: lines kept");
}

#[test]
fn press_whose_ack_is_lost_mid_window_is_retransmitted_and_counted_once() {
    let mut rig = Rig::connected();
    rig.send(Message::RatingWindow { open: true, window_id: 5, timeout_s: 30 });
    rig.run(100);
    rig.press(VERY_SATISFIED);
    // Let the press reach the host, then cut before the Ack gets back.
    rig.keypad.handle_timeout(rig.now);
    let mut buf = [0u8; MAX_WIRE_LEN];
    let mut frames = Vec::new();
    while let Some(n) = rig.keypad.poll_transmit(rig.now, &mut buf) {
        frames.extend_from_slice(&buf[..n]);
    }
    let mut input = frames.as_slice();
    while !input.is_empty() {
        let used = rig.host.handle_input(rig.now, input);
        input = &input[used..];
        rig.drain_host();
    }
    assert_eq!(rig.presses(), vec![(VERY_SATISFIED, 0)]);
    rig.cut = true;
    rig.run(2_000);
    assert!(rig.keypad.link_stats().retransmissions >= 1);
    assert_eq!(rig.keypad.unacknowledged(), 1);
    rig.cut = false;
    rig.run(2_000);
    assert_eq!(rig.presses(), vec![(VERY_SATISFIED, 0)], "retransmissions are not delivered again");
    assert_eq!(rig.keypad.unacknowledged(), 0);
}

#[test]
fn window_times_out_closes_and_never_reopens() {
    let mut rig = Rig::connected();
    rig.send(Message::RatingWindow { open: true, window_id: 9, timeout_s: 5 });
    rig.run(100);
    assert!(matches!(rig.keypad.poll_timeout(rig.now), Some(t) if t <= rig.now + 1000));
    rig.run(5_000);
    assert_eq!(rig.keypad.open_window(), None);
    rig.press(NOT_SATISFIED);
    assert!(matches!(rig.keypad.screen(rig.now), Screen::Host { .. }), "no thank-you outside a window");
    assert_eq!(rig.keypad.stats().ratings, 0);
    rig.send(Message::RatingWindow { open: true, window_id: 9, timeout_s: 5 });
    rig.run(100);
    assert_eq!(rig.keypad.open_window(), None, "a timed-out window stays closed");
    rig.send(Message::RatingWindow { open: true, window_id: 10, timeout_s: 0 });
    rig.run(100);
    assert_eq!(rig.keypad.open_window(), Some(10), "a new window opens; 0 s means the default");
    assert!(matches!(rig.keypad.screen(rig.now), Screen::RatingPrompt { remaining_s: 30, .. }));
    rig.send(Message::RatingWindow { open: false, window_id: 11, timeout_s: 0 });
    rig.run(100);
    assert_eq!(rig.keypad.open_window(), Some(10), "closing another window does nothing");
    rig.send(Message::RatingWindow { open: false, window_id: 10, timeout_s: 0 });
    rig.run(100);
    assert_eq!(rig.keypad.open_window(), None);
}

#[test]
fn five_labels_page_through_the_prompt() {
    let mut rig = Rig::connected();
    rig.send(Message::RatingWindow { open: true, window_id: 1, timeout_s: 30 });
    rig.run(100);
    let page = |rig: &Rig| match rig.keypad.screen(rig.now) {
        Screen::RatingPrompt { page, .. } => page,
        other => panic!("{other:?}"),
    };
    let first = page(&rig);
    rig.run(3_000);
    assert_eq!(page(&rig), first + 1);
}

#[test]
fn host_restart_clears_its_state() {
    let mut rig = Rig::connected();
    rig.send(Message::Display { line: 1, text: DisplayText::new("Đang phục vụ").expect("fits") });
    rig.send(Message::Leds { mask: 1 });
    rig.send(Message::RatingWindow { open: true, window_id: 3, timeout_s: 30 });
    rig.run(200);
    assert_eq!(rig.keypad.open_window(), Some(3));
    rig.host = Link::new(LinkConfig::new(host_hello(78, PROTO_VERSION.major)), rig.now);
    rig.run(200);
    assert_eq!(rig.keypad.link_state(), LinkState::Connected);
    assert_eq!(rig.keypad.lines()[1].as_str(), "");
    assert_eq!(rig.keypad.leds(), 0);
    assert_eq!(rig.keypad.open_window(), None);
}

#[test]
fn host_of_another_major_version_gets_the_version_screen() {
    let mut rig = Rig::new(5);
    rig.host = Link::new(LinkConfig::new(host_hello(1, PROTO_VERSION.major + 1)), 0);
    rig.run(500);
    assert_eq!(
        rig.keypad.screen(rig.now),
        Screen::VersionMismatch { host: ProtoVersion { major: PROTO_VERSION.major + 1, minor: 0 } }
    );
}

#[test]
fn full_send_queue_drops_presses_and_leaves_a_sequence_gap() {
    let mut rig = Rig::connected();
    rig.cut = true;
    let extra = 3;
    for _ in 0..SEND_QUEUE + extra {
        rig.press(NEXT);
    }
    assert_eq!(rig.keypad.stats().presses_dropped, extra as u32);
    rig.cut = false;
    rig.run(30_000);
    let seqs: Vec<u16> = rig.presses().iter().map(|p| p.1).collect();
    assert_eq!(seqs.len(), SEND_QUEUE);
    rig.press(NEXT);
    rig.run(500);
    let last = rig.presses().last().map(|p| p.1);
    assert_eq!(last, Some((SEND_QUEUE + extra) as u16), "the host sees the gap");
}

#[test]
fn garbage_and_hostile_frames_never_crash_and_the_link_recovers() {
    let mut rig = Rig::new(5);
    // Deterministic pseudo-random bytes, with delimiters sprinkled in.
    let mut x: u32 = 0x1234_5678;
    let mut noise = Vec::new();
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(if x.is_multiple_of(29) { 0 } else { (x >> 8) as u8 });
    }
    for chunk in noise.chunks(97) {
        rig.keypad.handle_all_input(rig.now, chunk);
        rig.run(10);
    }
    // Well-formed frames carrying messages a host must not send, and bad payloads.
    let mut buf = [0u8; MAX_WIRE_LEN];
    for (seq, message) in [
        (1u16, Message::KeyPress { key_id: 0, press_seq: 0 }),
        (2, Message::Display { line: 255, text: DisplayText::new("x").expect("fits") }),
        (3, Message::RatingWindow { open: true, window_id: u32::MAX, timeout_s: u16::MAX }),
        (4, Message::Buzzer { pattern: 255, duration_ms: u16::MAX }),
    ] {
        let n = motcua_keypad_proto::Frame { seq, message }.encode(&mut buf).expect("encodes");
        rig.keypad.handle_all_input(rig.now, &buf[..n]);
    }
    rig.run(2_000);
    assert_eq!(rig.keypad.link_state(), LinkState::Connected, "garbage does not stop the handshake");
    assert!(
        rig.keypad.link_stats().decoder.garbage
            + rig.keypad.link_stats().decoder.crc_errors
            + rig.keypad.link_stats().decoder.invalid
            > 0
    );
}
