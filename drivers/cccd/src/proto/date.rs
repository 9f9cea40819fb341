//! A calendar date as printed on the card (no time zone, no time).

/// A validated Gregorian date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year, e.g. 1999.
    pub year: u16,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl Date {
    /// A date, if it exists in the calendar (years 1900–2999: card dates, not history).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        ((1900..3000).contains(&year) && day >= 1 && day <= days_in_month(year, month)).then_some(Self {
            year,
            month,
            day,
        })
    }

    /// Parses `DDMMYYYY` (the QR code's format).
    pub fn parse_ddmmyyyy(s: &str) -> Option<Self> {
        if s.len() != 8 {
            return None;
        }
        let d = digits(s.get(0..2)?)?;
        let m = digits(s.get(2..4)?)?;
        let y = digits(s.get(4..8)?)?;
        Self::new(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
    }

    /// Parses `dd/mm/yyyy` (DG13's format).
    pub fn parse_dd_mm_yyyy(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b.get(2) != Some(&b'/') || b.get(5) != Some(&b'/') {
            return None;
        }
        let d = digits(s.get(0..2)?)?;
        let m = digits(s.get(3..5)?)?;
        let y = digits(s.get(6..10)?)?;
        Self::new(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
    }

    /// The MRZ's `YYMMDD` form.
    pub fn yymmdd(&self) -> String {
        format!("{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }
}
