//! Shared fixtures for the integration tests.
#![allow(dead_code)]

use motcua_device::ticket::TicketData;

/// The sample ticket from the brief (UBND phường Bến Nghé, A023).
pub fn sample_ticket() -> TicketData {
    TicketData::sample()
}
