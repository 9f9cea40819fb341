#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
pub mod printer;
pub mod proto;
pub mod sim;
pub mod transport;
pub mod virtual_printer;

pub use error::{Error, Result};
pub use printer::EscposPrinter;
pub use proto::{Encoded, Profile, Strategy, encode};
pub use transport::ByteTransport;
