//! The time seam: milliseconds on a monotonic clock ([`motcua_device::clock`]).
//!
//! The scanner cores never read a clock; the driver passes them `now` from a [`Clock`], so
//! tests run inter-character timeouts, repeat windows and reconnect backoff on [`ManualClock`]
//! (virtual time) instead of sleeping.

pub use motcua_device::clock::{Clock, ManualClock, SystemClock};
