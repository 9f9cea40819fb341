//! The sans-IO ESC/POS core: printer profiles and code tables, the ticket encoder, the
//! status decoder, and the glyph rasteriser both the encoder and the virtual printer use.
//!
//! Nothing here does I/O; the transports in [`crate::transport`] (USB printer class,
//! `/dev/usb/lp*`, serial, TCP 9100) only move the bytes this module produces and consumes.

pub mod codepage;
pub mod commands;
pub mod encode;
pub mod glyph;
pub mod profile;
pub mod status;

pub use encode::{Encoded, Strategy, encode};
pub use profile::{CellSize, CodePageSlot, Profile, UserChars};
pub use status::{Request, StatusDecoder, StatusEvent};
