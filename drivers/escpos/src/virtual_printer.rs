//! A virtual ESC/POS printer: bytes in, the paper it would print (and its replies) out.
//!
//! Implements the commands [`crate::proto::encode()`] emits and a few neighbours: text with
//! `ESC !`/`GS !` sizes, `ESC E`, `ESC -`, `ESC a`, `ESC t` code pages (the profile's tables),
//! downloaded characters (`ESC &` y = 3, `ESC %`, cleared by `ESC @`), `GS v 0` raster, `GS ( k`
//! QR (drawn with the qrcode crate), `ESC d`/`ESC J` feeds, `GS V` cuts (a dashed mark where
//! more paper follows); and the replies: `DLE EOT 1–4` (and `DLE EOT 20` full status on a
//! presenter profile), `GS r 1/2`, `GS a` automatic status back, `GS ( H` process IDs.
//!
//! Like a real printer it answers `DLE EOT n` on receipt, wherever the bytes sit — also inside
//! bitmap data, which it counts ([`VirtualPrinter::realtime_in_data`]) because that is a
//! driver bug. While a fault is set (paper out, cover open, cutter error) it is offline: it
//! still answers real-time requests but processes nothing else until the fault is cleared,
//! so a `GS ( H` reply never comes for a job stuck behind the fault.
//!
//! Every printed text line is also recorded as Unicode ([`VirtualPrinter::lines`]): ROM
//! characters through the selected table, downloaded characters by matching their bitmap
//! against the shipped font's cells (U+FFFD when nothing matches). That is what the tests
//! compare with the input text. ROM characters are drawn with the same Noto Sans cells, not
//! any printer's ROM font. Does not implement: page mode, font B, barcodes, `GS ( L`, a slow
//! link (a transport sim's job).

use std::collections::HashMap;
use std::sync::LazyLock;

use motcua_device::printer::PaperLevel;
use motcua_device::render::Raster;
use motcua_device::ticket::Align;
use qrcode::{EcLevel, QrCode};

use crate::proto::Profile;
use crate::proto::codepage::vietnamese_letters;
use crate::proto::glyph::{self, CELL_H, CELL_W, Cell};

/// Default line pitch in dots (ESC 2).
const LINE_PITCH: u32 = 30;
/// Raster height limit, as in [`motcua_device::render::MAX_HEIGHT`].
const MAX_HEIGHT: u32 = motcua_device::render::MAX_HEIGHT;

/// One printed line of text, as decoded by the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedLine {
    /// The characters, as Unicode.
    pub text: String,
    /// Top row on the paper.
    pub top: u32,
    /// Height in dots.
    pub height: u32,
}

/// A simulated fault or paper state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SimState {
    /// Paper supply.
    pub paper: PaperLevel,
    /// Cover open.
    pub cover_open: bool,
    /// Auto-cutter error.
    pub cutter_error: bool,
    /// A printed ticket sits in the presenter (presenter profiles only).
    pub ticket_present: bool,
}

impl SimState {
    fn offline(&self) -> bool {
        self.cover_open || self.cutter_error || self.paper == PaperLevel::Out
    }
}

#[derive(Debug, Clone, Copy)]
struct Ch {
    code: u8,
    bold: bool,
    w: u8,
    h: u8,
    underline: bool,
    udc: bool,
    page: u8,
}

/// The interpreter. Feed it bytes with [`VirtualPrinter::feed`]; read replies with
/// [`VirtualPrinter::take_output`] and the paper with [`VirtualPrinter::paper`].
#[derive(Debug)]
pub struct VirtualPrinter {
    profile: Profile,
    state: SimState,
    asb: bool,
    input: Vec<u8>,
    rt_tail: Vec<u8>,
    output: Vec<u8>,
    // Print state.
    align: Align,
    w: u8,
    h: u8,
    bold: bool,
    underline: bool,
    udc_on: bool,
    page: u8,
    udc: HashMap<u8, Cell>,
    line: Vec<Ch>,
    line_align: Align,
    qr_module: u8,
    qr_data: Vec<u8>,
    // Paper.
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    cut_rows: Vec<u32>,
    lines: Vec<PrintedLine>,
    qr_payloads: Vec<String>,
    bands: usize,
    unknown: usize,
    realtime_in_data: usize,
}

impl VirtualPrinter {
    /// A printer of `profile`, ready, with blank paper.
    pub fn new(profile: Profile) -> Self {
        let width = profile.paper.dots();
        Self {
            profile,
            state: SimState::default(),
            asb: false,
            input: Vec::new(),
            rt_tail: Vec::new(),
            output: Vec::new(),
            align: Align::Left,
            w: 1,
            h: 1,
            bold: false,
            underline: false,
            udc_on: false,
            page: 0,
            udc: HashMap::new(),
            line: Vec::new(),
            line_align: Align::Left,
            qr_module: 3,
            qr_data: Vec::new(),
            width,
            height: 0,
            pixels: Vec::new(),
            cut_rows: Vec::new(),
            lines: Vec::new(),
            qr_payloads: Vec::new(),
            bands: 0,
            unknown: 0,
            realtime_in_data: 0,
        }
    }

    /// Interprets bytes (any split; incomplete commands wait for the rest).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.answer_realtime(bytes);
        self.input.extend_from_slice(bytes);
        while !self.state.offline() && self.step() {}
    }

    /// Bytes the printer has sent back since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// The simulated state.
    pub fn state(&self) -> SimState {
        self.state
    }

    /// Changes the simulated state (pushes an ASB block when `GS a` is on); clearing the last
    /// fault resumes processing of buffered data.
    pub fn set_state(&mut self, state: SimState) {
        let changed = state != self.state;
        self.state = state;
        if changed && self.asb {
            self.push_asb();
        }
        while !self.state.offline() && self.step() {}
    }

    /// The citizen takes the ticket from the presenter.
    pub fn take_ticket(&mut self) {
        self.set_state(SimState { ticket_present: false, ..self.state });
    }

    /// Text lines printed so far.
    pub fn lines(&self) -> &[PrintedLine] {
        &self.lines
    }

    /// The text of every printed line.
    pub fn texts(&self) -> Vec<String> {
        self.lines.iter().map(|l| l.text.clone()).collect()
    }

    /// QR payloads printed (native `GS ( k`), in order.
    pub fn qr_payloads(&self) -> &[String] {
        &self.qr_payloads
    }

    /// `GS v 0` bands printed.
    pub fn raster_bands(&self) -> usize {
        self.bands
    }

    /// Cuts made.
    pub fn cuts(&self) -> usize {
        self.cut_rows.len()
    }

    /// Bytes or commands the printer did not understand.
    pub fn unknown_commands(&self) -> usize {
        self.unknown
    }

    /// Real-time command sequences found inside data blocks (a driver bug; should be 0).
    pub fn realtime_in_data(&self) -> usize {
        self.realtime_in_data
    }

    /// Bytes received but not yet processed (waiting for the rest of a command or a fault).
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// The paper so far (cut marks where more paper follows a cut).
    pub fn paper(&self) -> Raster {
        let mut r = Raster { width: self.width, height: self.height, pixels: self.pixels.clone() };
        for &y in self.cut_rows.iter().filter(|&&y| y < self.height) {
            for x in (0..self.width).filter(|x| x % 16 < 8) {
                if let Some(p) = r.pixels.get_mut((y * self.width + x) as usize) {
                    *p = 255;
                }
            }
        }
        r
    }

    fn answer_realtime(&mut self, bytes: &[u8]) {
        let mut window = std::mem::take(&mut self.rt_tail);
        let start = window.len();
        window.extend_from_slice(bytes);
        for i in 0..window.len().saturating_sub(2) {
            if i + 2 >= start && window[i] == 0x10 && window[i + 1] == 0x04 {
                self.reply_status(window[i + 2]);
            }
        }
        let keep = window.len().saturating_sub(2);
        self.rt_tail = window.split_off(keep);
    }

    fn reply_status(&mut self, n: u8) {
        let s = self.state;
        let bit = |c: bool, n: u8| if c { 1u8 << n } else { 0 };
        let out = s.paper == PaperLevel::Out;
        let near = s.paper != PaperLevel::Ok;
        let byte = match n {
            1 => 0x12 | bit(s.offline(), 3),
            2 => 0x12 | bit(s.cover_open, 2) | bit(out, 5) | bit(s.cutter_error, 6),
            3 => 0x12 | bit(s.cutter_error, 3),
            4 => 0x12 | if near { 0x0C } else { 0 } | if out { 0x60 } else { 0 },
            0x14 if self.profile.presenter => {
                let paper = bit(out, 0) | bit(near, 2) | bit(s.ticket_present, 5);
                self.output.extend_from_slice(&[0x10, 0x0F, paper, 0, 0, 0]);
                return;
            }
            _ => return,
        };
        self.output.push(byte);
    }

    fn push_asb(&mut self) {
        let s = self.state;
        let bit = |c: bool, n: u8| if c { 1u8 << n } else { 0 };
        let paper = match s.paper {
            PaperLevel::Ok => 0,
            PaperLevel::NearEnd => 0x03,
            PaperLevel::Out => 0x0F,
        };
        self.output.extend_from_slice(&[
            0x10 | bit(s.offline(), 3) | bit(s.cover_open, 5),
            bit(s.cutter_error, 2),
            paper,
            0,
        ]);
    }

    /// Processes one command from the front of the input; false when more bytes are needed.
    fn step(&mut self) -> bool {
        let Some(&b0) = self.input.first() else {
            return false;
        };
        let at = |i: usize| self.input.get(i).copied();
        let used = match b0 {
            0x0A => {
                self.print_line();
                1
            }
            0x0D => 1,
            0x10 => match (at(1), at(2)) {
                (Some(0x04 | 0x05), Some(_)) => 3, // answered on receipt
                (Some(0x14), Some(_)) => 3,
                (Some(_), Some(_)) => {
                    self.unknown += 1;
                    1
                }
                _ => return false,
            },
            0x1B => match self.esc() {
                Some(n) => n,
                None => return false,
            },
            0x1D => match self.gs() {
                Some(n) => n,
                None => return false,
            },
            0x20..=0xFF if b0 != 0x7F => {
                self.put_char(b0);
                1
            }
            _ => {
                self.unknown += 1;
                1
            }
        };
        self.input.drain(..used.min(self.input.len()));
        true
    }

    fn count_realtime(&mut self, data_start: usize, data_end: usize) {
        let data = &self.input[data_start.min(self.input.len())..data_end.min(self.input.len())];
        self.realtime_in_data += crate::proto::encode::find_realtime(data)
            .map_or(0, |_| data.windows(2).filter(|w| w[0] == 0x10 && matches!(w[1], 0x04 | 0x05 | 0x14)).count());
    }

    fn esc(&mut self) -> Option<usize> {
        let cmd = *self.input.get(1)?;
        let arg = self.input.get(2).copied();
        match cmd {
            b'@' => {
                self.reset();
                Some(2)
            }
            b'2' => Some(2),
            b'a' | b'E' | b'-' | b'!' | b'%' | b't' | b'd' | b'J' | b'M' | b'3' | b'R' => {
                let n = arg?;
                match cmd {
                    b'a' => {
                        self.align = match n {
                            1 | b'1' => Align::Center,
                            2 | b'2' => Align::Right,
                            _ => Align::Left,
                        }
                    }
                    b'E' => self.bold = n & 1 != 0,
                    b'-' => self.underline = n & 3 != 0 && n != b'0',
                    b'!' => {
                        self.bold = n & 0x08 != 0;
                        self.h = if n & 0x10 != 0 { 2 } else { 1 };
                        self.w = if n & 0x20 != 0 { 2 } else { 1 };
                        self.underline = n & 0x80 != 0;
                    }
                    b'%' => self.udc_on = n & 1 != 0,
                    b't' => self.page = n,
                    b'd' => {
                        self.print_line_if_any();
                        self.advance(u32::from(n) * LINE_PITCH);
                    }
                    b'J' => {
                        self.print_line_if_any();
                        self.advance(u32::from(n));
                    }
                    _ => {}
                }
                Some(3)
            }
            b'&' => {
                // ESC & y c1 c2 [x d1..d(y*x)]...
                let (y, c1, c2) = (usize::from(*self.input.get(2)?), *self.input.get(3)?, *self.input.get(4)?);
                let mut pos = 5;
                let mut defs = Vec::new();
                for code in c1..=c2.max(c1) {
                    let x = usize::from(*self.input.get(pos)?);
                    let end = pos + 1 + x * y;
                    if self.input.len() < end {
                        return None;
                    }
                    let mut cell = [0u8; glyph::CELL_BYTES];
                    if y == 3 {
                        for (i, &b) in self.input[pos + 1..end].iter().enumerate().take(glyph::CELL_BYTES) {
                            cell[i] = b;
                        }
                    }
                    self.count_realtime(pos + 1, end);
                    defs.push((code, cell));
                    pos = end;
                }
                if y == 3 && (0x20..=0x7E).contains(&c1) && c2 <= 0x7E {
                    self.udc.extend(defs);
                } else {
                    self.unknown += 1;
                }
                Some(pos)
            }
            _ => {
                self.unknown += 1;
                Some(2)
            }
        }
    }

    fn gs(&mut self) -> Option<usize> {
        let cmd = *self.input.get(1)?;
        match cmd {
            b'!' => {
                let n = *self.input.get(2)?;
                self.w = (n >> 4) + 1;
                self.h = (n & 0x0F) + 1;
                Some(3)
            }
            b'V' => {
                let m = *self.input.get(2)?;
                let len = if matches!(m, 65 | 66 | 97 | 98 | 103 | 104) { 4 } else { 3 };
                if self.input.len() < len {
                    return None;
                }
                self.print_line_if_any();
                self.cut_rows.push(self.height);
                if self.profile.presenter {
                    self.state.ticket_present = true;
                }
                Some(len)
            }
            b'r' => {
                let n = *self.input.get(2)?;
                let s = self.state;
                let byte = match n {
                    1 | 49 => {
                        (if s.paper != PaperLevel::Ok { 0x03 } else { 0 })
                            | (if s.paper == PaperLevel::Out { 0x0C } else { 0 })
                    }
                    _ => 0,
                };
                self.output.push(byte);
                Some(3)
            }
            b'a' => {
                let n = *self.input.get(2)?;
                self.asb = n != 0;
                if self.asb {
                    self.push_asb();
                }
                Some(3)
            }
            b'v' => {
                // GS v 0 m xL xH yL yH data
                if self.input.len() < 8 {
                    return None;
                }
                let wb = usize::from(self.input[4]) | usize::from(self.input[5]) << 8;
                let rows = usize::from(self.input[6]) | usize::from(self.input[7]) << 8;
                let end = 8 + wb * rows;
                if self.input.len() < end {
                    return None;
                }
                self.count_realtime(8, end);
                let data = self.input[8..end].to_vec();
                self.draw_bits(&data, wb, rows);
                self.bands += 1;
                Some(end)
            }
            b'(' => {
                let fn_ = *self.input.get(2)?;
                let len = usize::from(*self.input.get(3)?) | usize::from(*self.input.get(4)?) << 8;
                let end = 5 + len;
                if self.input.len() < end {
                    return None;
                }
                let body = self.input[5..end].to_vec();
                match (fn_, body.as_slice()) {
                    (b'k', [0x31, 0x43, n, ..]) => self.qr_module = *n,
                    (b'k', [0x31, 0x50, 0x30, data @ ..]) => {
                        self.count_realtime(8, end);
                        self.qr_data = data.to_vec();
                    }
                    (b'k', [0x31, 0x51, ..]) => self.print_qr(),
                    (b'k', _) => {}
                    (b'H', [0x30, 0x30, d @ ..]) if d.len() == 4 => {
                        self.print_line_if_any();
                        self.output.extend_from_slice(&[0x37, 0x22, d[0], d[1], d[2], d[3], 0x00]);
                    }
                    _ => self.unknown += 1,
                }
                Some(end)
            }
            _ => {
                self.unknown += 1;
                Some(2)
            }
        }
    }

    fn reset(&mut self) {
        self.align = Align::Left;
        self.w = 1;
        self.h = 1;
        self.bold = false;
        self.underline = false;
        self.udc_on = false;
        self.page = 0;
        self.udc.clear();
        self.line.clear();
    }

    fn put_char(&mut self, code: u8) {
        let used: u32 = self.line.iter().map(|c| CELL_W as u32 * u32::from(c.w)).sum();
        if used + CELL_W as u32 * u32::from(self.w) > self.width {
            self.print_line(); // the printer wraps a full line by itself
        }
        if self.line.is_empty() {
            self.line_align = self.align;
        }
        self.line.push(Ch {
            code,
            bold: self.bold,
            w: self.w,
            h: self.h,
            underline: self.underline,
            udc: self.udc_on,
            page: self.page,
        });
    }

    fn print_line_if_any(&mut self) {
        if !self.line.is_empty() {
            self.print_line();
        }
    }

    fn print_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        let hmax = line.iter().map(|c| u32::from(c.h)).max().unwrap_or(u32::from(self.h));
        let height = (CELL_H as u32 * hmax).max(LINE_PITCH);
        let Some(top) = self.advance(height) else {
            return;
        };
        let line_w: u32 = line.iter().map(|c| CELL_W as u32 * u32::from(c.w)).sum();
        let mut x = match self.line_align {
            Align::Left => 0,
            Align::Center => self.width.saturating_sub(line_w) / 2,
            Align::Right => self.width.saturating_sub(line_w),
        };
        let mut text = String::new();
        for c in &line {
            let (ch, cell) = match self.udc.get(&c.code).filter(|_| c.udc) {
                Some(cell) => (recognise(cell), *cell),
                None => {
                    let ch = match self.profile.table_for(c.page) {
                        Some(t) => t.decode(c.code),
                        None => (c.code < 0x7F).then(|| char::from(c.code)),
                    }
                    .unwrap_or('\u{FFFD}');
                    (ch, if ch == ' ' { [0; glyph::CELL_BYTES] } else { glyph::cell(ch, c.bold) })
                }
            };
            text.push(ch);
            let (w, h) = (u32::from(c.w), u32::from(c.h));
            let base = top + height - CELL_H as u32 * h;
            for cx in 0..CELL_W {
                for cy in 0..CELL_H {
                    let under = c.underline && cy >= CELL_H - 2;
                    if under || glyph::dot(&cell, cx, cy) {
                        for dx in 0..w {
                            for dy in 0..h {
                                self.plot(x + cx as u32 * w + dx, base + cy as u32 * h + dy);
                            }
                        }
                    }
                }
            }
            x += CELL_W as u32 * w;
        }
        self.lines.push(PrintedLine { text, top, height });
    }

    fn advance(&mut self, dots: u32) -> Option<u32> {
        let top = self.height;
        let h = top.checked_add(dots).filter(|&h| h <= MAX_HEIGHT)?;
        self.height = h;
        self.pixels.resize(self.width as usize * h as usize, 0);
        Some(top)
    }

    fn plot(&mut self, x: u32, y: u32) {
        if x < self.width
            && let Some(p) = self.pixels.get_mut(y as usize * self.width as usize + x as usize)
        {
            *p = 255;
        }
    }

    fn draw_bits(&mut self, data: &[u8], wb: usize, rows: usize) {
        self.print_line_if_any();
        let w = (wb * 8) as u32;
        let left = match self.align {
            Align::Left => 0,
            Align::Center => self.width.saturating_sub(w) / 2,
            Align::Right => self.width.saturating_sub(w),
        };
        let Some(top) = self.advance(rows as u32) else {
            return;
        };
        for y in 0..rows {
            for x in 0..wb * 8 {
                if data.get(y * wb + x / 8).is_some_and(|b| b & (0x80 >> (x % 8)) != 0) {
                    self.plot(left + x as u32, top + y as u32);
                }
            }
        }
    }

    fn print_qr(&mut self) {
        let data = std::mem::take(&mut self.qr_data);
        let Ok(code) = QrCode::with_error_correction_level(&data, EcLevel::M) else {
            self.unknown += 1;
            return;
        };
        self.qr_payloads.push(String::from_utf8_lossy(&data).into_owned());
        let (bits, size) = crate::proto::encode::qr_bitmap(&code, usize::from(self.qr_module.clamp(1, 16)));
        self.draw_bits(&bits, size.div_ceil(8), size);
    }
}

/// Bitmaps of every character the recogniser knows, both weights; first match wins.
static KNOWN: LazyLock<HashMap<Cell, char>> = LazyLock::new(|| {
    let mut chars = vietnamese_letters();
    chars.extend("ĂÂÊÔƠƯĐăâêôơưđ–—₫€".chars());
    chars.extend((0xA1u32..=0x24F).filter_map(char::from_u32));
    chars.extend((0x2010u32..=0x203A).filter_map(char::from_u32));
    let mut map = HashMap::new();
    for bold in [false, true] {
        for &c in &chars {
            if glyph::has_glyph(c) {
                map.entry(glyph::cell(c, bold)).or_insert(c);
            }
        }
    }
    map
});

/// The character a downloaded cell shows, or U+FFFD.
pub fn recognise(cell: &Cell) -> char {
    KNOWN.get(cell).copied().unwrap_or('\u{FFFD}')
}
