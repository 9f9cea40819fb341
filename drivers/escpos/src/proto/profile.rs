//! Printer profiles: what a model can do, as data the encoder plans a job from.
//!
//! Implements: [`Profile`] and the built-in profiles `epson-tm-t20` (Epson-class: TCVN-3 at
//! `ESC t 30/31`, WPC1258 at 52, `ESC &`, native QR, `GS ( H` process IDs), `generic-58` and
//! `generic-80` (Chinese clones of the POS-5890 / XP-80 kind: CP1258 at `ESC t 27` only,
//! `ESC &` with the full 0x20–0x7E range, native QR, no process ID) and `kiosk-80` (an 80 mm
//! kiosk printer with a presenter; same text abilities as the clones).
//!
//! The page numbers are the ones ESCPOS.md §2 found in manuals and printer databases; clones
//! differ (CP1258 has been seen at 27, 35, 52 and 94), so every field is public and a site can
//! build its own profile from the printer's self-test page. Not confirmed on hardware.

use motcua_device::ticket::PaperWidth;

use super::codepage::CodeTable;

/// A font's character cell in dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CellSize {
    /// Width in dots (12 for font A, 9 for font B).
    pub width: u8,
    /// Height in dots (24 for font A, 17 for font B).
    pub height: u8,
}

/// User-defined characters (`ESC &` / `ESC %`): which codes can hold a downloaded glyph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserChars {
    /// First definable code (Epson: 0x20).
    pub first: u8,
    /// Last definable code (Epson: 0x7E).
    pub last: u8,
}

impl UserChars {
    /// Number of definable codes.
    pub fn slots(&self) -> usize {
        usize::from(self.last.saturating_sub(self.first)) + 1
    }
}

/// A code table and the `ESC t` number that selects it on this printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodePageSlot {
    /// The table layout.
    pub table: CodeTable,
    /// `n` of `ESC t n`.
    pub number: u8,
}

/// What one printer model can do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Profile {
    /// Profile name (`--profile NAME`).
    pub name: String,
    /// Paper roll; lines wrap to its printable dots (384 or 576).
    pub paper: PaperWidth,
    /// Font A cell (the encoder prints in font A).
    pub font_a: CellSize,
    /// Font B cell.
    pub font_b: CellSize,
    /// Downloadable characters, if `ESC &` works on this printer.
    pub user_chars: Option<UserChars>,
    /// Code pages with Vietnamese letters, in order of preference.
    pub code_pages: Vec<CodePageSlot>,
    /// `GS ( k` QR codes; without it QR codes are sent as raster.
    pub native_qr: bool,
    /// `GS ( H` process-ID responses (print-completion barrier).
    pub process_id: bool,
    /// A presenter / ejector ("ticket present" / "taken" status).
    pub presenter: bool,
    /// An auto-cutter.
    pub cutter: bool,
}

const FONT_A: CellSize = CellSize { width: 12, height: 24 };
const FONT_B: CellSize = CellSize { width: 9, height: 17 };
const EPSON_UDC: UserChars = UserChars { first: 0x20, last: 0x7E };

impl Profile {
    /// Epson TM-T20II/III class, 80 mm.
    pub fn epson_tm_t20() -> Self {
        Self {
            name: "epson-tm-t20".to_owned(),
            paper: PaperWidth::Mm80,
            font_a: FONT_A,
            font_b: FONT_B,
            user_chars: Some(EPSON_UDC),
            code_pages: vec![
                CodePageSlot { table: CodeTable::Tcvn3Lower, number: 30 },
                CodePageSlot { table: CodeTable::Tcvn3Upper, number: 31 },
                CodePageSlot { table: CodeTable::Cp1258, number: 52 },
            ],
            native_qr: true,
            process_id: true,
            presenter: false,
            cutter: true,
        }
    }

    /// A clone (POS-5890 / XP-80 kind) for the given paper: CP1258 at `ESC t 27` only.
    pub fn generic(paper: PaperWidth) -> Self {
        let name = match paper {
            PaperWidth::Mm58 => "generic-58",
            PaperWidth::Mm80 => "generic-80",
        };
        Self {
            name: name.to_owned(),
            paper,
            font_a: FONT_A,
            font_b: FONT_B,
            user_chars: Some(EPSON_UDC),
            code_pages: vec![CodePageSlot { table: CodeTable::Cp1258, number: 27 }],
            native_qr: true,
            process_id: false,
            presenter: false,
            cutter: true,
        }
    }

    /// An 80 mm kiosk printer with a presenter (Custom VKP80 class).
    pub fn kiosk_80() -> Self {
        Self { name: "kiosk-80".to_owned(), presenter: true, ..Self::generic(PaperWidth::Mm80) }
    }

    /// Every built-in profile.
    pub fn builtin() -> Vec<Profile> {
        vec![Self::epson_tm_t20(), Self::generic(PaperWidth::Mm58), Self::generic(PaperWidth::Mm80), Self::kiosk_80()]
    }

    /// A built-in profile by name.
    pub fn by_name(name: &str) -> Option<Profile> {
        Self::builtin().into_iter().find(|p| p.name == name)
    }

    /// The table selected by `ESC t number` on this printer.
    pub fn table_for(&self, number: u8) -> Option<CodeTable> {
        self.code_pages.iter().find(|s| s.number == number).map(|s| s.table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_are_found_by_name() {
        for name in ["epson-tm-t20", "generic-58", "generic-80", "kiosk-80"] {
            assert_eq!(Profile::by_name(name).map(|p| p.name), Some(name.to_owned()));
        }
        assert_eq!(Profile::by_name("nope"), None);
        assert_eq!(Profile::generic(PaperWidth::Mm58).paper.dots(), 384);
        assert!(Profile::kiosk_80().presenter && Profile::epson_tm_t20().process_id);
        assert_eq!(EPSON_UDC.slots(), 95);
    }
}
