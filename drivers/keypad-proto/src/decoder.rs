//! The sans-IO stream decoder: bytes in, frames out.
//!
//! Implements: reassembly of `0x00`-delimited COBS frames over a fixed buffer, with
//! resynchronisation at the next delimiter after anything invalid, and counters for what was
//! dropped. Never panics and never allocates. Does not acknowledge or deduplicate
//! ([`crate::Link`] does).
//!
//! Usage: `feed` stops right after the delimiter that completes a frame (so at most one frame
//! waits inside); `poll_frame` then yields it. Loop until all input is consumed:
//!
//! ```
//! # use motcua_keypad_proto::{Decoder, Frame, Message};
//! # let mut wire = [0u8; motcua_keypad_proto::MAX_WIRE_LEN];
//! # let n = Frame { seq: 7, message: Message::Leds { mask: 3 } }.encode(&mut wire).unwrap();
//! let mut decoder: Decoder = Decoder::new();
//! let mut input = &wire[..n];
//! while !input.is_empty() {
//!     let used = decoder.feed(input);
//!     input = &input[used..];
//!     match decoder.poll_frame() {
//!         Ok(Some(frame)) => assert_eq!(frame.seq, 7),
//!         Ok(None) => {}         // Incomplete: need more bytes; not an error
//!         Err(_dropped) => {}    // Invalid: already counted, decoder has resynchronised
//!     }
//! }
//! ```

use crate::{Error, Frame, MAX_ENCODED_LEN, RawFrame, cobs};

/// What the decoder has seen and dropped since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DecoderStats {
    /// Frames that passed every check.
    pub frames: u32,
    /// Chunks between delimiters that were not frames at all: invalid COBS or too short
    /// (line noise, a frame torn by a reconnect).
    pub garbage: u32,
    /// Frames longer than the buffer; discarded up to their delimiter.
    pub oversize: u32,
    /// Frames whose CRC did not match.
    pub crc_errors: u32,
    /// Frames with a good CRC but a bad version, flags or payload.
    pub invalid: u32,
}

/// Reassembles frames from a byte stream; `N` is the buffer size in encoded bytes
/// (default: the largest frame this protocol produces).
#[derive(Debug, Clone)]
pub struct Decoder<const N: usize = MAX_ENCODED_LEN> {
    buf: [u8; N],
    len: usize,
    /// The current chunk outgrew `buf`; skip to the next delimiter.
    overflow: bool,
    /// `buf[..len]` is a complete chunk waiting for `poll_*`.
    ready: bool,
    stats: DecoderStats,
}

impl<const N: usize> Default for Decoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Decoder<N> {
    /// An empty decoder. It treats the start of the stream as a frame boundary; bytes before the
    /// first delimiter that do not form a frame are dropped and counted as garbage.
    pub const fn new() -> Self {
        Decoder {
            buf: [0; N],
            len: 0,
            overflow: false,
            ready: false,
            stats: DecoderStats { frames: 0, garbage: 0, oversize: 0, crc_errors: 0, invalid: 0 },
        }
    }

    /// Takes bytes from `data` until a frame is complete or `data` is used up; returns how many
    /// bytes were taken. Takes none while a completed frame has not been polled yet.
    pub fn feed(&mut self, data: &[u8]) -> usize {
        if self.ready {
            return 0;
        }
        for (i, &byte) in data.iter().enumerate() {
            if byte == 0 {
                if self.overflow {
                    self.overflow = false;
                    self.len = 0;
                    self.stats.oversize = self.stats.oversize.saturating_add(1);
                } else if self.len > 0 {
                    self.ready = true;
                    return i + 1;
                }
                // Empty chunk (leading delimiter, idle fill): nothing to do.
                continue;
            }
            if self.overflow {
                continue;
            }
            match self.buf.get_mut(self.len) {
                Some(slot) => {
                    *slot = byte;
                    self.len += 1;
                }
                None => {
                    self.overflow = true;
                    self.len = 0;
                }
            }
        }
        data.len()
    }

    /// The completed frame with its payload undecoded, if one is waiting (see [`RawFrame`]).
    ///
    /// `Ok(None)` means incomplete: feed more bytes. `Err` means a chunk was dropped (and
    /// counted). A raw frame counts as good here; a later payload decode failure is the
    /// caller's to count ([`Decoder::poll_frame`] does it).
    pub fn poll_raw(&mut self) -> Result<Option<RawFrame<'_>>, Error> {
        if !self.ready {
            return Ok(None);
        }
        self.ready = false;
        let len = core::mem::take(&mut self.len);
        let chunk = self.buf.get_mut(..len).ok_or(Error::Oversize)?;
        let content_len = match cobs::decode_in_place(chunk) {
            Ok(n) => n,
            Err(e) => {
                self.stats.garbage = self.stats.garbage.saturating_add(1);
                return Err(e);
            }
        };
        let content = self.buf.get(..content_len).ok_or(Error::Oversize)?;
        match RawFrame::parse(content) {
            Ok(raw) => {
                self.stats.frames = self.stats.frames.saturating_add(1);
                Ok(Some(raw))
            }
            Err(e) => {
                let counter = match e {
                    Error::Crc => &mut self.stats.crc_errors,
                    Error::TooShort => &mut self.stats.garbage,
                    Error::Oversize => &mut self.stats.oversize,
                    _ => &mut self.stats.invalid,
                };
                *counter = counter.saturating_add(1);
                Err(e)
            }
        }
    }

    /// The completed frame, fully decoded, if one is waiting.
    ///
    /// `Ok(None)` means incomplete: feed more bytes. `Err` means a frame was dropped (and
    /// counted); keep feeding, the decoder has resynchronised.
    pub fn poll_frame(&mut self) -> Result<Option<Frame>, Error> {
        let decoded = match self.poll_raw()? {
            None => return Ok(None),
            Some(raw) => raw.to_frame(),
        };
        match decoded {
            Ok(frame) => Ok(Some(frame)),
            Err(e) => {
                self.stats.frames = self.stats.frames.saturating_sub(1);
                self.stats.invalid = self.stats.invalid.saturating_add(1);
                Err(e)
            }
        }
    }

    /// Ends the stream: a partial frame still buffered is an error ([`Error::Truncated`],
    /// counted as garbage) and is discarded. The decoder is then ready for a new stream.
    pub fn finish(&mut self) -> Result<(), Error> {
        let partial = (self.len > 0 && !self.ready) || self.overflow;
        self.len = 0;
        self.overflow = false;
        self.ready = false;
        if partial {
            self.stats.garbage = self.stats.garbage.saturating_add(1);
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Counters of frames seen and dropped.
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }
}
