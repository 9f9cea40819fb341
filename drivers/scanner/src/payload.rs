//! What a scanned (or typed) payload means: a dossier receipt, a CCCD QR, or nothing we use.
//!
//! Implements: [`classify`], which routes a payload by shape — receipt payloads to the dossier
//! lookup, CCCD QR payloads to the ID flow (parsed by `motcua-cccd`) — and [`DossierCode`],
//! the dossier code of the receipt ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"):
//! `V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX`, e.g. `000.00.12.H62-201105-0004` — the receiving
//! agency's identifier (three groups of 3, 2 and 2 digits, then the level-1 class letter `M`
//! and 2 digits: `G` for ministries, `H` for provinces...), the receipt date `YYMMDD` (a real
//! calendar date, 20YY) and a 4-digit sequence number. Accepted receipt shapes:
//! - the bare code;
//! - the code, a separator (`|` or white space) and the 6-digit lookup secret printed on the
//!   receipt (`CODE|123456`, `CODE 123456`);
//! - a portal URL (`http` or `https`, any host) with the code in a query parameter `ma`,
//!   `ma_ho_so`, `maHoSo` or `code` and optionally the secret in `k`, `secret` or `ma_bi_mat`
//!   (names compared without regard to ASCII case, values percent-decoded), e.g.
//!   `https://dichvucong.example.gov.vn/tra-cuu?ma=000.00.12.H62-201105-0004`.
//!
//! Text is trimmed and NFC-normalised first; the class letter may be typed in lower case. For
//! manual entry on the on-screen keypad, [`check_partial`] says whether what is typed so far
//! can still become a valid code, and what comes next.
//!
//! Privacy: nothing here logs, and neither [`UnknownReason`] nor any `Debug` output contains
//! the payload: a rejected payload may be a citizen's CCCD data, and a secret is a credential
//! (`Debug` of [`Payload::Receipt`] redacts it).
//!
//! Does not implement: the lookup itself, secret verification (the central system's job), the
//! code's agency directory (any agency number is accepted), receipts whose date is in the
//! future (there is no clock here).

use std::fmt;

use motcua_cccd::proto::qr::QrData;
use unicode_normalization::UnicodeNormalization;

/// Length of a dossier code, `000.00.12.H62-201105-0004`.
pub const CODE_LEN: usize = 25;
/// Length of the lookup secret printed on the receipt.
pub const SECRET_LEN: usize = 6;
/// Longest payload looked at; anything longer is [`UnknownReason::TooLong`].
pub const MAX_PAYLOAD: usize = 4096;

/// Query parameters that carry the dossier code in a portal URL.
pub const CODE_PARAMS: [&str; 4] = ["ma", "ma_ho_so", "maHoSo", "code"];
/// Query parameters that carry the lookup secret in a portal URL.
pub const SECRET_PARAMS: [&str; 3] = ["k", "secret", "ma_bi_mat"];

/// One position of the code template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// `0`–`9`.
    Digit,
    /// An ASCII letter (the agency class `M`).
    Letter,
    /// `.`.
    Dot,
    /// `-`.
    Dash,
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Slot::Digit => "a digit",
            Slot::Letter => "a letter",
            Slot::Dot => "'.'",
            Slot::Dash => "'-'",
        })
    }
}

/// `000.00.12.H62-201105-0004`.
const TEMPLATE: [Slot; CODE_LEN] = {
    use Slot::{Dash as S, Digit as D, Dot as P, Letter as L};
    [D, D, D, P, D, D, P, D, D, P, L, D, D, S, D, D, D, D, D, D, S, D, D, D, D]
};

/// Where the date starts in the code.
const DATE_AT: usize = 14;

/// Why a string is not a dossier code. Positions only, never the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// Fewer characters than a code has.
    #[error("dossier code too short: {len} of {CODE_LEN} characters")]
    TooShort {
        /// Characters given.
        len: usize,
    },
    /// More characters than a code has.
    #[error("dossier code too long: more than {CODE_LEN} characters")]
    TooLong,
    /// A character of the wrong kind.
    #[error("dossier code: expected {expected} at position {at}")]
    Unexpected {
        /// 0-based character position.
        at: usize,
        /// What belongs there.
        expected: Slot,
    },
    /// `YYMMDD` is not a calendar date.
    #[error("dossier code: the receipt date is not a calendar date")]
    BadDate,
}

/// A valid, normalised dossier code (upper-case class letter, NFC, no surrounding space).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DossierCode(String);

impl DossierCode {
    /// Parses and normalises a code (trimmed, NFC, class letter upper-cased).
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        match check_partial(text.trim()) {
            PartialState::Complete(code) => Ok(code),
            PartialState::Invalid(e) => Err(e),
            PartialState::Empty => Err(CodeError::TooShort { len: 0 }),
            PartialState::Incomplete { len, .. } => Err(CodeError::TooShort { len }),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The receiving agency's identifier, e.g. `000.00.12.H62`.
    pub fn agency(&self) -> &str {
        self.0.get(..13).unwrap_or_default()
    }

    /// The agency's level-1 class letter (`M`), e.g. `H`.
    pub fn agency_class(&self) -> char {
        self.0.chars().nth(10).unwrap_or('?')
    }

    /// The receipt date as (year, month, day), e.g. (2020, 11, 5).
    pub fn received_on(&self) -> (u16, u8, u8) {
        let n = |r: std::ops::Range<usize>| self.0.get(r).and_then(|s| s.parse::<u8>().ok()).unwrap_or(0);
        (2000 + u16::from(n(14..16)), n(16..18), n(18..20))
    }

    /// The sequence number of the day, e.g. 4.
    pub fn sequence(&self) -> u16 {
        self.0.get(21..25).and_then(|s| s.parse().ok()).unwrap_or(0)
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A dossier code is not personal data on its own (the secret guards the status).
        write!(f, "DossierCode({})", self.0)
    }
}

impl std::str::FromStr for DossierCode {
    type Err = CodeError;

    fn from_str(s: &str) -> Result<Self, CodeError> {
        Self::parse(s)
    }
}

/// Where manual entry stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartialState {
    /// Nothing typed yet.
    Empty,
    /// A valid beginning; more to type.
    Incomplete {
        /// Characters typed.
        len: usize,
        /// What comes next (the keypad may insert `.` and `-` by itself).
        next: Slot,
    },
    /// A complete, valid code.
    Complete(DossierCode),
    /// Cannot become a code (the first problem).
    Invalid(CodeError),
}

/// Checks a code being typed on the on-screen keypad: every prefix of a valid code is
/// [`PartialState::Incomplete`]; a month or day that cannot be right is refused as soon as it
/// is typed. The input is NFC-normalised and the class letter upper-cased; surrounding space is
/// not trimmed (the keypad does not type any).
pub fn check_partial(input: &str) -> PartialState {
    let text: String = input.nfc().collect();
    let mut out = String::with_capacity(CODE_LEN);
    let mut date = [0u8; 6];
    for (at, c) in text.chars().enumerate() {
        let Some(&slot) = TEMPLATE.get(at) else {
            return PartialState::Invalid(CodeError::TooLong);
        };
        let ok = match slot {
            Slot::Digit => c.is_ascii_digit(),
            Slot::Letter => c.is_ascii_alphabetic(),
            Slot::Dot => c == '.',
            Slot::Dash => c == '-',
        };
        if !ok {
            return PartialState::Invalid(CodeError::Unexpected { at, expected: slot });
        }
        let c = c.to_ascii_uppercase();
        out.push(c);
        if let Some(d) = at.checked_sub(DATE_AT).and_then(|i| date.get_mut(i)) {
            *d = u8::try_from(c.to_digit(10).unwrap_or(0)).unwrap_or(0);
            if !date_prefix_ok(&date, at - DATE_AT + 1) {
                return PartialState::Invalid(CodeError::BadDate);
            }
        }
    }
    match TEMPLATE.get(out.len()) {
        _ if out.is_empty() => PartialState::Empty,
        Some(&next) => PartialState::Incomplete { len: out.len(), next },
        None => PartialState::Complete(DossierCode(out)),
    }
}

/// Whether the first `n` digits of `YYMMDD` can still be a date.
fn date_prefix_ok(d: &[u8; 6], n: usize) -> bool {
    let [y1, y2, m1, m2, d1, d2] = *d;
    let month = m1 * 10 + m2;
    let day = d1 * 10 + d2;
    match n {
        0..=2 => true,
        3 => m1 <= 1,
        4 => (1..=12).contains(&month),
        5 => d1 <= 3,
        _ => {
            let year = 2000 + u16::from(y1) * 10 + u16::from(y2);
            day >= 1 && day <= days_in_month(year, month)
        }
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether `s` is a lookup secret (exactly 6 ASCII digits).
pub fn is_valid_secret(s: &str) -> bool {
    s.len() == SECRET_LEN && s.bytes().all(|b| b.is_ascii_digit())
}

/// Why a payload is not something the kiosk uses. Carries no part of the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnknownReason {
    /// Nothing but white space.
    #[error("empty payload")]
    Empty,
    /// Longer than [`MAX_PAYLOAD`].
    #[error("payload too long")]
    TooLong,
    /// Shaped like a dossier code (or carried as one) but not a valid one.
    #[error("{0}")]
    BadCode(CodeError),
    /// A secret is present but is not 6 digits.
    #[error("lookup secret must be {SECRET_LEN} digits")]
    BadSecret,
    /// A URL without a dossier-code parameter.
    #[error("URL carries no dossier code")]
    UrlWithoutCode,
    /// A URL that cannot be read (bad percent-encoding, not UTF-8 once decoded, no host).
    #[error("malformed URL")]
    BadUrl,
    /// A URL with two different codes or two different secrets.
    #[error("URL carries conflicting values")]
    Conflicting,
    /// Shaped like a CCCD QR (`|`-separated fields) but not a valid one.
    #[error("CCCD QR: field {field:?}: {reason}")]
    BadCccd {
        /// 0-based field index when one field is at fault.
        field: Option<usize>,
        /// The rule it broke.
        reason: &'static str,
    },
    /// None of the shapes above.
    #[error("not a receipt or CCCD payload")]
    NotRecognised,
}

impl UnknownReason {
    /// What to tell the citizen (Vietnamese, NFC). Never repeats the payload.
    pub fn citizen_message(&self) -> &'static str {
        match self {
            UnknownReason::BadCode(_) => "Mã hồ sơ không hợp lệ. Vui lòng kiểm tra lại giấy tiếp nhận hồ sơ.",
            UnknownReason::BadSecret => "Mã tra cứu phải gồm 6 chữ số.",
            UnknownReason::BadCccd { .. } => "Không đọc được mã QR trên thẻ căn cước. Vui lòng quét lại.",
            UnknownReason::UrlWithoutCode | UnknownReason::BadUrl | UnknownReason::Conflicting => {
                "Mã QR này không chứa mã hồ sơ hợp lệ."
            }
            UnknownReason::Empty | UnknownReason::TooLong | UnknownReason::NotRecognised => {
                "Mã này không phải mã hồ sơ hay mã QR trên thẻ căn cước."
            }
        }
    }
}

/// What a payload means.
#[derive(Clone, PartialEq, Eq)]
pub enum Payload {
    /// A dossier receipt: go to the lookup.
    Receipt {
        /// The dossier code.
        code: DossierCode,
        /// The 6-digit lookup secret, when the payload carries it (otherwise ask for it).
        secret: Option<String>,
    },
    /// A CCCD QR: go to the ID flow. Its `Debug` redacts personal data.
    Cccd(Box<QrData>),
    /// Nothing the kiosk uses.
    Unknown(UnknownReason),
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Receipt { code, secret } => f
                .debug_struct("Receipt")
                .field("code", code)
                .field("secret", &secret.as_ref().map(|_| "<redacted>"))
                .finish(),
            Payload::Cccd(q) => f.debug_tuple("Cccd").field(q).finish(),
            Payload::Unknown(r) => f.debug_tuple("Unknown").field(r).finish(),
        }
    }
}

/// Routes a payload by its shape; see the module docs.
pub fn classify(text: &str) -> Payload {
    match classify_inner(text) {
        Ok(p) => p,
        Err(reason) => Payload::Unknown(reason),
    }
}

fn classify_inner(text: &str) -> Result<Payload, UnknownReason> {
    if text.len() > MAX_PAYLOAD {
        return Err(UnknownReason::TooLong);
    }
    let text: String = text.trim().nfc().collect();
    if text.is_empty() {
        return Err(UnknownReason::Empty);
    }
    if let Some(rest) = strip_scheme(&text) {
        return portal_url(rest);
    }
    if text.matches('|').count() >= 6 {
        return match QrData::parse_str(&text) {
            Ok(q) => Ok(Payload::Cccd(Box::new(q))),
            Err(motcua_cccd::Error::QrField { index, reason, .. }) => {
                Err(UnknownReason::BadCccd { field: Some(index), reason })
            }
            Err(_) => Err(UnknownReason::BadCccd { field: None, reason: "malformed" }),
        };
    }
    receipt_text(&text)
}

/// `CODE`, `CODE|SECRET` or `CODE SECRET`.
fn receipt_text(text: &str) -> Result<Payload, UnknownReason> {
    if let Ok(code) = DossierCode::parse(text) {
        return Ok(Payload::Receipt { code, secret: None });
    }
    let parts: Vec<&str> =
        if text.contains('|') { text.split('|').map(str::trim).collect() } else { text.split_whitespace().collect() };
    match parts.as_slice() {
        [code, secret] if looks_like_code(code) => {
            let code = DossierCode::parse(code).map_err(UnknownReason::BadCode)?;
            if !is_valid_secret(secret) {
                return Err(UnknownReason::BadSecret);
            }
            Ok(Payload::Receipt { code, secret: Some((*secret).to_owned()) })
        }
        _ if looks_like_code(text) => {
            Err(UnknownReason::BadCode(DossierCode::parse(text).err().unwrap_or(CodeError::TooShort { len: 0 })))
        }
        _ => Err(UnknownReason::NotRecognised),
    }
}

/// Starts like a dossier code (`DDD.`), so an error about it is more useful than "unknown".
fn looks_like_code(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b, [a, b, c, b'.', ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit())
}

/// The part after `http://` or `https://` (scheme in any case).
fn strip_scheme(text: &str) -> Option<&str> {
    ["https://", "http://"].iter().find_map(|scheme| {
        let head = text.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme).then(|| text.get(scheme.len()..)).flatten()
    })
}

fn portal_url(rest: &str) -> Result<Payload, UnknownReason> {
    let before_fragment = rest.split('#').next().unwrap_or_default();
    let (authority_path, query) = match before_fragment.split_once('?') {
        Some((a, q)) => (a, q),
        None => (before_fragment, ""),
    };
    let host = authority_path.split('/').next().unwrap_or_default();
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err(UnknownReason::BadUrl);
    }
    let mut code: Option<String> = None;
    let mut secret: Option<String> = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(k)?;
        let value = percent_decode(v)?;
        let value: String = value.trim().nfc().collect();
        let slot = if CODE_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(&key)) {
            &mut code
        } else if SECRET_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(&key)) {
            &mut secret
        } else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        match slot {
            Some(existing) if *existing != value => return Err(UnknownReason::Conflicting),
            _ => *slot = Some(value),
        }
    }
    let code = code.ok_or(UnknownReason::UrlWithoutCode)?;
    let code = DossierCode::parse(&code).map_err(UnknownReason::BadCode)?;
    if let Some(s) = &secret
        && !is_valid_secret(s)
    {
        return Err(UnknownReason::BadSecret);
    }
    Ok(Payload::Receipt { code, secret })
}

/// Decodes `%XX` escapes and `+` (form encoding's space).
fn percent_decode(s: &str) -> Result<String, UnknownReason> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = bytes.next().and_then(hex_val);
                let lo = bytes.next().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(UnknownReason::BadUrl),
                }
            }
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
    }
    String::from_utf8(out).map_err(|_| UnknownReason::BadUrl)
}

fn hex_val(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_accessors() {
        let c = DossierCode::parse(" 000.00.12.h62-201105-0004\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.as_str(), "000.00.12.H62-201105-0004");
        assert_eq!(c.agency(), "000.00.12.H62");
        assert_eq!(c.agency_class(), 'H');
        assert_eq!(c.received_on(), (2020, 11, 5));
        assert_eq!(c.sequence(), 4);
    }

    #[test]
    fn leap_days() {
        assert!(DossierCode::parse("000.00.12.H62-240229-0001").is_ok());
        assert_eq!(DossierCode::parse("000.00.12.H62-250229-0001"), Err(CodeError::BadDate));
        assert_eq!(DossierCode::parse("000.00.12.H62-000229-0001").map(|c| c.received_on().0), Ok(2000));
    }
}
