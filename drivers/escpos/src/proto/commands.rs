//! Byte builders for the ESC/POS commands outside a ticket body: status requests and the
//! completion barriers (ESCPOS.md §3).
//!
//! Implements: `DLE EOT n`, `GS r n`, `GS a n`, `GS ( H` fn 48 and the kiosk full-status
//! request. Does not implement: presenter commands (`GS e`), which differ per vendor and
//! are not confirmed for the VKP80 family.

/// `ESC @`: initialise (also clears downloaded characters).
pub const INIT: [u8; 2] = [0x1B, 0x40];

/// `DLE EOT n` (real-time status; n = 1 printer, 2 offline cause, 3 error cause, 4 roll paper).
pub fn realtime_status(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// `GS r n` (n = 1 paper sensor, 2 drawer): answered in sequence, so it is a barrier.
pub fn transmit_status(n: u8) -> [u8; 3] {
    [0x1D, 0x72, n]
}

/// `GS a n`: enable automatic status back for the events in mask `n` (0 disables).
pub fn automatic_status_back(n: u8) -> [u8; 3] {
    [0x1D, 0x61, n]
}

/// `GS ( H` fn 48: ask for `37 22 d1..d4 00` once everything before it has printed.
/// Each `d` should be 0x20–0x7E (Epson's range); other values are clamped into it.
pub fn process_id(id: [u8; 4]) -> [u8; 11] {
    let d = id.map(|b| b.clamp(0x20, 0x7E));
    [0x1D, 0x28, 0x48, 0x06, 0x00, 0x30, 0x30, d[0], d[1], d[2], d[3]]
}

/// `DLE EOT 20`: kiosk printers' 6-byte full status (`10 0F` + 4 bytes; Custom OEM layout).
pub fn full_status() -> [u8; 3] {
    [0x10, 0x04, 0x14]
}
