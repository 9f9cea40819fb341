//! The sans-IO link layer: handshake, sequence numbers, acknowledgement, retransmission,
//! duplicate suppression, heartbeat and peer-silence detection.
//!
//! Implements: [`Link`], used identically by the keypad firmware and the host driver. Bytes go
//! in through [`Link::handle_input`], time through [`Link::handle_timeout`] (milliseconds on
//! any monotonic clock, as `u64`); frames come out of [`Link::poll_transmit`], events out of
//! [`Link::poll_event`], and [`Link::poll_timeout`] says when to call back. No I/O, no clock,
//! no allocation (quinn-proto's shape, house style §2).
//!
//! ## Reliability: stop-and-wait
//! Application messages ([`Message::is_application`]) are queued by [`Link::send`] (up to `N`)
//! and sent one at a time: the head of the queue is (re)transmitted every
//! [`Config::retransmit_ms`] until an Ack or Nack with its sequence number arrives, or until
//! [`Config::max_retransmits`] retransmissions went unanswered ([`Event::DeliveryFailed`]).
//! One outstanding message is plenty for a keypad (a few messages a second at most) and makes
//! duplicate suppression trivial: the receiver remembers the last sequence number it delivered
//! and acknowledges — but does not deliver — a frame carrying that number again. So a message
//! is delivered at most once, in order, and exactly once if [`Event::Delivered`] is reported.
//!
//! ## Handshake
//! Each side sends `Hello` (its versions, role and a per-run `session`) until a `HelloAck`
//! answers it, and answers every `Hello` with a `HelloAck`. Application messages are neither
//! sent before our Hello is answered nor delivered before the peer's identity is known. A
//! peer whose protocol major version differs is reported once per peer session
//! ([`Event::VersionMismatch`]) and ignored; Hellos keep going so that a firmware update heals
//! the link. A new `session` means the peer restarted: its sequence numbers start over, so
//! duplicate suppression is reset and [`Event::Connected`] is reported again.
//!
//! ## Liveness
//! When nothing was sent for [`Config::heartbeat_interval_ms`] a Heartbeat goes out. When
//! nothing valid arrived for [`Config::silence_timeout_ms`], [`Event::PeerSilent`] is reported,
//! application sends pause and Hellos resume; the answer brings [`Event::Connected`] again and
//! the paused message a fresh retry budget. With the default timings a pulled cable therefore
//! delays messages rather than failing them. Duplicate suppression survives silence because
//! the peer's session is unchanged.
//!
//! "Once" is per peer session: a message whose Ack was lost just before the peer restarted is
//! delivered to the restarted peer again. Where that matters (a rating key press), the
//! application deduplicates on its own ids (`KeyPress::press_seq`, `RatingWindow::window_id`).
//!
//! Does not implement: a window larger than one, fragmentation, or any meaning of the
//! messages (the firmware and the hub own that).

use crate::frame::Frame;
use crate::message::{Hello, Message, NackReason};
use crate::ring::Ring;
use crate::{Decoder, DecoderStats, Error, MAX_WIRE_LEN};

/// Control frames queued for sending (acknowledgements); beyond this they are dropped, which
/// is safe: the peer retransmits and gets acknowledged again.
const CONTROL_CAPACITY: usize = 4;

/// Events waiting for [`Link::poll_event`]. Input processing pauses when this fills up.
pub const EVENT_CAPACITY: usize = 8;

/// Link timing and identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// What this side says in its Hello / HelloAck.
    pub hello: Hello,
    /// Wait this long for an Ack before retransmitting an application message.
    pub retransmit_ms: u32,
    /// Give up on a message after this many retransmissions (so `1 + max_retransmits` sends).
    /// Keep `retransmit_ms × max_retransmits` above `silence_timeout_ms`: then a message only
    /// fails while the peer is talking but not acknowledging it, and a pulled cable pauses it.
    pub max_retransmits: u8,
    /// Resend an unanswered Hello this often.
    pub hello_interval_ms: u32,
    /// Send a Heartbeat after this long without sending anything.
    pub heartbeat_interval_ms: u32,
    /// Report [`Event::PeerSilent`] after this long without a valid frame from the peer.
    /// Keep it above twice the peer's heartbeat interval.
    pub silence_timeout_ms: u32,
}

impl Config {
    /// Defaults sized for a 115200 baud line (a full frame takes about 6.5 ms): retransmit
    /// after 250 ms, up to 20 times (5 s, longer than the 3.5 s silence timeout, so a pulled
    /// cable pauses a message instead of failing it); Hello every 500 ms; heartbeat every 1 s.
    pub const fn new(hello: Hello) -> Self {
        Config {
            hello,
            retransmit_ms: 250,
            max_retransmits: 20,
            hello_interval_ms: 500,
            heartbeat_interval_ms: 1000,
            silence_timeout_ms: 3500,
        }
    }
}

/// What the link reports to its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The peer is identified and talking: first contact, the peer restarted (new session), or
    /// it answered again after [`Event::PeerSilent`]. Its messages are delivered from now on;
    /// ours go out once it has answered our Hello ([`Link::is_connected`]), until then they
    /// wait in the queue.
    Connected(Hello),
    /// The peer speaks another protocol major version; nothing from it is delivered.
    VersionMismatch(Hello),
    /// An application message from the peer, delivered once.
    Message(Message),
    /// Our message `seq` was acknowledged.
    Delivered {
        /// Sequence number returned by [`Link::send`].
        seq: u16,
    },
    /// The peer refused our message `seq`; it is not retransmitted.
    Rejected {
        /// Sequence number returned by [`Link::send`].
        seq: u16,
        /// The peer's reason.
        reason: NackReason,
    },
    /// Our message `seq` went unacknowledged through every retransmission and was dropped.
    /// The peer may or may not have received it.
    DeliveryFailed {
        /// Sequence number returned by [`Link::send`].
        seq: u16,
        /// The message, for the caller to retry or report.
        message: Message,
    },
    /// Nothing valid arrived from the peer for [`Config::silence_timeout_ms`].
    PeerSilent,
}

/// Counters for the health page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LinkStats {
    /// The frame decoder's counters (garbage, oversize, CRC errors, ...).
    pub decoder: DecoderStats,
    /// Frames with a good CRC whose message did not decode (Nacked if reliable).
    pub undecodable: u32,
    /// Application messages retransmitted.
    pub retransmissions: u32,
    /// Received duplicates (acknowledged again, not delivered).
    pub duplicates: u32,
    /// Application messages received before the handshake (not acknowledged; the peer retries).
    pub before_handshake: u32,
    /// Acknowledgements dropped because the control queue was full.
    pub control_dropped: u32,
}

#[derive(Debug, Clone, Copy)]
enum Control {
    Ack(u16),
    Nack(u16, NackReason),
    HelloAck,
}

#[derive(Debug, Clone, Copy)]
struct Outgoing {
    seq: u16,
    message: Message,
    /// Transmissions so far.
    sends: u8,
    /// Earliest time of the next transmission (or of giving up, once sends are used up).
    due: u64,
}

#[derive(Debug, Clone, Copy)]
struct Peer {
    hello: Hello,
    /// Sequence number of the last application message delivered from this peer session.
    last_delivered: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HelloState {
    /// Our Hello is unanswered; send it at `next_at`.
    Pending { next_at: u64 },
    /// The peer answered our Hello: application messages may go out.
    Answered,
}

/// One end of the keypad link; `N` is the send-queue capacity (application messages).
#[derive(Debug, Clone)]
pub struct Link<const N: usize> {
    config: Config,
    decoder: Decoder,
    hello: HelloState,
    peer: Option<Peer>,
    /// The peer is known and has not gone silent.
    alive: bool,
    /// Session of the last version-mismatched peer (so the event is reported once).
    mismatch_session: Option<u32>,
    queue: Ring<Outgoing, N>,
    control: Ring<Control, CONTROL_CAPACITY>,
    events: Ring<Event, EVENT_CAPACITY>,
    next_seq: u16,
    last_rx_at: u64,
    last_tx_at: u64,
    stats: LinkStats,
}

impl<const N: usize> Link<N> {
    /// A link that starts its handshake at the first [`Link::poll_transmit`].
    pub fn new(config: Config, now: u64) -> Self {
        Link {
            config,
            decoder: Decoder::new(),
            hello: HelloState::Pending { next_at: now },
            peer: None,
            alive: false,
            mismatch_session: None,
            queue: Ring::new(),
            control: Ring::new(),
            events: Ring::new(),
            next_seq: 0,
            last_rx_at: now,
            last_tx_at: now,
            stats: LinkStats::default(),
        }
    }

    /// Queues an application message; returns the sequence number that [`Event::Delivered`]
    /// (or `Rejected` / `DeliveryFailed`) will carry.
    ///
    /// Fails with [`Error::NotSendable`] for link-internal messages and [`Error::QueueFull`]
    /// when `N` messages are already waiting.
    pub fn send(&mut self, message: Message) -> Result<u16, Error> {
        if !message.is_application() {
            return Err(Error::NotSendable);
        }
        let seq = self.next_seq;
        self.queue.push(Outgoing { seq, message, sends: 0, due: 0 }).map_err(|_| Error::QueueFull)?;
        self.next_seq = self.next_seq.wrapping_add(1);
        Ok(seq)
    }

    /// Feeds received bytes; returns how many were consumed. Consumption stops early when
    /// [`EVENT_CAPACITY`] events are waiting: drain [`Link::poll_event`] and feed the rest.
    pub fn handle_input(&mut self, now: u64, data: &[u8]) -> usize {
        let mut used = 0;
        loop {
            if self.events.is_full() {
                break;
            }
            self.process_ready_frame(now);
            match data.get(used..) {
                Some(rest) if !rest.is_empty() => used += self.decoder.feed(rest),
                _ => break,
            }
        }
        used
    }

    /// Advances timers: gives up on an exhausted message and detects a silent peer. Call it at
    /// (or after) [`Link::poll_timeout`]; calling it at other times is harmless.
    pub fn handle_timeout(&mut self, now: u64) {
        if let Some(head) = self.queue.front()
            && self.hello == HelloState::Answered
            && head.sends >= self.max_sends()
            && now >= head.due
            && !self.events.is_full()
            && let Some(head) = self.queue.pop()
        {
            self.push_event(Event::DeliveryFailed { seq: head.seq, message: head.message });
        }
        if self.alive
            && now >= self.last_rx_at.saturating_add(u64::from(self.config.silence_timeout_ms))
            && !self.events.is_full()
        {
            self.alive = false;
            self.hello = HelloState::Pending { next_at: now };
            self.push_event(Event::PeerSilent);
        }
    }

    /// Writes the next frame to send into `buf` and returns its length, or `None` when nothing
    /// is due. Call until `None` after every `handle_*` and `send`.
    pub fn poll_transmit(&mut self, now: u64, buf: &mut [u8; MAX_WIRE_LEN]) -> Option<usize> {
        let frame = self.next_frame(now)?;
        // Cannot fail: every frame fits in MAX_WIRE_LEN.
        let len = frame.encode(buf).ok()?;
        self.last_tx_at = now;
        Some(len)
    }

    fn next_frame(&mut self, now: u64) -> Option<Frame> {
        if let Some(control) = self.control.pop() {
            let message = match control {
                Control::Ack(seq) => Message::Ack { seq },
                Control::Nack(seq, reason) => Message::Nack { seq, reason },
                Control::HelloAck => Message::HelloAck(self.config.hello),
            };
            return Some(Frame { seq: 0, message });
        }
        if let HelloState::Pending { next_at } = self.hello
            && now >= next_at
        {
            self.hello = HelloState::Pending { next_at: now.saturating_add(u64::from(self.config.hello_interval_ms)) };
            return Some(Frame { seq: 0, message: Message::Hello(self.config.hello) });
        }
        if self.hello != HelloState::Answered {
            return None;
        }
        let max_sends = self.max_sends();
        if let Some(head) = self.queue.front_mut()
            && head.sends < max_sends
            && now >= head.due
        {
            if head.sends > 0 {
                self.stats.retransmissions = self.stats.retransmissions.saturating_add(1);
            }
            head.sends += 1;
            head.due = now.saturating_add(u64::from(self.config.retransmit_ms));
            return Some(Frame { seq: head.seq, message: head.message });
        }
        if now >= self.last_tx_at.saturating_add(u64::from(self.config.heartbeat_interval_ms)) {
            return Some(Frame { seq: 0, message: Message::Heartbeat });
        }
        None
    }

    /// When [`Link::handle_timeout`] (then [`Link::poll_transmit`]) should next be called, on
    /// the same clock as `now`; `None` if no timer runs.
    pub fn poll_timeout(&self) -> Option<u64> {
        let mut earliest: Option<u64> = None;
        let mut consider = |t: u64| earliest = Some(earliest.map_or(t, |e| e.min(t)));
        match self.hello {
            HelloState::Pending { next_at } => consider(next_at),
            HelloState::Answered => {
                if let Some(head) = self.queue.front() {
                    consider(head.due);
                }
                consider(self.last_tx_at.saturating_add(u64::from(self.config.heartbeat_interval_ms)));
            }
        }
        if self.alive {
            consider(self.last_rx_at.saturating_add(u64::from(self.config.silence_timeout_ms)));
        }
        earliest
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Whether the handshake is complete both ways and the peer has not gone silent.
    pub fn is_connected(&self) -> bool {
        self.alive && self.hello == HelloState::Answered
    }

    /// The peer's Hello, once a compatible peer is known.
    pub fn peer(&self) -> Option<&Hello> {
        self.peer.as_ref().map(|p| &p.hello)
    }

    /// Application messages waiting to be sent or acknowledged.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Drops every queued application message (e.g. stale screen updates after a reconnect).
    pub fn clear_queue(&mut self) {
        self.queue.clear();
    }

    /// Counters for the health page.
    pub fn stats(&self) -> LinkStats {
        LinkStats { decoder: self.decoder.stats(), ..self.stats }
    }

    /// Transmissions allowed per message (saturates at 255).
    fn max_sends(&self) -> u8 {
        self.config.max_retransmits.saturating_add(1)
    }

    fn push_event(&mut self, event: Event) {
        // Callers check for room first; an event is never silently lost.
        let _ = self.events.push(event);
    }

    fn push_control(&mut self, control: Control) {
        if self.control.push(control).is_err() {
            self.stats.control_dropped = self.stats.control_dropped.saturating_add(1);
        }
    }

    fn process_ready_frame(&mut self, now: u64) {
        let Ok(Some(raw)) = self.decoder.poll_raw() else { return };
        // A Nack names an application sequence number; an undecodable Hello carries none
        // (its seq is 0), so Nacking it could reject an unrelated message of ours.
        let nackable = raw.ack_requested() && raw.msg_type != crate::message::code::HELLO;
        let seq = raw.seq;
        let decoded = raw.to_frame();
        // Any frame with a good CRC proves the peer is alive.
        self.last_rx_at = now;
        match decoded {
            Ok(frame) => self.handle_frame(now, frame),
            Err(e) => {
                self.stats.undecodable = self.stats.undecodable.saturating_add(1);
                if nackable {
                    let reason = if matches!(e, Error::UnknownMessageType(_)) {
                        NackReason::UnknownType
                    } else {
                        NackReason::Malformed
                    };
                    self.push_control(Control::Nack(seq, reason));
                }
            }
        }
    }

    fn handle_frame(&mut self, now: u64, frame: Frame) {
        match frame.message {
            Message::Hello(hello) => {
                self.push_control(Control::HelloAck);
                if self.learn_peer(hello)
                    && let HelloState::Pending { .. } = self.hello
                {
                    // The peer just appeared: introduce ourselves now, not at the next interval.
                    self.hello = HelloState::Pending { next_at: now };
                }
            }
            Message::HelloAck(hello) => {
                if self.learn_peer(hello) && self.hello != HelloState::Answered {
                    self.hello = HelloState::Answered;
                    // Back after silence: the paused message gets a fresh retry budget and goes
                    // out now. `sends` stays non-zero so that a late Ack still matches it.
                    if let Some(head) = self.queue.front_mut()
                        && head.sends > 0
                    {
                        head.sends = 1;
                        head.due = now;
                    }
                }
            }
            Message::Heartbeat => {}
            Message::Ack { seq } => {
                if self.take_head(seq) {
                    self.push_event(Event::Delivered { seq });
                }
            }
            Message::Nack { seq, reason } => {
                if self.take_head(seq) {
                    self.push_event(Event::Rejected { seq, reason });
                }
            }
            message => {
                let Some(peer) = self.peer.as_mut() else {
                    // Unacknowledged on purpose: the peer retransmits once the handshake is done.
                    self.stats.before_handshake = self.stats.before_handshake.saturating_add(1);
                    return;
                };
                let duplicate = peer.last_delivered == Some(frame.seq);
                peer.last_delivered = Some(frame.seq);
                // Acknowledge duplicates too: the duplicate means our first Ack was lost.
                self.push_control(Control::Ack(frame.seq));
                if duplicate {
                    self.stats.duplicates = self.stats.duplicates.saturating_add(1);
                } else {
                    self.push_event(Event::Message(message));
                }
            }
        }
    }

    /// Removes the head of the queue if it is the sent message `seq`.
    fn take_head(&mut self, seq: u16) -> bool {
        match self.queue.front() {
            Some(head) if head.seq == seq && head.sends > 0 => self.queue.pop().is_some(),
            _ => false,
        }
    }

    /// Records the peer's identity from a Hello or HelloAck; returns whether it is compatible.
    fn learn_peer(&mut self, hello: Hello) -> bool {
        if hello.proto_version.major != self.config.hello.proto_version.major {
            self.peer = None;
            self.alive = false;
            if self.mismatch_session != Some(hello.session) {
                self.mismatch_session = Some(hello.session);
                self.push_event(Event::VersionMismatch(hello));
            }
            return false;
        }
        match self.peer.as_mut() {
            Some(peer) if peer.hello.session == hello.session => {
                peer.hello = hello;
                if !self.alive {
                    self.alive = true;
                    self.push_event(Event::Connected(hello));
                }
            }
            _ => {
                // New peer, or the peer restarted: its sequence numbers start over.
                self.peer = Some(Peer { hello, last_delivered: None });
                self.alive = true;
                self.push_event(Event::Connected(hello));
            }
        }
        true
    }
}
