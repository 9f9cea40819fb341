//! Cross-checks between what a CCCD says about its holder in three places: the QR code on the
//! card's front, the chip's DG1 (the MRZ) and the chip's DG13 (the Vietnamese data group).
//!
//! Passive authentication proves DG1 and DG13 were signed together; it does not prove that the
//! QR being shown belongs to the chip on the reader, nor that an issuer never signed
//! inconsistent groups. So the kiosk compares the ID number, the date of birth, the sex and the
//! name (without diacritics, as the MRZ writes it, and allowing the MRZ's truncation at 30
//! characters) wherever two sources carry the same field. A mismatch names the field and the two
//! sources, never the values.
//!
//! Does not implement: place-of-origin or residence checks (the MRZ has neither and the QR's
//! residence is free text).

use unicode_normalization::UnicodeNormalization as _;

use super::date::Date;
use super::dg13::Dg13;
use super::mrz::Mrz;
use super::qr::{QrData, Sex};

/// A field two sources disagree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The 12-digit ID number (and, for the MRZ, its 9-digit document number).
    IdNumber,
    /// The date of birth.
    DateOfBirth,
    /// Male or female.
    Sex,
    /// The full name, compared without diacritics.
    Name,
}

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The QR code on the card's front.
    Qr,
    /// The chip's DG1 (MRZ).
    Dg1,
    /// The chip's DG13.
    Dg13,
}

/// One disagreement. Carries no personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// The field.
    pub field: Field,
    /// The two sources that disagree.
    pub between: (Source, Source),
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = match self.field {
            Field::IdNumber => "số định danh / ID number",
            Field::DateOfBirth => "ngày sinh / date of birth",
            Field::Sex => "giới tính / sex",
            Field::Name => "họ tên / name",
        };
        write!(f, "{field}: {:?} ≠ {:?}", self.between.0, self.between.1)
    }
}

/// The comparable values of one source; `None` where it does not carry the field.
struct Values {
    source: Source,
    id: Option<String>,
    dob: Option<DobValue>,
    sex: Option<Sex>,
    name: Option<(String, bool)>,
}

/// A full date, or the MRZ's `YYMMDD`.
enum DobValue {
    Full(Date),
    Yymmdd(String),
}

/// The holder's data as the MRZ writes names: NFD, combining marks dropped, đ → D, upper case,
/// anything that is not a letter or digit a space, spaces collapsed.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = true;
    for c in name.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'D',
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_uppercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn from_qr(q: &QrData) -> Values {
    Values {
        source: Source::Qr,
        id: Some(q.id_number.clone()),
        dob: Some(DobValue::Full(q.date_of_birth)),
        sex: Some(q.sex),
        name: Some((fold_name(&q.full_name), false)),
    }
}

fn from_dg1(m: &Mrz) -> Values {
    let sex = match m.sex {
        'M' => Some(Sex::Male),
        'F' => Some(Sex::Female),
        _ => None,
    };
    // TD1 line 3 holds 30 characters: "SURNAME<<GIVEN<NAMES" is cut there.
    let line3_len = m.surname.chars().count() + 2 + m.given_names.chars().count();
    let name = fold_name(&format!("{} {}", m.surname, m.given_names));
    Values {
        source: Source::Dg1,
        // A malformed optional data still has the 9-digit document number to compare.
        id: Some(m.cccd_id_number().map(str::to_owned).unwrap_or_else(|_| format!("???{}", m.document_number))),
        dob: Some(DobValue::Yymmdd(m.date_of_birth.clone())),
        sex,
        name: (!name.is_empty()).then_some((name, line3_len >= 30)),
    }
}

fn from_dg13(d: &Dg13) -> Values {
    let sex = d.sex.as_deref().map(fold_name).and_then(|s| match s.as_str() {
        "NAM" => Some(Sex::Male),
        "NU" => Some(Sex::Female),
        _ => None,
    });
    Values {
        source: Source::Dg13,
        id: d.id_number.clone(),
        dob: d.date_of_birth.map(DobValue::Full),
        sex,
        name: d.full_name.as_deref().map(|n| (fold_name(n), false)),
    }
}

fn ids_agree(a: &str, b: &str) -> bool {
    match (a.strip_prefix("???"), b.strip_prefix("???")) {
        (Some(doc), None) => b.get(3..) == Some(doc),
        (None, Some(doc)) => a.get(3..) == Some(doc),
        _ => a == b,
    }
}

fn dobs_agree(a: &DobValue, b: &DobValue) -> bool {
    match (a, b) {
        (DobValue::Full(x), DobValue::Full(y)) => x == y,
        (DobValue::Full(x), DobValue::Yymmdd(y)) | (DobValue::Yymmdd(y), DobValue::Full(x)) => x.yymmdd() == *y,
        (DobValue::Yymmdd(x), DobValue::Yymmdd(y)) => x == y,
    }
}

fn names_agree(a: &(String, bool), b: &(String, bool)) -> bool {
    // A truncated MRZ name must be a prefix of the other (compared without spaces: the MRZ's
    // filler may fall inside a word when it is cut).
    let squash = |s: &str| s.chars().filter(|c| *c != ' ').collect::<String>();
    match (a.1, b.1) {
        (true, false) => squash(&b.0).starts_with(&squash(&a.0)),
        (false, true) => squash(&a.0).starts_with(&squash(&b.0)),
        _ => a.0 == b.0,
    }
}

/// Compares every field two of the given sources both carry. Empty: they agree.
pub fn cross_check(qr: Option<&QrData>, dg1: Option<&Mrz>, dg13: Option<&Dg13>) -> Vec<Mismatch> {
    let sources: Vec<Values> =
        [qr.map(from_qr), dg1.map(from_dg1), dg13.map(from_dg13)].into_iter().flatten().collect();
    let mut out = Vec::new();
    for (i, a) in sources.iter().enumerate() {
        for b in &sources[i + 1..] {
            let between = (a.source, b.source);
            let mut differ = |field, agree: Option<bool>| {
                if agree == Some(false) {
                    out.push(Mismatch { field, between });
                }
            };
            differ(Field::IdNumber, a.id.as_deref().zip(b.id.as_deref()).map(|(x, y)| ids_agree(x, y)));
            differ(Field::DateOfBirth, a.dob.as_ref().zip(b.dob.as_ref()).map(|(x, y)| dobs_agree(x, y)));
            differ(Field::Sex, a.sex.zip(b.sex).map(|(x, y)| x == y));
            differ(Field::Name, a.name.as_ref().zip(b.name.as_ref()).map(|(x, y)| names_agree(x, y)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MRZ: &str = "IDVNM0990123459001099012345<<0\n9903159M2403155VNM<<<<<<<<<<<2\nNGUYEN<<VAN<A<<<<<<<<<<<<<<<<<";

    fn qr() -> QrData {
        QrData::parse(
            "001099012345|012345678|Nguyễn Văn A|15031999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01052021".as_bytes(),
        )
        .expect("sample QR")
    }

    fn mrz() -> Mrz {
        Mrz::parse(MRZ).expect("sample MRZ")
    }

    fn dg13() -> Dg13 {
        Dg13 {
            id_number: Some("001099012345".into()),
            full_name: Some("Nguyễn Văn A".into()),
            date_of_birth: Date::new(1999, 3, 15),
            sex: Some("Nam".into()),
            ..Dg13::default()
        }
    }

    #[test]
    fn names_fold_like_the_mrz() {
        assert_eq!(fold_name("Nguyễn Văn Đức"), "NGUYEN VAN DUC");
        assert_eq!(fold_name("  Trần   Thị  Ngọc-Ánh "), "TRAN THI NGOC ANH");
        assert_eq!(fold_name("Nữ"), "NU");
    }

    #[test]
    fn a_consistent_card_has_no_mismatch() {
        assert_eq!(cross_check(Some(&qr()), Some(&mrz()), Some(&dg13())), vec![]);
    }

    #[test]
    fn every_field_is_compared_between_every_pair() {
        let mut m = mrz();
        m.date_of_birth = "990316".into();
        m.sex = 'F';
        let mut d = dg13();
        d.id_number = Some("001099012346".into());
        d.full_name = Some("Nguyễn Văn Ánh".into());
        let found = cross_check(Some(&qr()), Some(&m), Some(&d));
        let has = |field, a, b| found.contains(&Mismatch { field, between: (a, b) });
        assert!(has(Field::DateOfBirth, Source::Qr, Source::Dg1), "{found:?}");
        assert!(has(Field::Sex, Source::Qr, Source::Dg1));
        assert!(has(Field::IdNumber, Source::Qr, Source::Dg13));
        assert!(has(Field::IdNumber, Source::Dg1, Source::Dg13));
        assert!(has(Field::Name, Source::Qr, Source::Dg13));
        assert!(has(Field::Name, Source::Dg1, Source::Dg13));
        assert!(!has(Field::Name, Source::Qr, Source::Dg1));
        assert!(!has(Field::IdNumber, Source::Qr, Source::Dg1));
        // The messages name fields and sources, never values.
        let text = found.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        assert!(!text.contains("0010990") && !text.contains("NGUYEN") && !text.contains("1999"), "{text}");
    }

    #[test]
    fn a_truncated_mrz_name_is_a_prefix() {
        let mut m = mrz();
        // 30 characters on line 3: "NGUYEN<<THI<THANH<HUONG<QUYNHG" cut inside the last name.
        m.surname = "NGUYEN".into();
        m.given_names = "THI THANH HUONG QUYNHG".into();
        let mut d = dg13();
        d.full_name = Some("Nguyễn Thị Thanh Hường Quỳnh Giao".into());
        assert!(cross_check(None, Some(&m), Some(&d)).is_empty(), "diacritics and the cut are ignored");
        d.full_name = Some("Nguyễn Thị Thanh Hà".into());
        assert_eq!(cross_check(None, Some(&m), Some(&d)).len(), 1);
        // An uncut MRZ name must match whole.
        let short = mrz();
        d.full_name = Some("Nguyễn Văn An".into());
        assert_eq!(
            cross_check(None, Some(&short), Some(&d)),
            vec![Mismatch { field: Field::Name, between: (Source::Dg1, Source::Dg13) }]
        );
    }

    #[test]
    fn a_broken_mrz_id_still_compares_the_document_number() {
        let mut m = mrz();
        m.optional_data = "garbage".into();
        assert!(cross_check(Some(&qr()), Some(&m), None).is_empty());
        m.document_number = "099012346".into();
        assert_eq!(cross_check(Some(&qr()), Some(&m), None).len(), 1);
    }

    #[test]
    fn missing_fields_are_not_mismatches() {
        let d = Dg13 { id_number: Some("001099012345".into()), ..Dg13::default() };
        assert!(cross_check(Some(&qr()), None, Some(&d)).is_empty());
        assert!(cross_check(None, None, None).is_empty());
    }
}
