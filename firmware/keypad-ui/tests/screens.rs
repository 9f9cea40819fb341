//! Screen rendering on the host, compared pixel for pixel against reference images in
//! `tests/ref/*.png` (1x, white on black). `MOTCUA_UPDATE_SCREENS=1 cargo test -p keypad-ui`
//! rewrites them and the 4x copies in `docs/screens/keypad-*.png` for a human to check the
//! Vietnamese. A mismatch writes the actual image next to the target dir and prints the diff.

// Tests fail by panicking.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics_simulator::{BinaryColorTheme, OutputSettingsBuilder, SimulatorDisplay};
use keypad_ui::config::{FIRMWARE_VERSION, LABELS_3, LABELS_4, LABELS_5};
use keypad_ui::draw::{self, HEIGHT, WIDTH};
use keypad_ui::keypad::LINES;
use keypad_ui::screen::{Screen, text};
use motcua_keypad_proto::{DisplayText, ProtoVersion};

fn lines(texts: [&str; LINES]) -> [DisplayText; LINES] {
    texts.map(|t| DisplayText::new(t).expect("fits in a display message"))
}

fn render(screen: &Screen) -> SimulatorDisplay<BinaryColor> {
    let mut d = SimulatorDisplay::new(Size::new(WIDTH as u32, HEIGHT as u32));
    let Ok(()) = draw::draw(screen, &mut d);
    d
}

fn ascii(d: &SimulatorDisplay<BinaryColor>) -> String {
    let mut s = String::new();
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            s.push(if d.get_pixel(Point::new(x, y)) == BinaryColor::On { '#' } else { '.' });
        }
        s.push('\n');
    }
    s
}

fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Compares `screen` with `tests/ref/<name>.png`, or rewrites it (and the 4x doc copy).
fn check(name: &str, screen: &Screen) {
    let actual = render(screen);
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ref").join(format!("{name}.png"));
    let one_x = OutputSettingsBuilder::new().scale(1).pixel_spacing(0).theme(BinaryColorTheme::Default).build();
    if std::env::var_os("MOTCUA_UPDATE_SCREENS").is_some() {
        actual.to_rgb_output_image(&one_x).save_png(&reference).expect("write reference");
        let four_x = OutputSettingsBuilder::new().scale(4).theme(BinaryColorTheme::OledBlue).build();
        let doc = firmware_dir().join("../docs/screens").join(format!("keypad-{name}.png"));
        actual.to_rgb_output_image(&four_x).save_png(&doc).expect("write doc copy");
        return;
    }
    let expected: SimulatorDisplay<BinaryColor> = SimulatorDisplay::load_png(&reference)
        .unwrap_or_else(|e| panic!("{}: {e} (MOTCUA_UPDATE_SCREENS=1 creates it)", reference.display()));
    if let Some(diff) = expected.diff(&actual) {
        let out = std::env::temp_dir().join(format!("keypad-{name}.actual.png"));
        let _ = actual.to_rgb_output_image(&one_x).save_png(&out);
        panic!(
            "screen {name} differs from {} (actual saved to {}).\nactual:\n{}\ndiff:\n{}",
            reference.display(),
            out.display(),
            ascii(&actual),
            ascii(&diff)
        );
    }
}

#[test]
fn connecting() {
    check("connecting", &Screen::Connecting { version: FIRMWARE_VERSION, keys: 9 });
}

#[test]
fn idle_with_counter_number() {
    let l = lines(["Quầy số 3", "Xin mời lấy số", "", "CB: Nguyễn Hằng"]);
    check("idle", &Screen::Host { lines: l });
}

#[test]
fn now_serving() {
    let l = lines(["Quầy số 3", "Đang phục vụ số", "1023", "CB: Nguyễn Hằng"]);
    check("serving", &Screen::Host { lines: l });
}

#[test]
fn officer_pin_entry() {
    let l = lines(["Quầy số 3", "Cán bộ đăng nhập", "Mã PIN: ****", "Kết thúc = Xong"]);
    check("pin", &Screen::Host { lines: l });
}

#[test]
fn connected_without_text_says_ready() {
    let l = lines(["", "", "", ""]);
    check("ready", &Screen::Host { lines: l });
}

#[test]
fn rating_prompt_three_keys() {
    check("rating-3", &Screen::RatingPrompt { labels: &LABELS_3, page: 0, remaining_s: 30 });
}

#[test]
fn rating_prompt_four_keys_pages() {
    check("rating-4-page1", &Screen::RatingPrompt { labels: &LABELS_4, page: 0, remaining_s: 30 });
    check("rating-4-page2", &Screen::RatingPrompt { labels: &LABELS_4, page: 1, remaining_s: 27 });
}

#[test]
fn rating_prompt_five_keys_pages_wrap_the_long_label() {
    check("rating-5-page1", &Screen::RatingPrompt { labels: &LABELS_5, page: 0, remaining_s: 9 });
    check("rating-5-page2", &Screen::RatingPrompt { labels: &LABELS_5, page: 1, remaining_s: 6 });
    // The page counter wraps around.
    assert_eq!(
        ascii(&render(&Screen::RatingPrompt { labels: &LABELS_5, page: 2, remaining_s: 9 })),
        ascii(&render(&Screen::RatingPrompt { labels: &LABELS_5, page: 0, remaining_s: 9 }))
    );
}

#[test]
fn thanks() {
    check("thanks", &Screen::Thanks { label: "Không hài lòng" });
    check("thanks-long", &Screen::Thanks { label: "Rất không hài lòng" });
}

#[test]
fn link_lost() {
    check("link-lost", &Screen::LinkLost);
}

#[test]
fn version_mismatch() {
    check("version", &Screen::VersionMismatch { host: ProtoVersion { major: 2, minor: 0 } });
}

#[test]
fn every_firmware_string_and_label_has_its_glyphs() {
    for s in text::ALL.iter().chain(&LABELS_5).chain(&LABELS_3).chain(&LABELS_4) {
        assert!(draw::has_all_glyphs(s), "missing glyph in {s:?}");
    }
    // The whole Vietnamese alphabet with every tone, both cases.
    let lower = "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ";
    assert_eq!(lower.chars().count(), 89);
    assert!(draw::has_all_glyphs(lower), "lower case");
    assert!(draw::has_all_glyphs(&lower.to_uppercase()), "upper case");
    assert!(!draw::has_all_glyphs("你好"), "the check can fail");
}

#[test]
fn labels_fit_the_screen() {
    for label in LABELS_5 {
        let (first, rest) = draw::split_fit(label, WIDTH - 14);
        assert!(draw::text_width(first) <= WIDTH - 14 && draw::text_width(rest) <= WIDTH - 14, "{label}");
    }
    assert_eq!(draw::split_fit("Rất không hài lòng", WIDTH - 14), ("Rất không", "hài lòng"));
    assert_eq!(draw::split_fit("Hài lòng", WIDTH), ("Hài lòng", ""));
    // One word wider than the screen is cut at a glyph boundary.
    let long = "x".repeat(20);
    let (a, b) = draw::split_fit(&long, WIDTH);
    assert_eq!((a.len(), b.len()), (16, 4));
}

/// A target that counts pixels outside the 128x64 panel instead of dropping them.
struct Bounded {
    outside: usize,
    inside: usize,
}

impl OriginDimensions for Bounded {
    fn size(&self) -> Size {
        Size::new(WIDTH as u32, HEIGHT as u32)
    }
}

impl DrawTarget for Bounded {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        for Pixel(p, _) in pixels {
            if (0..WIDTH).contains(&p.x) && (0..HEIGHT).contains(&p.y) {
                self.inside += 1;
            } else {
                self.outside += 1;
            }
        }
        Ok(())
    }
}

#[test]
fn hostile_host_text_is_clipped_inside_the_panel() {
    let nasty = [
        "Đánh giá mức độ hài lòng của ông bà đối với cán bộ",
        "\n\r\t\u{7}\u{1b}[2J",
        "你好世界 😀 مرحبا",
        "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
    ];
    for text in nasty {
        let l = [DisplayText::truncated(text); LINES];
        let mut d = Bounded { outside: 0, inside: 0 };
        let Ok(()) = draw::draw(&Screen::Host { lines: l }, &mut d);
        assert_eq!(d.outside, 0, "{text:?} drew outside the panel");
        let Ok(()) = draw::draw(&Screen::Thanks { label: text }, &mut d);
        assert_eq!(d.outside, 0, "{text:?} drew outside the panel");
    }
}
