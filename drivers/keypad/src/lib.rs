#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod clock;
pub mod driver;
mod error;
pub mod gpio;
#[cfg(feature = "sim")]
pub mod sim;
pub mod transport;

pub use clock::{Clock, ManualClock, SystemClock};
pub use driver::{Config, Health, KeyMap, KeypadDriver};
pub use error::{Error, Result};
#[cfg(feature = "serial")]
pub use transport::serial::{SerialConfig, SerialConnector, SerialTransport};
pub use transport::{ByteTransport, Connect};
