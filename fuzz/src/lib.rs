//! Fuzz targets: one function per parser that sees untrusted bytes. Each takes arbitrary bytes
//! and must return without panicking, whatever they are.
//!
//! On stable, `cargo test -p motcua-fuzz` drives every target with a bounded, deterministic
//! stream of random and mutated inputs (see `tests/bounded.rs`); CI runs that. For
//! coverage-guided fuzzing, call the same functions from `cargo fuzz` targets (libFuzzer) —
//! the functions are the contract, the driver is interchangeable.
//!
//! Targets: keypad frames (the counter keypad's serial line), ESC/POS status bytes (what a
//! printer sends back), scanner lines (what a code scanner types), the hub API's JSON bodies
//! (what any device on the office LAN may send).

use motcua_escpos::proto::status::{Request, StatusDecoder};

/// Keypad serial line: frame decoder and link layer.
pub fn keypad_frames(data: &[u8]) {
    motcua_keypad_proto::fuzz_decode(data);
    motcua_keypad_proto::fuzz_link(data);
}

/// Printer status stream, read with every kind of pending request.
pub fn escpos_status(data: &[u8]) {
    let requests = [
        Request::PrinterStatus,
        Request::OfflineCause,
        Request::ErrorCause,
        Request::RollPaper,
        Request::PaperSensor,
        Request::Drawer,
        Request::FullStatus,
    ];
    let mut dec = StatusDecoder::new();
    for (i, chunk) in data.chunks(7).enumerate() {
        if let Some(r) = requests.get(chunk.first().map_or(0, |b| usize::from(*b) + i) % requests.len()) {
            dec.expect(*r);
        }
        dec.feed(chunk);
        while dec.poll_event().is_some() {}
    }
    let _ = dec.state();
}

/// Code scanner bytes: the line assembler a serial scanner and the simulated one share.
pub fn scanner_lines(data: &[u8]) {
    let mut asm = motcua_device::scanner::LineAssembler::with_max_len(256);
    for chunk in data.chunks(5) {
        asm.feed(chunk);
        while asm.poll_line().is_some() {}
    }
    let _ = asm.finish();
}

/// Code scanners: serial framing, HID keyboard-wedge records, and what a scanned text means.
pub fn scanner_devices(data: &[u8]) {
    motcua_scanner::fuzz::fuzz_serial(data);
    motcua_scanner::fuzz::fuzz_hid(data);
    motcua_scanner::fuzz::fuzz_payload(data);
}

/// The chip of a CCCD: what a hostile card may answer (EF.CardAccess, SOD, DG2, DG14, secure
/// messaging responses).
pub fn cccd_chip(data: &[u8]) {
    motcua_cccd::fuzz::fuzz_card_access(data);
    motcua_cccd::fuzz::fuzz_sod(data);
    motcua_cccd::fuzz::fuzz_dg2(data);
    motcua_cccd::fuzz::fuzz_dg14(data);
    motcua_cccd::fuzz::fuzz_sm_response(data);
}

/// What pcscd's virtual reader driver (vpcd) sends the simulated CCCD chip: the framing, and
/// the card-side loop answering it.
pub fn vpcd_frames(data: &[u8]) {
    motcua_cccd::fuzz::fuzz_vpcd(data);
}

/// A camera frame for the on-device QR decoder (first bytes: width and height).
pub fn qr_frames(data: &[u8]) {
    motcua_qr::fuzz_decode(data);
}

/// Hub API request bodies from the LAN.
pub fn hub_api_json(data: &[u8]) {
    let _ = serde_json::from_slice::<motcua_hub::api::IssueRequest>(data);
    let _ = serde_json::from_slice::<motcua_hub::api::CounterAction>(data);
    let _ = serde_json::from_slice::<motcua_hub::api::ConfirmRequest>(data);
}

/// A fuzz target: any bytes in, no panic out.
pub type Target = fn(&[u8]);

/// Every target, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("keypad_frames", keypad_frames),
    ("escpos_status", escpos_status),
    ("scanner_lines", scanner_lines),
    ("hub_api_json", hub_api_json),
    ("scanner_devices", scanner_devices),
    ("cccd_chip", cccd_chip),
    ("qr_frames", qr_frames),
    ("vpcd_frames", vpcd_frames),
];
