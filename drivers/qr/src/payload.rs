//! From error-corrected data codewords to text: the QR segment stream (ISO/IEC 18004 §7.4) parsed
//! into bytes, then strict UTF-8, then NFC.
//!
//! The bytes are taken exactly as encoded: numeric and alphanumeric segments are ASCII, byte
//! segments are copied, an ECI of UTF-8 (26) or US-ASCII (27, 170) changes nothing and ISO-8859-1
//! (1, 3) is transcoded. Without an ECI the bytes must be UTF-8 (ISO 18004's default of Latin-1 is
//! what no receipt printer writes and would turn a misread into mojibake instead of a rejection).
//! Anything else (Kanji/Hanzi segments, other ECIs, structured append, FNC1) is rejected whole:
//! a part of a payload is never returned.

use unicode_normalization::UnicodeNormalization;

/// Why a code that was read (its error correction checked out) gives no payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reject {
    /// The bytes are not UTF-8.
    InvalidUtf8,
    /// A character set other than UTF-8, ASCII or ISO-8859-1 (its ECI number).
    UnsupportedEci(u32),
    /// A segment mode receipts never use (Kanji, Hanzi, FNC1, structured append).
    UnsupportedMode(u8),
    /// The segment stream is cut short or holds an invalid value.
    Malformed,
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reject::InvalidUtf8 => write!(f, "payload is not UTF-8"),
            Reject::UnsupportedEci(e) => write!(f, "unsupported character set (ECI {e})"),
            Reject::UnsupportedMode(m) => write!(f, "unsupported QR segment mode {m:#06b}"),
            Reject::Malformed => write!(f, "malformed QR segment stream"),
        }
    }
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn left(&self) -> usize {
        self.data.len() * 8 - self.pos
    }
    fn read(&mut self, n: usize) -> Result<u32, Reject> {
        if n > self.left() {
            return Err(Reject::Malformed);
        }
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.data[self.pos / 8];
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Ok(v)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Latin1,
    Ascii,
}

const ALNUM: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// The bytes of a QR symbol's data codewords (error-corrected, padding included) for `version`
/// (1..=40), as the text they encode.
pub fn text_from_codewords(data: &[u8], version: u32) -> Result<String, Reject> {
    let bytes = bytes_from_codewords(data, version)?;
    let text = String::from_utf8(bytes).map_err(|_| Reject::InvalidUtf8)?;
    Ok(nfc(&text))
}

/// NFC form of `s` (borrowing nothing: receipts are short).
pub fn nfc(s: &str) -> String {
    if unicode_normalization::is_nfc(s) { s.to_owned() } else { s.nfc().collect() }
}

/// The segment stream decoded to bytes (UTF-8 when the stream declared another supported charset).
pub fn bytes_from_codewords(data: &[u8], version: u32) -> Result<Vec<u8>, Reject> {
    if !(1..=40).contains(&version) {
        return Err(Reject::Malformed);
    }
    let group = match version {
        1..=9 => 0,
        10..=26 => 1,
        _ => 2,
    };
    let mut bits = Bits { data, pos: 0 };
    let mut out = Vec::with_capacity(data.len());
    let mut charset = Charset::Utf8;
    loop {
        // Fewer than 4 bits left: the terminator may be cut short (§7.4.9).
        if bits.left() < 4 {
            break;
        }
        let mode = bits.read(4)? as u8;
        match mode {
            0b0000 => break,
            0b0001 => {
                let mut count = bits.read([10, 12, 14][group])?;
                while count >= 3 {
                    let v = bits.read(10)?;
                    if v > 999 {
                        return Err(Reject::Malformed);
                    }
                    out.extend_from_slice(format!("{v:03}").as_bytes());
                    count -= 3;
                }
                if count == 2 {
                    let v = bits.read(7)?;
                    if v > 99 {
                        return Err(Reject::Malformed);
                    }
                    out.extend_from_slice(format!("{v:02}").as_bytes());
                } else if count == 1 {
                    let v = bits.read(4)?;
                    if v > 9 {
                        return Err(Reject::Malformed);
                    }
                    out.push(b'0' + v as u8);
                }
            }
            0b0010 => {
                let mut count = bits.read([9, 11, 13][group])?;
                while count >= 2 {
                    let v = bits.read(11)? as usize;
                    if v >= 45 * 45 {
                        return Err(Reject::Malformed);
                    }
                    out.push(ALNUM[v / 45]);
                    out.push(ALNUM[v % 45]);
                    count -= 2;
                }
                if count == 1 {
                    let v = bits.read(6)? as usize;
                    out.push(*ALNUM.get(v).ok_or(Reject::Malformed)?);
                }
            }
            0b0100 => {
                let count = bits.read([8, 16, 16][group])? as usize;
                if count * 8 > bits.left() {
                    return Err(Reject::Malformed);
                }
                for _ in 0..count {
                    let b = bits.read(8)? as u8;
                    match charset {
                        Charset::Utf8 => out.push(b),
                        Charset::Ascii if b < 0x80 => out.push(b),
                        Charset::Ascii => return Err(Reject::InvalidUtf8),
                        Charset::Latin1 => {
                            let mut buf = [0u8; 2];
                            out.extend_from_slice(char::from(b).encode_utf8(&mut buf).as_bytes());
                        }
                    }
                }
            }
            0b0111 => {
                // ECI designator: 1, 2 or 3 bytes (§7.4.2.2).
                let first = bits.read(8)?;
                let eci = if first & 0x80 == 0 {
                    first
                } else if first & 0xC0 == 0x80 {
                    ((first & 0x3F) << 8) | bits.read(8)?
                } else if first & 0xE0 == 0xC0 {
                    ((first & 0x1F) << 16) | bits.read(16)?
                } else {
                    return Err(Reject::Malformed);
                };
                charset = match eci {
                    26 => Charset::Utf8,
                    1 | 3 => Charset::Latin1,
                    27 | 170 => Charset::Ascii,
                    other => return Err(Reject::UnsupportedEci(other)),
                };
            }
            other => return Err(Reject::UnsupportedMode(other)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit writer for hand-built segment streams.
    struct W(Vec<bool>);
    impl W {
        fn put(&mut self, v: u32, n: usize) -> &mut Self {
            for i in (0..n).rev() {
                self.0.push((v >> i) & 1 == 1);
            }
            self
        }
        fn bytes(&self) -> Vec<u8> {
            self.0
                .chunks(8)
                .map(|c| c.iter().enumerate().fold(0u8, |a, (i, b)| a | (u8::from(*b) << (7 - i))))
                .collect()
        }
    }

    #[test]
    fn numeric_alnum_byte_mixed() {
        let mut w = W(Vec::new());
        w.put(0b0010, 4).put(3, 9).put(10 * 45 + 11, 11).put(12, 6); // "ABC"
        w.put(0b0001, 4).put(4, 10).put(123, 10).put(4, 4); // "1234"
        w.put(0b0100, 4).put(2, 8).put(u32::from(b'x'), 8).put(u32::from(b'y'), 8);
        w.put(0, 4);
        let mut b = w.bytes();
        b.extend([0xEC, 0x11]);
        assert_eq!(text_from_codewords(&b, 1).as_deref(), Ok("ABC1234xy"));
    }

    #[test]
    fn truncated_segment_is_rejected_not_cut() {
        let mut w = W(Vec::new());
        w.put(0b0100, 4).put(5, 8).put(u32::from(b'a'), 8);
        assert_eq!(text_from_codewords(&w.bytes(), 1), Err(Reject::Malformed));
    }

    #[test]
    fn utf8_is_strict_and_nfc() {
        // "Hồ" in NFD: H, o, U+0302, U+0300
        let nfd = "Ho\u{302}\u{300}";
        let mut w = W(Vec::new());
        w.put(0b0100, 4).put(nfd.len() as u32, 8);
        for b in nfd.bytes() {
            w.put(u32::from(b), 8);
        }
        w.put(0, 4);
        assert_eq!(text_from_codewords(&w.bytes(), 1).as_deref(), Ok("H\u{1ed3}"));

        let mut w = W(Vec::new());
        w.put(0b0100, 4).put(2, 8).put(0xC3, 8).put(0x28, 8).put(0, 4);
        assert_eq!(text_from_codewords(&w.bytes(), 1), Err(Reject::InvalidUtf8));
    }

    #[test]
    fn latin1_eci_is_transcoded_other_eci_rejected() {
        let mut w = W(Vec::new());
        w.put(0b0111, 4).put(3, 8).put(0b0100, 4).put(1, 8).put(0xE9, 8).put(0, 4);
        assert_eq!(text_from_codewords(&w.bytes(), 1).as_deref(), Ok("é"));
        let mut w = W(Vec::new());
        w.put(0b0111, 4).put(20, 8).put(0b0100, 4).put(1, 8).put(0x41, 8).put(0, 4);
        assert_eq!(text_from_codewords(&w.bytes(), 1), Err(Reject::UnsupportedEci(20)));
    }

    #[test]
    fn kanji_and_structured_append_rejected() {
        let mut w = W(Vec::new());
        w.put(0b0011, 4).put(0, 16).put(0b0100, 4).put(1, 8).put(65, 8);
        assert_eq!(text_from_codewords(&w.bytes(), 1), Err(Reject::UnsupportedMode(0b0011)));
        let mut w = W(Vec::new());
        w.put(0b1000, 4).put(1, 8).put(0, 13);
        assert_eq!(text_from_codewords(&w.bytes(), 1), Err(Reject::UnsupportedMode(0b1000)));
    }

    #[test]
    fn never_panics_on_any_codewords() {
        let mut x = 0x1234_5678_u32;
        for len in 0..64 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            for v in [0, 1, 9, 10, 26, 27, 40, 41] {
                let _ = text_from_codewords(&data, v);
            }
        }
    }
}
