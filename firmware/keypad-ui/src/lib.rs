//! The no_std core of the counter rating keypad (issue 6), shared by the RP2040 firmware
//! (`keypad-firmware`) and the host tests.
//!
//! - [`debounce`]: raw key levels → press edges.
//! - [`keypad`]: the sans-IO state machine around the keypad-role `motcua-keypad-proto`
//!   link: key presses out, host messages in, what the screen, LEDs and buzzer show.
//! - [`screen`] + [`draw`]: the screens as values, painted with embedded-graphics in
//!   Vietnamese (GNU Unifont's Vietnamese subset via u8g2-fonts).
//! - [`config`], [`buzzer`]: rating keys and labels; buzzer patterns.
//!
//! No pins, USB or clock here: time is passed in as milliseconds.
#![no_std]
#![warn(missing_docs)]

pub mod buzzer;
pub mod config;
pub mod debounce;
pub mod draw;
pub mod keypad;
pub mod screen;

pub use config::Config;
pub use keypad::{Keypad, KeypadStats, LinkState};
pub use screen::Screen;
