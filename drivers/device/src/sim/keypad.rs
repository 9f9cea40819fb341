//! The simulated counter keypad.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::lock;
use crate::keypad::{Key, KeyPress, Keypad};
use crate::{DeviceFamily, DeviceInfo, Error};

#[derive(Debug)]
struct State {
    connected: bool,
    pressed: VecDeque<KeyPress>,
    next_seq: u32,
    leds: u16,
    screen: Vec<String>,
}

/// Simulated counter keypad: presses come from its handle, LEDs and screen are read back there.
#[derive(Debug)]
pub struct SimKeypad {
    shared: Arc<Mutex<State>>,
}

/// Cloneable view of a [`SimKeypad`].
#[derive(Debug, Clone)]
pub struct SimKeypadHandle {
    shared: Arc<Mutex<State>>,
}

impl Default for SimKeypad {
    fn default() -> Self {
        Self::new()
    }
}

impl SimKeypad {
    /// A connected keypad, LEDs off, screen empty; the first press gets sequence number 0.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Mutex::new(State {
                connected: true,
                pressed: VecDeque::new(),
                next_seq: 0,
                leds: 0,
                screen: Vec::new(),
            })),
        }
    }

    /// A handle on this keypad.
    pub fn handle(&self) -> SimKeypadHandle {
        SimKeypadHandle { shared: Arc::clone(&self.shared) }
    }
}

impl Keypad for SimKeypad {
    fn poll_key(&mut self) -> Result<Option<KeyPress>, Error> {
        let mut state = lock(&self.shared);
        if !state.connected {
            return Err(Error::Disconnected);
        }
        Ok(state.pressed.pop_front())
    }

    fn set_leds(&mut self, mask: u16) -> Result<(), Error> {
        let mut state = lock(&self.shared);
        if !state.connected {
            return Err(Error::Disconnected);
        }
        state.leds = mask;
        Ok(())
    }

    fn show(&mut self, lines: &[String]) -> Result<(), Error> {
        let mut state = lock(&self.shared);
        if !state.connected {
            return Err(Error::Disconnected);
        }
        state.screen = lines.to_vec();
        Ok(())
    }

    fn info(&self) -> DeviceInfo {
        DeviceInfo { family: DeviceFamily::Keypad, name: "Simulated counter keypad".to_owned(), simulated: true }
    }
}

impl SimKeypadHandle {
    /// Presses `key` and returns the sequence number the press carries. A press while
    /// disconnected is lost (returns `None`).
    pub fn press(&self, key: Key) -> Option<u32> {
        let mut state = lock(&self.shared);
        if !state.connected {
            return None;
        }
        let seq = state.next_seq;
        state.next_seq = seq.wrapping_add(1);
        state.pressed.push_back(KeyPress { key, seq });
        Some(seq)
    }

    /// The LED mask last set.
    pub fn leds(&self) -> u16 {
        lock(&self.shared).leds
    }

    /// The screen lines last shown.
    pub fn screen(&self) -> Vec<String> {
        lock(&self.shared).screen.clone()
    }

    /// Plugs or pulls the keypad: while disconnected every call fails with
    /// [`Error::Disconnected`].
    pub fn set_connected(&self, connected: bool) {
        lock(&self.shared).connected = connected;
    }
}
