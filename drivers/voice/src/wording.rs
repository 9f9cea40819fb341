//! What an announcement says, as parts a voice can speak: fixed phrases, letter and digit names,
//! the counter number.
//!
//! The ticket number is read letter by letter and digit by digit ("A023" → "a, không, hai,
//! ba"): in a noisy hall "hai mươi ba" and "hai ba" are easy to confuse with other numbers, digits
//! are not. The counter is read as a number ("quầy số mười hai"), as people say it.

/// One spoken part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// The chime before an announcement.
    Chime,
    /// "Mời công dân có số".
    Invite,
    /// "đến quầy số".
    ToCounter,
    /// A letter A–Z.
    Letter(char),
    /// A digit 0–9.
    Digit(u8),
    /// A counter number.
    Counter(u32),
    /// Free text (from a custom template).
    Text(String),
}

impl Part {
    /// The clip file this part is recorded in.
    pub fn clip_name(&self) -> String {
        match self {
            Part::Chime => "chime".into(),
            Part::Invite => "moi-cong-dan-co-so".into(),
            Part::ToCounter => "den-quay-so".into(),
            Part::Letter(c) => format!("letter-{}", c.to_ascii_lowercase()),
            Part::Digit(d) => format!("digit-{d}"),
            Part::Counter(n) => format!("counter-{n}"),
            Part::Text(t) => format!("text-{t}"),
        }
    }

    /// The words espeak-ng should say for this part (empty for the chime).
    pub fn words(&self) -> String {
        match self {
            Part::Chime => String::new(),
            Part::Invite => "Mời công dân có số".into(),
            Part::ToCounter => "đến quầy số".into(),
            Part::Letter(c) => letter_name(*c).into(),
            Part::Digit(d) => DIGITS.get(usize::from(*d)).copied().unwrap_or("").into(),
            Part::Counter(n) => number_words(*n),
            Part::Text(t) => t.clone(),
        }
    }
}

const DIGITS: [&str; 10] = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"];

/// The Vietnamese name of a Latin letter as read aloud.
fn letter_name(c: char) -> &'static str {
    match c.to_ascii_uppercase() {
        'A' => "a",
        'B' => "bê",
        'C' => "xê",
        'D' => "dê",
        'E' => "e",
        'F' => "ép",
        'G' => "giê",
        'H' => "hát",
        'I' => "i",
        'J' => "gi",
        'K' => "ca",
        'L' => "e lờ",
        'M' => "em mờ",
        'N' => "en nờ",
        'O' => "o",
        'P' => "pê",
        'Q' => "quy",
        'R' => "e rờ",
        'S' => "ét xì",
        'T' => "tê",
        'U' => "u",
        'V' => "vê",
        'W' => "vê kép",
        'X' => "ích xì",
        'Y' => "i dài",
        'Z' => "dét",
        _ => "",
    }
}

/// A number in Vietnamese words (0–9999), with the usual sound changes: "mười lăm", "hai mươi
/// mốt", "hai mươi tư", "một trăm linh năm".
pub fn number_words(n: u32) -> String {
    fn below_100(n: u32, after_hundred: bool) -> Vec<&'static str> {
        let (tens, ones) = (n / 10, n % 10);
        let mut w = Vec::new();
        match tens {
            0 => {
                if after_hundred && ones > 0 {
                    w.push("linh");
                }
                if ones > 0 || !after_hundred {
                    w.push(DIGITS[ones as usize]);
                }
                return w;
            }
            1 => w.push("mười"),
            t => {
                w.push(DIGITS[t as usize]);
                w.push("mươi");
            }
        }
        match ones {
            0 => {}
            1 if tens >= 2 => w.push("mốt"),
            4 if tens >= 2 => w.push("tư"),
            5 => w.push("lăm"),
            o => w.push(DIGITS[o as usize]),
        }
        w
    }
    let n = n.min(9999);
    let mut words: Vec<&str> = Vec::new();
    let (thousands, hundreds, rest) = (n / 1000, (n / 100) % 10, n % 100);
    if thousands > 0 {
        words.push(DIGITS[thousands as usize]);
        words.push("nghìn");
    }
    if hundreds > 0 || (thousands > 0 && rest > 0) {
        words.push(DIGITS[hundreds as usize]);
        words.push("trăm");
    }
    if rest > 0 || n == 0 {
        words.extend(below_100(rest, thousands > 0 || hundreds > 0));
    }
    words.join(" ")
}

/// The announcement template: `{number}` and `{counter}` are replaced; the default is
/// "Mời công dân có số {number} đến quầy số {counter}".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    template: String,
    chime: bool,
}

impl Default for Wording {
    fn default() -> Self {
        Self { template: DEFAULT_TEMPLATE.into(), chime: true }
    }
}

/// The default wording.
pub const DEFAULT_TEMPLATE: &str = "Mời công dân có số {number} đến quầy số {counter}";

impl Wording {
    /// A custom template (must contain `{number}`; `{counter}` is optional).
    pub fn new(template: &str, chime: bool) -> Option<Self> {
        template.contains("{number}").then(|| Self { template: template.into(), chime })
    }

    /// The parts for calling `number` to `counter`.
    pub fn parts(&self, number: &str, counter: u32) -> Vec<Part> {
        let mut parts = Vec::new();
        if self.chime {
            parts.push(Part::Chime);
        }
        let mut rest = self.template.as_str();
        while !rest.is_empty() {
            let next = [("{number}", 0), ("{counter}", 1)]
                .iter()
                .filter_map(|(k, i)| rest.find(k).map(|p| (p, *k, *i)))
                .min_by_key(|(p, _, _)| *p);
            let Some((pos, key, which)) = next else {
                push_text(&mut parts, rest);
                break;
            };
            push_text(&mut parts, &rest[..pos]);
            if which == 0 {
                for c in number.chars() {
                    match c {
                        'A'..='Z' | 'a'..='z' => parts.push(Part::Letter(c.to_ascii_uppercase())),
                        '0'..='9' => parts.push(Part::Digit(c as u8 - b'0')),
                        _ => {}
                    }
                }
            } else {
                parts.push(Part::Counter(counter));
            }
            rest = &rest[pos + key.len()..];
        }
        parts
    }
}

/// Fixed phrases of the default template become their own clip parts; anything else is text.
fn push_text(parts: &mut Vec<Part>, text: &str) {
    let t = text.trim();
    if t.is_empty() {
        return;
    }
    match t {
        "Mời công dân có số" => parts.push(Part::Invite),
        "đến quầy số" => parts.push(Part::ToCounter),
        other => parts.push(Part::Text(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_wording_reads_the_number_digit_by_digit() {
        let p = Wording::default().parts("A023", 3);
        assert_eq!(
            p,
            [
                Part::Chime,
                Part::Invite,
                Part::Letter('A'),
                Part::Digit(0),
                Part::Digit(2),
                Part::Digit(3),
                Part::ToCounter,
                Part::Counter(3)
            ]
        );
        let words: Vec<String> = p.iter().map(Part::words).filter(|w| !w.is_empty()).collect();
        assert_eq!(words.join(" "), "Mời công dân có số a không hai ba đến quầy số ba");
    }

    #[test]
    fn counter_numbers_are_read_as_people_say_them() {
        let cases = [
            (1, "một"),
            (10, "mười"),
            (12, "mười hai"),
            (15, "mười lăm"),
            (21, "hai mươi mốt"),
            (24, "hai mươi tư"),
            (25, "hai mươi lăm"),
            (30, "ba mươi"),
            (105, "một trăm linh năm"),
            (110, "một trăm mười"),
            (1000, "một nghìn"),
            (1005, "một nghìn không trăm linh năm"),
        ];
        for (n, w) in cases {
            assert_eq!(number_words(n), w, "{n}");
        }
    }

    #[test]
    fn custom_template_keeps_free_text_and_needs_the_number() {
        assert!(Wording::new("Xin mời quầy {counter}", true).is_none());
        let w = Wording::new("Xin mời số {number} tới quầy {counter} ạ", false).expect("template");
        let p = w.parts("B7", 12);
        assert_eq!(p.first(), Some(&Part::Text("Xin mời số".into())));
        assert_eq!(p.last(), Some(&Part::Text("ạ".into())));
        assert!(p.contains(&Part::Counter(12)));
        assert!(!p.contains(&Part::Chime));
    }
}
