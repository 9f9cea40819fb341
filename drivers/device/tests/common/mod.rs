//! Shared fixtures for the integration tests.
#![allow(dead_code)]

use motcua_device::ticket::TicketData;

/// The sample ticket from the brief (UBND phường Bến Nghé, A023).
pub fn sample_ticket() -> TicketData {
    TicketData {
        office_name: "UBND phường Bến Nghé".to_owned(),
        field_name: "Hộ tịch – Chứng thực".to_owned(),
        number: "A023".to_owned(),
        priority: Some("Người cao tuổi".to_owned()),
        people_ahead: 4,
        wait: Some((10, 20)),
        counters: vec![1, 2],
        issued_at: "08:46 23/11/2026".to_owned(),
        ticket_id: "0193a1f2-7c4e-7a10-9b2d-5e8f4c3a2b10".to_owned(),
    }
}
