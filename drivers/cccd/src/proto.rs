//! The sans-IO core: parsers and the cryptographic protocol state, bytes in, bytes out.

pub mod bac;
pub mod crypto;
pub mod date;
pub mod dg13;
pub mod lds;
pub mod mrz;
pub mod qr;
pub mod sm;
