#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::panic))]

pub mod error;
pub mod fuzz;
pub mod link;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod proto;
pub mod read;
pub mod session;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "sim")]
pub mod test_pki;
pub mod trust;
#[cfg(feature = "sim")]
pub mod vpcd;

pub use error::{Error, ErrorKind, Result};
pub use proto::pace::Can;
pub use session::{AccessMethod, BacRandom, PaceRandom, Plain, Secure, Session, SessionRandom};
