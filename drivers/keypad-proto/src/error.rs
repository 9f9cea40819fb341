//! The crate's one error type.
//!
//! Implements: every way encoding, decoding or queueing can fail. `Copy`, with a hand-written
//! `Display` and `core::error::Error`, because the crate is `no_std` (house style §6).
//! "Need more bytes" is not here: the stream decoder reports it as `Ok(None)`.

use core::fmt;

/// Everything that can go wrong in this crate.
///
/// The decode variants are all "Invalid": the frame is dropped and counted, and the stream
/// decoder resynchronises at the next `0x00` delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The output buffer is too small for what is being encoded.
    BufferTooSmall,
    /// A payload (or a display text) is longer than the protocol allows.
    TooLong,
    /// Bytes between two delimiters are not valid COBS (line noise, a torn frame).
    Cobs,
    /// A frame is shorter than header + type + CRC.
    TooShort,
    /// A frame exceeded the decoder's buffer before its delimiter arrived; it was discarded.
    Oversize,
    /// The CRC-16 does not match the frame's contents.
    Crc,
    /// The frame format version is not one this crate speaks (the byte is given).
    UnsupportedVersion(u8),
    /// The frame's length byte disagrees with its actual size (a torn or extended frame).
    LengthMismatch,
    /// The flags byte has reserved bits set, or flags that contradict the message type.
    BadFlags,
    /// The message type code is unknown (perhaps from a newer minor protocol version).
    UnknownMessageType(u8),
    /// The payload has the wrong length or an out-of-range field for its message type.
    Malformed,
    /// Display text is not valid UTF-8.
    InvalidUtf8,
    /// The stream ended in the middle of a frame.
    Truncated,
    /// The link's send queue is full; drain events and try again later.
    QueueFull,
    /// The message is link-internal (Hello, HelloAck, Heartbeat, Ack, Nack) and is sent by the
    /// link itself, not through [`crate::Link::send`].
    NotSendable,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BufferTooSmall => f.write_str("output buffer too small"),
            Error::TooLong => f.write_str("payload or text too long"),
            Error::Cobs => f.write_str("invalid COBS encoding"),
            Error::TooShort => f.write_str("frame too short"),
            Error::Oversize => f.write_str("frame exceeds decoder buffer"),
            Error::Crc => f.write_str("CRC mismatch"),
            Error::UnsupportedVersion(v) => write!(f, "unsupported frame version {v}"),
            Error::LengthMismatch => f.write_str("frame length field does not match its size"),
            Error::BadFlags => f.write_str("invalid frame flags"),
            Error::UnknownMessageType(t) => write!(f, "unknown message type 0x{t:02x}"),
            Error::Malformed => f.write_str("malformed payload"),
            Error::InvalidUtf8 => f.write_str("display text is not UTF-8"),
            Error::Truncated => f.write_str("stream ended inside a frame"),
            Error::QueueFull => f.write_str("send queue full"),
            Error::NotSendable => f.write_str("link-internal message cannot be sent by the application"),
        }
    }
}

impl core::error::Error for Error {}
