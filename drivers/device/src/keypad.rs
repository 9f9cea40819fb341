//! The counter keypad seam: key presses in, LEDs and a small screen out.
//!
//! Implements: the [`Keypad`] trait and its key model. One keypad sits at each counter; the
//! officer uses Next / Recall / Skip / Finish, the citizen presses a rating key.
//!
//! Does not implement: the serial frame codec (the shared `no_std` keypad-proto crate) or the
//! serial driver (a later crate), nor the rating window logic (the hub owns that).
//! [`crate::sim::SimKeypad`] is the simulated twin.

use serde::{Deserialize, Serialize};

use crate::{DeviceInfo, Error};

/// A key on the counter keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Key {
    /// A rating key, numbered from 1 (leftmost). How many exist (3..=5) and what each means is
    /// configuration; the keypad only reports the position.
    Rating(u8),
    /// Officer: call the next ticket.
    Next,
    /// Officer: call the current ticket again.
    Recall,
    /// Officer: the citizen did not come (no-show).
    Skip,
    /// Officer: service finished (opens the rating window).
    Finish,
}

/// One key press.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyPress {
    /// Which key.
    pub key: Key,
    /// Sequence number from the keypad, increasing by one per press (wrapping). A repeated
    /// number is a retransmission and must not count twice; a gap means presses were lost.
    pub seq: u32,
}

/// A counter keypad.
pub trait Keypad: Send {
    /// The next key press if one is waiting; `Ok(None)` when none.
    fn poll_key(&mut self) -> Result<Option<KeyPress>, Error>;

    /// Sets the key LEDs: bit `n` lights LED `n`.
    fn set_leds(&mut self, mask: u16) -> Result<(), Error>;

    /// Replaces the text on the keypad's screen, one string per line.
    fn show(&mut self, lines: &[String]) -> Result<(), Error>;

    /// What this device is.
    fn info(&self) -> DeviceInfo;
}
