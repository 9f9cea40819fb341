#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::panic))]

pub mod error;
pub mod proto;
pub mod session;
#[cfg(feature = "sim")]
pub mod sim;

pub use error::{Error, ErrorKind, Result};
pub use session::{BacRandom, Plain, Secure, Session};
