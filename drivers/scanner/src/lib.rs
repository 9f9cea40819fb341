#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::panic))]

pub mod clock;
pub mod driver;
mod error;
pub mod fuzz;
pub mod payload;
pub mod proto;
#[cfg(feature = "sim")]
pub mod sim;
pub mod transport;

pub use clock::{Clock, ManualClock, SystemClock};
pub use driver::{DriverConfig, Health, HidScanner, ScannerDriver, SerialScanner};
pub use error::{Error, Result, ScanError};
pub use payload::{DossierCode, Payload, classify};
pub use proto::{AimMode, AltCodes, Config, Event, Terminator};
#[cfg(feature = "evdev")]
pub use transport::evdev::{EvdevConnector, EvdevTransport};
#[cfg(feature = "serial")]
pub use transport::serial::{SerialConfig, SerialConnector, SerialTransport};
pub use transport::{ByteSource, Connect};
