//! Paints a [`Screen`] on any 128x64 monochrome `DrawTarget` (the SSD1306 buffer on the
//! keypad, a simulator display in the host tests).
//!
//! Text uses GNU Unifont's Vietnamese subset from u8g2 ([`ViFont`], 8x16 px per Latin letter,
//! every precomposed Vietnamese letter with its stacked marks, e.g. ầ ữ ợ ế Ặ). The
//! embedded-graphics mono fonts stop at Latin-1 and cannot show Vietnamese. Glyphs missing from
//! the font (host text in another script) are skipped, control characters drawn as spaces, and
//! text wider than the screen is clipped at a whole glyph: nothing here can fail on content.

use core::fmt::Write as _;

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use u8g2_fonts::FontRenderer;
use u8g2_fonts::types::{FontColor, VerticalPosition};

use crate::screen::{BODY_ROWS, Screen, text};

pub use u8g2_fonts::fonts::u8g2_font_unifont_t_vietnamese2 as ViFont;

/// Display width in pixels.
pub const WIDTH: i32 = 128;
/// Display height in pixels.
pub const HEIGHT: i32 = 64;
/// Height of one text row.
pub const ROW: i32 = 16;

/// Baseline offset from the top of a row.
const BASELINE: i32 = 14;

/// Left edge of a rating label (after the key number box).
const LABEL_X: i32 = 14;

/// The text renderer used for everything.
pub const FONT: FontRenderer = FontRenderer::new::<ViFont>().with_ignore_unknown_chars(true);

/// Paints `screen` (clears first).
pub fn draw<D>(screen: &Screen, d: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = BinaryColor>,
{
    d.clear(BinaryColor::Off)?;
    match *screen {
        Screen::Connecting { version, keys } => {
            header(d, text::CONNECTING, None)?;
            centered(d, text::CONNECTING_2, 1)?;
            let mut s = Buf::<32>::new();
            let _ = write!(s, "v{}.{}.{}, {keys} {}", version.major, version.minor, version.patch, text::KEYS);
            centered(d, s.as_str(), 3)
        }
        Screen::LinkLost => {
            header(d, text::LINK_LOST, None)?;
            centered(d, text::LINK_LOST_2, 1)?;
            centered(d, text::LINK_LOST_3, 2)
        }
        Screen::VersionMismatch { host } => {
            header(d, text::VERSION, None)?;
            let mut s = Buf::<32>::new();
            let _ = write!(s, "{}{}", text::VERSION_HOST, host.major);
            centered(d, s.as_str(), 1)?;
            let mut s = Buf::<32>::new();
            let _ = write!(s, "{}{}", text::VERSION_OURS, motcua_keypad_proto::PROTO_VERSION.major);
            centered(d, s.as_str(), 2)?;
            centered(d, text::VERSION_FIX, 3)
        }
        Screen::Host { lines } => {
            let mut lines = lines.iter().map(|l| l.as_str());
            let title = lines.next().unwrap_or_default();
            if !title.is_empty() {
                header(d, title, None)?;
            }
            let mut any = !title.is_empty();
            for (row, line) in (1..).zip(lines) {
                any |= !line.is_empty();
                centered(d, line, row)?;
            }
            if !any {
                centered(d, text::READY, 1)?;
            }
            Ok(())
        }
        Screen::RatingPrompt { labels, page, remaining_s } => {
            let mut s = Buf::<8>::new();
            let _ = write!(s, "{remaining_s}");
            header(d, text::RATE, Some(s.as_str()))?;
            rating_page(d, labels, page)
        }
        Screen::Thanks { label } => {
            header(d, text::THANKS, None)?;
            centered(d, text::RECORDED, 1)?;
            let (first, rest) = split_fit(label, WIDTH);
            centered(d, first, 2)?;
            centered(d, rest, 3)
        }
    }
}

/// Width of `s` in pixels as [`draw`] would paint it (unclipped).
pub fn text_width(s: &str) -> i32 {
    s.chars().map(advance).sum()
}

/// Whether every character of `s` has a glyph in [`ViFont`] (spaces and control characters count
/// as present). For tests of the firmware's own strings and the labels.
pub fn has_all_glyphs(s: &str) -> bool {
    let strict = FontRenderer::new::<ViFont>().with_ignore_unknown_chars(false);
    s.chars().all(|c| c.is_control() || strict.get_rendered_dimensions(c, Point::zero(), VerticalPosition::Top).is_ok())
}

/// Splits `s` into a first row that fits `width` px and the rest. When both halves can fit,
/// at the space that balances them best ("Rất không" / "hài lòng", not "Rất không hài" /
/// "lòng"); otherwise at the last space that fits, or at a glyph boundary when a single word is
/// too wide.
pub fn split_fit(s: &str, width: i32) -> (&str, &str) {
    if text_width(s) <= width {
        return (s, "");
    }
    let mut best: Option<(i32, usize)> = None;
    for (i, c) in s.char_indices() {
        if c != ' ' {
            continue;
        }
        let (a, b) = (s.get(..i).unwrap_or_default(), s.get(i + 1..).unwrap_or_default());
        let worst = text_width(a).max(text_width(b));
        if worst <= width && best.is_none_or(|(w, _)| worst < w) {
            best = Some((worst, i));
        }
    }
    if let Some((_, i)) = best {
        return (s.get(..i).unwrap_or_default(), s.get(i + 1..).unwrap_or_default());
    }
    let mut used = 0;
    let mut last_space = None;
    let mut cut = 0;
    for (i, c) in s.char_indices() {
        let w = advance(c);
        if used + w > width {
            break;
        }
        if c == ' ' {
            last_space = Some(i);
        }
        used += w;
        cut = i + c.len_utf8();
    }
    match last_space {
        Some(i) => (s.get(..i).unwrap_or_default(), s.get(i + 1..).unwrap_or_default()),
        None => (s.get(..cut).unwrap_or_default(), s.get(cut..).unwrap_or_default()),
    }
}

/// Rows a rating label takes (1 or 2).
fn label_rows(label: &str) -> usize {
    if split_fit(label, WIDTH - LABEL_X).1.is_empty() { 1 } else { 2 }
}

/// Paints page `page % pages` of the numbered rating labels in the body rows.
fn rating_page<D>(d: &mut D, labels: &[&str], page: usize) -> Result<(), D::Error>
where
    D: DrawTarget<Color = BinaryColor>,
{
    // Pages fill greedily: a label goes to the next page when its rows do not fit.
    let page_of = |upto: usize| {
        let (mut p, mut rows) = (0usize, 0usize);
        let mut pages = [0usize; 8];
        for (i, label) in labels.iter().enumerate().take(upto.min(pages.len())) {
            let r = label_rows(label);
            if rows + r > BODY_ROWS && rows > 0 {
                p += 1;
                rows = 0;
            }
            rows += r;
            if let Some(slot) = pages.get_mut(i) {
                *slot = p;
            }
        }
        (pages, p + 1)
    };
    let (pages, count) = page_of(labels.len());
    let shown = page % count.max(1);
    let mut row = 1;
    for (i, label) in labels.iter().enumerate() {
        if pages.get(i).copied() != Some(shown) {
            continue;
        }
        let y = row * ROW;
        d.fill_solid(&Rectangle::new(Point::new(0, y + 1), Size::new(11, 14)), BinaryColor::On)?;
        let mut n = Buf::<4>::new();
        let _ = write!(n, "{}", i + 1);
        text_at(d, n.as_str(), 2, y, BinaryColor::Off)?;
        let (first, rest) = split_fit(label, WIDTH - LABEL_X);
        text_at(d, first, LABEL_X, y, BinaryColor::On)?;
        row += 1;
        if !rest.is_empty() {
            text_at(d, rest, LABEL_X, row * ROW, BinaryColor::On)?;
            row += 1;
        }
    }
    Ok(())
}

/// Inverted title bar in row 0: `title` centred, or left-aligned when a `right` badge (the
/// countdown) is given, drawn un-inverted at the right edge so it does not run into the title.
fn header<D>(d: &mut D, title: &str, right: Option<&str>) -> Result<(), D::Error>
where
    D: DrawTarget<Color = BinaryColor>,
{
    d.fill_solid(&Rectangle::new(Point::zero(), Size::new(WIDTH as u32, ROW as u32)), BinaryColor::On)?;
    match right {
        Some(r) => {
            text_at(d, title, 2, 0, BinaryColor::Off)?;
            let w = text_width(r);
            let badge = Rectangle::new(Point::new(WIDTH - w - 4, 1), Size::new((w + 3).max(0) as u32, ROW as u32 - 2));
            d.fill_solid(&badge, BinaryColor::Off)?;
            text_at(d, r, WIDTH - w - 2, 0, BinaryColor::On)
        }
        None => text_at(d, title, centre_x(title), 0, BinaryColor::Off),
    }
}

fn centre_x(s: &str) -> i32 {
    ((WIDTH - text_width(s)) / 2).max(0)
}

fn centered<D>(d: &mut D, s: &str, row: i32) -> Result<(), D::Error>
where
    D: DrawTarget<Color = BinaryColor>,
{
    text_at(d, s, centre_x(s), row * ROW, BinaryColor::On)
}

/// Draws `s` from (`x`, `y` = top of the row), glyph by glyph, stopping before the first glyph
/// that would cross the right edge. Unifont's Vietnamese glyphs span 14 px above the baseline
/// (stacked marks on capitals) to 2 px below, so the baseline sits 14 px into the 16-px row.
fn text_at<D>(d: &mut D, s: &str, mut x: i32, y: i32, color: BinaryColor) -> Result<(), D::Error>
where
    D: DrawTarget<Color = BinaryColor>,
{
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        let w = advance(c);
        if x + w > WIDTH {
            break;
        }
        match FONT.render(c, Point::new(x, y + BASELINE), VerticalPosition::Baseline, FontColor::Transparent(color), d)
        {
            Ok(dims) => x += dims.advance.x,
            Err(u8g2_fonts::Error::DisplayError(e)) => return Err(e),
            // Unknown glyph (skipped) or a background colour (never asked for).
            Err(_) => {}
        }
    }
    Ok(())
}

fn advance(c: char) -> i32 {
    let c = if c.is_control() { ' ' } else { c };
    FONT.get_rendered_dimensions(c, Point::zero(), VerticalPosition::Top).map_or(0, |d| d.advance.x)
}

/// A fixed-size string for formatting numbers without allocation (overflow is cut off).
struct Buf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Buf<N> {
    fn new() -> Self {
        Buf { buf: [0; N], len: 0 }
    }

    fn as_str(&self) -> &str {
        self.buf.get(..self.len).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or_default()
    }
}

impl<const N: usize> core::fmt::Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
