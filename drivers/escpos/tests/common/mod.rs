//! Shared fixtures: the standard sample ticket and a text comparison that ignores wrapping.
#![allow(dead_code)]

use motcua_device::ticket::{PaperWidth, TicketData, TicketDoc, queue_ticket};
use motcua_escpos::proto::encode::clean_text;

/// The standard Vietnamese sample ticket of issue 4.
pub fn sample_data() -> TicketData {
    TicketData::sample()
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
