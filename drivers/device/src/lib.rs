#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod audio;
pub mod camera;
pub mod clock;
mod error;
pub mod id_card;
pub mod keypad;
pub mod microphone;
pub mod printer;
pub mod render;
pub mod scanner;
#[cfg(feature = "sim")]
pub mod sim;
pub mod ticket;

pub use error::{Error, ErrorKind};

use serde::{Deserialize, Serialize};

/// The device families the kiosk and the counters use; one seam trait each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeviceFamily {
    /// Thermal ticket printer ([`printer::Printer`]).
    Printer,
    /// CCCD chip reader ([`id_card::IdCardReader`]).
    IdCardReader,
    /// QR / barcode scanner ([`scanner::CodeScanner`]).
    CodeScanner,
    /// Counter rating and officer keypad ([`keypad::Keypad`]).
    Keypad,
    /// Counter camera ([`camera::Camera`]).
    Camera,
    /// Counter microphone ([`microphone::Microphone`]).
    Microphone,
    /// Announcement audio output ([`audio::AudioOut`]).
    AudioOut,
}

/// What a device is, for `doctor`, logs and the health page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The family (and so the seam trait) of the device.
    pub family: DeviceFamily,
    /// Human-readable name (model, or "Simulated …").
    pub name: String,
    /// `true` for the simulated twins.
    pub simulated: bool,
}
