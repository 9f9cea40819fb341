//! The ID-card reader seam: is a card on the reader, and an APDU transport to it.
//!
//! Implements: the [`IdCardReader`] trait (card presence with its ATR, ISO 7816-4 APDU
//! exchange). This is the `ApduTransport` seam of the house style: bytes in, bytes out.
//!
//! Does not implement: anything that reads the CCCD. Selecting the eMRTD application, BAC /
//! PACE, secure messaging and reading data groups (ICAO 9303) live in a later crate that is
//! generic over this trait; so does the PC/SC driver for real readers.
//! [`crate::sim::SimIdCardReader`] is the simulated twin.

use serde::{Deserialize, Serialize};

use crate::{DeviceInfo, Error};

/// A card on the reader.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CardPresence {
    /// The card's Answer To Reset (for contactless cards, the reader's PC/SC pseudo-ATR).
    pub atr: Vec<u8>,
}

/// A smart-card reader (contact or contactless) that the CCCD chip is read through.
pub trait IdCardReader: Send {
    /// Whether a card is on the reader now: `Some` with its ATR while it is, `None` when not.
    fn poll_card(&mut self) -> Result<Option<CardPresence>, Error>;

    /// Sends one command APDU and returns the whole response APDU, status word (SW1 SW2) last.
    ///
    /// Fails with [`Error::NoCard`] when no card is present, [`Error::Protocol`] for a command
    /// shorter than its 4-byte header or a response without a status word.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error>;

    /// What this device is.
    fn info(&self) -> DeviceInfo;
}

/// Splits a response APDU into data and status word, if it has one.
pub fn split_status(response: &[u8]) -> Option<(&[u8], [u8; 2])> {
    match response {
        [data @ .., sw1, sw2] => Some((data, [*sw1, *sw2])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_status_takes_the_last_two_bytes() {
        assert_eq!(split_status(&[0x01, 0x90, 0x00]), Some((&[0x01][..], [0x90, 0x00])));
        assert_eq!(split_status(&[0x90]), None);
    }
}
