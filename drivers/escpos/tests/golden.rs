//! Byte-exact golden streams for small documents (hex in tests/data/*.hex).

use motcua_device::ticket::{Align, Block, PaperWidth, TextStyle, TicketDoc};
use motcua_escpos::{Profile, Strategy, encode};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

fn golden(name: &str) -> String {
    let path = format!("{}/tests/data/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn ascii_doc() -> TicketDoc {
    let mut doc = TicketDoc::new(PaperWidth::Mm80);
    doc.push_text("Hi", TextStyle::PLAIN.with_bold(true).with_align(Align::Center));
    doc.push(Block::Rule);
    doc.push_text("A1", TextStyle::PLAIN.with_size(2, 2));
    doc.push(Block::Feed { lines: 2 });
    doc.push_qr("A1", 4);
    doc.push(Block::Cut);
    doc
}

fn text_doc(text: &str) -> TicketDoc {
    let mut doc = TicketDoc::new(PaperWidth::Mm58);
    doc.push_text(text, TextStyle::PLAIN);
    doc
}

#[test]
fn ascii_ticket_with_rule_qr_and_cut_is_byte_exact() {
    let e = encode(&ascii_doc(), &Profile::generic(PaperWidth::Mm80), Strategy::Auto).expect("must encode");
    assert_eq!(hex(&e.bytes), golden("ascii_ticket"));
}

#[test]
fn tcvn3_switches_between_lower_and_capital_pages() {
    let e = encode(&text_doc("ĐÌNH Bến"), &Profile::epson_tm_t20(), Strategy::Auto).expect("must encode");
    assert_eq!(hex(&e.bytes), golden("tcvn3_dinh_ben"));
}

#[test]
fn downloaded_glyph_stream_is_byte_exact() {
    let e = encode(&text_doc("Quầy 1"), &Profile::generic(PaperWidth::Mm58), Strategy::Glyphs).expect("must encode");
    assert_eq!(e.glyphs_downloaded, 1);
    assert_eq!(hex(&e.bytes), golden("glyph_quay"));
}

#[test]
#[ignore = "prints the streams to refresh tests/data after a deliberate change"]
fn print_golden_streams() {
    println!(
        "{}",
        hex(&encode(&ascii_doc(), &Profile::generic(PaperWidth::Mm80), Strategy::Auto).expect("must encode").bytes)
    );
    println!(
        "{}",
        hex(&encode(&text_doc("ĐÌNH Bến"), &Profile::epson_tm_t20(), Strategy::Auto).expect("must encode").bytes)
    );
    println!(
        "{}",
        hex(&encode(&text_doc("Quầy 1"), &Profile::generic(PaperWidth::Mm58), Strategy::Glyphs)
            .expect("must encode")
            .bytes)
    );
}
