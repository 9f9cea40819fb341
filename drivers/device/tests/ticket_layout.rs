//! `queue_ticket` layout: what the ticket says, and that it says it in NFC Vietnamese.

mod common;

use motcua_device::ticket::{Align, Block, PaperWidth, TicketData, TicketDoc, queue_ticket};
use unicode_normalization::is_nfc;

fn texts(doc: &TicketDoc) -> Vec<String> {
    doc.texts().map(str::to_owned).collect()
}

fn has_line_starting(doc: &TicketDoc, prefix: &str) -> bool {
    doc.texts().any(|t| t.starts_with(prefix))
}

#[test]
fn ticket_contains_the_number_huge_bold_and_centered() {
    let doc = queue_ticket(&common::sample_ticket(), PaperWidth::Mm80);
    let style = doc
        .blocks
        .iter()
        .find_map(|b| match b {
            Block::Text { text, style } if text == "A023" => Some(*style),
            _ => None,
        })
        .expect("number block");
    assert!(style.bold);
    assert_eq!((style.width_mult, style.height_mult), (4, 4));
    assert_eq!(style.align, Align::Center);
}

#[test]
fn ticket_contains_office_title_field_and_counters() {
    let doc = queue_ticket(&common::sample_ticket(), PaperWidth::Mm80);
    let t = texts(&doc);
    assert_eq!(t[0], "UBND phường Bến Nghé");
    assert!(t.contains(&"PHIẾU THỨ TỰ".to_owned()));
    assert!(t.contains(&"Hộ tịch – Chứng thực".to_owned()));
    assert!(t.contains(&"Ưu tiên: Người cao tuổi".to_owned()));
    assert!(t.contains(&"Số người đang chờ trước bạn: 4".to_owned()));
    assert!(t.contains(&"Quầy phục vụ / Counters: 1, 2".to_owned()));
    assert!(t.contains(&"Giờ lấy số / Issued: 08:46 23/11/2026".to_owned()));
}

#[test]
fn wait_line_is_present_only_when_a_wait_is_given() {
    let with = queue_ticket(&common::sample_ticket(), PaperWidth::Mm80);
    assert!(texts(&with).contains(&"Thời gian chờ dự kiến: khoảng 10–20 phút".to_owned()), "{:?}", texts(&with));
    let without = queue_ticket(&TicketData { wait: None, ..common::sample_ticket() }, PaperWidth::Mm80);
    assert!(!has_line_starting(&without, "Thời gian chờ"));
    assert!(!texts(&without).iter().any(|t| t.contains("wait")));
}

#[test]
fn wait_range_with_equal_or_swapped_bounds_reads_naturally() {
    let equal = queue_ticket(&TicketData { wait: Some((15, 15)), ..common::sample_ticket() }, PaperWidth::Mm80);
    assert!(texts(&equal).contains(&"Thời gian chờ dự kiến: khoảng 15 phút".to_owned()));
    let swapped = queue_ticket(&TicketData { wait: Some((20, 10)), ..common::sample_ticket() }, PaperWidth::Mm80);
    assert!(texts(&swapped).contains(&"Thời gian chờ dự kiến: khoảng 10–20 phút".to_owned()));
}

#[test]
fn priority_and_counter_lines_are_left_out_when_empty() {
    let doc =
        queue_ticket(&TicketData { priority: None, counters: vec![], ..common::sample_ticket() }, PaperWidth::Mm80);
    assert!(!has_line_starting(&doc, "Ưu tiên"));
    assert!(!has_line_starting(&doc, "Quầy phục vụ"));
    assert!(has_line_starting(&doc, "Số người đang chờ trước bạn"));
}

#[test]
fn vietnamese_line_comes_before_its_english_line() {
    let t = texts(&queue_ticket(&common::sample_ticket(), PaperWidth::Mm80));
    let pos = |s: &str| t.iter().position(|x| x.contains(s)).expect(s);
    assert!(pos("Số người đang chờ") < pos("People ahead"));
    assert!(pos("PHIẾU THỨ TỰ") < pos("QUEUE TICKET"));
}

#[test]
fn ticket_has_a_qr_of_the_ticket_id_and_ends_with_a_cut() {
    let data = common::sample_ticket();
    let doc = queue_ticket(&data, PaperWidth::Mm80);
    assert!(doc.blocks.iter().any(|b| matches!(b, Block::Qr { data: d, .. } if *d == data.ticket_id)));
    assert_eq!(doc.blocks.last(), Some(&Block::Cut));
}

#[test]
fn decomposed_input_becomes_nfc_in_the_document() {
    // "Hộ tịch" typed decomposed: o + dot below + circumflex, i + dot below.
    let nfd_field = "Ho\u{0323}\u{0302} ti\u{0323}ch";
    assert!(!is_nfc(nfd_field));
    let doc = queue_ticket(
        &TicketData {
            field_name: nfd_field.to_owned(),
            priority: Some("Ngu\u{031B}o\u{031B}\u{0300}i cao tuo\u{0302}\u{0309}i".to_owned()),
            ..common::sample_ticket()
        },
        PaperWidth::Mm80,
    );
    let t = texts(&doc);
    assert!(t.contains(&"Hộ tịch".to_owned()), "{t:?}");
    assert!(t.contains(&"Ưu tiên: Người cao tuổi".to_owned()), "{t:?}");
    assert!(t.iter().all(|s| is_nfc(s)));
}

#[test]
fn every_fixed_string_is_nfc() {
    let doc = queue_ticket(&common::sample_ticket(), PaperWidth::Mm58);
    assert!(doc.texts().all(is_nfc));
    assert_eq!(doc.paper, PaperWidth::Mm58);
}
