//! The time seam: milliseconds on a monotonic clock ([`motcua_device::clock`]).
//!
//! The keypad-proto [`Link`](motcua_keypad_proto::Link) never reads a clock; the driver passes
//! it `now` from a [`Clock`], so tests run retransmission, heartbeat and silence timers on
//! [`ManualClock`] (virtual time) instead of sleeping.

pub use motcua_device::clock::{Clock, ManualClock, SystemClock};
