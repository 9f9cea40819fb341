//! Encoder → virtual printer: every strategy prints back the text it was given.

mod common;

use std::time::Instant;

use common::{Rng, expected_text, printed_text, sample};
use motcua_device::ticket::{Align, Block, PaperWidth, TextStyle, TicketDoc};
use motcua_escpos::proto::codepage::vietnamese_letters;
use motcua_escpos::proto::encode::{clean_text, find_realtime};
use motcua_escpos::virtual_printer::VirtualPrinter;
use motcua_escpos::{Error, Profile, Strategy, encode};

fn print(bytes: &[u8], profile: &Profile) -> VirtualPrinter {
    let mut vp = VirtualPrinter::new(profile.clone());
    vp.feed(bytes);
    assert_eq!(vp.unknown_commands(), 0, "printer saw unknown commands");
    assert_eq!(vp.realtime_in_data(), 0);
    assert_eq!(vp.buffered(), 0, "incomplete command left");
    vp
}

#[test]
fn sample_ticket_sizes_per_profile_and_strategy() {
    for profile in Profile::builtin() {
        for strategy in [Strategy::Auto, Strategy::CodePage, Strategy::Glyphs, Strategy::Raster] {
            let doc = sample(profile.paper);
            // First call may render glyphs (cold cache), the second shows the steady state.
            let t = Instant::now();
            let _ = encode(&doc, &profile, strategy);
            let cold = t.elapsed().as_micros();
            let t = Instant::now();
            let r = encode(&doc, &profile, strategy);
            let us = t.elapsed().as_micros();
            match r {
                Ok(e) => println!(
                    "{:13} {:8?} -> {:6} bytes ({} in ESC &), used {:?}, {} glyphs, {} raster lines, {cold} us cold, {} us warm",
                    profile.name,
                    strategy,
                    e.bytes.len(),
                    e.download_bytes,
                    e.strategy_used,
                    e.glyphs_downloaded,
                    e.raster_lines,
                    us
                ),
                Err(err) => println!("{:13} {:8?} -> error: {err}", profile.name, strategy),
            }
        }
    }
}

#[test]
fn sample_ticket_prints_back_its_text_on_every_profile_and_strategy() {
    for profile in Profile::builtin() {
        let doc = sample(profile.paper);
        for strategy in [Strategy::Auto, Strategy::CodePage, Strategy::Glyphs, Strategy::Raster] {
            let e = match encode(&doc, &profile, strategy) {
                Ok(e) => e,
                Err(Error::Unrepresentable { .. }) if strategy == Strategy::CodePage => continue,
                Err(err) => panic!("{} {strategy:?}: {err}", profile.name),
            };
            assert_eq!(find_realtime(&e.bytes), None);
            let vp = print(&e.bytes, &profile);
            assert_eq!(vp.cuts(), 1);
            assert_eq!(vp.qr_payloads(), [common::sample_data().ticket_id]);
            if strategy == Strategy::Raster {
                assert_eq!(vp.raster_bands(), e.raster_lines);
                assert_eq!(printed_text(&vp.texts()), "", "raster job printed ROM text");
            } else {
                assert_eq!(e.raster_lines, 0);
                assert_eq!(printed_text(&vp.texts()), expected_text(&doc), "{} {strategy:?}", profile.name);
            }
        }
    }
}

#[test]
fn auto_uses_tcvn3_on_epson_and_glyphs_on_clones() {
    let epson = Profile::epson_tm_t20();
    let e = encode(&sample(epson.paper), &epson, Strategy::Auto).expect("must encode");
    assert_eq!((e.strategy_used, e.glyphs_downloaded), (Strategy::CodePage, 0));
    let clone = Profile::generic(PaperWidth::Mm80);
    let e = encode(&sample(clone.paper), &clone, Strategy::Auto).expect("must encode");
    assert_eq!(e.strategy_used, Strategy::Glyphs);
    // Its text is 7-bit: no code page is selected, no text byte >= 0x80 is sent.
    assert!(!e.bytes.windows(2).any(|w| w == [0x1B, 0x74]), "glyph job selected a code page");
}

#[test]
fn glyph_job_starts_with_init_and_redownloads_after_it() {
    let clone = Profile::generic(PaperWidth::Mm80);
    let e = encode(&sample(clone.paper), &clone, Strategy::Glyphs).expect("must encode");
    assert_eq!(&e.bytes[..5], &[0x1B, 0x40, 0x1B, 0x26, 0x03], "ESC @ then ESC & first");
    // Printing the same job twice works: ESC @ clears glyphs, the job downloads them again.
    let mut vp = VirtualPrinter::new(clone.clone());
    vp.feed(&e.bytes);
    vp.feed(&e.bytes);
    let once = printed_text(&vp.texts()[..vp.texts().len() / 2]);
    assert_eq!(once, expected_text(&sample(clone.paper)));
    assert_eq!(printed_text(&vp.texts()), once.repeat(2));
}

fn letters_doc(bold: bool) -> (TicketDoc, Vec<String>) {
    let letters = vietnamese_letters();
    assert_eq!(letters.len(), 134);
    let mut doc = TicketDoc::new(PaperWidth::Mm80);
    let mut lines = Vec::new();
    for chunk in letters.chunks(40) {
        let line: String = chunk.iter().collect();
        doc.push_text(&line, TextStyle::PLAIN.with_bold(bold));
        lines.push(line);
    }
    (doc, lines)
}

#[test]
fn every_vietnamese_letter_prints_back_through_downloaded_glyphs() {
    let profile = Profile::generic(PaperWidth::Mm80);
    for bold in [false, true] {
        let (doc, lines) = letters_doc(bold);
        let e = encode(&doc, &profile, Strategy::Glyphs).expect("must encode");
        // 134 letters in 94 free codes: some codes are redefined between lines.
        assert!(e.glyphs_downloaded >= 134, "{}", e.glyphs_downloaded);
        let vp = print(&e.bytes, &profile);
        assert_eq!(vp.texts(), lines, "bold {bold}");
    }
}

#[test]
fn every_vietnamese_letter_prints_back_through_tcvn3() {
    let profile = Profile::epson_tm_t20();
    let (doc, lines) = letters_doc(false);
    let e = encode(&doc, &profile, Strategy::CodePage).expect("must encode");
    assert_eq!(e.glyphs_downloaded, 0);
    let vp = print(&e.bytes, &profile);
    assert_eq!(vp.texts(), lines);
    // Nothing but the two TCVN-3 pages was needed.
    let pages: Vec<u8> = e.bytes.windows(3).filter(|w| w[..2] == [0x1B, 0x74]).map(|w| w[2]).collect();
    assert!(pages.iter().all(|&p| p == 30 || p == 31), "{pages:?}");
}

#[test]
fn cp1258_only_clone_cannot_print_stacked_letters_as_code_page() {
    let profile = Profile::generic(PaperWidth::Mm80);
    let (doc, _) = letters_doc(false);
    let err = encode(&doc, &profile, Strategy::CodePage).expect_err("must be refused");
    assert!(matches!(err, Error::Unrepresentable { .. }), "{err}");
    assert_eq!(err.kind(), motcua_device::ErrorKind::Unsupported);
}

#[test]
fn decomposed_input_is_normalised_before_encoding() {
    let profile = Profile::generic(PaperWidth::Mm80);
    let mut doc = TicketDoc::new(PaperWidth::Mm80);
    doc.push(Block::Text { text: "Qua\u{0302}\u{0300}y".to_owned(), style: TextStyle::PLAIN });
    let vp = print(&encode(&doc, &profile, Strategy::Glyphs).expect("must encode").bytes, &profile);
    assert_eq!(vp.texts(), ["Quầy"]);
}

#[test]
fn emoji_is_a_clear_error_not_a_panic() {
    let mut doc = TicketDoc::new(PaperWidth::Mm80);
    doc.push_text("Xin chào 😀", TextStyle::PLAIN);
    for profile in Profile::builtin() {
        for strategy in [Strategy::Auto, Strategy::Glyphs, Strategy::Raster, Strategy::CodePage] {
            let err = encode(&doc, &profile, strategy).expect_err("must be refused");
            assert!(
                matches!(err, Error::Unrepresentable { ch: '😀', .. } | Error::Unrepresentable { ch: 'à', .. }),
                "{err}"
            );
        }
    }
}

#[test]
fn qr_length_that_would_form_dle_eot_is_refused() {
    // GS ( k pL pH with pL pH = len + 3 = 0x0410 would put 10 04 on the wire.
    let mut doc = TicketDoc::new(PaperWidth::Mm80);
    doc.push_qr(&"A".repeat(0x0410 - 3), 1);
    let err = encode(&doc, &Profile::epson_tm_t20(), Strategy::Auto).expect_err("must be refused");
    assert!(matches!(err, Error::RealTimeSequence { .. }), "{err}");
    assert_eq!(err.kind(), motcua_device::ErrorKind::Protocol);
}

#[test]
fn glyph_and_raster_data_never_contain_realtime_commands() {
    // Every Vietnamese letter, both weights, every size: glyph cells and raster bands.
    for bold in [false, true] {
        let (doc, _) = letters_doc(bold);
        let mut big = doc.clone();
        for b in &mut big.blocks {
            if let Block::Text { style, .. } = b {
                *style = style.with_size(3, 2).with_align(Align::Center);
            }
        }
        for d in [&doc, &big] {
            for strategy in [Strategy::Glyphs, Strategy::Raster] {
                let e = encode(d, &Profile::generic(PaperWidth::Mm58), strategy).expect("must encode");
                assert_eq!(find_realtime(&e.bytes), None);
            }
        }
    }
}

/// Random Unicode (ASCII, Vietnamese, symbols, emoji, control characters): the job either
/// prints back exactly its cleaned text or fails with a clear error naming the character.
#[test]
fn random_text_round_trips_or_fails_clearly() {
    let letters = vietnamese_letters();
    let extras: Vec<char> = "–€₫©ß".chars().collect();
    let emoji: Vec<char> = "😀🎉🇻".chars().collect();
    let controls: Vec<char> = "\n\t\r\u{7}\u{10}\u{4}\u{1b}\u{14}\u{5}".chars().collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let profiles = Profile::builtin();
    let mut ok = 0;
    for case in 0..300 {
        let len = rng.below(70);
        let text: String = (0..len)
            .map(|_| match rng.below(20) {
                0..=7 => char::from(0x20 + rng.below(95) as u8),
                8..=15 => letters[rng.below(letters.len())],
                16 => extras[rng.below(extras.len())],
                17 => emoji[rng.below(emoji.len())],
                _ => controls[rng.below(controls.len())],
            })
            .collect();
        let bold = rng.below(2) == 0;
        let size = 1 + rng.below(3) as u8;
        let mut doc = TicketDoc::new(PaperWidth::Mm80);
        doc.push(Block::Text { text: text.clone(), style: TextStyle::PLAIN.with_bold(bold).with_size(size, size) });
        let profile = &profiles[case % profiles.len()];
        let strategy = [Strategy::Auto, Strategy::Glyphs, Strategy::CodePage][case % 3];
        match encode(&doc, profile, strategy) {
            Ok(e) => {
                assert_eq!(find_realtime(&e.bytes), None, "{text:?}");
                let vp = print(&e.bytes, profile);
                if e.raster_lines == 0 {
                    let want: String = clean_text(&text).chars().filter(|c| !c.is_whitespace()).collect();
                    assert_eq!(printed_text(&vp.texts()), want, "{text:?} {strategy:?} {}", profile.name);
                }
                ok += 1;
            }
            Err(Error::Unrepresentable { ch, .. }) => {
                let cleaned = clean_text(&text);
                assert!(cleaned.contains(ch), "{ch:?} not in {text:?}");
                assert!(emoji.contains(&ch) || strategy == Strategy::CodePage, "{ch:?} refused by {strategy:?}");
            }
            Err(e) => panic!("unexpected error {e} for {text:?}"),
        }
    }
    assert!(ok > 50, "only {ok} cases printed");
}

/// The ink of a raster, cropped to its bounding box.
fn ink(r: &motcua_device::render::Raster) -> (u32, u32, Vec<u8>) {
    let on = |x: u32, y: u32| r.pixel(x, y).is_some_and(|p| p != 0);
    let xs: Vec<u32> = (0..r.width).filter(|&x| (0..r.height).any(|y| on(x, y))).collect();
    let ys: Vec<u32> = (0..r.height).filter(|&y| (0..r.width).any(|x| on(x, y))).collect();
    let (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) = (xs.first(), xs.last(), ys.first(), ys.last()) else {
        return (0, 0, Vec::new());
    };
    let px = (y0..=y1).flat_map(|y| (x0..=x1).map(move |x| (x, y))).map(|(x, y)| u8::from(on(x, y))).collect();
    (x0, x1 - x0 + 1, px)
}

#[test]
fn glyph_raster_and_code_page_lines_put_the_same_dots_on_paper() {
    for style in [TextStyle::PLAIN, TextStyle::PLAIN.with_bold(true).with_size(2, 2).with_align(Align::Center)] {
        let mut doc = TicketDoc::new(PaperWidth::Mm80);
        doc.push_text("Phường Bến Thành 08:46", style);
        let paper = |profile: Profile, strategy| {
            let e = encode(&doc, &profile, strategy).expect("must encode");
            ink(&print(&e.bytes, &profile).paper())
        };
        let glyphs = paper(Profile::generic(PaperWidth::Mm80), Strategy::Glyphs);
        assert!(!glyphs.2.is_empty());
        assert_eq!(paper(Profile::generic(PaperWidth::Mm80), Strategy::Raster), glyphs, "raster differs");
        assert_eq!(paper(Profile::epson_tm_t20(), Strategy::CodePage), glyphs, "TCVN-3 differs");
    }
}

#[test]
fn virtual_printer_paper_is_as_wide_as_the_preview_and_holds_the_qr() {
    for profile in Profile::builtin() {
        let doc = sample(profile.paper);
        let e = encode(&doc, &profile, Strategy::Auto).expect("must encode");
        let paper = print(&e.bytes, &profile).paper();
        let preview = motcua_device::render::render(&doc);
        assert_eq!(paper.width, preview.width);
        // Same order of length: the preview's proportional font vs 24-dot cells.
        assert!(paper.height > preview.height / 2 && paper.height < preview.height * 2, "{paper:?} vs {preview:?}");
    }
}

#[test]
fn auto_falls_back_to_raster_when_the_job_leaves_no_free_codes() {
    // A line using every printable ASCII character leaves no code for a downloaded glyph.
    let all_ascii: String = (0x21u8..=0x7E).map(char::from).collect();
    let mut doc = TicketDoc::new(PaperWidth::Mm80);
    doc.push_text(&all_ascii, TextStyle::PLAIN);
    doc.push_text("Quầy số 3", TextStyle::PLAIN);
    let profile = Profile::generic(PaperWidth::Mm80);
    let e = encode(&doc, &profile, Strategy::Auto).expect("must encode");
    assert_eq!((e.strategy_used, e.raster_lines, e.glyphs_downloaded), (Strategy::Raster, 1, 0));
    let vp = print(&e.bytes, &profile);
    assert_eq!(printed_text(&vp.texts()), all_ascii);
    assert_eq!(vp.raster_bands(), 1);
    let err = encode(&doc, &profile, Strategy::Glyphs).expect_err("must be refused");
    assert_eq!(err, Error::TooManyGlyphs { needed: 2, slots: 0 });
}

#[test]
fn glyphs_need_a_printer_with_user_defined_characters() {
    let profile = Profile { user_chars: None, ..Profile::generic(PaperWidth::Mm80) };
    let doc = sample(profile.paper);
    let err = encode(&doc, &profile, Strategy::Glyphs).expect_err("must be refused");
    assert!(matches!(err, Error::NoUserDefinedChars { .. }));
    // Auto still prints it: CP1258 where it can, raster bands for the rest.
    let e = encode(&doc, &profile, Strategy::Auto).expect("must encode");
    assert_eq!(e.strategy_used, Strategy::Raster);
    assert!(e.raster_lines > 0 && e.glyphs_downloaded == 0);
}

#[test]
fn virtual_printer_survives_random_bytes() {
    let mut rng = Rng(7);
    for _ in 0..300 {
        let mut vp = VirtualPrinter::new(Profile::epson_tm_t20());
        let len = rng.below(200);
        // Bias towards command introducers so commands with random arguments are exercised.
        let bytes: Vec<u8> = (0..len)
            .map(|_| match rng.below(6) {
                0 => [0x1B, 0x1D, 0x10, 0x0A][rng.below(4)],
                _ => rng.next() as u8,
            })
            .collect();
        for chunk in bytes.chunks(1 + rng.below(16)) {
            vp.feed(chunk);
        }
        let _ = vp.paper();
        let _ = vp.take_output();
    }
}

#[test]
#[ignore = "writes PNGs of the sample ticket per strategy to the temp dir, for eyes"]
fn write_sample_pngs() {
    let profile = Profile::generic(PaperWidth::Mm80);
    for strategy in [Strategy::Glyphs, Strategy::Raster] {
        let e = encode(&sample(profile.paper), &profile, strategy).expect("must encode");
        let png = print(&e.bytes, &profile).paper().to_png().expect("png");
        let path = std::env::temp_dir().join(format!("escpos_{strategy:?}.png"));
        std::fs::write(&path, png).expect("write png");
        println!("{}", path.display());
    }
}
