//! The TD1 machine-readable zone on the back of the card (ICAO 9303 Part 5; CCCD.md §3.1).
//!
//! ```text
//! line 1: ID VNM <doc no 9> <cd> <optional: 12-digit ID> << <cd of the 12 digits>
//! line 2: <DOB YYMMDD><cd><sex><expiry YYMMDD><cd>VNM<11 fillers><composite cd>
//! line 3: SURNAME<<GIVEN<NAMES
//! ```
//! The document number is the last 9 digits of the 12-digit ID. Every check digit is verified.
//! Does not implement: TD2/TD3, or a "no expiry" encoding (unknown for CCCD).

use crate::{Error, Result};

/// The ICAO 9303 check digit (weights 7, 3, 1; `<` = 0, A = 10 … Z = 35).
pub fn check_digit(s: &str) -> Option<u8> {
    let mut sum: u32 = 0;
    for (i, b) in s.bytes().enumerate() {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'<' => 0,
            _ => return None,
        };
        sum += v * [7, 3, 1][i % 3];
    }
    u8::try_from(sum % 10).ok()
}

fn check(field: &str, digit: Option<u8>, what: &'static str) -> Result<()> {
    let d = digit.filter(u8::is_ascii_digit).map(|d| d - b'0');
    if d.is_some() && check_digit(field) == d { Ok(()) } else { Err(Error::Mrz(what)) }
}

/// A parsed TD1 MRZ. `Debug` redacts personal data.
#[derive(Clone, PartialEq, Eq)]
pub struct Mrz {
    /// Document code, e.g. `ID`.
    pub document_code: String,
    /// Issuing state, e.g. `VNM`.
    pub issuing_state: String,
    /// 9-character document number (the last 9 digits of the ID on a CCCD).
    pub document_number: String,
    /// The optional data of line 1 without fillers (on a CCCD: the 12-digit ID + its check digit).
    pub optional_data: String,
    /// Date of birth, `YYMMDD`.
    pub date_of_birth: String,
    /// `M`, `F` or `<`.
    pub sex: char,
    /// Date of expiry, `YYMMDD`.
    pub date_of_expiry: String,
    /// Nationality, e.g. `VNM`.
    pub nationality: String,
    /// Primary identifier (surname), `<` turned into spaces.
    pub surname: String,
    /// Secondary identifier (given names), `<` turned into spaces.
    pub given_names: String,
}

impl std::fmt::Debug for Mrz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mrz")
            .field("document_code", &self.document_code)
            .field("issuing_state", &self.issuing_state)
            .field("nationality", &self.nationality)
            .finish_non_exhaustive()
    }
}

fn valid_chars(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'<')
}

fn names(s: &str) -> String {
    s.split('<').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

impl Mrz {
    /// Parses three 30-character lines (separated by newlines, or concatenated as 90 characters).
    pub fn parse(text: &str) -> Result<Self> {
        let joined: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if joined.len() != 90 || !valid_chars(&joined) {
            return Err(Error::Mrz("TD1 needs 3 lines of 30 characters A-Z 0-9 <"));
        }
        // All ASCII from here: byte slicing cannot split a character.
        let at = |a: usize, b: usize| joined.get(a..b).unwrap_or_default();
        let byte = |i: usize| joined.as_bytes().get(i).copied();
        let doc_no = at(5, 14);
        let opt1 = at(15, 30);
        check(doc_no, byte(14), "document number check digit")?;
        let dob = at(30, 36);
        check(dob, byte(36), "date of birth check digit")?;
        let expiry = at(38, 44);
        check(expiry, byte(44), "date of expiry check digit")?;
        let composite = format!("{}{}{}", at(5, 30), at(30, 37), at(38, 45));
        let composite = composite + at(48, 59);
        check(&composite, byte(59), "composite check digit")?;
        if !dob.bytes().all(|b| b.is_ascii_digit()) || !expiry.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Mrz("dates must be YYMMDD digits"));
        }
        let sex = char::from(byte(37).unwrap_or(b'<'));
        if !matches!(sex, 'M' | 'F' | '<') {
            return Err(Error::Mrz("sex must be M, F or <"));
        }
        let l3 = at(60, 90);
        let (surname, given) = l3.split_once("<<").unwrap_or((l3, ""));
        Ok(Self {
            document_code: at(0, 2).trim_end_matches('<').to_owned(),
            issuing_state: at(2, 5).to_owned(),
            document_number: doc_no.to_owned(),
            optional_data: opt1.trim_end_matches('<').to_owned(),
            date_of_birth: dob.to_owned(),
            sex,
            date_of_expiry: expiry.to_owned(),
            nationality: at(45, 48).to_owned(),
            surname: names(surname),
            given_names: names(given),
        })
    }

    /// The 12-digit ID from the optional data of a CCCD MRZ, with its check digit verified
    /// (the last character of line 1).
    pub fn cccd_id_number(&self) -> Result<&str> {
        let opt = self.optional_data.as_bytes();
        let id = self.optional_data.get(0..12).ok_or(Error::Mrz("optional data has no 12-digit ID"))?;
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Mrz("optional data has no 12-digit ID"));
        }
        // Line 1 ends "<ID12><<<cd>": the check digit is the last optional-data character.
        check(id, opt.last().copied(), "ID number check digit")?;
        if id.get(3..) != Some(self.document_number.as_str()) {
            return Err(Error::Mrz("document number is not the last 9 digits of the ID"));
        }
        Ok(id)
    }

    /// The BAC key inputs of this MRZ.
    pub fn bac_key(&self) -> crate::proto::bac::BacKey {
        crate::proto::bac::BacKey::new(&self.document_number, &self.date_of_birth, &self.date_of_expiry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CCCD.md §3.1 synthetic example.
    pub(crate) const SAMPLE: &str =
        "IDVNM0990123459001099012345<<0\n9903159M2403155VNM<<<<<<<<<<<2\nNGUYEN<<VAN<A<<<<<<<<<<<<<<<<<";

    #[test]
    fn check_digit_matches_icao_examples() {
        assert_eq!(check_digit("L898902C<"), Some(3));
        assert_eq!(check_digit("690806"), Some(1));
        assert_eq!(check_digit("940623"), Some(6));
    }

    #[test]
    fn parses_the_cccd_md_synthetic_td1() {
        let m = Mrz::parse(SAMPLE).unwrap();
        assert_eq!(m.document_code, "ID");
        assert_eq!(m.issuing_state, "VNM");
        assert_eq!(m.document_number, "099012345");
        assert_eq!(m.date_of_birth, "990315");
        assert_eq!(m.sex, 'M');
        assert_eq!(m.date_of_expiry, "240315");
        assert_eq!(m.nationality, "VNM");
        assert_eq!(m.surname, "NGUYEN");
        assert_eq!(m.given_names, "VAN A");
        assert_eq!(m.cccd_id_number().unwrap(), "001099012345");
        assert_eq!(m.bac_key().mrz_information(), "099012345999031592403155");
    }

    #[test]
    fn rejects_each_wrong_check_digit() {
        for (pos, what) in [(14, "document"), (36, "birth"), (44, "expiry"), (59, "composite")] {
            let mut s: Vec<u8> = SAMPLE.replace('\n', "").into_bytes();
            s[pos] = if s[pos] == b'0' { b'1' } else { b'0' };
            let err = Mrz::parse(std::str::from_utf8(&s).unwrap()).unwrap_err();
            assert!(matches!(err, Error::Mrz(_)), "{what}");
        }
    }

    #[test]
    fn rejects_wrong_length_and_characters() {
        assert!(Mrz::parse("IDVNM").is_err());
        assert!(Mrz::parse(&SAMPLE.to_lowercase()).is_err());
        assert!(Mrz::parse(&"é".repeat(90)).is_err());
    }

    #[test]
    fn debug_output_redacts_names_and_numbers() {
        let dbg = format!("{:?}", Mrz::parse(SAMPLE).unwrap());
        assert!(!dbg.contains("NGUYEN") && !dbg.contains("099012345"));
    }
}
