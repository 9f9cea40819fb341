//! The simulated ID-card reader and its default ISO 7816-4 responder.

use std::sync::{Arc, Mutex};

use super::lock;
use crate::id_card::{CardPresence, IdCardReader};
use crate::{DeviceFamily, DeviceInfo, Error};

/// Answers one command APDU with a response APDU (data then SW1 SW2).
pub type ApduResponder = Box<dyn FnMut(&[u8]) -> Vec<u8> + Send>;

/// ATR of the default simulated card: the PC/SC pseudo-ATR a contactless reader builds for an
/// ISO 14443-4 card with no historical bytes (`3B 80 80 01`, then the TCK checksum `01`).
pub const DEFAULT_ATR: &[u8] = &[0x3B, 0x80, 0x80, 0x01, 0x01];

/// SELECT the master file by id 3F00, no response data (ISO 7816-4).
const SELECT_MF: &[u8] = &[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00];

/// A responder that knows one thing: SELECT MF (`00 A4 00 0C 02 3F 00`) answers `90 00`;
/// every other command answers `6A 82` (file or application not found).
pub fn default_responder() -> ApduResponder {
    Box::new(|apdu: &[u8]| if apdu == SELECT_MF { vec![0x90, 0x00] } else { vec![0x6A, 0x82] })
}

struct Card {
    atr: Vec<u8>,
    /// `None` while lent out to a `transmit` in progress.
    responder: Option<ApduResponder>,
    /// Distinguishes this insertion from a later one (remove + insert during a call).
    insertion: u64,
}

struct State {
    connected: bool,
    card: Option<Card>,
    insertions: u64,
    transmitted: Vec<Vec<u8>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("connected", &self.connected)
            .field("card_atr", &self.card.as_ref().map(|c| &c.atr))
            .field("transmitted", &self.transmitted.len())
            .finish()
    }
}

/// Simulated ID-card reader. Starts connected and empty; insert a card through its handle.
#[derive(Debug)]
pub struct SimIdCardReader {
    shared: Arc<Mutex<State>>,
}

/// Cloneable view of a [`SimIdCardReader`]: insert and remove cards, pull the cable, see the
/// APDUs sent.
#[derive(Debug, Clone)]
pub struct SimIdCardReaderHandle {
    shared: Arc<Mutex<State>>,
}

impl Default for SimIdCardReader {
    fn default() -> Self {
        Self::new()
    }
}

impl SimIdCardReader {
    /// A connected reader with no card.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Mutex::new(State { connected: true, card: None, insertions: 0, transmitted: Vec::new() })),
        }
    }

    /// A handle on this reader's state.
    pub fn handle(&self) -> SimIdCardReaderHandle {
        SimIdCardReaderHandle { shared: Arc::clone(&self.shared) }
    }
}

impl IdCardReader for SimIdCardReader {
    fn poll_card(&mut self) -> Result<Option<CardPresence>, Error> {
        let state = lock(&self.shared);
        if !state.connected {
            return Err(Error::Disconnected);
        }
        Ok(state.card.as_ref().map(|c| CardPresence { atr: c.atr.clone() }))
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        let (mut responder, insertion) = {
            let mut state = lock(&self.shared);
            if !state.connected {
                return Err(Error::Disconnected);
            }
            if apdu.len() < 4 {
                return Err(Error::Protocol(format!(
                    "command APDU of {} bytes is shorter than its CLA INS P1 P2 header",
                    apdu.len()
                )));
            }
            let Some(card) = state.card.as_mut() else {
                return Err(Error::NoCard);
            };
            let Some(responder) = card.responder.take() else {
                return Err(Error::Busy);
            };
            let insertion = card.insertion;
            state.transmitted.push(apdu.to_vec());
            (responder, insertion)
        };
        // Called without the lock, so a responder may use the handle (e.g. to pull the card).
        let response = responder(apdu);
        let mut state = lock(&self.shared);
        match state.card.as_mut() {
            Some(card) if card.insertion == insertion => card.responder = Some(responder),
            // The card left (or was swapped) during the exchange: a real reader loses the reply.
            _ => return Err(Error::NoCard),
        }
        if response.len() < 2 {
            return Err(Error::Protocol(format!("response APDU of {} bytes has no status word", response.len())));
        }
        Ok(response)
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo { family: DeviceFamily::IdCardReader, name: "Simulated ID-card reader".to_owned(), simulated: true }
    }
}

impl SimIdCardReaderHandle {
    /// Puts a card with `atr` on the reader; `responder` answers its APDUs. Replaces any card
    /// already there.
    pub fn insert_card(&self, atr: Vec<u8>, responder: ApduResponder) {
        let mut state = lock(&self.shared);
        state.insertions += 1;
        let insertion = state.insertions;
        state.card = Some(Card { atr, responder: Some(responder), insertion });
    }

    /// Puts a card with [`DEFAULT_ATR`] and [`default_responder`] on the reader.
    pub fn insert_default_card(&self) {
        self.insert_card(DEFAULT_ATR.to_vec(), default_responder());
    }

    /// Takes the card away.
    pub fn remove_card(&self) {
        lock(&self.shared).card = None;
    }

    /// Plugs or pulls the reader: while disconnected every call fails with
    /// [`Error::Disconnected`].
    pub fn set_connected(&self, connected: bool) {
        lock(&self.shared).connected = connected;
    }

    /// Every command APDU that reached a card, oldest first.
    pub fn transmitted(&self) -> Vec<Vec<u8>> {
        lock(&self.shared).transmitted.clone()
    }
}
