//! The QR code on the CCCD (2021, front) and on the thẻ căn cước (2024, back).
//!
//! Implements: CCCD.md §1. The payload is UTF-8 text with `|` between fields:
//! `ID12|CMND9-or-empty|name|DDMMYYYY|Nam/Nữ|residence|DDMMYYYY(issue)`, and on 2024 cards
//! trailing fields whose meaning is not yet known (kept, not interpreted).
//!
//! Decode the raw byte segment of the QR code here: decoders that guess the charset
//! (zbar) turn Vietnamese into Big5 mojibake. Text is NFC-normalised so it compares equal to
//! DG13's strings whatever composition the encoder used.

use unicode_normalization::UnicodeNormalization;

use super::date::Date;
use crate::{Error, Result};

/// Sex as printed on the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// "Nam".
    Male,
    /// "Nữ".
    Female,
}

/// The parsed QR payload. Its `Debug` output redacts personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct QrData {
    /// 12-digit personal ID number (số định danh cá nhân).
    pub id_number: String,
    /// Old 9-digit CMND number, if the holder had one.
    pub old_id: Option<String>,
    /// Full name with diacritics, NFC.
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// Sex.
    pub sex: Sex,
    /// Residence, NFC.
    pub residence: String,
    /// Issue date.
    pub issue_date: Date,
    /// Fields after the 7th (2024 cards); meaning unknown, kept as given (NFC).
    pub extra: Vec<String>,
}

impl std::fmt::Debug for QrData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrData")
            .field("id_number", &mask_id(&self.id_number))
            .field("old_id", &self.old_id.as_ref().map(|_| "<redacted>"))
            .field("full_name", &"<redacted>")
            .field("extra_fields", &self.extra.len())
            .finish_non_exhaustive()
    }
}

/// Masks an ID as shown on screens: first 3 and last 3 digits, e.g. `001******345`.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    chars.iter().enumerate().map(|(i, c)| if i < 3 || i + 3 >= chars.len() { *c } else { '*' }).collect()
}

fn field_err(index: usize, field: &'static str, reason: &'static str) -> Error {
    Error::QrField { index, field, reason }
}

fn all_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

impl QrData {
    /// Parses the raw bytes of the QR code (decoded as UTF-8 here, never by charset guessing).
    pub fn parse(raw: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(raw).map_err(|_| Error::Qr("not UTF-8"))?;
        Self::parse_str(text)
    }

    /// Parses the QR text.
    pub fn parse_str(text: &str) -> Result<Self> {
        let text: String = text.trim_end_matches(['\r', '\n']).nfc().collect();
        let parts: Vec<&str> = text.split('|').collect();
        let [id, cmnd, name, dob, sex, residence, issue, extra @ ..] = parts.as_slice() else {
            return Err(Error::Qr("fewer than 7 '|'-separated fields"));
        };
        if !all_digits(id, 12) {
            return Err(field_err(0, "số CCCD", "must be 12 digits"));
        }
        let old_id = match *cmnd {
            "" => None,
            c if all_digits(c, 9) => Some(c.to_owned()),
            _ => return Err(field_err(1, "số CMND", "must be empty or 9 digits")),
        };
        let full_name = name.trim();
        if full_name.is_empty() {
            return Err(field_err(2, "họ và tên", "is empty"));
        }
        let date_of_birth =
            Date::parse_ddmmyyyy(dob).ok_or_else(|| field_err(3, "ngày sinh", "must be a valid DDMMYYYY date"))?;
        let sex = match *sex {
            "Nam" => Sex::Male,
            "Nữ" => Sex::Female,
            _ => return Err(field_err(4, "giới tính", "must be Nam or Nữ")),
        };
        let issue_date =
            Date::parse_ddmmyyyy(issue).ok_or_else(|| field_err(6, "ngày cấp", "must be a valid DDMMYYYY date"))?;
        Ok(Self {
            id_number: (*id).to_owned(),
            old_id,
            full_name: full_name.to_owned(),
            date_of_birth,
            sex,
            residence: residence.trim().to_owned(),
            issue_date,
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        })
    }

    /// The PACE CAN: the last 6 digits of the ID (CCCD.md §2.1).
    pub fn can(&self) -> &str {
        self.id_number.get(6..).unwrap_or_default()
    }

    /// The BAC document number: the last 9 digits of the ID (CCCD.md §3.1).
    pub fn document_number(&self) -> &str {
        self.id_number.get(3..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE_2021: &str =
        "001099012345|123456789|Nguyễn Văn A|15031999|Nam|Số 1, Phường P, Quận Q, Thành phố H|15032021";

    #[test]
    fn parses_the_2021_sample_from_cccd_md() {
        let q = QrData::parse(SAMPLE_2021.as_bytes()).unwrap();
        assert_eq!(q.id_number, "001099012345");
        assert_eq!(q.old_id.as_deref(), Some("123456789"));
        assert_eq!(q.full_name, "Nguyễn Văn A");
        assert_eq!(q.date_of_birth, Date::new(1999, 3, 15).unwrap());
        assert_eq!(q.sex, Sex::Male);
        assert_eq!(q.issue_date, Date::new(2021, 3, 15).unwrap());
        assert!(q.extra.is_empty());
        assert_eq!(q.can(), "012345");
        assert_eq!(q.document_number(), "099012345");
    }

    #[test]
    fn accepts_an_empty_cmnd_slot() {
        let s = "001099012345||Nguyễn Văn A|15031999|Nam|Số 1, Phường P, Quận Q, Thành phố H|15032021";
        assert_eq!(QrData::parse_str(s).unwrap().old_id, None);
    }

    #[test]
    fn accepts_2024_trailing_fields() {
        let s = format!("{SAMPLE_2021}||||");
        let q = QrData::parse_str(&s).unwrap();
        assert_eq!(q.extra.len(), 4);
    }

    #[test]
    fn normalises_decomposed_text_to_nfc() {
        let decomposed = "001099012345||Nguye\u{302}\u{303}n Va\u{306}n A|15031999|Nu\u{31b}\u{303}|x|15032021";
        let q = QrData::parse_str(decomposed).unwrap();
        assert_eq!(q.full_name, "Nguyễn Văn A");
        assert_eq!(q.sex, Sex::Female);
    }

    #[test]
    fn rejects_each_bad_field_by_index() {
        let cases = [
            ("00109901234|123456789|N|15031999|Nam|x|15032021", 0),
            ("001099012345|12345678|N|15031999|Nam|x|15032021", 1),
            ("001099012345||  |15031999|Nam|x|15032021", 2),
            ("001099012345||N|31021999|Nam|x|15032021", 3),
            ("001099012345||N|15031999|nam|x|15032021", 4),
            ("001099012345||N|15031999|Nam|x|2021-03-15", 6),
        ];
        for (s, want) in cases {
            match QrData::parse_str(s) {
                Err(Error::QrField { index, .. }) => assert_eq!(index, want, "{s}"),
                other => panic!("{s}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_non_utf8_and_short_payloads() {
        assert!(matches!(QrData::parse(&[0xff, 0xfe]), Err(Error::Qr(_))));
        assert!(matches!(QrData::parse_str("001099012345|x"), Err(Error::Qr(_))));
    }

    #[test]
    fn debug_output_redacts_personal_data() {
        let q = QrData::parse_str(SAMPLE_2021).unwrap();
        let dbg = format!("{q:?}");
        assert!(!dbg.contains("Nguyễn"));
        assert!(!dbg.contains("001099012345"));
        assert!(dbg.contains("001******345"));
    }
}
