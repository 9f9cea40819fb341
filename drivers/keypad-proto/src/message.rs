//! The messages exchanged between the host and the keypad, and their payload encodings.
//!
//! Implements: [`Message`] with `encode` (type byte + payload) and `decode`, no allocation.
//! Multi-byte integers are little-endian. Payload lengths are exact: a minor protocol version
//! may add message *types* but never changes an existing payload. Does not implement the frame
//! header or CRC ([`crate::frame`]) nor which side may send what (the application decides).

use crate::{Error, MAX_PAYLOAD};

/// Longest display text in bytes (UTF-8; a Vietnamese letter with tone mark takes 2–3 bytes).
/// One payload byte holds the line number.
pub const MAX_TEXT_LEN: usize = MAX_PAYLOAD - 1;

/// Message type codes (the byte after the frame header).
pub(crate) mod code {
    pub const HELLO: u8 = 0x01;
    pub const HELLO_ACK: u8 = 0x02;
    pub const HEARTBEAT: u8 = 0x03;
    pub const ACK: u8 = 0x04;
    pub const NACK: u8 = 0x05;
    pub const KEY_PRESS: u8 = 0x10;
    pub const DISPLAY: u8 = 0x20;
    pub const LEDS: u8 = 0x21;
    pub const BUZZER: u8 = 0x22;
    pub const RATING_WINDOW: u8 = 0x23;
}

/// A protocol version. Peers with different `major` refuse to talk; `minor` may differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtoVersion {
    /// Incompatible changes bump this.
    pub major: u8,
    /// Compatible additions (new message types) bump this.
    pub minor: u8,
}

/// The protocol version this crate implements.
pub const PROTO_VERSION: ProtoVersion = ProtoVersion { major: 1, minor: 0 };

/// A firmware or driver version, reported in [`Hello`] for the health page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FirmwareVersion {
    /// Major.
    pub major: u8,
    /// Minor.
    pub minor: u8,
    /// Patch.
    pub patch: u8,
}

/// Which end of the link a peer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The kiosk / counter PC driving the keypad.
    Host,
    /// The keypad firmware.
    Keypad,
}

impl Role {
    fn to_byte(self) -> u8 {
        match self {
            Role::Host => 0,
            Role::Keypad => 1,
        }
    }

    fn from_byte(b: u8) -> Result<Self, Error> {
        match b {
            0 => Ok(Role::Host),
            1 => Ok(Role::Keypad),
            _ => Err(Error::Malformed),
        }
    }
}

/// The handshake contents, carried by [`Message::Hello`] and [`Message::HelloAck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hello {
    /// Protocol version of the sender.
    pub proto_version: ProtoVersion,
    /// Firmware (keypad) or driver (host) version of the sender.
    pub firmware_version: FirmwareVersion,
    /// Number of keys the sender has (0 for the host).
    pub keys: u8,
    /// Which end the sender is.
    pub role: Role,
    /// Identifies one run of the sender (random or a boot counter). A new value tells the
    /// receiver that the sender restarted, so its sequence numbers start over; the same value
    /// in a repeated handshake keeps duplicate suppression intact. Must differ across restarts.
    pub session: u32,
}

const HELLO_LEN: usize = 11;

impl Hello {
    fn encode(&self, out: &mut Writer<'_>) -> Result<(), Error> {
        out.u8(self.proto_version.major)?;
        out.u8(self.proto_version.minor)?;
        out.u8(self.firmware_version.major)?;
        out.u8(self.firmware_version.minor)?;
        out.u8(self.firmware_version.patch)?;
        out.u8(self.keys)?;
        out.u8(self.role.to_byte())?;
        out.u32(self.session)
    }

    fn decode(p: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::exact(p, HELLO_LEN)?;
        Ok(Hello {
            proto_version: ProtoVersion { major: r.u8()?, minor: r.u8()? },
            firmware_version: FirmwareVersion { major: r.u8()?, minor: r.u8()?, patch: r.u8()? },
            keys: r.u8()?,
            role: Role::from_byte(r.u8()?)?,
            session: r.u32()?,
        })
    }
}

/// Why a receiver refused a reliable frame (sent in [`Message::Nack`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NackReason {
    /// The message type is unknown to the receiver (a newer minor version sent it).
    UnknownType,
    /// The payload did not decode (wrong length, bad UTF-8, out-of-range field).
    Malformed,
    /// A reason code this version does not know.
    Other(u8),
}

impl NackReason {
    /// Wire code.
    pub fn to_byte(self) -> u8 {
        match self {
            NackReason::UnknownType => 1,
            NackReason::Malformed => 2,
            NackReason::Other(b) => b,
        }
    }

    /// From the wire code; unknown codes become [`NackReason::Other`].
    pub fn from_byte(b: u8) -> Self {
        match b {
            1 => NackReason::UnknownType,
            2 => NackReason::Malformed,
            other => NackReason::Other(other),
        }
    }
}

/// UTF-8 text for one display line, stored inline (at most [`MAX_TEXT_LEN`] bytes).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DisplayText {
    buf: [u8; MAX_TEXT_LEN],
    len: u8,
}

impl DisplayText {
    /// The empty text.
    pub const EMPTY: DisplayText = DisplayText { buf: [0; MAX_TEXT_LEN], len: 0 };

    /// Copies `text`; fails with [`Error::TooLong`] if it exceeds [`MAX_TEXT_LEN`] bytes.
    pub fn new(text: &str) -> Result<Self, Error> {
        Self::from_utf8(text.as_bytes())
    }

    /// Copies as much of `text` as fits, cutting at a character boundary (never inside a
    /// multi-byte Vietnamese letter).
    pub fn truncated(text: &str) -> Self {
        let mut end = text.len().min(MAX_TEXT_LEN);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Self::from_utf8(text.as_bytes().get(..end).unwrap_or_default()).unwrap_or(Self::EMPTY)
    }

    fn from_utf8(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_TEXT_LEN {
            return Err(Error::TooLong);
        }
        core::str::from_utf8(bytes).map_err(|_| Error::InvalidUtf8)?;
        let mut buf = [0; MAX_TEXT_LEN];
        let dst = buf.get_mut(..bytes.len()).ok_or(Error::TooLong)?;
        dst.copy_from_slice(bytes);
        Ok(DisplayText { buf, len: bytes.len() as u8 })
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Always valid: constructors check UTF-8 and the length.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl core::fmt::Debug for DisplayText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Default for DisplayText {
    fn default() -> Self {
        Self::EMPTY
    }
}

/// One protocol message. Link-internal messages (handshake, heartbeat, acknowledgements) are
/// produced and consumed by [`crate::Link`]; the others are what applications send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Message {
    /// Handshake opener; answered by [`Message::HelloAck`]. Link-internal.
    Hello(Hello),
    /// Handshake answer, carrying the responder's identity. Link-internal.
    HelloAck(Hello),
    /// "Still here" when nothing else was sent for a while. Link-internal.
    Heartbeat,
    /// Reliable frame `seq` was received. Link-internal.
    Ack {
        /// Sequence number of the acknowledged frame.
        seq: u16,
    },
    /// Reliable frame `seq` was refused and must not be retransmitted. Link-internal.
    Nack {
        /// Sequence number of the refused frame.
        seq: u16,
        /// Why.
        reason: NackReason,
    },
    /// Keypad → host: a key went down.
    KeyPress {
        /// Key position as wired on the keypad (the host maps it to a meaning).
        key_id: u8,
        /// Press counter (wrapping), independent of link sequence numbers; a gap means the
        /// keypad dropped presses (e.g. its queue was full).
        press_seq: u16,
    },
    /// Host → keypad: replace one display line.
    Display {
        /// Line index from the top.
        line: u8,
        /// The line's text.
        text: DisplayText,
    },
    /// Host → keypad: key LEDs, bit `n` lights LED `n`.
    Leds {
        /// LED bit mask.
        mask: u16,
    },
    /// Host → keypad: sound the buzzer.
    Buzzer {
        /// Firmware-defined pattern number (0 = steady tone).
        pattern: u8,
        /// How long, in milliseconds.
        duration_ms: u16,
    },
    /// Host → keypad: open or close a rating window.
    RatingWindow {
        /// `true` opens, `false` closes.
        open: bool,
        /// Identifies the window (the host ties ratings to a service session by it).
        window_id: u32,
        /// The keypad closes the window by itself after this many seconds.
        timeout_s: u16,
    },
}

impl Message {
    /// The type code on the wire.
    pub fn type_code(&self) -> u8 {
        match self {
            Message::Hello(_) => code::HELLO,
            Message::HelloAck(_) => code::HELLO_ACK,
            Message::Heartbeat => code::HEARTBEAT,
            Message::Ack { .. } => code::ACK,
            Message::Nack { .. } => code::NACK,
            Message::KeyPress { .. } => code::KEY_PRESS,
            Message::Display { .. } => code::DISPLAY,
            Message::Leds { .. } => code::LEDS,
            Message::Buzzer { .. } => code::BUZZER,
            Message::RatingWindow { .. } => code::RATING_WINDOW,
        }
    }

    /// Whether the frame carrying it asks for an acknowledgement (Hello is answered by
    /// HelloAck, the application messages by Ack).
    pub fn is_reliable(&self) -> bool {
        !matches!(self, Message::HelloAck(_) | Message::Heartbeat | Message::Ack { .. } | Message::Nack { .. })
    }

    /// Whether it acknowledges another frame (HelloAck, Ack, Nack).
    pub fn is_ack(&self) -> bool {
        matches!(self, Message::HelloAck(_) | Message::Ack { .. } | Message::Nack { .. })
    }

    /// Whether the application sends it through [`crate::Link::send`] (everything except the
    /// link-internal messages).
    pub fn is_application(&self) -> bool {
        matches!(
            self,
            Message::KeyPress { .. }
                | Message::Display { .. }
                | Message::Leds { .. }
                | Message::Buzzer { .. }
                | Message::RatingWindow { .. }
        )
    }

    /// Writes the type byte and the payload into `out`; returns the length written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut w = Writer { buf: out, pos: 0 };
        w.u8(self.type_code())?;
        match self {
            Message::Hello(h) | Message::HelloAck(h) => h.encode(&mut w)?,
            Message::Heartbeat => {}
            Message::Ack { seq } => w.u16(*seq)?,
            Message::Nack { seq, reason } => {
                w.u16(*seq)?;
                w.u8(reason.to_byte())?;
            }
            Message::KeyPress { key_id, press_seq } => {
                w.u8(*key_id)?;
                w.u16(*press_seq)?;
            }
            Message::Display { line, text } => {
                w.u8(*line)?;
                w.bytes(text.as_bytes())?;
            }
            Message::Leds { mask } => w.u16(*mask)?,
            Message::Buzzer { pattern, duration_ms } => {
                w.u8(*pattern)?;
                w.u16(*duration_ms)?;
            }
            Message::RatingWindow { open, window_id, timeout_s } => {
                w.u8(u8::from(*open))?;
                w.u32(*window_id)?;
                w.u16(*timeout_s)?;
            }
        }
        Ok(w.pos)
    }

    /// Decodes a type byte followed by its payload (exactly what [`Message::encode`] wrote).
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let (&ty, payload) = bytes.split_first().ok_or(Error::TooShort)?;
        Self::decode_payload(ty, payload)
    }

    /// Decodes the payload of a message of type `ty`.
    pub fn decode_payload(ty: u8, p: &[u8]) -> Result<Self, Error> {
        if p.len() > MAX_PAYLOAD {
            return Err(Error::TooLong);
        }
        Ok(match ty {
            code::HELLO => Message::Hello(Hello::decode(p)?),
            code::HELLO_ACK => Message::HelloAck(Hello::decode(p)?),
            code::HEARTBEAT => {
                Reader::exact(p, 0)?;
                Message::Heartbeat
            }
            code::ACK => Message::Ack { seq: Reader::exact(p, 2)?.u16()? },
            code::NACK => {
                let mut r = Reader::exact(p, 3)?;
                Message::Nack { seq: r.u16()?, reason: NackReason::from_byte(r.u8()?) }
            }
            code::KEY_PRESS => {
                let mut r = Reader::exact(p, 3)?;
                Message::KeyPress { key_id: r.u8()?, press_seq: r.u16()? }
            }
            code::DISPLAY => {
                let (&line, text) = p.split_first().ok_or(Error::Malformed)?;
                Message::Display { line, text: DisplayText::from_utf8(text)? }
            }
            code::LEDS => Message::Leds { mask: Reader::exact(p, 2)?.u16()? },
            code::BUZZER => {
                let mut r = Reader::exact(p, 3)?;
                Message::Buzzer { pattern: r.u8()?, duration_ms: r.u16()? }
            }
            code::RATING_WINDOW => {
                let mut r = Reader::exact(p, 7)?;
                let open = match r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err(Error::Malformed),
                };
                Message::RatingWindow { open, window_id: r.u32()?, timeout_s: r.u16()? }
            }
            other => return Err(Error::UnknownMessageType(other)),
        })
    }
}

struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) -> Result<(), Error> {
        let end = self.pos.checked_add(b.len()).ok_or(Error::BufferTooSmall)?;
        self.buf.get_mut(self.pos..end).ok_or(Error::BufferTooSmall)?.copy_from_slice(b);
        self.pos = end;
        Ok(())
    }
    fn u8(&mut self, v: u8) -> Result<(), Error> {
        self.bytes(&[v])
    }
    fn u16(&mut self, v: u16) -> Result<(), Error> {
        self.bytes(&v.to_le_bytes())
    }
    fn u32(&mut self, v: u32) -> Result<(), Error> {
        self.bytes(&v.to_le_bytes())
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over a payload that must be exactly `len` bytes long.
    fn exact(buf: &'a [u8], len: usize) -> Result<Self, Error> {
        if buf.len() == len { Ok(Reader { buf }) } else { Err(Error::Malformed) }
    }
    fn take<const K: usize>(&mut self) -> Result<[u8; K], Error> {
        let (head, rest) = self.buf.split_first_chunk::<K>().ok_or(Error::Malformed)?;
        self.buf = rest;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.take()?))
    }
}
