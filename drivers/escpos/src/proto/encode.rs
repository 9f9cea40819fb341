//! TicketDoc → ESC/POS bytes, choosing per line how Vietnamese reaches the paper.
//!
//! Implements ESCPOS.md §2–3: NFC-normalised text wrapped by real line width in dots (the
//! font-A cell width × the `GS !` width multiplier), and per text line one of
//! * **code page**: every character is ASCII or in one of the profile's tables (`ESC t` is
//!   switched per character when a line needs two tables, as TCVN-3-1/-2 do); with
//!   [`Strategy::Auto`] only when no line of the job needs glyphs, so glyph jobs stay 7-bit;
//! * **downloaded glyphs**: ASCII from the ROM font plus each other character rendered from
//!   Noto Sans into the 12 × 24 cell ([`super::glyph`]) and downloaded with `ESC &` into a code
//!   of 0x21–0x7E the job does not print as ASCII, then printed with `ESC % 1`. Glyphs are sent
//!   after `ESC @` in every job (it clears them; never assume they are resident). When a line
//!   needs glyphs that are not resident and no code is free, codes the line does not use are
//!   redefined between lines (never mid-line: the line buffer holds codes, not dots);
//! * **raster band**: the line drawn with the same cells as a `GS v 0` band cropped on the right
//!   to its ink, for lines neither of the above can do (or every line with [`Strategy::Raster`]).
//!
//! Rules become a line of underlined spaces at 8 × width (`GS ! 0x70`, `ESC - 2`: ~20 bytes
//! instead of a 152-byte raster),
//! QR codes use `GS ( k` (model 2, level M) or a centred raster where the profile lacks it,
//! feeds `ESC d`, the cut `GS V 1`. The finished stream is checked for `10 04`, `10 05` and
//! `10 14` (real-time commands a printer acts on even inside data); bitmap data is already
//! sanitised ([`super::glyph::sanitize_realtime`]), so only a pathological QR payload length
//! could still hit it, and that job is refused rather than sent.
//!
//! Control characters other than `\n` (line break) and `\t` (a space) are dropped, as the
//! on-screen preview drops them. Does not implement: barcodes, logos, font B, print-completion
//! barriers (see [`super::commands`]).

use std::collections::{BTreeSet, HashMap};

use motcua_device::ticket::{Align, Block, TextStyle, TicketDoc};
use qrcode::{EcLevel, QrCode};
use unicode_normalization::UnicodeNormalization;

use super::glyph::{self, CELL_H, CELL_W};
use super::profile::Profile;
use crate::error::{Error, Result};

/// How the encoder may print text that is not ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Per line: code page where the profile's tables hold every character, else downloaded
    /// glyphs, else a raster band.
    #[default]
    Auto,
    /// Code pages only; a character no table holds is an error.
    CodePage,
    /// ASCII plus downloaded glyphs for everything else.
    Glyphs,
    /// Every text line as a raster band.
    Raster,
}

/// An encoded job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The ESC/POS stream, starting with `ESC @`.
    pub bytes: Vec<u8>,
    /// The most expensive strategy any line needed (`CodePage` also for pure ASCII).
    pub strategy_used: Strategy,
    /// Glyph definitions sent (a redefined code counts again).
    pub glyphs_downloaded: usize,
    /// Text lines sent as raster bands.
    pub raster_lines: usize,
    /// Bytes spent on `ESC &` glyph definitions (part of `bytes`).
    pub download_bytes: usize,
}

/// What the job prints for one wrapped text line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Ascii,
    CodePage,
    Glyph,
    Raster,
}

enum Item {
    Line { chars: Vec<char>, style: TextStyle, mode: Mode },
    Qr { data: String, module_px: u8 },
    Rule,
    Feed(u8),
    Cut,
}

/// NFC-normalises and drops what a printer cannot take: `\t` becomes a space, `\r` and other
/// control characters are removed, `\n` stays (line break). This is the text the virtual
/// printer must read back.
pub fn clean_text(text: &str) -> String {
    text.nfc()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

fn is_ascii_print(c: char) -> bool {
    (' '..='~').contains(&c)
}

fn is_combining(c: char) -> bool {
    matches!(u32::from(c), 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Can this character be drawn into a cell (glyph or raster)?
fn drawable(c: char) -> bool {
    is_ascii_print(c) || (!is_combining(c) && glyph::has_glyph(c))
}

/// Greedy wrap into lines of at most `cols` cells: breaks at spaces (dropped at the break),
/// breaks words longer than a line, keeps leading spaces (they indent).
fn wrap(chars: &[char], cols: usize) -> Vec<Vec<char>> {
    let cols = cols.max(1);
    let mut lines = Vec::new();
    let mut start = 0;
    let n = chars.len();
    if n == 0 {
        return vec![Vec::new()];
    }
    while start < n {
        if n - start <= cols {
            lines.push(chars[start..].to_vec());
            break;
        }
        // Last space within the first cols+1 characters, after some ink.
        let window = &chars[start..=start + cols];
        let ink_start = window.iter().position(|&c| c != ' ').unwrap_or(window.len());
        let brk = window.iter().rposition(|&c| c == ' ').filter(|&i| i > ink_start);
        let (end, mut next) = match brk {
            Some(i) => (start + i, start + i + 1),
            None => (start + cols, start + cols),
        };
        let mut line_end = end;
        while line_end > start && chars[line_end - 1] == ' ' && brk.is_some() {
            line_end -= 1;
        }
        lines.push(chars[start..line_end].to_vec());
        while next < n && chars[next] == ' ' {
            next += 1;
        }
        start = next;
    }
    lines
}

/// Finds (ESC t number, byte) for `ch`, preferring the current page.
fn codepage_byte(profile: &Profile, current: Option<u8>, ch: char) -> Option<(u8, u8)> {
    if let Some(cur) = current
        && let Some(t) = profile.table_for(cur)
        && let Some(b) = t.encode(ch)
    {
        return Some((cur, b));
    }
    profile.code_pages.iter().find_map(|s| s.table.encode(ch).map(|b| (s.number, b)))
}

/// Encodes `doc` for `profile`. See the module docs for the strategies.
pub fn encode(doc: &TicketDoc, profile: &Profile, strategy: Strategy) -> Result<Encoded> {
    let unrepresentable = |ch| Error::Unrepresentable { ch, strategy, profile: profile.name.clone() };
    if strategy == Strategy::Glyphs && profile.user_chars.is_none() {
        return Err(Error::NoUserDefinedChars { profile: profile.name.clone() });
    }
    let dots = profile.paper.dots() as usize;
    let cell_w = usize::from(profile.font_a.width.max(1));

    // 1. Layout and per-line mode.
    let mut items = Vec::new();
    for block in &doc.blocks {
        match block {
            Block::Text { text, style } => {
                let cols = dots / (cell_w * usize::from(style.width()));
                for para in clean_text(text).split('\n') {
                    let chars: Vec<char> = para.chars().collect();
                    for line in wrap(&chars, cols) {
                        let mode = line_mode(&line, profile, strategy).map_err(unrepresentable)?;
                        items.push(Item::Line { chars: line, style: *style, mode });
                    }
                }
            }
            Block::Qr { data, module_px } => {
                let data: String = data.nfc().collect();
                if !data.is_empty() {
                    items.push(Item::Qr { data, module_px: *module_px });
                }
            }
            Block::Rule => items.push(Item::Rule),
            Block::Feed { lines } => items.push(Item::Feed(*lines)),
            Block::Cut => items.push(Item::Cut),
        }
    }

    // A job that downloads glyphs anyway sends its code-page lines as glyphs too: the stream
    // stays pure 7-bit, immune to the "Chinese mode" of Xprinter-class firmware, which eats
    // bytes >= 0x80 as GB18030 pairs (ESCPOS.md §2), for a few dozen bytes more.
    if strategy == Strategy::Auto && items.iter().any(|i| matches!(i, Item::Line { mode: Mode::Glyph, .. })) {
        for item in &mut items {
            if let Item::Line { chars, mode, .. } = item
                && *mode == Mode::CodePage
                && chars.iter().all(|&c| drawable(c))
            {
                *mode = Mode::Glyph;
            }
        }
    }

    // 2. Free codes for glyphs: the profile's range minus space and every ASCII the job prints.
    let mut ascii_used = [false; 128];
    for item in &items {
        if let Item::Line { chars, mode: Mode::Ascii | Mode::CodePage | Mode::Glyph, .. } = item {
            for &c in chars {
                if is_ascii_print(c) {
                    ascii_used[c as usize] = true;
                }
            }
        }
    }
    let free: Vec<u8> = profile
        .user_chars
        .map(|u| (u.first.max(0x21)..=u.last.min(0x7E)).filter(|&b| !ascii_used[usize::from(b)]).collect())
        .unwrap_or_default();
    let mut all_keys = BTreeSet::new();
    for item in &mut items {
        if let Item::Line { chars, style, mode } = item
            && *mode == Mode::Glyph
        {
            let keys: BTreeSet<(char, bool)> =
                chars.iter().filter(|c| !is_ascii_print(**c)).map(|&c| (c, style.bold)).collect();
            if keys.len() > free.len() {
                if strategy == Strategy::Glyphs {
                    return Err(Error::TooManyGlyphs { needed: keys.len(), slots: free.len() });
                }
                *mode = Mode::Raster;
            } else {
                all_keys.extend(keys);
            }
        }
    }

    // 3. Emit.
    let mut e = Emitter::new(profile, free);
    e.out.extend_from_slice(&super::commands::INIT);
    if all_keys.len() <= e.free.len() {
        // Everything fits: one download up front (consecutive codes share one ESC &).
        e.ensure_glyphs(&all_keys);
    }
    for item in &items {
        match item {
            Item::Line { chars, style, mode } => e.line(chars, style, *mode)?,
            Item::Qr { data, module_px } => e.qr(data, *module_px)?,
            Item::Rule => {
                // Underlined spaces at 8 × width: 6 bytes of text for 576 dots.
                e.set_align(Align::Left);
                e.set_size(8, 1);
                e.set_underline(true);
                e.out.extend(std::iter::repeat_n(b' ', dots / (cell_w * 8)));
                e.out.push(b'\n');
            }
            Item::Feed(n) => {
                if *n > 0 {
                    e.out.extend_from_slice(&[0x1B, 0x64, *n]);
                }
            }
            Item::Cut => e.out.extend_from_slice(&[0x1D, 0x56, 0x01]),
        }
    }
    if let Some(offset) = find_realtime(&e.out) {
        return Err(Error::RealTimeSequence { offset });
    }
    let strategy_used = if e.raster_lines > 0 {
        Strategy::Raster
    } else if e.glyphs_downloaded > 0 {
        Strategy::Glyphs
    } else {
        Strategy::CodePage
    };
    Ok(Encoded {
        bytes: e.out,
        strategy_used,
        glyphs_downloaded: e.glyphs_downloaded,
        raster_lines: e.raster_lines,
        download_bytes: e.download_bytes,
    })
}

/// Offset of the first `10 04` / `10 05` / `10 14` in `bytes`, if any.
pub fn find_realtime(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w[0] == 0x10 && matches!(w[1], 0x04 | 0x05 | 0x14))
}

/// The mode of one line under `strategy`, or the first character that cannot be printed.
fn line_mode(line: &[char], profile: &Profile, strategy: Strategy) -> std::result::Result<Mode, char> {
    if let Some(&c) = line.iter().find(|&&c| !is_ascii_print(c) && is_combining(c)) {
        return Err(c);
    }
    let all_ascii = line.iter().all(|&c| is_ascii_print(c));
    let in_pages = |c: char| is_ascii_print(c) || codepage_byte(profile, None, c).is_some();
    let first_undrawable = line.iter().copied().find(|&c| !drawable(c));
    match strategy {
        Strategy::Raster if line.is_empty() => Ok(Mode::Ascii),
        Strategy::Raster => first_undrawable.map_or(Ok(Mode::Raster), Err),
        _ if all_ascii => Ok(Mode::Ascii),
        Strategy::CodePage => line.iter().copied().find(|&c| !in_pages(c)).map_or(Ok(Mode::CodePage), Err),
        Strategy::Glyphs => {
            if profile.user_chars.is_none() {
                // Reported as unrepresentable: the caller maps it; the dedicated error is below.
                return Err(line.iter().copied().find(|&c| !is_ascii_print(c)).unwrap_or('?'));
            }
            first_undrawable.map_or(Ok(Mode::Glyph), Err)
        }
        Strategy::Auto => {
            if line.iter().all(|&c| in_pages(c)) {
                Ok(Mode::CodePage)
            } else if let Some(c) = first_undrawable {
                Err(c)
            } else if profile.user_chars.is_some() {
                Ok(Mode::Glyph)
            } else {
                Ok(Mode::Raster)
            }
        }
    }
}

struct Emitter<'a> {
    profile: &'a Profile,
    out: Vec<u8>,
    free: Vec<u8>,
    resident: HashMap<(char, bool), u8>,
    slot_key: HashMap<u8, (char, bool)>,
    glyphs_downloaded: usize,
    raster_lines: usize,
    download_bytes: usize,
    align: Align,
    size: u8,
    bold: bool,
    underline: bool,
    udc: bool,
    page: Option<u8>,
}

impl<'a> Emitter<'a> {
    fn new(profile: &'a Profile, free: Vec<u8>) -> Self {
        Self {
            profile,
            out: Vec::with_capacity(2048),
            free,
            resident: HashMap::new(),
            slot_key: HashMap::new(),
            glyphs_downloaded: 0,
            raster_lines: 0,
            download_bytes: 0,
            // ESC @ state.
            align: Align::Left,
            size: 0,
            bold: false,
            underline: false,
            udc: false,
            page: None,
        }
    }

    fn set_align(&mut self, a: Align) {
        if self.align != a {
            let n = match a {
                Align::Left => 0,
                Align::Center => 1,
                Align::Right => 2,
            };
            self.out.extend_from_slice(&[0x1B, 0x61, n]);
            self.align = a;
        }
    }

    fn set_size(&mut self, w: u8, h: u8) {
        let n = ((w.clamp(1, 8) - 1) << 4) | (h.clamp(1, 8) - 1);
        if self.size != n {
            self.out.extend_from_slice(&[0x1D, 0x21, n]);
            self.size = n;
        }
    }

    fn set_bold(&mut self, b: bool) {
        if self.bold != b {
            self.out.extend_from_slice(&[0x1B, 0x45, u8::from(b)]);
            self.bold = b;
        }
    }

    fn set_underline(&mut self, u: bool) {
        if self.underline != u {
            self.out.extend_from_slice(&[0x1B, 0x2D, if u { 2 } else { 0 }]);
            self.underline = u;
        }
    }

    /// Makes every key resident, evicting codes not in `keys`, and downloads what is new.
    fn ensure_glyphs(&mut self, keys: &BTreeSet<(char, bool)>) {
        let mut new: Vec<(u8, (char, bool))> = Vec::new();
        for &key in keys {
            if self.resident.contains_key(&key) {
                continue;
            }
            let unused = self.free.iter().copied().find(|s| !self.slot_key.contains_key(s));
            let evictable =
                || self.free.iter().copied().find(|s| self.slot_key.get(s).is_some_and(|k| !keys.contains(k)));
            let Some(slot) = unused.or_else(evictable) else {
                continue; // cannot happen: lines needing more than the free codes are raster
            };
            if let Some(old) = self.slot_key.insert(slot, key) {
                self.resident.remove(&old);
            }
            self.resident.insert(key, slot);
            new.push((slot, key));
        }
        new.sort_unstable();
        let before = self.out.len();
        // One ESC & per run of consecutive codes.
        let mut i = 0;
        while i < new.len() {
            let mut j = i + 1;
            while j < new.len() && new[j].0 == new[j - 1].0 + 1 {
                j += 1;
            }
            self.out.extend_from_slice(&[0x1B, 0x26, 0x03, new[i].0, new[j - 1].0]);
            for &(_, (ch, bold)) in &new[i..j] {
                let cell = glyph::cell(ch, bold);
                let x = glyph::defined_width(&cell);
                self.out.push(x as u8);
                self.out.extend_from_slice(&cell[..x * 3]);
            }
            i = j;
        }
        self.glyphs_downloaded += new.len();
        self.download_bytes += self.out.len() - before;
    }

    fn line(&mut self, chars: &[char], style: &TextStyle, mode: Mode) -> Result<()> {
        if mode == Mode::Raster {
            return self.raster_line(chars, style);
        }
        if mode == Mode::Glyph {
            let keys = chars.iter().filter(|c| !is_ascii_print(**c)).map(|&c| (c, style.bold)).collect();
            self.ensure_glyphs(&keys);
            if !self.udc {
                self.out.extend_from_slice(&[0x1B, 0x25, 0x01]);
                self.udc = true;
            }
        }
        self.set_align(style.align);
        self.set_size(style.width(), style.height());
        self.set_bold(style.bold);
        self.set_underline(style.underline);
        for &c in chars {
            if is_ascii_print(c) {
                self.out.push(c as u8);
            } else if let Some(&slot) = self.resident.get(&(c, style.bold)).filter(|_| mode == Mode::Glyph) {
                self.out.push(slot);
            } else if let Some((page, b)) = codepage_byte(self.profile, self.page, c) {
                if self.page != Some(page) {
                    self.out.extend_from_slice(&[0x1B, 0x74, page]);
                    self.page = Some(page);
                }
                self.out.push(b);
            } else {
                self.out.push(b'?');
            }
        }
        self.out.push(b'\n');
        Ok(())
    }

    fn raster_line(&mut self, chars: &[char], style: &TextStyle) -> Result<()> {
        let (w, h) = (usize::from(style.width()), usize::from(style.height()));
        let dots = self.profile.paper.dots() as usize;
        let line_w = chars.len() * CELL_W * w;
        let left = match style.align {
            Align::Left => 0,
            Align::Center => dots.saturating_sub(line_w) / 2,
            Align::Right => dots.saturating_sub(line_w),
        };
        let width = (left + line_w).min(dots).max(1);
        let (wb, height) = (width.div_ceil(8), CELL_H * h);
        let mut data = vec![0u8; wb * height];
        let mut set = |x: usize, y: usize| {
            if x < width
                && let Some(b) = data.get_mut(y * wb + x / 8)
            {
                *b |= 0x80 >> (x % 8);
            }
        };
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                continue;
            }
            let cell = glyph::cell(c, style.bold);
            for cx in 0..CELL_W {
                for cy in 0..CELL_H {
                    if glyph::dot(&cell, cx, cy) {
                        for dx in 0..w {
                            for dy in 0..h {
                                set(left + (i * CELL_W + cx) * w + dx, cy * h + dy);
                            }
                        }
                    }
                }
            }
        }
        if style.underline {
            for y in height.saturating_sub(2)..height {
                for x in left..width {
                    set(x, y);
                }
            }
        }
        self.set_align(Align::Left);
        self.raster(wb, height, data);
        self.raster_lines += 1;
        Ok(())
    }

    /// `GS v 0` of `height` rows of `wb` bytes.
    fn raster(&mut self, wb: usize, height: usize, mut data: Vec<u8>) {
        glyph::sanitize_realtime(&mut data);
        let [xl, xh] = (wb as u16).to_le_bytes();
        let [yl, yh] = (height as u16).to_le_bytes();
        self.out.extend_from_slice(&[0x1D, 0x76, 0x30, 0x00, xl, xh, yl, yh]);
        self.out.extend_from_slice(&data);
    }

    fn qr(&mut self, data: &str, module_px: u8) -> Result<()> {
        let too_long = || Error::QrTooLong { len: data.len() };
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|_| too_long())?;
        let span = code.width() + 8;
        let dots = self.profile.paper.dots() as usize;
        let module = usize::from(module_px.clamp(1, 16)).min(dots / span.max(1)).max(1);
        self.set_align(Align::Center);
        if self.profile.native_qr {
            let len = data.len() + 3;
            let [pl, ph] = u16::try_from(len).map_err(|_| too_long())?.to_le_bytes();
            self.out.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]);
            self.out.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, module as u8]);
            self.out.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]);
            self.out.extend_from_slice(&[0x1D, 0x28, 0x6B, pl, ph, 0x31, 0x50, 0x30]);
            self.out.extend_from_slice(data.as_bytes());
            self.out.extend_from_slice(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]);
        } else {
            let (bits, size) = qr_bitmap(&code, module);
            self.raster(size.div_ceil(8), size, bits);
        }
        Ok(())
    }
}

/// A QR symbol with its 4-module quiet zone as packed rows (MSB left), and its size in dots.
pub(crate) fn qr_bitmap(code: &QrCode, module: usize) -> (Vec<u8>, usize) {
    let n = code.width();
    let size = (n + 8) * module;
    let wb = size.div_ceil(8);
    let mut bits = vec![0u8; wb * size];
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = ((i % n + 4) * module, (i / n + 4) * module);
        for y in my..my + module {
            for x in mx..mx + module {
                if let Some(b) = bits.get_mut(y * wb + x / 8) {
                    *b |= 0x80 >> (x % 8);
                }
            }
        }
    }
    (bits, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str, cols: usize) -> Vec<String> {
        wrap(&s.chars().collect::<Vec<_>>(), cols).into_iter().map(|l| l.into_iter().collect()).collect()
    }

    #[test]
    fn wrap_breaks_at_spaces_then_inside_long_words() {
        assert_eq!(w("aaa bbb cccccccc", 5), ["aaa", "bbb", "ccccc", "ccc"]);
        assert_eq!(w("  indented", 20), ["  indented"]);
        assert_eq!(w("", 5), [""]);
        assert_eq!(w("abcde fg", 5), ["abcde", "fg"]);
    }

    #[test]
    fn clean_text_drops_controls_and_composes() {
        assert_eq!(clean_text("a\u{7}b\tc\r\nd\u{0323}"), "ab c\nḍ");
    }
}
