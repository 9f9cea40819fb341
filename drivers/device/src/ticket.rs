//! The ticket document model: what goes on the paper, as pure data.
//!
//! Implements: [`TicketDoc`] (a list of [`Block`]s for one paper width), the NFC-normalising
//! builder methods, and [`queue_ticket`], the layout of the citizen's queue ticket.
//!
//! Does not implement: any rendering or encoding. [`crate::render`] rasterises a document the
//! way a 203 dpi thermal head would (the simulated printer uses it); an ESC/POS encoder in a
//! later crate will turn the same document into printer bytes. The model therefore only holds
//! what ESC/POS can express: text with `GS !` character sizes (1..=8), bold (`ESC E`),
//! underline (`ESC -`), justification (`ESC a`), QR codes (`GS ( k`), feeds and the cut.
//!
//! Text is Vietnamese first and must reach the paper precomposed (NFC): input from some IMEs
//! and from macOS arrives decomposed, and glyph-by-glyph rasterisers (and downloaded printer
//! glyphs) only place marks right on precomposed letters. The builder methods normalise.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Horizontal justification of a text line (ESC/POS `ESC a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Align {
    /// Flush left.
    #[default]
    Left,
    /// Centered.
    Center,
    /// Flush right.
    Right,
}

/// How a text block looks.
///
/// `width_mult` and `height_mult` scale characters like ESC/POS `GS !`: valid values are
/// 1..=8; consumers clamp anything else into that range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TextStyle {
    /// Emphasised (bold) text.
    pub bold: bool,
    /// Horizontal character size multiplier, 1..=8.
    pub width_mult: u8,
    /// Vertical character size multiplier, 1..=8.
    pub height_mult: u8,
    /// Justification of every line of the block.
    pub align: Align,
    /// Underlined text.
    pub underline: bool,
}

impl Default for TextStyle {
    fn default() -> Self {
        Self::PLAIN
    }
}

impl TextStyle {
    /// Normal size, left aligned, not bold, not underlined.
    pub const PLAIN: TextStyle =
        TextStyle { bold: false, width_mult: 1, height_mult: 1, align: Align::Left, underline: false };

    /// This style with bold set to `bold`.
    pub const fn with_bold(self, bold: bool) -> Self {
        Self { bold, ..self }
    }

    /// This style with the given size multipliers (clamped to 1..=8).
    pub const fn with_size(self, width_mult: u8, height_mult: u8) -> Self {
        Self { width_mult: clamp_mult(width_mult), height_mult: clamp_mult(height_mult), ..self }
    }

    /// This style with the given justification.
    pub const fn with_align(self, align: Align) -> Self {
        Self { align, ..self }
    }

    /// This style with underline set to `underline`.
    pub const fn with_underline(self, underline: bool) -> Self {
        Self { underline, ..self }
    }

    /// `width_mult` clamped to the ESC/POS range 1..=8.
    pub const fn width(&self) -> u8 {
        clamp_mult(self.width_mult)
    }

    /// `height_mult` clamped to the ESC/POS range 1..=8.
    pub const fn height(&self) -> u8 {
        clamp_mult(self.height_mult)
    }
}

const fn clamp_mult(m: u8) -> u8 {
    if m < 1 {
        1
    } else if m > 8 {
        8
    } else {
        m
    }
}

/// One element of a ticket, printed top to bottom.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Block {
    /// Text, word-wrapped to the paper width; `\n` forces a line break, an empty string feeds
    /// one line of the style's height.
    Text {
        /// The text (NFC when built through [`TicketDoc::push_text`]).
        text: String,
        /// How it looks.
        style: TextStyle,
    },
    /// A QR code (model 2, error correction M), centered.
    Qr {
        /// The payload. Empty data prints nothing (as on a real printer).
        data: String,
        /// Dots per module, 1..=16 (ESC/POS `GS ( k` function 167); reduced if the symbol
        /// would not fit the paper.
        module_px: u8,
    },
    /// A horizontal line across the paper.
    Rule,
    /// Blank paper, in lines of the normal text height.
    Feed {
        /// Number of blank lines.
        lines: u8,
    },
    /// Cut the paper here (partial cut, ESC/POS `GS V`).
    Cut,
}

/// Paper roll width. Printable dots at 203 dpi: 384 (58 mm) and 576 (80 mm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PaperWidth {
    /// 58 mm roll: 384 printable dots, 32 columns of font A.
    Mm58,
    /// 80 mm roll: 576 printable dots, 48 columns of font A.
    #[default]
    Mm80,
}

impl PaperWidth {
    /// Printable width in dots at 203 dpi.
    pub const fn dots(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }

    /// Characters per line in ESC/POS font A (12 × 24 dots).
    pub const fn columns(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 32,
            PaperWidth::Mm80 => 48,
        }
    }
}

/// A printable document: blocks laid out for one paper width.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TicketDoc {
    /// The paper the document was laid out for.
    pub paper: PaperWidth,
    /// The content, top to bottom.
    pub blocks: Vec<Block>,
}

impl TicketDoc {
    /// An empty document for `paper`.
    pub fn new(paper: PaperWidth) -> Self {
        Self { paper, blocks: Vec::new() }
    }

    /// Appends a text block, NFC-normalising `text`.
    pub fn push_text(&mut self, text: &str, style: TextStyle) -> &mut Self {
        self.blocks.push(Block::Text { text: nfc(text), style });
        self
    }

    /// Appends a QR code block, NFC-normalising `data` (so the same text always yields the
    /// same symbol). Empty data is skipped.
    pub fn push_qr(&mut self, data: &str, module_px: u8) -> &mut Self {
        if !data.is_empty() {
            self.blocks.push(Block::Qr { data: nfc(data), module_px });
        }
        self
    }

    /// Appends any block as is (no normalisation; [`crate::render::render`] normalises anyway).
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    /// The text of every text block, in order (for tests, logs and an on-screen fallback).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }
}

/// NFC-normalises a string.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// What a queue ticket says. Strings are expected in NFC; [`queue_ticket`] normalises anyway.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TicketData {
    /// Issuing office, e.g. "UBND phường Bến Nghé".
    pub office_name: String,
    /// Service field (lĩnh vực), e.g. "Hộ tịch – Chứng thực".
    pub field_name: String,
    /// The queue number, e.g. "A001".
    pub number: String,
    /// Priority class name when the citizen has one, e.g. "Người cao tuổi".
    pub priority: Option<String>,
    /// Tickets ahead of this one.
    pub people_ahead: u32,
    /// Estimated wait range in minutes (low, high), when the hub has an honest estimate.
    pub wait: Option<(u32, u32)>,
    /// Counters that serve this field.
    pub counters: Vec<u32>,
    /// Issue time, already formatted, e.g. "08:46 23/11/2026".
    pub issued_at: String,
    /// Ticket id; goes into the QR code.
    pub ticket_id: String,
}

impl TicketData {
    /// The standard sample ticket (issues 3 and 4; tests, examples, `motcua bench ticket` and
    /// `motcua print-test`): UBND phường Bến Nghé, A023, with a fixed id so its bytes are
    /// reproducible.
    pub fn sample() -> Self {
        TicketData {
            office_name: "UBND phường Bến Nghé".to_owned(),
            field_name: "Hộ tịch – Chứng thực".to_owned(),
            number: "A023".to_owned(),
            priority: Some("Người cao tuổi".to_owned()),
            people_ahead: 4,
            wait: Some((10, 20)),
            counters: vec![1, 2],
            issued_at: "08:46 23/11/2026".to_owned(),
            ticket_id: "0193a4f2-7c1e-7b3a-9d4e-2f6a8b1c0d23".to_owned(),
        }
    }
}

/// Lays out the citizen's queue ticket (Vietnamese first, a short English line under the
/// information lines).
///
/// Top to bottom: office name (bold, centered), "PHIẾU THỨ TỰ", field name, the number (4 × 4,
/// bold, centered), "Ưu tiên: …" when there is a priority class, people ahead, the wait range
/// only when given, the counters when any, the issue time, a QR code of the ticket id with the
/// id under it, feed and cut.
///
/// No closing reminder ("watch the display"): its six letters with marks alone cost about 300
/// bytes of downloaded glyphs on printers without a Vietnamese code page, and the hall display
/// and the voice call say it anyway.
pub fn queue_ticket(data: &TicketData, paper: PaperWidth) -> TicketDoc {
    let center = TextStyle::PLAIN.with_align(Align::Center);
    let center_bold = center.with_bold(true);
    // English lines are secondary: plain, and indented under their Vietnamese line.
    let english = TextStyle::PLAIN;
    let info = TextStyle::PLAIN;

    let mut doc = TicketDoc::new(paper);
    if !data.office_name.trim().is_empty() {
        doc.push_text(&data.office_name, center_bold);
    }
    doc.push(Block::Rule);
    doc.push_text("PHIẾU THỨ TỰ", center_bold.with_size(2, 2));
    doc.push_text("QUEUE TICKET", center);
    if !data.field_name.trim().is_empty() {
        // Double width would wrap most field names on 58 mm paper; double height still reads.
        let (w, h) = match paper {
            PaperWidth::Mm58 => (1, 2),
            PaperWidth::Mm80 => (2, 2),
        };
        doc.push_text(&data.field_name, center.with_size(w, h));
    }
    // No feed before the number: a 4 × 4 line already has ~35 dots of headroom (the font's
    // ascent leaves room for stacked Vietnamese marks, which a number never has).
    doc.push_text(&data.number, center_bold.with_size(4, 4));
    if let Some(priority) = data.priority.as_deref().filter(|p| !p.trim().is_empty()) {
        doc.push_text(&format!("Ưu tiên: {priority}"), center_bold);
    }
    doc.push(Block::Feed { lines: 1 });
    doc.push(Block::Rule);

    doc.push_text(&format!("Số người đang chờ trước bạn: {}", data.people_ahead), info);
    doc.push_text(&format!("  People ahead of you: {}", data.people_ahead), english);
    if let Some((lo, hi)) = data.wait {
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        let (vi, en) = if hi == 0 {
            ("dưới 1 phút".to_owned(), "under 1 min".to_owned())
        } else if lo == hi {
            (format!("khoảng {hi} phút"), format!("about {hi} min"))
        } else {
            // U+2013 EN DASH for ranges, as Vietnamese typography writes them.
            (format!("khoảng {lo}–{hi} phút"), format!("about {lo}–{hi} min"))
        };
        doc.push_text(&format!("Thời gian chờ dự kiến: {vi}"), info);
        doc.push_text(&format!("  Estimated wait: {en}"), english);
    }
    if !data.counters.is_empty() {
        let list = data.counters.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        // Numbers and times read the same in both languages: one line, both labels.
        let label = if data.counters.len() == 1 { "Counter" } else { "Counters" };
        doc.push_text(&format!("Quầy phục vụ / {label}: {list}"), info);
    }
    if !data.issued_at.trim().is_empty() {
        doc.push_text(&format!("Giờ lấy số / Issued: {}", data.issued_at), info);
    }
    doc.push(Block::Rule);

    if !data.ticket_id.is_empty() {
        let module_px = match paper {
            PaperWidth::Mm58 => 4,
            PaperWidth::Mm80 => 5,
        };
        doc.push_qr(&data.ticket_id, module_px);
        doc.push_text(&data.ticket_id, center);
    }
    doc.push(Block::Feed { lines: 4 });
    doc.push(Block::Cut);
    doc
}

/// What a dossier status slip says: what the kiosk showed after a lookup, on paper. Personal
/// data is limited to the masked applicant name the central returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct StatusSlipData {
    /// Issuing office, e.g. "UBND phường Bến Nghé".
    pub office_name: String,
    /// Dossier code, e.g. `000.00.12.H62-201105-0004`.
    pub code: String,
    /// Procedure name.
    pub procedure: String,
    /// Applicant, masked ("Nguyễn V. A.").
    pub applicant: String,
    /// Status in Vietnamese ("Đang xử lý").
    pub status: String,
    /// Receipt date, formatted ("08:10 03/11/2026").
    pub received_at: String,
    /// Due date, formatted.
    pub due_at: String,
    /// "Đúng hạn" / "Quá hạn", when known.
    pub timeliness: Option<String>,
    /// Processing steps, oldest first: (time formatted, what happened).
    pub steps: Vec<(String, String)>,
    /// When the answer came from the kiosk's cache: the time it was fetched, formatted.
    pub as_of: Option<String>,
    /// When the slip was printed, formatted.
    pub printed_at: String,
}

/// Lays out a dossier status slip: office, title, code, procedure, applicant, status (large),
/// dates, timeliness, the processing steps, an "as of" line for a cached answer, print time.
pub fn status_slip(data: &StatusSlipData, paper: PaperWidth) -> TicketDoc {
    let center = TextStyle::PLAIN.with_align(Align::Center);
    let center_bold = center.with_bold(true);
    let info = TextStyle::PLAIN;
    let mut doc = TicketDoc::new(paper);
    if !data.office_name.trim().is_empty() {
        doc.push_text(&data.office_name, center_bold);
    }
    doc.push(Block::Rule);
    doc.push_text("TÌNH TRẠNG HỒ SƠ", center_bold.with_size(1, 2));
    doc.push_text(&data.code, center_bold);
    doc.push(Block::Rule);
    doc.push_text(&format!("Thủ tục: {}", data.procedure), info);
    if !data.applicant.trim().is_empty() {
        doc.push_text(&format!("Người nộp: {}", data.applicant), info);
    }
    doc.push_text(&data.status, center_bold.with_size(2, 2));
    doc.push_text(&format!("Ngày tiếp nhận: {}", data.received_at), info);
    doc.push_text(&format!("Hẹn trả kết quả: {}", data.due_at), info);
    if let Some(t) = &data.timeliness {
        doc.push_text(t, info.with_bold(true));
    }
    if !data.steps.is_empty() {
        doc.push(Block::Rule);
        doc.push_text("Quá trình xử lý:", info.with_bold(true));
        for (at, step) in &data.steps {
            doc.push_text(&format!("{at} {step}"), info);
        }
    }
    doc.push(Block::Rule);
    if let Some(at) = &data.as_of {
        doc.push_text(&format!("Thông tin cập nhật lúc {at} (chưa kết nối được hệ thống)"), info);
    }
    doc.push_text(&format!("In lúc {}", data.printed_at), info);
    doc.push(Block::Feed { lines: 4 });
    doc.push(Block::Cut);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_slip_carries_code_status_steps_and_as_of() {
        let data = StatusSlipData {
            office_name: "UBND phường Bến Nghé".into(),
            code: "000.00.12.H62-261103-0001".into(),
            procedure: "Đăng ký khai sinh".into(),
            applicant: "Nguyễn V. A.".into(),
            status: "Đang xử lý".into(),
            received_at: "08:10 03/11/2026".into(),
            due_at: "17:00 04/11/2026".into(),
            timeliness: Some("Quá hạn".into()),
            steps: vec![("08:10 03/11".into(), "Tiếp nhận hồ sơ".into())],
            as_of: Some("09:00 23/11/2026".into()),
            printed_at: "09:05 23/11/2026".into(),
        };
        let doc = status_slip(&data, PaperWidth::Mm80);
        let t: Vec<&str> = doc.texts().collect();
        assert!(t.contains(&"000.00.12.H62-261103-0001"));
        assert!(t.contains(&"Đang xử lý"));
        assert!(t.contains(&"08:10 03/11 Tiếp nhận hồ sơ"));
        assert!(t.iter().any(|l| l.contains("cập nhật lúc 09:00 23/11/2026")));
        assert!(matches!(doc.blocks.last(), Some(Block::Cut)));
    }

    #[test]
    fn style_builders_clamp_multipliers() {
        let s = TextStyle::PLAIN.with_size(0, 200);
        assert_eq!((s.width_mult, s.height_mult), (1, 8));
        let raw = TextStyle { width_mult: 9, height_mult: 0, ..TextStyle::PLAIN };
        assert_eq!((raw.width(), raw.height()), (8, 1));
    }

    #[test]
    fn paper_widths_match_203_dpi_heads() {
        assert_eq!(PaperWidth::Mm58.dots(), 384);
        assert_eq!(PaperWidth::Mm80.dots(), 576);
        assert_eq!(PaperWidth::Mm80.columns(), 48);
    }

    #[test]
    fn empty_qr_data_is_not_pushed() {
        let mut doc = TicketDoc::new(PaperWidth::Mm80);
        doc.push_qr("", 4);
        assert!(doc.blocks.is_empty());
    }
}
