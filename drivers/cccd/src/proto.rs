//! The sans-IO core: parsers and the cryptographic protocol state, bytes in, bytes out.

pub mod aa;
pub mod atr;
pub mod bac;
pub mod ca;
pub mod crosscheck;
pub mod crypto;
pub mod date;
pub mod der;
pub mod dg13;
pub mod dg14;
pub mod dg2;
pub mod lds;
pub mod mrz;
pub mod pa;
pub mod pace;
pub mod qr;
pub mod sm;
pub mod sod;
pub mod vpcd;
