//! Shared fixtures: the standard sample ticket and a text comparison that ignores wrapping.
#![allow(dead_code)]

use motcua_device::ticket::{PaperWidth, TicketData, TicketDoc, queue_ticket};
use motcua_escpos::proto::encode::clean_text;

/// The standard Vietnamese sample ticket of issue 4.
pub fn sample_data() -> TicketData {
    TicketData {
        office_name: "UBND phường Bến Nghé".to_owned(),
        field_name: "Hộ tịch – Chứng thực".to_owned(),
        number: "A023".to_owned(),
        priority: Some("Người cao tuổi".to_owned()),
        people_ahead: 4,
        wait: Some((10, 20)),
        counters: vec![1, 2],
        issued_at: "08:46 23/11/2026".to_owned(),
        ticket_id: "0193a4f2-7c1e-7b3a-9d4e-2f6a8b1c0d23".to_owned(),
    }
}

pub fn sample(paper: PaperWidth) -> TicketDoc {
    queue_ticket(&sample_data(), paper)
}

/// All text of a document as the printer must read it back, whitespace removed (wrapping
/// moves and drops spaces, never letters).
pub fn expected_text(doc: &TicketDoc) -> String {
    doc.texts().map(clean_text).collect::<String>().chars().filter(|c| !c.is_whitespace()).collect()
}

/// The virtual printer's lines, whitespace removed.
pub fn printed_text(lines: &[String]) -> String {
    lines.concat().chars().filter(|c| !c.is_whitespace()).collect()
}

/// A tiny deterministic generator (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
