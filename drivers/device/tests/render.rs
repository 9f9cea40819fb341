//! `render`: size, 1-bit output, ink where the content is, and no panic on odd documents.

mod common;

use motcua_device::ErrorKind;
use motcua_device::render::{LINE_DOTS, MAX_HEIGHT, Raster, render};
use motcua_device::ticket::{Block, PaperWidth, TextStyle, TicketDoc, queue_ticket};

fn doc_with(paper: PaperWidth, blocks: Vec<Block>) -> TicketDoc {
    TicketDoc { paper, blocks }
}

fn text(t: &str, style: TextStyle) -> Block {
    Block::Text { text: t.to_owned(), style }
}

fn ink(r: &Raster) -> usize {
    r.ink_in(0, 0, r.width, r.height)
}

#[test]
fn ticket_renders_at_the_paper_width() {
    let data = common::sample_ticket();
    let r80 = render(&queue_ticket(&data, PaperWidth::Mm80));
    assert_eq!(r80.width, 576);
    assert_eq!(r80.pixels.len(), (r80.width * r80.height) as usize);
    let r58 = render(&queue_ticket(&data, PaperWidth::Mm58));
    assert_eq!(r58.width, 384);
    // Roughly 100 mm of paper on 80 mm: a real ticket, not a strip or a scroll.
    assert!((600..1400).contains(&r80.height), "{}", r80.height);
}

#[test]
fn rendered_pixels_are_strictly_black_or_white() {
    let r = render(&queue_ticket(&common::sample_ticket(), PaperWidth::Mm80));
    assert!(r.pixels.iter().all(|&p| p == 0 || p == 255));
    assert!(ink(&r) > 1000);
}

#[test]
fn the_number_area_has_ink() {
    let doc = queue_ticket(&common::sample_ticket(), PaperWidth::Mm80);
    let at =
        doc.blocks.iter().position(|b| matches!(b, Block::Text { text, .. } if text == "A023")).expect("number block");
    // The number occupies the rows between the doc rendered up to it and including it.
    let top = render(&doc_with(doc.paper, doc.blocks[..at].to_vec())).height;
    let bottom = render(&doc_with(doc.paper, doc.blocks[..=at].to_vec())).height;
    assert!(bottom - top >= 4 * LINE_DOTS - 8, "4×4 line is {}", bottom - top);
    let r = render(&doc);
    let number_ink = r.ink_in(144, top, 432, bottom);
    assert!(number_ink > 3000, "{number_ink} dots of ink in the number");
    // Centered: nothing in the outer sixths of those rows.
    assert_eq!(r.ink_in(0, top, 96, bottom), 0);
    assert_eq!(r.ink_in(480, top, 576, bottom), 0);
}

#[test]
fn more_lines_make_a_taller_raster() {
    let one = render(&doc_with(PaperWidth::Mm80, vec![text("Quầy 1", TextStyle::PLAIN)]));
    let three = render(&doc_with(PaperWidth::Mm80, vec![text("Quầy 1\nQuầy 2\nQuầy 3", TextStyle::PLAIN)]));
    assert!(three.height > one.height);
    assert_eq!(three.height, 3 * one.height);
}

#[test]
fn long_text_wraps_within_the_paper() {
    let long = "Thời gian chờ dự kiến ".repeat(10);
    let r = render(&doc_with(PaperWidth::Mm58, vec![text(&long, TextStyle::PLAIN)]));
    assert_eq!(r.width, 384);
    assert!(r.height >= 5 * LINE_DOTS, "wrapped to {} dots", r.height);
}

#[test]
fn decomposed_text_renders_like_precomposed_text() {
    let nfc = render(&doc_with(PaperWidth::Mm80, vec![text("Hộ tịch – Người cao tuổi", TextStyle::PLAIN)]));
    let nfd = render(&doc_with(
        PaperWidth::Mm80,
        vec![text(
            "Ho\u{0323}\u{0302} ti\u{0323}ch – Ngu\u{031B}o\u{031B}\u{0300}i cao tuo\u{0302}\u{0309}i",
            TextStyle::PLAIN,
        )],
    ));
    assert_eq!(nfc, nfd);
}

#[test]
fn bold_and_underline_add_ink() {
    let plain = render(&doc_with(PaperWidth::Mm80, vec![text("Quầy phục vụ", TextStyle::PLAIN)]));
    let bold = render(&doc_with(PaperWidth::Mm80, vec![text("Quầy phục vụ", TextStyle::PLAIN.with_bold(true))]));
    let underlined =
        render(&doc_with(PaperWidth::Mm80, vec![text("Quầy phục vụ", TextStyle::PLAIN.with_underline(true))]));
    assert!(ink(&bold) > ink(&plain));
    assert!(ink(&underlined) > ink(&plain));
}

#[test]
fn qr_block_draws_a_centered_square() {
    let r = render(&doc_with(
        PaperWidth::Mm80,
        vec![Block::Qr { data: "0193a1f2-7c4e-7a10-9b2d-5e8f4c3a2b10".to_owned(), module_px: 5 }],
    ));
    // Version 3 (29 modules) + 2×4 quiet modules, 5 dots each.
    assert_eq!(r.height, 37 * 5);
    let left = (576 - 37 * 5) / 2;
    // Top-left finder pattern: a solid dark module at its corner, quiet zone light.
    assert_eq!(r.pixel(left + 20 + 2, 20 + 2), Some(255));
    assert_eq!(r.pixel(left + 2, 2), Some(0));
}

#[test]
fn oversized_qr_modules_shrink_to_fit_the_paper() {
    let r = render(&doc_with(PaperWidth::Mm58, vec![Block::Qr { data: "x".repeat(500), module_px: 16 }]));
    assert_eq!(r.width, 384);
    assert!(r.height <= 384 && r.height > 0);
}

#[test]
fn empty_document_renders_to_zero_height_and_png_refuses_it() {
    let r = render(&TicketDoc::new(PaperWidth::Mm80));
    assert_eq!((r.width, r.height), (576, 0));
    assert!(r.to_rgba().is_empty());
    let err = r.to_png().expect_err("zero-height PNG");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[test]
fn odd_documents_render_without_panicking() {
    let odd = vec![
        // 8×8 with a word far wider than the paper.
        text(&"Nghiêng".repeat(20), TextStyle::PLAIN.with_size(8, 8)),
        // Multipliers outside 1..=8 written directly into the fields.
        text("Ư", TextStyle { width_mult: 0, height_mult: 255, ..TextStyle::PLAIN }),
        // Empty text, only control characters, only newlines, only spaces.
        text("", TextStyle::PLAIN),
        text("\u{1b}@\u{1d}V\u{0}\r\t", TextStyle::PLAIN),
        text("\n\n\n", TextStyle::PLAIN),
        text("          ", TextStyle::PLAIN.with_size(8, 1)),
        // Characters Noto Sans does not have, lone combining marks, private use.
        text("漢字 😀 \u{E000} \u{0301}\u{0323} \u{FFFF}", TextStyle::PLAIN),
        // QR: empty, and a payload no QR version can hold.
        Block::Qr { data: String::new(), module_px: 0 },
        Block::Qr { data: "a".repeat(3000), module_px: 255 },
        Block::Feed { lines: 0 },
        Block::Feed { lines: 255 },
        Block::Cut,
        Block::Cut,
        Block::Rule,
    ];
    for paper in [PaperWidth::Mm58, PaperWidth::Mm80] {
        for block in &odd {
            let r = render(&doc_with(paper, vec![block.clone()]));
            assert_eq!(r.width, paper.dots());
            assert_eq!(r.pixels.len(), (r.width * r.height) as usize);
        }
        let all = render(&doc_with(paper, odd.clone()));
        assert!(all.pixels.iter().all(|&p| p == 0 || p == 255));
    }
}

#[test]
fn qr_payload_too_long_for_any_version_prints_an_error_box() {
    // Lower case forces byte mode: version 40-M holds at most 2331 bytes.
    let r = render(&doc_with(PaperWidth::Mm80, vec![Block::Qr { data: "a".repeat(3000), module_px: 4 }]));
    assert!(r.height > 0 && r.height < 100, "{}", r.height);
    assert!(ink(&r) > 0);
}

#[test]
fn empty_qr_data_prints_nothing() {
    let r = render(&doc_with(PaperWidth::Mm80, vec![Block::Qr { data: String::new(), module_px: 4 }]));
    assert_eq!(r.height, 0);
}

#[test]
fn endless_text_stops_at_the_height_limit() {
    let r = render(&doc_with(
        PaperWidth::Mm80,
        vec![text(&"Số ".repeat(20_000), TextStyle::PLAIN), Block::Feed { lines: 255 }],
    ));
    assert!(r.height <= MAX_HEIGHT);
    assert!(r.height > MAX_HEIGHT - 4 * LINE_DOTS);
}

#[test]
fn png_and_rgba_show_black_ink_on_white_paper() {
    let r = render(&queue_ticket(&common::sample_ticket(), PaperWidth::Mm80));
    let png = r.to_png().expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let rgba = r.to_rgba();
    assert_eq!(rgba.len(), r.pixels.len() * 4);
    for (px, &dot) in rgba.chunks_exact(4).zip(&r.pixels) {
        let want: [u8; 4] = if dot == 255 { [0, 0, 0, 255] } else { [255; 4] };
        assert_eq!(px, want);
    }
}

#[test]
fn cut_between_tickets_is_marked_and_a_trailing_cut_adds_nothing() {
    let one = vec![text("A001", TextStyle::PLAIN), Block::Cut];
    let r_one = render(&doc_with(PaperWidth::Mm80, one.clone()));
    assert_eq!(r_one.height, LINE_DOTS);
    let mut two = one.clone();
    two.extend(one);
    let r_two = render(&doc_with(PaperWidth::Mm80, two));
    assert!(r_two.height > 2 * LINE_DOTS);
}

/// Small deterministic generator so the "never panics" sweep needs no extra dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 0
    }
}

#[test]
fn random_documents_never_panic() {
    let alphabet: Vec<char> =
        "aăâbcdđeêghiklmnoôơpqrstuưvxyẮẰẲẴẶẤẦẨẪẬỨỪỬỮỰ \n\t\r\u{0}\u{1b}0123456789–😀".chars().collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..40 {
        let mut blocks = Vec::new();
        for _ in 0..(rng.next() % 6) {
            let block = match rng.next() % 5 {
                0 => {
                    let len = (rng.next() % 80) as usize;
                    let s: String = (0..len).map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize]).collect();
                    text(
                        &s,
                        TextStyle {
                            bold: rng.coin(),
                            width_mult: (rng.next() % 12) as u8,
                            height_mult: (rng.next() % 12) as u8,
                            align: match rng.next() % 3 {
                                0 => motcua_device::ticket::Align::Left,
                                1 => motcua_device::ticket::Align::Center,
                                _ => motcua_device::ticket::Align::Right,
                            },
                            underline: rng.coin(),
                        },
                    )
                }
                1 => Block::Qr { data: "Q".repeat((rng.next() % 400) as usize), module_px: (rng.next() % 20) as u8 },
                2 => Block::Feed { lines: (rng.next() % 4) as u8 },
                3 => Block::Rule,
                _ => Block::Cut,
            };
            blocks.push(block);
        }
        let paper = if rng.coin() { PaperWidth::Mm58 } else { PaperWidth::Mm80 };
        let r = render(&doc_with(paper, blocks));
        assert_eq!(r.pixels.len(), (r.width * r.height) as usize);
    }
}
