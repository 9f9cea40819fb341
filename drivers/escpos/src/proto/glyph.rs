//! Renders one character from the shipped Noto Sans into a font-A printer cell (12 × 24 dots),
//! packed the way `ESC &` wants it.
//!
//! Implements ESCPOS.md §2 path C: the letter is drawn at a 22-dot em with 4 × 4 supersampling,
//! baseline at row 20, ink at most 11 columns wide, centred on whole dots in columns 0–10 (so the last column is
//! always blank and neighbours never touch); what
//! rises above the cell (stacked marks on capitals: Ậ Ế Ố Ộ Ứ) or sinks below it (dot below
//! under a descender) is squashed vertically on that side only, so baselines still line up.
//! Packing is column-major, 3 bytes a column, MSB = top dot.
//!
//! A glyph whose packed bytes would contain `10 04`, `10 05` or `10 14` (a real-time command
//! the printer would act on even inside `ESC &` data) loses the one dot of that `0x10` byte.
//! The virtual printer recognises glyphs through this same function, so the rule is invisible
//! to the round-trip tests and costs at most a dot on paper.
//!
//! Does not implement: font-B cells, shaping (text is NFC, every Vietnamese letter is one
//! precomposed glyph in Noto Sans).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

/// Cell width in dots (font A).
pub const CELL_W: usize = 12;
/// Cell height in dots (font A).
pub const CELL_H: usize = 24;
/// Bytes of one packed cell (`ESC &` data for x = 12, y = 3).
pub const CELL_BYTES: usize = CELL_W * 3;

/// A packed 12 × 24 cell: 12 columns × 3 bytes, MSB top.
pub type Cell = [u8; CELL_BYTES];

const SS: usize = 4;
const EM_DOTS: f32 = 22.0;
const BASELINE: usize = 20;
const INK_COLS: usize = 11;
/// Average coverage (of 16 subsamples) from which a dot is printed.
const THRESHOLD: f32 = 0.38;

struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    let regular = FontRef::try_from_slice(include_bytes!("../../../../assets/fonts/NotoSans-Regular.ttf")).ok()?;
    let bold = FontRef::try_from_slice(include_bytes!("../../../../assets/fonts/NotoSans-Bold.ttf")).ok()?;
    Some(Fonts { regular, bold })
});

static CACHE: LazyLock<Mutex<HashMap<(char, bool), Cell>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Whether the shipped font has a real glyph for `ch` (not `.notdef`).
pub fn has_glyph(ch: char) -> bool {
    FONTS.as_ref().is_some_and(|f| f.regular.glyph_id(ch).0 != 0 && f.bold.glyph_id(ch).0 != 0)
}

/// The packed cell for `ch` (bold from Noto Sans Bold). Cached: a ticket's ~30 letters are
/// rendered once per process. A character the font lacks gives its `.notdef` box; an
/// unparseable font gives a blank cell.
pub fn cell(ch: char, bold: bool) -> Cell {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    *cache.entry((ch, bold)).or_insert_with(|| render_cell(ch, bold))
}

/// Columns worth sending for `cell`: the last inked column plus one blank column of spacing
/// (at most 12, at least 1). `ESC &` takes the width per character; a printer either pads the
/// rest of the 12-dot cell or prints the character that wide, and the line fits either way.
pub fn defined_width(cell: &Cell) -> usize {
    let last = (0..CELL_W).rev().find(|&x| cell[x * 3..x * 3 + 3].iter().any(|&b| b != 0));
    last.map_or(1, |x| (x + 2).min(CELL_W))
}

/// The dot at column `x`, row `y` of a packed cell.
pub fn dot(cell: &Cell, x: usize, y: usize) -> bool {
    cell.get(x * 3 + y / 8).is_some_and(|b| b & (0x80 >> (y % 8)) != 0)
}

fn render_cell(ch: char, bold: bool) -> Cell {
    let mut out = [0u8; CELL_BYTES];
    let Some(fonts) = FONTS.as_ref() else {
        return out;
    };
    let font = if bold { &fonts.bold } else { &fonts.regular };
    let upem = font.units_per_em().unwrap_or(1000.0);
    let px = EM_DOTS * SS as f32 * font.height_unscaled() / upem;
    let scale = PxScale::from(px);
    let id = font.as_scaled(scale).glyph_id(ch);
    let Some(outlined) = font.outline_glyph(id.with_scale_and_position(scale, point(0.0, 0.0))) else {
        return out; // blank glyph (space)
    };
    let b = outlined.px_bounds();
    let (bw, bh) = (b.width().ceil().max(1.0) as usize, b.height().ceil().max(1.0) as usize);
    let mut cov = vec![0f32; bw * bh];
    outlined.draw(|x, y, c| {
        if let Some(p) = cov.get_mut(y as usize * bw + x as usize) {
            *p = c;
        }
    });
    // Fit horizontally into INK_COLS, centred in the cell.
    let (cell_w, cell_h, base) = ((CELL_W * SS) as f32, (CELL_H * SS) as f32, (BASELINE * SS) as f32);
    let ink_w = b.width().max(1.0);
    let sx = ((INK_COLS * SS) as f32 / ink_w).min(1.0);
    // Ink centred in columns 0..11 like a monospaced ROM font (narrow letters such as ì would
    // otherwise leave a gap after them); column 11 stays blank as spacing, and a definition
    // can stop after the last inked column (see [`defined_width`]).
    let left = (((INK_COLS * SS) as f32 - ink_w * sx) / 2.0 / SS as f32).round() * SS as f32;
    let _ = cell_w;
    // Squash above / below the baseline independently.
    let above = (-b.min.y).max(1.0);
    let below = b.max.y.max(1.0);
    let sy_up = (base / above).min(1.0);
    let sy_dn = ((cell_h - base) / below).min(1.0);
    let sample = |tx: f32, ty: f32| -> f32 {
        let sxp = b.min.x + (tx - left) / sx;
        let dy = ty - base;
        let syp = if dy < 0.0 { dy / sy_up } else { dy / sy_dn };
        let (ix, iy) = ((sxp - b.min.x).floor(), (syp - b.min.y).floor());
        if ix < 0.0 || iy < 0.0 || ix >= bw as f32 || iy >= bh as f32 {
            return 0.0;
        }
        cov[iy as usize * bw + ix as usize]
    };
    for x in 0..CELL_W {
        for y in 0..CELL_H {
            let mut sum = 0.0;
            for i in 0..SS {
                for j in 0..SS {
                    sum += sample((x * SS + i) as f32 + 0.5, (y * SS + j) as f32 + 0.5);
                }
            }
            if sum / (SS * SS) as f32 >= THRESHOLD {
                out[x * 3 + y / 8] |= 0x80 >> (y % 8);
            }
        }
    }
    sanitize_realtime(&mut out);
    out
}

/// Clears the lone dot of any `0x10` byte followed by `0x04`, `0x05` or `0x14`, so bitmap data
/// never contains a real-time command. Returns the number of bytes changed.
pub fn sanitize_realtime(data: &mut [u8]) -> usize {
    let mut changed = 0;
    for i in 0..data.len().saturating_sub(1) {
        if data[i] == 0x10 && matches!(data[i + 1], 0x04 | 0x05 | 0x14) {
            data[i] = 0;
            changed += 1;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacked_capital_keeps_marks_inside_the_cell_and_has_ink_on_top_rows() {
        let c = cell('Ậ', false);
        let top_ink = (0..CELL_W).any(|x| (0..5).any(|y| dot(&c, x, y)));
        let below_ink = (0..CELL_W).any(|x| (BASELINE..CELL_H).any(|y| dot(&c, x, y)));
        assert!(top_ink && below_ink);
    }

    #[test]
    fn distinct_vietnamese_letters_give_distinct_cells() {
        let letters = crate::proto::codepage::vietnamese_letters();
        for bold in [false, true] {
            let mut seen = HashMap::new();
            for &ch in &letters {
                if let Some(prev) = seen.insert(cell(ch, bold), ch) {
                    panic!("{prev} and {ch} render the same (bold {bold})");
                }
            }
        }
    }

    #[test]
    fn sanitize_breaks_every_realtime_pair() {
        let mut d = [0x10, 0x04, 0x10, 0x14, 0x10, 0x05, 0x10, 0x10];
        assert_eq!(sanitize_realtime(&mut d), 3);
        assert_eq!(d, [0, 4, 0, 0x14, 0, 5, 0x10, 0x10]);
    }
}
