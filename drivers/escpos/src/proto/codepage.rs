//! Single-byte code tables the encoder and the virtual printer share, with their real layouts.
//!
//! Implements: TCVN-3 as Epson prints it at `ESC t 30` (TCVN-3-1: the TCVN 5712 VN3 lower-case
//! table, plus the base capitals Ă Â Ê Ô Ơ Ư Đ at 0xA1–0xA7) and `ESC t 31` (TCVN-3-2: the
//! capitals *at the code of their lower-case letter*, the ".VnTimeH" scheme: Ì is 0xD7, Ậ is
//! 0xCB, Đ is 0xA7 — mapped to U+0110 here, not to U+00D0 as escpos-printer-db does), and
//! Windows-1258 (the precomposed subset only: its combining tone bytes 0xCC 0xD2 0xDE 0xEC 0xF2
//! are left out on purpose, because a cell printer prints them in a cell of their own after the
//! letter, ESCPOS.md §2 path D).
//!
//! Does not implement: CP437 or other Latin tables (the encoder only sends 0x20–0x7E as
//! ASCII, which every table shares), VISCII.

use std::sync::LazyLock;

/// A code table a printer can select with `ESC t n` (the number lives in the profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeTable {
    /// TCVN-3 lower case (Epson page 30, "TCVN-3-1").
    Tcvn3Lower,
    /// TCVN-3 capitals at the lower-case codes (Epson page 31, "TCVN-3-2").
    Tcvn3Upper,
    /// Windows-1258, precomposed letters only.
    Cp1258,
}

/// TCVN 5712 VN3 lower-case positions (byte, letter), from glibc's TCVN5712-1 converter's
/// 0xA0–0xFF half with the VN1-only capitals and the combining marks 0xB0–0xB4 removed.
const TCVN3_LOWER: &[(u8, char)] = &[
    (0xA1, 'Ă'),
    (0xA2, 'Â'),
    (0xA3, 'Ê'),
    (0xA4, 'Ô'),
    (0xA5, 'Ơ'),
    (0xA6, 'Ư'),
    (0xA7, 'Đ'),
    (0xA8, 'ă'),
    (0xA9, 'â'),
    (0xAA, 'ê'),
    (0xAB, 'ô'),
    (0xAC, 'ơ'),
    (0xAD, 'ư'),
    (0xAE, 'đ'),
    (0xB5, 'à'),
    (0xB6, 'ả'),
    (0xB7, 'ã'),
    (0xB8, 'á'),
    (0xB9, 'ạ'),
    (0xBB, 'ằ'),
    (0xBC, 'ẳ'),
    (0xBD, 'ẵ'),
    (0xBE, 'ắ'),
    (0xC6, 'ặ'),
    (0xC7, 'ầ'),
    (0xC8, 'ẩ'),
    (0xC9, 'ẫ'),
    (0xCA, 'ấ'),
    (0xCB, 'ậ'),
    (0xCC, 'è'),
    (0xCE, 'ẻ'),
    (0xCF, 'ẽ'),
    (0xD0, 'é'),
    (0xD1, 'ẹ'),
    (0xD2, 'ề'),
    (0xD3, 'ể'),
    (0xD4, 'ễ'),
    (0xD5, 'ế'),
    (0xD6, 'ệ'),
    (0xD7, 'ì'),
    (0xD8, 'ỉ'),
    (0xDC, 'ĩ'),
    (0xDD, 'í'),
    (0xDE, 'ị'),
    (0xDF, 'ò'),
    (0xE1, 'ỏ'),
    (0xE2, 'õ'),
    (0xE3, 'ó'),
    (0xE4, 'ọ'),
    (0xE5, 'ồ'),
    (0xE6, 'ổ'),
    (0xE7, 'ỗ'),
    (0xE8, 'ố'),
    (0xE9, 'ộ'),
    (0xEA, 'ờ'),
    (0xEB, 'ở'),
    (0xEC, 'ỡ'),
    (0xED, 'ớ'),
    (0xEE, 'ợ'),
    (0xEF, 'ù'),
    (0xF1, 'ủ'),
    (0xF2, 'ũ'),
    (0xF3, 'ú'),
    (0xF4, 'ụ'),
    (0xF5, 'ừ'),
    (0xF6, 'ử'),
    (0xF7, 'ữ'),
    (0xF8, 'ứ'),
    (0xF9, 'ự'),
    (0xFA, 'ỳ'),
    (0xFB, 'ỷ'),
    (0xFC, 'ỹ'),
    (0xFD, 'ý'),
    (0xFE, 'ỵ'),
];

/// Windows-1258 0x80–0xFF; `\0` marks codes left out (undefined, NBSP, soft hyphen, and the
/// five combining tone marks).
const CP1258_HIGH: &str = "€\0‚ƒ„…†‡ˆ‰\0‹Œ\0\0\0\0‘’“”•–—˜™\0›œ\0\0Ÿ\0¡¢£¤¥¦§¨©ª«¬\0®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂĂÄÅÆÇÈÉÊË\0ÍÎÏĐÑ\0ÓÔƠÖ×ØÙÚÛÜƯ\0ßàáâăäåæçèéêë\0íîïđñ\0óôơö÷øùúûüư₫ÿ";

/// 0x80–0xFF of each table (`None` = nothing printable there).
static TABLES: LazyLock<[[Option<char>; 128]; 3]> = LazyLock::new(|| {
    let mut lower = [None; 128];
    let mut upper = [None; 128];
    for &(b, c) in TCVN3_LOWER {
        let i = usize::from(b - 0x80);
        lower[i] = Some(c);
        upper[i] = c.to_uppercase().next();
    }
    let mut cp1258 = [None; 128];
    for (i, c) in CP1258_HIGH.chars().take(128).enumerate() {
        if c != '\0' {
            cp1258[i] = Some(c);
        }
    }
    [lower, upper, cp1258]
});

impl CodeTable {
    fn table(self) -> &'static [Option<char>; 128] {
        let i = match self {
            CodeTable::Tcvn3Lower => 0,
            CodeTable::Tcvn3Upper => 1,
            CodeTable::Cp1258 => 2,
        };
        &TABLES[i]
    }

    /// The character a byte 0x80–0xFF prints in this table (ASCII bytes print themselves).
    pub fn decode(self, byte: u8) -> Option<char> {
        if (0x20..0x7F).contains(&byte) {
            return Some(char::from(byte));
        }
        byte.checked_sub(0x80).and_then(|i| self.table()[usize::from(i)])
    }

    /// The byte 0x80–0xFF that prints `ch` in this table, if any (first match).
    pub fn encode(self, ch: char) -> Option<u8> {
        self.table().iter().position(|&c| c == Some(ch)).and_then(|i| u8::try_from(i + 0x80).ok())
    }

    /// Short name as printer documentation spells it.
    pub fn name(self) -> &'static str {
        match self {
            CodeTable::Tcvn3Lower => "TCVN-3-1",
            CodeTable::Tcvn3Upper => "TCVN-3-2",
            CodeTable::Cp1258 => "WPC1258",
        }
    }
}

/// The 134 precomposed Vietnamese letters with diacritics (67 lower case, 67 capitals),
/// each vowel with its five tones and its modified forms, plus Đ/đ.
pub fn vietnamese_letters() -> Vec<char> {
    const LOWER: &str = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ";
    let mut out: Vec<char> = LOWER.chars().collect();
    let upper: Vec<char> = LOWER.chars().filter_map(|c| c.to_uppercase().next()).collect();
    out.extend(upper);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1258_table_has_128_positions_and_no_combining_marks() {
        assert_eq!(CP1258_HIGH.chars().count(), 128);
        assert_eq!(CodeTable::Cp1258.decode(0xD0), Some('Đ'));
        assert_eq!(CodeTable::Cp1258.decode(0xFE), Some('₫'));
        assert_eq!(CodeTable::Cp1258.decode(0xCC), None, "combining grave must not count as a letter");
        assert_eq!(CodeTable::Cp1258.encode('ậ'), None);
    }

    #[test]
    fn tcvn3_capital_page_puts_capitals_at_lower_case_codes() {
        assert_eq!(CodeTable::Tcvn3Lower.encode('ì'), Some(0xD7));
        assert_eq!(CodeTable::Tcvn3Upper.encode('Ì'), Some(0xD7));
        assert_eq!(CodeTable::Tcvn3Upper.encode('Ậ'), Some(0xCB));
        assert_eq!(CodeTable::Tcvn3Upper.decode(0xA7), Some('Đ'), "Đ, not Icelandic eth");
    }

    #[test]
    fn tcvn3_pages_together_hold_all_134_letters() {
        for c in vietnamese_letters() {
            let held = [CodeTable::Tcvn3Lower, CodeTable::Tcvn3Upper].iter().any(|t| t.encode(c).is_some());
            assert!(held, "{c} missing from TCVN-3");
        }
    }
}
