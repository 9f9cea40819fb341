#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
pub mod proto;
pub mod virtual_printer;

pub use error::{Error, Result};
pub use proto::{Encoded, Profile, Strategy, encode};
