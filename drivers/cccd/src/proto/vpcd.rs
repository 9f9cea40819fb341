//! The vpcd wire protocol, card side (the "vicc"): the framing between pcscd's virtual reader
//! driver `vpcd` (Debian package `vsmartcard-vpcd`) and a virtual card, as a sans-IO decoder.
//!
//! The card connects over TCP to the driver (default `127.0.0.1:35963` for reader
//! "Virtual PCD 00 00", 35964 for "… 00 01": `CHANNELID 0x8C7B` in
//! `/etc/reader.conf.d/vpcd`). Every message in either direction is a 2-byte big-endian length
//! and that many bytes. A 1-byte message from the driver is a control: `00` power off, `01`
//! power on, `02` reset, `04` send the ATR; only `04` is answered (with the ATR). Any longer
//! message is a command APDU, answered with the response APDU. The card leaves the reader by
//! closing the socket. (vsmartcard `virtualsmartcard/src/vpcd/vpcd.c` `sendToVICC` /
//! `recvFromVICC` / `vicc_getatr`, and `src/vpicc/virtualsmartcard/VirtualSmartcard.py`
//! `VirtualICC.run`.) The driver polls card presence by asking for the ATR, several times a
//! second, between APDUs.
//!
//! [`Decoder::feed`] takes bytes as they arrive and [`Decoder::poll_message`] hands out whole
//! [`Message`]s; a zero-length frame (which vpcd never sends) is dropped and counted, and a
//! partial frame at the end of the stream is an error ([`Decoder::finish`]). [`encode`] frames
//! an answer.
//!
//! Does not implement: vpcd's reversed connection mode (the card listening, the driver
//! connecting), which only changes who calls `connect`.

/// Largest payload a 2-byte length can carry.
pub const MAX_PAYLOAD: usize = 0xFFFF;

/// Control byte: power the card off.
pub const CTRL_OFF: u8 = 0x00;
/// Control byte: power the card on (cold reset).
pub const CTRL_ON: u8 = 0x01;
/// Control byte: warm reset.
pub const CTRL_RESET: u8 = 0x02;
/// Control byte: answer with the ATR.
pub const CTRL_ATR: u8 = 0x04;

/// What the driver asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Power off: forget the session.
    PowerOff,
    /// Power on: the card starts afresh.
    PowerOn,
    /// Warm reset: the card starts afresh.
    Reset,
    /// Send the ATR (also how the driver polls presence).
    GetAtr,
    /// A 1-byte control this card does not know; ignore it (vicc does).
    UnknownControl(u8),
    /// A command APDU (2 bytes or more): answer with a response APDU.
    Apdu(Vec<u8>),
}

impl Message {
    /// Whether this message expects an answer frame.
    pub fn expects_answer(&self) -> bool {
        matches!(self, Message::GetAtr | Message::Apdu(_))
    }
}

/// A framing error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The stream ended inside a frame.
    #[error("vpcd stream ended inside a frame ({have} of {want} bytes)")]
    Truncated {
        /// Bytes of the frame received (length prefix included).
        have: usize,
        /// Bytes the frame needs (length prefix included).
        want: usize,
    },
    /// An answer longer than a 2-byte length can carry.
    #[error("vpcd answer of {0} bytes is longer than 65535")]
    TooLong(usize),
}

/// Reassembles frames from the byte stream of the driver.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    start: usize,
    empty_frames: u64,
}

impl Decoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes received from the driver.
    pub fn feed(&mut self, bytes: &[u8]) {
        // Drop what was handed out before growing, so the buffer stays within one frame plus
        // one read.
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, or `None` until more bytes are fed.
    pub fn poll_message(&mut self) -> Option<Message> {
        loop {
            let pending = self.buf.get(self.start..).unwrap_or_default();
            let [hi, lo, rest @ ..] = pending else { return None };
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            let payload = rest.get(..len)?;
            let msg = match payload {
                [] => None,
                [CTRL_OFF] => Some(Message::PowerOff),
                [CTRL_ON] => Some(Message::PowerOn),
                [CTRL_RESET] => Some(Message::Reset),
                [CTRL_ATR] => Some(Message::GetAtr),
                [other] => Some(Message::UnknownControl(*other)),
                apdu => Some(Message::Apdu(apdu.to_vec())),
            };
            self.start += 2 + len;
            match msg {
                Some(m) => return Some(m),
                None => self.empty_frames += 1,
            }
        }
    }

    /// Zero-length frames dropped so far (a protocol slip of the peer; vicc warns and goes
    /// on).
    pub fn empty_frames(&self) -> u64 {
        self.empty_frames
    }

    /// Bytes received but not yet handed out as a message.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The stream ended: an error if it ended inside a frame.
    pub fn finish(&self) -> Result<(), FrameError> {
        let pending = self.buf.get(self.start..).unwrap_or_default();
        match pending {
            [] => Ok(()),
            [_] => Err(FrameError::Truncated { have: 1, want: 2 }),
            [hi, lo, ..] => Err(FrameError::Truncated {
                have: pending.len(),
                want: 2 + usize::from(u16::from_be_bytes([*hi, *lo])),
            }),
        }
    }
}

/// Frames an answer (ATR or response APDU): 2-byte big-endian length, then the bytes.
pub fn encode(payload: &[u8]) -> Result<Vec<u8>, FrameError> {
    let len = u16::try_from(payload.len()).map_err(|_| FrameError::TooLong(payload.len()))?;
    let mut out = Vec::with_capacity(payload.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(parts: &[&[u8]]) -> Vec<u8> {
        parts.iter().flat_map(|p| encode(p).unwrap()).collect()
    }

    fn drain(d: &mut Decoder) -> Vec<Message> {
        std::iter::from_fn(|| d.poll_message()).collect()
    }

    #[test]
    fn control_bytes_decode_to_their_messages() {
        let mut d = Decoder::new();
        d.feed(&frames(&[&[0x01], &[0x04], &[0x02], &[0x00], &[0x07]]));
        assert_eq!(
            drain(&mut d),
            vec![Message::PowerOn, Message::GetAtr, Message::Reset, Message::PowerOff, Message::UnknownControl(7)]
        );
        assert_eq!(d.finish(), Ok(()));
    }

    #[test]
    fn an_apdu_split_across_reads_comes_out_whole() {
        let apdu = [0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];
        let wire = frames(&[&apdu, &[0x04]]);
        let mut d = Decoder::new();
        for b in &wire[..wire.len() - 3] {
            assert_eq!(d.poll_message(), None);
            d.feed(&[*b]);
        }
        assert_eq!(d.poll_message(), Some(Message::Apdu(apdu.to_vec())));
        assert_eq!(d.poll_message(), None, "the ATR request is not complete yet");
        d.feed(&wire[wire.len() - 3..]);
        assert_eq!(d.poll_message(), Some(Message::GetAtr));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn a_two_byte_payload_is_an_apdu_not_a_control() {
        let mut d = Decoder::new();
        d.feed(&frames(&[&[0x01, 0x02]]));
        assert_eq!(d.poll_message(), Some(Message::Apdu(vec![0x01, 0x02])));
    }

    #[test]
    fn an_empty_frame_is_dropped_and_counted() {
        let mut d = Decoder::new();
        d.feed(&[0x00, 0x00, 0x00, 0x01, 0x04]);
        assert_eq!(d.poll_message(), Some(Message::GetAtr));
        assert_eq!(d.empty_frames(), 1);
    }

    #[test]
    fn a_partial_frame_at_the_end_of_the_stream_is_an_error() {
        let mut d = Decoder::new();
        d.feed(&[0x00, 0x05, 0x00, 0xB0]);
        assert_eq!(d.poll_message(), None);
        assert_eq!(d.finish(), Err(FrameError::Truncated { have: 4, want: 7 }));
        let mut d = Decoder::new();
        d.feed(&[0x00]);
        assert_eq!(d.finish(), Err(FrameError::Truncated { have: 1, want: 2 }));
    }

    #[test]
    fn encode_writes_a_big_endian_length_and_refuses_oversized_answers() {
        assert_eq!(encode(&[0x90, 0x00]).unwrap(), vec![0x00, 0x02, 0x90, 0x00]);
        assert_eq!(encode(&vec![0; 0x1234]).unwrap()[..2], [0x12, 0x34]);
        assert!(encode(&vec![0; MAX_PAYLOAD]).is_ok());
        assert_eq!(encode(&vec![0; MAX_PAYLOAD + 1]), Err(FrameError::TooLong(MAX_PAYLOAD + 1)));
    }

    #[test]
    fn the_largest_frame_round_trips() {
        let big = vec![0xAB; MAX_PAYLOAD];
        let mut d = Decoder::new();
        let wire = encode(&big).unwrap();
        d.feed(&wire[..1000]);
        assert_eq!(d.poll_message(), None);
        d.feed(&wire[1000..]);
        assert_eq!(d.poll_message(), Some(Message::Apdu(big)));
    }

    #[test]
    fn expects_answer_only_for_atr_and_apdus() {
        assert!(Message::GetAtr.expects_answer());
        assert!(Message::Apdu(vec![0, 0]).expects_answer());
        assert!(!Message::PowerOn.expects_answer() && !Message::Reset.expects_answer());
    }
}
