//! Two `Link`s wired back to back through an in-test channel that can drop, duplicate and
//! corrupt frames, on a virtual clock (quinn's `Pair`/`drive` idea).

mod common;

use common::{Rng, decode_all, wire};
use motcua_keypad_proto::{
    Config, Decoder, DisplayText, Error, Event, FirmwareVersion, Frame, Hello, Link, MAX_WIRE_LEN, Message, NackReason,
    PROTO_VERSION, ProtoVersion, Role,
};

fn hello(role: Role, session: u32) -> Hello {
    Hello {
        proto_version: PROTO_VERSION,
        firmware_version: FirmwareVersion { major: 0, minor: 1, patch: 0 },
        keys: if role == Role::Keypad { 9 } else { 0 },
        role,
        session,
    }
}

#[derive(Default)]
struct Faults {
    drop_pct: u64,
    dup_pct: u64,
    corrupt_pct: u64,
    /// Everything sent in this direction is lost.
    cut: bool,
}

/// `a` is the host, `b` the keypad.
struct Pair {
    a: Link<8>,
    b: Link<8>,
    now: u64,
    rng: Rng,
    a_to_b: Faults,
    b_to_a: Faults,
    a_events: Vec<Event>,
    b_events: Vec<Event>,
    /// Frames each side put on the wire (before faults), decoded.
    a_sent: Vec<Frame>,
    b_sent: Vec<Frame>,
}

impl Pair {
    fn new(a: Config, b: Config) -> Self {
        Pair {
            a: Link::new(a, 0),
            b: Link::new(b, 0),
            now: 0,
            rng: Rng::new(0x5EED),
            a_to_b: Faults::default(),
            b_to_a: Faults::default(),
            a_events: Vec::new(),
            b_events: Vec::new(),
            a_sent: Vec::new(),
            b_sent: Vec::new(),
        }
    }

    fn clean() -> Self {
        Self::new(Config::new(hello(Role::Host, 1)), Config::new(hello(Role::Keypad, 2)))
    }

    /// Carries frames until both sides are quiet at the current instant.
    fn exchange(&mut self) {
        loop {
            let mut any = false;
            for from_a in [true, false] {
                let mut buf = [0u8; MAX_WIRE_LEN];
                loop {
                    let (src, sent) =
                        if from_a { (&mut self.a, &mut self.a_sent) } else { (&mut self.b, &mut self.b_sent) };
                    let Some(n) = src.poll_transmit(self.now, &mut buf) else { break };
                    any = true;
                    let mut d: Decoder = Decoder::new();
                    sent.extend(decode_all(&mut d, &buf[..n]).into_iter().map(|r| r.expect("own frames decode")));
                    let faults = if from_a { &self.a_to_b } else { &self.b_to_a };
                    if faults.cut || self.rng.chance(faults.drop_pct) {
                        continue;
                    }
                    let mut bytes = buf[..n].to_vec();
                    if self.rng.chance(faults.corrupt_pct) {
                        let at = self.rng.below(n as u64) as usize;
                        bytes[at] ^= 1 << self.rng.below(8);
                    }
                    let copies = if self.rng.chance(faults.dup_pct) { 2 } else { 1 };
                    for _ in 0..copies {
                        let (dst, events) =
                            if from_a { (&mut self.b, &mut self.b_events) } else { (&mut self.a, &mut self.a_events) };
                        feed_all(dst, events, self.now, &bytes);
                    }
                }
            }
            if !any {
                break;
            }
        }
    }

    /// Exchanges, then jumps the clock to the next timer (at least 1 ms ahead).
    fn step(&mut self) {
        self.exchange();
        let next = [self.a.poll_timeout(), self.b.poll_timeout()].into_iter().flatten().min();
        self.now = next.unwrap_or(self.now + 1000).max(self.now + 1);
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        drain(&mut self.a, &mut self.a_events);
        drain(&mut self.b, &mut self.b_events);
    }

    fn run_until(&mut self, until: u64) {
        while self.now < until {
            self.step();
        }
        self.exchange();
    }
}

fn drain<const N: usize>(link: &mut Link<N>, events: &mut Vec<Event>) {
    while let Some(e) = link.poll_event() {
        events.push(e);
    }
}

fn feed_all<const N: usize>(link: &mut Link<N>, events: &mut Vec<Event>, now: u64, mut bytes: &[u8]) {
    loop {
        let used = link.handle_input(now, bytes);
        bytes = &bytes[used..];
        drain(link, events);
        if bytes.is_empty() {
            break;
        }
    }
}

fn messages(events: &[Event]) -> Vec<Message> {
    events.iter().filter_map(|e| if let Event::Message(m) = e { Some(*m) } else { None }).collect()
}

fn count_events(events: &[Event], pred: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

fn connected_pair() -> Pair {
    let mut pair = Pair::clean();
    pair.run_until(10);
    assert!(pair.a.is_connected() && pair.b.is_connected());
    pair
}

#[test]
fn handshake_connects_both_sides_once_and_exchanges_identities() {
    let mut pair = Pair::clean();
    pair.run_until(2000);
    assert!(pair.a.is_connected());
    assert!(pair.b.is_connected());
    assert_eq!(pair.a_events, vec![Event::Connected(hello(Role::Keypad, 2))]);
    assert_eq!(pair.b_events, vec![Event::Connected(hello(Role::Host, 1))]);
    assert_eq!(pair.a.peer(), Some(&hello(Role::Keypad, 2)));
}

#[test]
fn fresh_link_wants_to_send_hello_immediately() {
    let mut link: Link<1> = Link::new(Config::new(hello(Role::Host, 1)), 500);
    assert_eq!(link.poll_timeout(), Some(500));
    let mut buf = [0u8; MAX_WIRE_LEN];
    let n = link.poll_transmit(500, &mut buf).expect("hello is due");
    let mut d: Decoder = Decoder::new();
    assert_eq!(
        decode_all(&mut d, &buf[..n]),
        vec![Ok(Frame { seq: 0, message: Message::Hello(hello(Role::Host, 1)) })]
    );
    assert_eq!(link.poll_transmit(500, &mut buf), None);
    assert_eq!(link.poll_timeout(), Some(1000), "hello repeats every hello_interval_ms");
}

#[test]
fn application_messages_wait_for_the_handshake() {
    let mut link: Link<2> = Link::new(Config::new(hello(Role::Keypad, 1)), 0);
    assert_eq!(link.send(Message::KeyPress { key_id: 1, press_seq: 1 }), Ok(0));
    let mut buf = [0u8; MAX_WIRE_LEN];
    let mut sent = Vec::new();
    for now in [0, 100, 600, 1200] {
        link.handle_timeout(now);
        while let Some(n) = link.poll_transmit(now, &mut buf) {
            let mut d: Decoder = Decoder::new();
            sent.extend(decode_all(&mut d, &buf[..n]));
        }
    }
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|f| matches!(f, Ok(Frame { message: Message::Hello(_), .. }))), "{sent:?}");
}

#[test]
fn message_received_before_handshake_is_neither_delivered_nor_acknowledged() {
    let mut host: Link<2> = Link::new(Config::new(hello(Role::Host, 1)), 0);
    let mut events = Vec::new();
    let kp = wire(&Frame { seq: 0, message: Message::KeyPress { key_id: 1, press_seq: 1 } });
    feed_all(&mut host, &mut events, 0, &kp);
    assert!(events.is_empty());
    assert_eq!(host.stats().before_handshake, 1);
    let mut buf = [0u8; MAX_WIRE_LEN];
    while let Some(n) = host.poll_transmit(0, &mut buf) {
        let mut d: Decoder = Decoder::new();
        for f in decode_all(&mut d, &buf[..n]) {
            assert!(!matches!(f, Ok(Frame { message: Message::Ack { .. }, .. })));
        }
    }
}

#[test]
fn retransmitted_key_press_is_acknowledged_again_but_delivered_once() {
    let mut pair = connected_pair();
    pair.a_events.clear();
    let seq = pair.b.send(Message::KeyPress { key_id: 2, press_seq: 40 }).expect("room");
    let mut buf = [0u8; MAX_WIRE_LEN];
    let n = pair.b.poll_transmit(pair.now, &mut buf).expect("key press due");
    let frame = buf[..n].to_vec();
    feed_all(&mut pair.a, &mut pair.a_events, pair.now, &frame);
    feed_all(&mut pair.a, &mut pair.a_events, pair.now, &frame);
    assert_eq!(messages(&pair.a_events), vec![Message::KeyPress { key_id: 2, press_seq: 40 }]);
    assert_eq!(pair.a.stats().duplicates, 1);
    let mut acks = Vec::new();
    while let Some(n) = pair.a.poll_transmit(pair.now, &mut buf) {
        let mut d: Decoder = Decoder::new();
        acks.extend(decode_all(&mut d, &buf[..n]));
    }
    assert_eq!(acks, vec![Ok(Frame { seq: 0, message: Message::Ack { seq } }); 2]);
}

/// Both sides send `count` messages through a channel that drops, duplicates and corrupts
/// frames; returns the pair afterwards.
fn run_lossy(seed: u64, count: usize, faults: fn() -> Faults) -> Pair {
    let config = |role, session| Config { max_retransmits: 60, ..Config::new(hello(role, session)) };
    let mut pair = Pair::new(config(Role::Host, 1), config(Role::Keypad, 2));
    pair.rng = Rng::new(seed);
    pair.a_to_b = faults();
    pair.b_to_a = faults();
    let to_keypad: Vec<Message> = (0..count)
        .map(|i| match i % 3 {
            0 => Message::Leds { mask: i as u16 },
            1 => Message::Display {
                line: (i % 4) as u8,
                text: DisplayText::truncated(&format!("Số {i}: mời đến quầy")),
            },
            _ => Message::RatingWindow { open: i % 2 == 0, window_id: i as u32, timeout_s: 30 },
        })
        .collect();
    let to_host: Vec<Message> =
        (0..count).map(|i| Message::KeyPress { key_id: (i % 9) as u8, press_seq: i as u16 }).collect();
    let (mut next_a, mut next_b) = (0, 0);
    let delivered = |ev: &[Event]| count_events(ev, |e| matches!(e, Event::Delivered { .. }));
    while pair.now < 10_000_000 {
        while next_a < count && pair.a.send(to_keypad[next_a]).is_ok() {
            next_a += 1;
        }
        while next_b < count && pair.b.send(to_host[next_b]).is_ok() {
            next_b += 1;
        }
        pair.step();
        if delivered(&pair.a_events) == count && delivered(&pair.b_events) == count {
            break;
        }
    }
    pair.exchange();
    assert_eq!(messages(&pair.b_events), to_keypad, "seed {seed}: keypad gets every host message once, in order");
    assert_eq!(messages(&pair.a_events), to_host, "seed {seed}: host gets every key press once, in order");
    for events in [&pair.a_events, &pair.b_events] {
        assert_eq!(count_events(events, |e| matches!(e, Event::DeliveryFailed { .. })), 0, "seed {seed}");
        assert_eq!(delivered(events), count, "seed {seed}");
        assert_eq!(count_events(events, |e| matches!(e, Event::VersionMismatch(_))), 0, "seed {seed}");
        assert_eq!(count_events(events, |e| matches!(e, Event::Rejected { .. })), 0, "seed {seed}");
    }
    // Every corrupted frame was caught by COBS, the length byte or the CRC.
    assert_eq!((pair.a.stats().undecodable, pair.b.stats().undecodable), (0, 0), "seed {seed}");
    pair
}

#[test]
fn lossy_duplicating_corrupting_channel_delivers_every_message_exactly_once_in_order() {
    let pair = run_lossy(0x5EED, 300, || Faults { drop_pct: 25, dup_pct: 20, corrupt_pct: 5, cut: false });
    // The faults really were exercised.
    let (sa, sb) = (pair.a.stats(), pair.b.stats());
    assert!(sa.duplicates > 0 && sb.duplicates > 0, "{sa:?} {sb:?}");
    assert!(sa.retransmissions > 0 && sb.retransmissions > 0);
    assert!(sa.decoder.crc_errors + sa.decoder.garbage > 0);
}

#[test]
fn exactly_once_in_order_holds_across_many_seeds_and_fault_mixes() {
    for seed in 1..=12 {
        run_lossy(seed, 60, || Faults { drop_pct: 40, dup_pct: 30, corrupt_pct: 10, cut: false });
        run_lossy(seed * 977, 60, || Faults { drop_pct: 5, dup_pct: 60, corrupt_pct: 0, cut: false });
    }
}

#[test]
fn mismatched_major_version_is_reported_once_and_nothing_is_delivered() {
    let newer = Hello { proto_version: ProtoVersion { major: 2, minor: 0 }, ..hello(Role::Keypad, 2) };
    let mut pair = Pair::new(Config::new(hello(Role::Host, 1)), Config::new(newer));
    pair.b.send(Message::KeyPress { key_id: 1, press_seq: 1 }).expect("room");
    pair.run_until(5000);
    assert_eq!(pair.a_events, vec![Event::VersionMismatch(newer)]);
    assert_eq!(pair.b_events, vec![Event::VersionMismatch(hello(Role::Host, 1))]);
    assert!(!pair.a.is_connected() && !pair.b.is_connected());
    assert!(pair.b_sent.iter().all(|f| !matches!(f.message, Message::KeyPress { .. })));
}

#[test]
fn minor_version_difference_still_connects() {
    let newer = Hello { proto_version: ProtoVersion { major: 1, minor: 7 }, ..hello(Role::Keypad, 2) };
    let mut pair = Pair::new(Config::new(hello(Role::Host, 1)), Config::new(newer));
    pair.run_until(100);
    assert!(pair.a.is_connected() && pair.b.is_connected());
}

#[test]
fn peer_restart_with_new_session_reconnects_and_delivers_its_restarted_sequence_numbers() {
    let mut pair = connected_pair();
    pair.b.send(Message::KeyPress { key_id: 1, press_seq: 1 }).expect("room");
    pair.run_until(pair.now + 100);
    // The keypad reboots: a new session, sequence numbers from 0 again.
    pair.b = Link::new(Config::new(hello(Role::Keypad, 3)), pair.now);
    pair.b.send(Message::KeyPress { key_id: 1, press_seq: 1 }).expect("room");
    pair.run_until(pair.now + 100);
    assert_eq!(messages(&pair.a_events).len(), 2, "{:?}", pair.a_events);
    assert_eq!(count_events(&pair.a_events, |e| *e == Event::Connected(hello(Role::Keypad, 3))), 1);
    assert!(pair.a.is_connected() && pair.b.is_connected());
}

#[test]
fn idle_link_exchanges_heartbeats_and_stays_connected() {
    let mut pair = connected_pair();
    pair.run_until(20_000);
    assert!(pair.a_sent.iter().filter(|f| f.message == Message::Heartbeat).count() >= 15);
    assert!(pair.b_sent.iter().filter(|f| f.message == Message::Heartbeat).count() >= 15);
    assert!(!pair.a_events.iter().chain(&pair.b_events).any(|e| *e == Event::PeerSilent));
    assert!(pair.a.is_connected() && pair.b.is_connected());
}

#[test]
fn silent_peer_is_reported_and_link_reconnects_when_it_returns() {
    let mut pair = connected_pair();
    let cut_at = pair.now;
    pair.a_to_b.cut = true;
    pair.b_to_a.cut = true;
    pair.run_until(cut_at + 3600);
    assert_eq!(count_events(&pair.a_events, |e| *e == Event::PeerSilent), 1);
    assert_eq!(count_events(&pair.b_events, |e| *e == Event::PeerSilent), 1);
    assert!(!pair.a.is_connected());
    pair.a_to_b.cut = false;
    pair.b_to_a.cut = false;
    pair.run_until(pair.now + 1000);
    assert!(pair.a.is_connected() && pair.b.is_connected());
    assert_eq!(count_events(&pair.a_events, |e| matches!(e, Event::Connected(_))), 2);
}

#[test]
fn re_handshake_after_silence_keeps_duplicate_suppression() {
    let config = Config { max_retransmits: 100, ..Config::new(hello(Role::Keypad, 2)) };
    let mut pair = Pair::new(Config::new(hello(Role::Host, 1)), config);
    pair.run_until(10);
    // Every Ack from the host is lost, so the keypad keeps retransmitting, then goes silent.
    pair.a_to_b.cut = true;
    pair.b.send(Message::KeyPress { key_id: 4, press_seq: 9 }).expect("room");
    pair.run_until(pair.now + 4000);
    assert_eq!(count_events(&pair.b_events, |e| *e == Event::PeerSilent), 1);
    pair.a_to_b.cut = false;
    pair.run_until(pair.now + 2000);
    assert_eq!(messages(&pair.a_events), vec![Message::KeyPress { key_id: 4, press_seq: 9 }]);
    assert!(pair.a.stats().duplicates >= 5);
    assert_eq!(count_events(&pair.b_events, |e| matches!(e, Event::Delivered { .. })), 1);
}

#[test]
fn unacknowledged_message_fails_after_the_retry_cap() {
    let config = Config { retransmit_ms: 200, max_retransmits: 5, ..Config::new(hello(Role::Keypad, 2)) };
    let mut pair = Pair::new(Config::new(hello(Role::Host, 1)), config);
    pair.run_until(10);
    pair.a_to_b.cut = true;
    pair.b_to_a.cut = true;
    let msg = Message::Buzzer { pattern: 1, duration_ms: 300 };
    let seq = pair.b.send(msg).expect("room");
    pair.run_until(pair.now + 1500);
    assert_eq!(count_events(&pair.b_events, |e| *e == Event::DeliveryFailed { seq, message: msg }), 1);
    assert_eq!(pair.b_sent.iter().filter(|f| f.message == msg).count(), 6, "1 send + 5 retransmissions");
    assert_eq!(pair.b.stats().retransmissions, 5);
    assert_eq!(pair.b.queued(), 0);
}

#[test]
fn message_sent_while_the_cable_is_pulled_is_delivered_once_after_reconnect() {
    let mut pair = connected_pair();
    pair.a_to_b.cut = true;
    pair.b_to_a.cut = true;
    let press = Message::KeyPress { key_id: 1, press_seq: 77 };
    let seq = pair.b.send(press).expect("room");
    pair.run_until(pair.now + 30_000);
    assert_eq!(count_events(&pair.b_events, |e| *e == Event::PeerSilent), 1);
    assert_eq!(count_events(&pair.b_events, |e| matches!(e, Event::DeliveryFailed { .. })), 0);
    assert_eq!(pair.b.queued(), 1, "paused, not dropped");
    pair.a_to_b.cut = false;
    pair.b_to_a.cut = false;
    pair.run_until(pair.now + 2000);
    assert_eq!(messages(&pair.a_events), vec![press]);
    assert_eq!(pair.b_events.last(), Some(&Event::Delivered { seq }));
}

#[test]
fn unknown_reliable_message_type_is_nacked() {
    let mut pair = connected_pair();
    let mut content = [0x01, 0x01, 0x05, 0x00, 0x7E, 0x01, 0xAA, 0x00, 0x00];
    let crc = motcua_keypad_proto::crc::crc16(&content[..7]).to_be_bytes();
    content[7..].copy_from_slice(&crc);
    let mut enc = [0u8; 16];
    let n = motcua_keypad_proto::cobs::encode(&content, &mut enc).expect("fits");
    let mut bytes = vec![0];
    bytes.extend(&enc[..n]);
    bytes.push(0);
    feed_all(&mut pair.a, &mut pair.a_events, pair.now, &bytes);
    let mut buf = [0u8; MAX_WIRE_LEN];
    let n = pair.a.poll_transmit(pair.now, &mut buf).expect("nack due");
    let mut d: Decoder = Decoder::new();
    assert_eq!(
        decode_all(&mut d, &buf[..n]),
        vec![Ok(Frame { seq: 0, message: Message::Nack { seq: 5, reason: NackReason::UnknownType } })]
    );
    assert_eq!(pair.a.stats().undecodable, 1);
}

#[test]
fn nack_from_peer_rejects_the_message_without_retransmission() {
    let mut pair = connected_pair();
    let seq = pair.b.send(Message::Leds { mask: 1 }).expect("room");
    let mut buf = [0u8; MAX_WIRE_LEN];
    pair.b.poll_transmit(pair.now, &mut buf).expect("sent");
    let nack = wire(&Frame { seq: 0, message: Message::Nack { seq, reason: NackReason::Malformed } });
    feed_all(&mut pair.b, &mut pair.b_events, pair.now, &nack);
    assert_eq!(pair.b_events.last(), Some(&Event::Rejected { seq, reason: NackReason::Malformed }));
    assert_eq!(pair.b.queued(), 0);
}

#[test]
fn send_refuses_link_internal_messages_and_a_full_queue() {
    let mut link: Link<2> = Link::new(Config::new(hello(Role::Host, 1)), 0);
    assert_eq!(link.send(Message::Heartbeat), Err(Error::NotSendable));
    assert_eq!(link.send(Message::Ack { seq: 1 }), Err(Error::NotSendable));
    assert_eq!(link.send(Message::Leds { mask: 1 }), Ok(0));
    assert_eq!(link.send(Message::Leds { mask: 2 }), Ok(1));
    assert_eq!(link.send(Message::Leds { mask: 3 }), Err(Error::QueueFull));
    link.clear_queue();
    assert_eq!(link.send(Message::Leds { mask: 3 }), Ok(2));
}

#[test]
fn input_pauses_when_the_event_queue_is_full_and_resumes_after_draining() {
    let mut pair = connected_pair();
    let mut bytes = Vec::new();
    for i in 0..20u16 {
        bytes.extend(wire(&Frame { seq: i, message: Message::KeyPress { key_id: 0, press_seq: i } }));
    }
    let used = pair.a.handle_input(pair.now, &bytes);
    assert!(used < bytes.len());
    let mut got = Vec::new();
    drain(&mut pair.a, &mut got);
    assert_eq!(got.len(), motcua_keypad_proto::EVENT_CAPACITY);
    feed_all(&mut pair.a, &mut got, pair.now, &bytes[used..]);
    assert_eq!(messages(&got).len(), 20);
}

#[test]
fn link_state_fits_a_small_mcu_ram_budget() {
    // The RP2040 has 264 KiB; keep the whole link (queues, decoder) well under 2 KiB.
    assert!(size_of::<Link<4>>() < 2048, "{}", size_of::<Link<4>>());
    assert!(size_of::<Event>() <= 80);
}

#[test]
fn undecodable_hello_is_not_nacked() {
    let mut pair = connected_pair();
    // A Hello with an unknown role byte: good CRC, bad payload.
    let mut content = [0x01, 0x01, 0x00, 0x00, 0x01, 11, 1, 0, 0, 1, 0, 9, 9, 0, 0, 0, 0, 0, 0];
    let crc = motcua_keypad_proto::crc::crc16(&content[..17]).to_be_bytes();
    content[17..].copy_from_slice(&crc);
    let mut enc = [0u8; 32];
    let n = motcua_keypad_proto::cobs::encode(&content, &mut enc).expect("fits");
    let mut bytes = vec![0];
    bytes.extend(&enc[..n]);
    bytes.push(0);
    feed_all(&mut pair.a, &mut pair.a_events, pair.now, &bytes);
    assert_eq!(pair.a.stats().undecodable, 1);
    let mut buf = [0u8; MAX_WIRE_LEN];
    assert_eq!(pair.a.poll_transmit(pair.now, &mut buf), None);
}
