//! The frame: header, message, CRC, COBS and delimiters.
//!
//! Implements: [`Frame::encode`] to wire bytes and [`Frame::decode_content`] /
//! [`RawFrame::parse`] from the unencoded content. The byte layout is in the crate README.
//! Does not implement stream reassembly ([`crate::Decoder`]) or acknowledgement logic
//! ([`crate::Link`]).

use crate::{Error, MAX_CONTENT_LEN, MAX_PAYLOAD, MAX_WIRE_LEN, Message, cobs, crc::crc16};

/// The frame format version in byte 0. Distinct from the protocol version in
/// [`crate::Hello`]: this one changes only if the header/CRC layout changes.
pub const FRAME_VERSION: u8 = 1;

/// Header length: version, flags, sequence number (u16 LE).
pub const HEADER_LEN: usize = 4;

/// Length of the CRC trailer.
pub const CRC_LEN: usize = 2;

/// Shortest valid content: header, type byte, length byte, CRC.
pub const MIN_CONTENT_LEN: usize = HEADER_LEN + 2 + CRC_LEN;

/// Flag bits (byte 1 of the header).
pub mod flags {
    /// The sender wants an answer (Ack/Nack, or HelloAck for a Hello) and retransmits until
    /// it gets one.
    pub const ACK_REQUESTED: u8 = 0x01;
    /// The frame acknowledges another (HelloAck, Ack, Nack).
    pub const IS_ACK: u8 = 0x02;
    /// Bits that must be zero in this frame version.
    pub const RESERVED: u8 = !(ACK_REQUESTED | IS_ACK);
}

/// The flags a frame carrying `message` must have.
fn flags_for(message: &Message) -> u8 {
    let mut f = 0;
    if message.is_reliable() {
        f |= flags::ACK_REQUESTED;
    }
    if message.is_ack() {
        f |= flags::IS_ACK;
    }
    f
}

/// A decoded frame: a message and the sender's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Sender's sequence number. Meaningful for application messages (reliable, deduplicated
    /// by it); link-internal frames carry 0 and receivers ignore it.
    pub seq: u16,
    /// The message.
    pub message: Message,
}

impl Frame {
    /// The flags byte this frame is sent with (derived from the message type).
    pub fn flags(&self) -> u8 {
        flags_for(&self.message)
    }

    /// Writes the unencoded content (header, type, length, payload, CRC) into `out`; returns
    /// its length.
    pub fn encode_content(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut body = [0u8; 1 + MAX_PAYLOAD];
        let body_len = self.message.encode(&mut body)?;
        let (&[msg_type], payload) =
            body.get(..body_len).ok_or(Error::BufferTooSmall)?.split_first_chunk::<1>().ok_or(Error::TooShort)?;
        let payload_len = u8::try_from(payload.len()).map_err(|_| Error::TooLong)?;
        let [s0, s1] = self.seq.to_le_bytes();
        let header = out.get_mut(..HEADER_LEN + 2).ok_or(Error::BufferTooSmall)?;
        header.copy_from_slice(&[FRAME_VERSION, self.flags(), s0, s1, msg_type, payload_len]);
        let n = HEADER_LEN + 2 + payload.len();
        out.get_mut(HEADER_LEN + 2..n).ok_or(Error::BufferTooSmall)?.copy_from_slice(payload);
        let crc = crc16(out.get(..n).ok_or(Error::BufferTooSmall)?);
        out.get_mut(n..n + CRC_LEN).ok_or(Error::BufferTooSmall)?.copy_from_slice(&crc.to_be_bytes());
        Ok(n + CRC_LEN)
    }

    /// Writes the frame as it goes on the wire — `0x00`, COBS(content), `0x00` — into `out`
    /// and returns its length (at most [`MAX_WIRE_LEN`]).
    ///
    /// The leading delimiter flushes any line noise the receiver has buffered, so a frame sent
    /// after garbage is not glued to it and lost.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut content = [0u8; MAX_CONTENT_LEN];
        let n = self.encode_content(&mut content)?;
        let content = content.get(..n).ok_or(Error::BufferTooSmall)?;
        *out.first_mut().ok_or(Error::BufferTooSmall)? = 0;
        let encoded = cobs::encode(content, out.get_mut(1..).ok_or(Error::BufferTooSmall)?)?;
        *out.get_mut(1 + encoded).ok_or(Error::BufferTooSmall)? = 0;
        let len = encoded + 2;
        debug_assert!(len <= MAX_WIRE_LEN);
        Ok(len)
    }

    /// Decodes unencoded content (COBS already removed): checks CRC, version and flags, then
    /// decodes the message.
    pub fn decode_content(content: &[u8]) -> Result<Frame, Error> {
        RawFrame::parse(content)?.to_frame()
    }
}

/// A frame whose CRC, version and flags are valid but whose payload is not decoded yet.
///
/// The link uses it to answer a well-formed frame of an unknown type with a Nack (it needs the
/// sequence number even though the message does not decode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame<'a> {
    /// The flags byte.
    pub flags: u8,
    /// Sender's sequence number.
    pub seq: u16,
    /// Message type code.
    pub msg_type: u8,
    /// Payload bytes.
    pub payload: &'a [u8],
}

impl<'a> RawFrame<'a> {
    /// Checks length, CRC, frame version and reserved flag bits of unencoded `content`.
    pub fn parse(content: &'a [u8]) -> Result<Self, Error> {
        if content.len() < MIN_CONTENT_LEN {
            return Err(Error::TooShort);
        }
        if content.len() > MAX_CONTENT_LEN {
            return Err(Error::Oversize);
        }
        let (body, crc) = content.split_last_chunk::<CRC_LEN>().ok_or(Error::TooShort)?;
        if crc16(body) != u16::from_be_bytes(*crc) {
            return Err(Error::Crc);
        }
        let (&[version, flag_bits, s0, s1], rest) = body.split_first_chunk::<HEADER_LEN>().ok_or(Error::TooShort)?;
        if version != FRAME_VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        if flag_bits & flags::RESERVED != 0 || flag_bits == flags::ACK_REQUESTED | flags::IS_ACK {
            return Err(Error::BadFlags);
        }
        let (&[msg_type, payload_len], payload) = rest.split_first_chunk::<2>().ok_or(Error::TooShort)?;
        // The CRC cannot see zero bytes appended after it (crc16(M ‖ crc) is 0, and stays 0
        // through further zeros); a COBS block cut short by a corrupted delimiter produces
        // exactly that. The explicit length rejects it.
        if usize::from(payload_len) != payload.len() {
            return Err(Error::LengthMismatch);
        }
        Ok(RawFrame { flags: flag_bits, seq: u16::from_le_bytes([s0, s1]), msg_type, payload })
    }

    /// Whether the sender asked for an acknowledgement.
    pub fn ack_requested(&self) -> bool {
        self.flags & flags::ACK_REQUESTED != 0
    }

    /// Decodes the message and checks that the flags match its type.
    pub fn to_frame(&self) -> Result<Frame, Error> {
        let message = Message::decode_payload(self.msg_type, self.payload)?;
        if flags_for(&message) != self.flags {
            return Err(Error::BadFlags);
        }
        Ok(Frame { seq: self.seq, message })
    }
}
