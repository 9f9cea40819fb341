//! Rasterises a [`TicketDoc`] the way a 203 dpi thermal printer would: one bit per dot, black
//! ink on white paper, the printable width of the roll (576 dots at 80 mm, 384 at 58 mm).
//!
//! Implements: text with Noto Sans (regular and bold, compiled in), word-wrapped to the paper,
//! sized like ESC/POS font A (a 1 × 1 line is [`LINE_DOTS`] dots, about 48 characters across
//! 80 mm) and scaled by `GS !`-style width/height multipliers; underline; rules; QR codes
//! (model 2, level M) drawn module by module; feeds; cut marks between tickets. Everything is
//! thresholded to pure black (255) and white (0) at the end, because a thermal head prints
//! dots, not grey. The simulated printer shows citizens' tickets with this; tests look at it.
//!
//! Does not implement: shaping. Glyphs are placed one by one (ab_glyph has no GPOS), which is
//! correct for NFC Vietnamese because Noto Sans has a precomposed glyph for every Vietnamese
//! letter; text is NFC-normalised here too, so decomposed input still renders right. It does
//! not reproduce a printer's ROM font: the ESC/POS encoder (a later crate) decides how text
//! really reaches the paper; this is the faithful preview of layout and size.
//!
//! Never panics: multipliers are clamped to 1..=8, words wider than the paper are broken,
//! characters missing from the font draw the font's `.notdef` box, control characters are
//! dropped, a QR payload too long for any QR version prints an error box instead, and the
//! raster stops growing at [`MAX_HEIGHT`] dots (2.5 m of paper) with the rest dropped.

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use qrcode::{Color, EcLevel, QrCode};
use unicode_normalization::UnicodeNormalization;

use crate::Error;
use crate::ticket::{Align, Block, TextStyle, TicketDoc};

/// Height of one line of 1 × 1 text, in dots: the ESC/POS default line spacing (30 dots
/// for the 24-dot font A cell). The font is sized so its ascent + descent fill 28 of them.
pub const LINE_DOTS: u32 = 30;

/// Raster height limit in dots; content below it is dropped (and logged).
pub const MAX_HEIGHT: u32 = 20_000;

/// Font size of 1 × 1 text as ab_glyph's `PxScale`, which is the font's ascent − descent in
/// pixels (not the em size). Noto Sans' ascent − descent is 1.362 em, so 28 dots make an
/// em of 20.6 dots: capitals 14.7 dots tall, stacked Vietnamese marks inside the ascent, and
/// an average advance of ~10.5 dots, i.e. ≈ 55 characters per 80 mm line (font A has 48).
/// With [`LINE_GAP`] that gives the 30-dot ESC/POS default line pitch.
const BASE_PX: f32 = 28.0;

/// Dots left free between lines, per unit of height multiplier.
const LINE_GAP: f32 = 2.0;

/// Coverage (0..=255) from which an anti-aliased glyph pixel becomes a printed dot. A bit
/// under half keeps the thin strokes of Noto Sans Regular (≈ 1.9 dots at 1 × 1) unbroken.
const INK_THRESHOLD: u8 = 100;

/// Height of a [`Block::Rule`] in dots, and the thickness of its line.
const RULE_DOTS: u32 = 16;
const RULE_THICKNESS: u32 = 2;

/// Space a cut takes between two tickets, with a dashed mark in the middle.
const CUT_DOTS: u32 = 24;

/// QR quiet zone in modules (ISO/IEC 18004 asks for 4).
const QR_QUIET: usize = 4;

/// A 1-bit-per-dot image of printed paper: 0 = white, 255 = black, row-major.
#[derive(Clone, PartialEq, Eq)]
pub struct Raster {
    /// Width in dots.
    pub width: u32,
    /// Height in dots.
    pub height: u32,
    /// `width * height` bytes, each 0 (paper) or 255 (ink).
    pub pixels: Vec<u8>,
}

impl std::fmt::Debug for Raster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pixels would flood logs and assertion messages.
        f.debug_struct("Raster")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("ink_dots", &self.pixels.iter().filter(|&&p| p != 0).count())
            .finish()
    }
}

impl Raster {
    /// A white raster of the given size.
    pub fn blank(width: u32, height: u32) -> Self {
        Self { width, height, pixels: vec![0; width as usize * height as usize] }
    }

    /// The dot at (`x`, `y`), or `None` outside the raster.
    pub fn pixel(&self, x: u32, y: u32) -> Option<u8> {
        if x >= self.width || y >= self.height {
            return None;
        }
        self.pixels.get(y as usize * self.width as usize + x as usize).copied()
    }

    /// Number of inked dots in the rectangle `x0..x1` × `y0..y1` (clipped to the raster).
    pub fn ink_in(&self, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| self.pixel(x, y).is_some_and(|p| p != 0))
            .count()
    }

    /// Encodes the raster as an 8-bit greyscale PNG (black ink on white).
    ///
    /// Fails with [`Error::Encode`] for a zero-sized raster (PNG cannot hold one) or when the
    /// pixel buffer does not match the dimensions.
    pub fn to_png(&self) -> Result<Vec<u8>, Error> {
        if self.width == 0 || self.height == 0 {
            return Err(Error::Encode(format!("a PNG cannot be {}×{}", self.width, self.height)));
        }
        if self.pixels.len() != self.width as usize * self.height as usize {
            return Err(Error::Encode(format!(
                "{} pixels for a {}×{} raster",
                self.pixels.len(),
                self.width,
                self.height
            )));
        }
        let grey: Vec<u8> = self.pixels.iter().map(|&p| 255 - p).collect();
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let encode = |e: png::EncodingError| Error::Encode(e.to_string());
        let mut writer = encoder.write_header().map_err(encode)?;
        writer.write_image_data(&grey).map_err(encode)?;
        writer.finish().map_err(encode)?;
        Ok(out)
    }

    /// RGBA8 pixels (4 bytes per dot, row-major): black ink on white paper, fully opaque.
    pub fn to_rgba(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .flat_map(|&p| {
                let v = 255 - p;
                [v, v, v, 255]
            })
            .collect()
    }
}

/// The two compiled-in faces. Parsing can only fail if the asset files are broken; then text
/// is skipped (and logged) rather than panicking.
struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    let regular = FontRef::try_from_slice(include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf"));
    let bold = FontRef::try_from_slice(include_bytes!("../../../assets/fonts/NotoSans-Bold.ttf"));
    match (regular, bold) {
        (Ok(regular), Ok(bold)) => Some(Fonts { regular, bold }),
        _ => {
            tracing::error!("compiled-in Noto Sans fonts failed to parse; text will not render");
            None
        }
    }
});

/// Renders `doc` to a raster `doc.paper.dots()` wide, as tall as the content (an empty
/// document gives a zero-height raster).
pub fn render(doc: &TicketDoc) -> Raster {
    let mut canvas = Canvas::new(doc.paper.dots());
    let fonts = FONTS.as_ref();
    for (i, block) in doc.blocks.iter().enumerate() {
        if canvas.truncated {
            break;
        }
        match block {
            Block::Text { text, style } => match fonts {
                Some(fonts) => draw_text(&mut canvas, fonts, text, style),
                None => {
                    canvas.advance(LINE_DOTS);
                }
            },
            Block::Qr { data, module_px } => draw_qr(&mut canvas, fonts, data, *module_px),
            Block::Rule => {
                if let Some(top) = canvas.advance(RULE_DOTS) {
                    let y = top + (RULE_DOTS - RULE_THICKNESS) / 2;
                    canvas.fill(0, y, canvas.width, y + RULE_THICKNESS);
                }
            }
            Block::Feed { lines } => {
                canvas.advance(u32::from(*lines) * LINE_DOTS);
            }
            Block::Cut => {
                // Only mark a cut when another ticket follows on the same strip; a trailing
                // cut is simply where this paper ends.
                if doc.blocks[i + 1..].iter().any(|b| !matches!(b, Block::Cut))
                    && let Some(top) = canvas.advance(CUT_DOTS)
                {
                    let y = top + CUT_DOTS / 2;
                    for x0 in (0..canvas.width).step_by(16) {
                        canvas.fill(x0, y, x0 + 8, y + 1);
                    }
                }
            }
        }
    }
    if canvas.truncated {
        tracing::warn!(max_height = MAX_HEIGHT, "ticket taller than the raster limit; the rest was dropped");
    }
    canvas.into_raster()
}

/// Anti-aliased coverage buffer that grows downwards; thresholded into a [`Raster`] at the end.
struct Canvas {
    width: u32,
    height: u32,
    coverage: Vec<u8>,
    truncated: bool,
}

impl Canvas {
    fn new(width: u32) -> Self {
        Self { width, height: 0, coverage: Vec::new(), truncated: false }
    }

    /// Appends `dots` rows and returns the first of them, or `None` (and marks the canvas
    /// truncated) when that would pass [`MAX_HEIGHT`].
    fn advance(&mut self, dots: u32) -> Option<u32> {
        let top = self.height;
        match top.checked_add(dots) {
            Some(h) if h <= MAX_HEIGHT => {
                self.height = h;
                self.coverage.resize(self.width as usize * h as usize, 0);
                Some(top)
            }
            _ => {
                self.truncated = true;
                None
            }
        }
    }

    /// Blends coverage `c` into (x, y); outside the canvas is ignored.
    fn plot(&mut self, x: i64, y: i64, c: u8) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let i = y as usize * self.width as usize + x as usize;
        if let Some(p) = self.coverage.get_mut(i) {
            *p = (*p).max(c);
        }
    }

    /// Inks the rectangle `x0..x1` × `y0..y1` (clipped).
    fn fill(&mut self, x0: u32, y0: u32, x1: u32, y1: u32) {
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                self.plot(i64::from(x), i64::from(y), 255);
            }
        }
    }

    fn into_raster(self) -> Raster {
        let pixels = self.coverage.into_iter().map(|c| if c >= INK_THRESHOLD { 255 } else { 0 }).collect();
        Raster { width: self.width, height: self.height, pixels }
    }
}

/// One character ready to place: its glyph and its advance at the block's scale.
#[derive(Clone, Copy)]
struct Shaped {
    ch: char,
    id: GlyphId,
    advance: f32,
}

/// Draws a text block (all its wrapped lines) at the bottom of the canvas.
fn draw_text(canvas: &mut Canvas, fonts: &Fonts, text: &str, style: &TextStyle) {
    let font = if style.bold { &fonts.bold } else { &fonts.regular };
    let (w, h) = (f32::from(style.width()), f32::from(style.height()));
    let scale = PxScale { x: BASE_PX * w, y: BASE_PX * h };
    let scaled = font.as_scaled(scale);
    let ascent = scaled.ascent();
    let line_height = (ascent - scaled.descent() + LINE_GAP * h).ceil().max(1.0) as u32;
    let max_width = canvas.width as f32;

    for paragraph in clean_text(text).split('\n') {
        let shaped: Vec<Shaped> = paragraph
            .chars()
            .map(|ch| {
                let id = scaled.glyph_id(ch);
                Shaped { ch, id, advance: scaled.h_advance(id) }
            })
            .collect();
        for line in wrap(&shaped, max_width, |a, b| scaled.kern(a, b)) {
            let Some(top) = canvas.advance(line_height) else {
                return;
            };
            let glyphs = &shaped[line.clone()];
            let positions = pen_positions(glyphs, |a, b| scaled.kern(a, b));
            let width = glyphs
                .iter()
                .zip(&positions)
                .rev()
                .find(|(g, _)| !g.ch.is_whitespace())
                .map_or(0.0, |(g, x)| x + g.advance);
            let x0 = match style.align {
                Align::Left => 0.0,
                Align::Center => ((max_width - width) / 2.0).max(0.0).floor(),
                Align::Right => (max_width - width).max(0.0).floor(),
            };
            let baseline = top as f32 + (LINE_GAP * h / 2.0).floor() + ascent.ceil();
            for (g, x) in glyphs.iter().zip(&positions) {
                if g.ch.is_whitespace() {
                    continue;
                }
                let glyph = g.id.with_scale_and_position(scale, point(x0 + x, baseline));
                if let Some(outlined) = font.outline_glyph(glyph) {
                    let b = outlined.px_bounds();
                    let (bx, by) = (b.min.x as i64, b.min.y as i64);
                    outlined.draw(|gx, gy, c| {
                        let c = (c.clamp(0.0, 1.0) * 255.0) as u8;
                        canvas.plot(bx + i64::from(gx), by + i64::from(gy), c);
                    });
                }
            }
            if style.underline && width > 0.0 {
                // ESC - 2: a 2-dot line under the characters, below the baseline.
                let y = (baseline - scaled.descent() * 0.35).round().max(0.0) as u32;
                let x_start = x0.max(0.0) as u32;
                canvas.fill(x_start, y, x_start + width.ceil() as u32, y + 2);
            }
        }
    }
}

/// Replaces tabs by spaces and drops other control characters (they would be printer
/// commands on the real device), after NFC normalisation.
fn clean_text(text: &str) -> String {
    text.nfc()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Pen x of each glyph of a line, starting at 0.
fn pen_positions(glyphs: &[Shaped], kern: impl Fn(GlyphId, GlyphId) -> f32) -> Vec<f32> {
    let mut x = 0.0;
    let mut prev: Option<GlyphId> = None;
    glyphs
        .iter()
        .map(|g| {
            if let Some(p) = prev {
                x += kern(p, g.id);
            }
            let at = x;
            x += g.advance;
            prev = Some(g.id);
            at
        })
        .collect()
}

/// Greedy word wrap: index ranges of the lines of one paragraph.
///
/// Breaks at spaces and after hyphens, so codes like `000.00.12.H62-201105-0004` and ids
/// split at their parts (not after an en dash, which joins ranges like "10–20"). A word
/// wider than the line is broken between characters; every line takes at least one
/// character, so the loop always ends. Spaces at a break are dropped; leading spaces of the
/// paragraph are kept (they indent).
fn wrap(glyphs: &[Shaped], max_width: f32, kern: impl Fn(GlyphId, GlyphId) -> f32) -> Vec<std::ops::Range<usize>> {
    let n = glyphs.len();
    let mut lines = Vec::new();
    if n == 0 {
        // An empty paragraph still feeds one line, like LF on the printer.
        lines.push(0..0);
        return lines;
    }
    let mut start = 0;
    while start < n {
        let mut x = 0.0;
        let mut end = start;
        // Last break opportunity after some ink on this line: (end of line, next start).
        let mut break_at: Option<(usize, usize)> = None;
        let mut seen_ink = false;
        while end < n {
            let g = glyphs[end];
            let k = if end > start { kern(glyphs[end - 1].id, g.id) } else { 0.0 };
            if g.ch == ' ' {
                if seen_ink {
                    break_at = Some((end, end + 1));
                }
            } else {
                // Half a dot of tolerance for float rounding in the advances.
                if x + k + g.advance > max_width + 0.5 && end > start {
                    break;
                }
                if seen_ink && matches!(g.ch, '-' | '\u{2010}') {
                    break_at = Some((end + 1, end + 1));
                }
                seen_ink = true;
            }
            x += k + g.advance;
            end += 1;
        }
        if end >= n {
            lines.push(start..n);
            break;
        }
        let (line_end, mut next) = break_at.unwrap_or((end, end));
        lines.push(start..line_end);
        while next < n && glyphs[next].ch == ' ' {
            next += 1;
        }
        start = next;
    }
    lines
}

/// Draws a QR code centered, or an error box when the payload does not fit any QR version.
fn draw_qr(canvas: &mut Canvas, fonts: Option<&Fonts>, data: &str, module_px: u8) {
    let data: String = data.nfc().collect();
    if data.is_empty() {
        // A printer given an empty QR payload prints nothing.
        return;
    }
    let code = match QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) {
        Ok(code) => code,
        Err(e) => {
            tracing::warn!(error = %e, len = data.len(), "QR payload cannot be encoded");
            draw_error_box(canvas, fonts, "[Không in được mã QR]");
            return;
        }
    };
    let modules = code.width();
    let span = modules + 2 * QR_QUIET;
    let fit = canvas.width as usize / span.max(1);
    let module = usize::from(module_px.clamp(1, 16)).min(fit);
    if module == 0 {
        draw_error_box(canvas, fonts, "[Mã QR quá rộng]");
        return;
    }
    let size = (span * module) as u32;
    let Some(top) = canvas.advance(size) else {
        return;
    };
    let left = (canvas.width - size) / 2;
    let colors = code.to_colors();
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QR_QUIET, i / modules + QR_QUIET);
        let x = left + (mx * module) as u32;
        let y = top + (my * module) as u32;
        canvas.fill(x, y, x + module as u32, y + module as u32);
    }
}

/// A framed message where something could not be printed, so the failure is visible on the
/// preview instead of silently missing.
fn draw_error_box(canvas: &mut Canvas, fonts: Option<&Fonts>, message: &str) {
    let Some(top) = canvas.advance(8) else {
        return;
    };
    if let Some(fonts) = fonts {
        draw_text(canvas, fonts, message, &TextStyle::PLAIN.with_bold(true).with_align(Align::Center));
    }
    let Some(bottom_pad) = canvas.advance(8) else {
        return;
    };
    let bottom = bottom_pad + 8;
    let (x0, x1) = (canvas.width / 8, canvas.width - canvas.width / 8);
    canvas.fill(x0, top, x1, top + 2);
    canvas.fill(x0, bottom - 2, x1, bottom);
    canvas.fill(x0, top, x0 + 2, bottom);
    canvas.fill(x1 - 2, top, x1, bottom);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::PaperWidth;

    #[test]
    fn compiled_in_fonts_parse_and_cover_vietnamese() {
        let fonts = FONTS.as_ref().expect("fonts parse");
        for c in "ẪẶỠẫặỡƯưĐđ".chars() {
            assert_ne!(fonts.regular.glyph_id(c).0, 0, "regular lacks {c}");
            assert_ne!(fonts.bold.glyph_id(c).0, 0, "bold lacks {c}");
        }
    }

    #[test]
    fn one_by_one_text_line_is_line_dots_tall() {
        let mut doc = TicketDoc::new(PaperWidth::Mm80);
        doc.push_text("Quầy", TextStyle::PLAIN);
        assert_eq!(render(&doc).height, LINE_DOTS);
    }

    #[test]
    fn stacked_vietnamese_marks_stay_inside_the_line() {
        let fonts = FONTS.as_ref().expect("fonts parse");
        for font in [&fonts.regular, &fonts.bold] {
            let scaled = font.as_scaled(BASE_PX);
            for c in "ẪẤẦẨẬẴẮẰẲẶỖỐỒỔỘỄẾỀỂỆỠỚỜỞỢỮỨỪỬỰỸÝỲỶỴ".chars()
            {
                let glyph = scaled.scaled_glyph(c);
                let ink = font.outline_glyph(glyph).map(|o| o.px_bounds());
                let top = ink.map_or(0.0, |b| b.min.y);
                assert!(-top <= scaled.ascent().ceil(), "{c} rises {top}");
            }
        }
    }

    #[test]
    fn about_48_average_characters_fit_an_80mm_line() {
        let fonts = FONTS.as_ref().expect("fonts parse");
        let scaled = fonts.regular.as_scaled(BASE_PX);
        let sample = "Số người đang chờ trước bạn: 4 abcdefghijklmnopqrstuvwxyz";
        let avg: f32 =
            sample.chars().map(|c| scaled.h_advance(scaled.glyph_id(c))).sum::<f32>() / sample.chars().count() as f32;
        let columns = 576.0 / avg;
        assert!((44.0..=60.0).contains(&columns), "{columns} columns");
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)] // a one-line wrap result is a Vec of one range
    fn wrap_breaks_at_spaces_and_inside_overlong_words() {
        let g = |ch| Shaped { ch, id: GlyphId(1), advance: 10.0 };
        let glyphs: Vec<Shaped> = "aaa bbb cccccccc".chars().map(g).collect();
        let lines = wrap(&glyphs, 45.0, |_, _| 0.0);
        assert_eq!(lines, vec![0..3, 4..7, 8..12, 12..16]);
        let glyphs: Vec<Shaped> = "aa-bbb-cc".chars().map(g).collect();
        assert_eq!(wrap(&glyphs, 65.0, |_, _| 0.0), vec![0..3, 3..9]);
        let glyphs: Vec<Shaped> = "  indented".chars().map(g).collect();
        assert_eq!(wrap(&glyphs, 1000.0, |_, _| 0.0), vec![0..10]);
        assert_eq!(wrap(&[], 10.0, |_, _| 0.0), vec![0..0]);
    }
}
