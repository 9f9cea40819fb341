//! DG13 of the CCCD: Vietnamese personal data (CCCD.md §2.3; proprietary, not ICAO).
//!
//! ```text
//! 6D { 30 { INTEGER 1, OID 1.0.10646.1.0.8, SET { 30 { INTEGER n, value… } … } } }
//! ```
//! Fields are selected by number, never by position, and may be absent. Any string type
//! (UTF8String or PrintableString) is accepted for any field. Field 13 (parents) is nested
//! differently by different card batches, so its strings are collected depth-first: the first
//! is the father, the second the mother. Text is NFC-normalised.
//!
//! Privacy: ethnicity (6), religion (7) and identifying marks (10) are sensitive and not
//! needed at the kiosk; they are skipped and never stored. Field 16 (meaning unknown) too.

use unicode_normalization::UnicodeNormalization;

use super::date::Date;
use super::lds::{push_len, tlv};
use crate::{Error, Result};

/// DER of OID 1.0.10646.1.0.8 (ISO 10646 UTF-8).
pub const UTF8_OID: [u8; 6] = [0x28, 0xD3, 0x16, 0x01, 0x00, 0x08];

/// The DG13 fields the kiosk keeps. `Debug` redacts them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Dg13 {
    /// 1: 12-digit ID.
    pub id_number: Option<String>,
    /// 2: full name with diacritics.
    pub full_name: Option<String>,
    /// 3: date of birth (`dd/mm/yyyy`, parsed).
    pub date_of_birth: Option<Date>,
    /// 4: sex as written (`Nam` / `Nữ`).
    pub sex: Option<String>,
    /// 5: nationality.
    pub nationality: Option<String>,
    /// 8: place of origin (quê quán).
    pub place_of_origin: Option<String>,
    /// 9: residence.
    pub residence: Option<String>,
    /// 11: issue date.
    pub issue_date: Option<Date>,
    /// 12: expiry as written: a `dd/mm/yyyy` date or a text such as "Không thời hạn".
    pub expiry: Option<String>,
    /// 13: father's name.
    pub father: Option<String>,
    /// 13: mother's name.
    pub mother: Option<String>,
    /// 14: spouse's name (absent when single).
    pub spouse: Option<String>,
    /// 15: old 9-digit CMND.
    pub old_id: Option<String>,
}

impl std::fmt::Debug for Dg13 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let present = [
            self.id_number.is_some(),
            self.full_name.is_some(),
            self.date_of_birth.is_some(),
            self.residence.is_some(),
            self.father.is_some(),
            self.mother.is_some(),
            self.spouse.is_some(),
            self.old_id.is_some(),
        ];
        f.debug_struct("Dg13").field("fields_present", &present.iter().filter(|p| **p).count()).finish_non_exhaustive()
    }
}

fn is_string(tag: u32) -> bool {
    matches!(tag, 0x0C | 0x13 | 0x16 | 0x14)
}

/// Depth-first strings of a field body, at most `limit` levels deep.
fn strings(mut b: &[u8], depth: u8, out: &mut Vec<String>) -> Result<()> {
    while !b.is_empty() {
        let (tag, v, rest) = tlv(b).ok_or(Error::Lds("DG13 field is malformed"))?;
        if is_string(tag) {
            let s = std::str::from_utf8(v).map_err(|_| Error::Lds("DG13 string is not UTF-8"))?;
            out.push(s.nfc().collect());
        } else if matches!(tag, 0x30 | 0x31) && depth < 4 {
            strings(v, depth + 1, out)?;
        }
        b = rest;
    }
    Ok(())
}

impl Dg13 {
    /// Parses DG13.
    pub fn parse(b: &[u8]) -> Result<Self> {
        let (tag, v, _) = tlv(b).ok_or(Error::Lds("DG13 is not a TLV"))?;
        if tag != 0x6D {
            return Err(Error::Lds("DG13 tag is not 6D"));
        }
        let (tag, seq, _) = tlv(v).ok_or(Error::Lds("DG13 has no SEQUENCE"))?;
        if tag != 0x30 {
            return Err(Error::Lds("DG13 content is not a SEQUENCE"));
        }
        // Version and OID are skipped leniently; the SET of fields is what matters.
        let mut rest = seq;
        let mut set = None;
        while !rest.is_empty() {
            let (t, v, r) = tlv(rest).ok_or(Error::Lds("DG13 header is malformed"))?;
            if t == 0x31 {
                set = Some(v);
            }
            rest = r;
        }
        let mut fields = set.ok_or(Error::Lds("DG13 has no SET of fields"))?;
        let mut dg = Dg13::default();
        while !fields.is_empty() {
            let (t, field, r) = tlv(fields).ok_or(Error::Lds("DG13 field list is malformed"))?;
            fields = r;
            if t != 0x30 {
                continue;
            }
            let (it, num, body) = tlv(field).ok_or(Error::Lds("DG13 field has no number"))?;
            let [n] = num else { continue };
            if it != 0x02 {
                continue;
            }
            if matches!(n, 6 | 7 | 10 | 16) {
                continue; // sensitive or unknown: never decoded, never kept
            }
            let mut s = Vec::new();
            strings(body, 0, &mut s)?;
            let mut it = s.into_iter().filter(|x| !x.trim().is_empty());
            let first = it.next();
            match n {
                1 => dg.id_number = first,
                2 => dg.full_name = first,
                3 => dg.date_of_birth = first.as_deref().and_then(Date::parse_dd_mm_yyyy),
                4 => dg.sex = first,
                5 => dg.nationality = first,
                8 => dg.place_of_origin = first,
                9 => dg.residence = first,
                11 => dg.issue_date = first.as_deref().and_then(Date::parse_dd_mm_yyyy),
                12 => dg.expiry = first,
                13 => {
                    dg.father = first;
                    dg.mother = it.next();
                }
                14 => dg.spouse = first,
                15 => dg.old_id = first,
                _ => {}
            }
        }
        Ok(dg)
    }
}

fn tlv_bytes(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    push_len(&mut v, value.len());
    v.extend_from_slice(value);
    v
}

/// One field for [`build_dg13`]: its number and its body (already-encoded TLVs after the
/// INTEGER).
pub type FieldBody = (u8, Vec<u8>);

/// A UTF8String (`0C`) TLV.
pub fn utf8(s: &str) -> Vec<u8> {
    tlv_bytes(0x0C, s.as_bytes())
}

/// A PrintableString (`13`) TLV.
pub fn printable(s: &str) -> Vec<u8> {
    tlv_bytes(0x13, s.as_bytes())
}

/// A SEQUENCE (`30`) TLV around already-encoded content.
pub fn sequence(content: &[u8]) -> Vec<u8> {
    tlv_bytes(0x30, content)
}

/// Builds a DG13 in the CCCD layout (for the simulated chip and tests).
pub fn build_dg13(fields: &[FieldBody]) -> Vec<u8> {
    let mut set = Vec::new();
    for (n, body) in fields {
        let mut f = vec![0x02, 0x01, *n];
        f.extend_from_slice(body);
        set.extend_from_slice(&sequence(&f));
    }
    let mut seq = vec![0x02, 0x01, 0x01];
    seq.extend_from_slice(&tlv_bytes(0x06, &UTF8_OID));
    seq.extend_from_slice(&tlv_bytes(0x31, &set));
    tlv_bytes(0x6D, &sequence(&seq))
}

/// The synthetic citizen of CCCD.md as DG13 fields (made-up data), field 13 in the
/// two-SEQUENCE layout of `DG13File.java`.
pub fn sample_fields() -> Vec<FieldBody> {
    vec![
        (1, printable("001099012345")),
        (2, utf8("Nguyễn Văn A")),
        (3, printable("15/03/1999")),
        (4, utf8("Nam")),
        (5, utf8("Việt Nam")),
        (6, utf8("Kinh")),
        (7, utf8("Không")),
        (8, utf8("Xã X, Huyện Y, Tỉnh Z")),
        (9, utf8("Số 1, Phường P, Quận Q, Thành phố H")),
        (10, utf8("Nốt ruồi C:2cm trên trước đầu mày phải")),
        (11, printable("15/03/2021")),
        (12, utf8("15/03/2024")),
        (13, [sequence(&utf8("Nguyễn Văn B")), sequence(&utf8("Trần Thị C"))].concat()),
        (14, Vec::new()),
        (15, printable("123456789")),
        (16, printable("0123456789ABCDEF")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_has_the_cccd_md_prefix_shape() {
        let b = build_dg13(&sample_fields());
        assert_eq!(&b[..2], &[0x6D, 0x82]);
        assert_eq!(&b[4..6], &[0x30, 0x82]);
        assert_eq!(&b[8..19], &hex::decode("020101060628D316010008").unwrap()[..]);
        assert_eq!(&b[19..21], &[0x31, 0x82]);
        assert_eq!(&b[23..42], &hex::decode("3011020101130C303031303939303132333435").unwrap()[..]);
    }

    #[test]
    fn parses_fields_by_number_and_skips_sensitive_ones() {
        let dg = Dg13::parse(&build_dg13(&sample_fields())).unwrap();
        assert_eq!(dg.id_number.as_deref(), Some("001099012345"));
        assert_eq!(dg.full_name.as_deref(), Some("Nguyễn Văn A"));
        assert_eq!(dg.date_of_birth, Date::new(1999, 3, 15));
        assert_eq!(dg.issue_date, Date::new(2021, 3, 15));
        assert_eq!(dg.expiry.as_deref(), Some("15/03/2024"));
        assert_eq!(dg.father.as_deref(), Some("Nguyễn Văn B"));
        assert_eq!(dg.mother.as_deref(), Some("Trần Thị C"));
        assert_eq!(dg.spouse, None);
        assert_eq!(dg.old_id.as_deref(), Some("123456789"));
        assert!(!format!("{dg:?}").contains("Nguyễn"));
    }

    #[test]
    fn field_13_in_one_sequence_and_any_string_type() {
        let mut f = sample_fields();
        f.retain(|(n, _)| *n != 13 && *n != 2);
        f.insert(0, (13, sequence(&[utf8("Cha"), printable("Me")].concat())));
        f.push((2, printable("NGUYEN VAN A")));
        f.push((14, sequence(&utf8("Vợ"))));
        let dg = Dg13::parse(&build_dg13(&f)).unwrap();
        assert_eq!((dg.father.as_deref(), dg.mother.as_deref()), (Some("Cha"), Some("Me")));
        assert_eq!(dg.full_name.as_deref(), Some("NGUYEN VAN A"));
        assert_eq!(dg.spouse.as_deref(), Some("Vợ"));
    }

    #[test]
    fn truncated_or_garbage_dg13_is_an_error_not_a_panic() {
        let b = build_dg13(&sample_fields());
        for n in 0..b.len() {
            assert!(Dg13::parse(&b[..n]).is_err());
        }
        assert!(Dg13::parse(&[0x6D, 0x02, 0x31, 0x00]).is_err());
    }
}
