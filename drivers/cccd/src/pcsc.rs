//! A PC/SC reader as the [`IdCardReader`] seam (feature `pcsc`).
//!
//! A thin transport: [`PcscReader::open`] picks a reader (by name, or the first one);
//! `poll_card` asks pcscd for the reader's state without waiting and connects (shared mode,
//! T=0 or T=1) when a card arrives, drops the handle when it leaves; `transmit` sends one
//! APDU with a response buffer large enough for extended-length responses. Card-removed,
//! card-reset and no-card errors become [`Error::NoCard`] (the kiosk's "giữ thẻ trên đầu
//! đọc" retry), a pcscd timeout [`Error::Timeout`], a vanished reader or service
//! [`Error::Disconnected`].
//!
//! [`atr_supports_extended_length`] reads the card-capabilities byte of the ATR's historical
//! bytes (ISO 7816-4 §8.1.1.2.7) and [`PcscReader::max_apdu_len`] asks the driver for its APDU
//! limit (`SCARD_ATTR_MAXINPUT`, which the CCID driver answers and vpcd does not); together
//! they feed `session::extended_read_size`.
//!
//! A failed transmit whose card has gone is reported as [`Error::NoCard`]: pcscd answers the
//! exchange that loses the card with a generic "not transacted" (through vpcd: an empty
//! response) and only notices the removal at its next poll, so after such a failure the
//! reader's state is watched for up to [`REMOVAL_GRACE`] before the error is classified.
//!
//! Setup (Debian): `apt-get install pcscd libpcsclite-dev` (the library to build and link,
//! the daemon to run); the kiosk user needs access to pcscd's socket (default on Debian).
//!
//! The card is connected in exclusive mode, which serves as the transaction around a whole
//! read: no other program's APDU can slip between ours and break the secure channel's send
//! sequence counter; another program gets a sharing violation ("the reader is in use") until
//! the reader is dropped.
//!
//! Hot-plug: a reader is opened for one read and dropped after it (the kiosk does so for every
//! visit), so a reader plugged in, swapped or re-plugged is found at the next read; a reader
//! that vanishes mid-wait is [`Error::Disconnected`]. Does not implement: waiting on pcscd's
//! `\\?PnP?\Notification` for new readers (polling per read is enough at a kiosk). The card
//! side of vpcd (a simulated chip behind pcscd) is `crate::vpcd`.

use std::ffi::{CStr, CString};

use motcua_device::id_card::{CardPresence, IdCardReader};
use motcua_device::{DeviceFamily, DeviceInfo, Error};

pub use crate::proto::atr::{historical_bytes, supports_extended_length as atr_supports_extended_length};

fn map_err(e: pcsc::Error) -> Error {
    match e {
        pcsc::Error::NoSmartcard | pcsc::Error::RemovedCard | pcsc::Error::ResetCard | pcsc::Error::UnpoweredCard => {
            Error::NoCard
        }
        pcsc::Error::Timeout => Error::Timeout,
        pcsc::Error::ReaderUnavailable
        | pcsc::Error::UnknownReader
        | pcsc::Error::NoReadersAvailable
        | pcsc::Error::NoService
        | pcsc::Error::ServiceStopped => Error::Disconnected,
        other => Error::Hardware(format!("PC/SC: {other}")),
    }
}

/// How long a failed transmit waits for pcscd to notice that the card has gone (pcscd polls
/// its readers every 0.4 s).
pub const REMOVAL_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

/// A PC/SC reader.
pub struct PcscReader {
    ctx: pcsc::Context,
    name: CString,
    card: Option<pcsc::Card>,
}

impl std::fmt::Debug for PcscReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscReader").field("name", &self.name).field("card", &self.card.is_some()).finish()
    }
}

impl PcscReader {
    /// The readers pcscd knows.
    pub fn list() -> Result<Vec<String>, Error> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(map_err)?;
        let names = ctx.list_readers_owned().map_err(map_err)?;
        Ok(names.iter().map(|n| n.to_string_lossy().into_owned()).collect())
    }

    /// Opens the reader called `name`, or the first one.
    pub fn open(name: Option<&str>) -> Result<Self, Error> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(map_err)?;
        let names = ctx.list_readers_owned().map_err(map_err)?;
        let chosen = match name {
            Some(want) => names.into_iter().find(|n| n.to_string_lossy() == want),
            None => names.into_iter().next(),
        }
        .ok_or(Error::Disconnected)?;
        Ok(Self { ctx, name: chosen, card: None })
    }

    fn name(&self) -> &CStr {
        &self.name
    }

    /// The reader's PC/SC name.
    pub fn reader_name(&self) -> String {
        self.name.to_string_lossy().into_owned()
    }

    /// The largest APDU the reader driver says it passes (`SCARD_ATTR_MAXINPUT`), when a card
    /// is connected and the driver answers; `None` when it does not say.
    pub fn max_apdu_len(&self) -> Option<usize> {
        let raw = self.card.as_ref()?.get_attribute_owned(pcsc::Attribute::Maxinput).ok()?;
        let bytes: [u8; 4] = raw.get(..4)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(bytes)).ok().filter(|n| *n > 0)
    }

    /// Whether the card is still on the reader, waiting up to `grace` for pcscd to notice a
    /// removal. `true` when the state cannot be read.
    fn card_still_present(&self, grace: std::time::Duration) -> bool {
        let mut states = [pcsc::ReaderState::new(self.name.clone(), pcsc::State::UNAWARE)];
        if self.ctx.get_status_change(Some(std::time::Duration::ZERO), &mut states).is_err() {
            return true;
        }
        let [state] = &mut states;
        if !state.event_state().contains(pcsc::State::PRESENT) {
            return false;
        }
        state.sync_current_state();
        match self.ctx.get_status_change(Some(grace), &mut states) {
            Ok(()) => states[0].event_state().contains(pcsc::State::PRESENT),
            Err(_) => true,
        }
    }
}

impl IdCardReader for PcscReader {
    fn poll_card(&mut self) -> Result<Option<CardPresence>, Error> {
        let mut states = [pcsc::ReaderState::new(self.name.clone(), pcsc::State::UNAWARE)];
        self.ctx.get_status_change(Some(std::time::Duration::ZERO), &mut states).map_err(map_err)?;
        let [state] = &states;
        if !state.event_state().contains(pcsc::State::PRESENT) {
            self.card = None;
            return Ok(None);
        }
        if self.card.is_none() {
            // Exclusive: no other program's APDU can fall between ours while a secure channel
            // is open (its send sequence counter would break); pcscd keeps the card ours until
            // this reader is dropped or the card leaves.
            let card = match self.ctx.connect(self.name(), pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY) {
                Ok(c) => c,
                Err(pcsc::Error::SharingViolation) => {
                    return Err(Error::Hardware(
                        "đầu đọc đang được chương trình khác dùng / the reader is in use by another program".into(),
                    ));
                }
                Err(e) => return Err(map_err(e)),
            };
            self.card = Some(card);
        }
        Ok(Some(CardPresence { atr: state.atr().to_vec() }))
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        if apdu.len() < 4 {
            return Err(Error::Protocol(format!("command APDU of {} bytes is shorter than its header", apdu.len())));
        }
        let card = self.card.as_ref().ok_or(Error::NoCard)?;
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let result = card.transmit(apdu, &mut buf).map(<[u8]>::to_vec);
        match result {
            Ok(r) if r.len() >= 2 => Ok(r),
            // vpcd reports a card that left mid-exchange as an empty response.
            Ok(_) if !self.card_still_present(REMOVAL_GRACE) => {
                self.card = None;
                Err(Error::NoCard)
            }
            Ok(r) => Err(Error::Protocol(format!("response APDU of {} bytes has no status word", r.len()))),
            Err(e) => {
                let mut e = map_err(e);
                if matches!(e, Error::Hardware(_)) && !self.card_still_present(REMOVAL_GRACE) {
                    e = Error::NoCard;
                }
                if matches!(e, Error::NoCard) {
                    self.card = None;
                }
                Err(e)
            }
        }
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo {
            family: DeviceFamily::IdCardReader,
            name: format!("PC/SC {}", self.name.to_string_lossy()),
            simulated: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_capabilities_in_historical_bytes() {
        // TS T0(TD1, K=5) TD1(TD2) TD2(TD3) TD3(TA4) TA4 | historical 80 73 C0 21 40 (byte 3 has 0x40).
        let atr = [0x3B, 0x85, 0x80, 0x81, 0x11, 0xFE, 0x80, 0x73, 0xC0, 0x21, 0x40];
        assert_eq!(historical_bytes(&atr), Some(&atr[6..]));
        assert!(atr_supports_extended_length(&atr));
        let short = [0x3B, 0x85, 0x80, 0x81, 0x11, 0xFE, 0x80, 0x73, 0xC0, 0x21, 0x00];
        assert!(!atr_supports_extended_length(&short));
        assert!(!atr_supports_extended_length(&[0x3B]));
    }
}
