//! The ATR (ISO/IEC 7816-3 §8.2): where its historical bytes are, and whether they announce
//! extended Lc/Le (card capabilities, ISO/IEC 7816-4 §8.1.1.2.7). Contactless readers build a
//! pseudo-ATR from the card's ATS or ATQB (PC/SC part 3), so the same rules apply there.
//!
//! Does not implement: checking TCK, reading interface bytes beyond finding their end.

/// Whether the ATR's historical bytes announce extended Lc/Le (card capabilities, compact-TLV
/// tag `7x`, third byte bit `0x40`). `false` when the ATR does not say (e.g. contactless
/// pseudo-ATRs).
pub fn supports_extended_length(atr: &[u8]) -> bool {
    historical_bytes(atr).is_some_and(|h| {
        let mut rest = match h.split_first() {
            Some((0x80, rest)) => rest,
            _ => return false,
        };
        while let Some((&tl, r)) = rest.split_first() {
            let len = usize::from(tl & 0x0F);
            let Some(value) = r.get(..len) else { return false };
            if tl >> 4 == 0x7 {
                return value.get(2).is_some_and(|b| b & 0x40 != 0);
            }
            rest = r.get(len..).unwrap_or_default();
        }
        false
    })
}

/// The historical bytes of an ATR (ISO 7816-3 §8.2), if its interface bytes parse.
pub fn historical_bytes(atr: &[u8]) -> Option<&[u8]> {
    let t0 = *atr.get(1)?;
    let k = usize::from(t0 & 0x0F);
    let mut idx = 2usize;
    let mut y = t0 >> 4;
    loop {
        let count = (y & 0x0F).count_ones() as usize;
        let td = if y & 0x08 != 0 { Some(*atr.get(idx + count - 1)?) } else { None };
        idx += count;
        match td {
            Some(td) => y = td >> 4,
            None => break,
        }
    }
    atr.get(idx..idx + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_chips_atrs_say_what_they_mean() {
        let ext = [0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0x40, 0x56];
        assert_eq!(historical_bytes(&ext), Some(&ext[4..9]));
        assert!(supports_extended_length(&ext));
        let short = [0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0x00, 0x16];
        assert!(!supports_extended_length(&short));
        // The contactless pseudo-ATR with no historical bytes says nothing.
        assert!(!supports_extended_length(&[0x3B, 0x80, 0x80, 0x01, 0x01]));
    }

    #[test]
    fn truncated_atrs_are_not_read_past_their_end() {
        let ext = [0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0x40, 0x56];
        for n in 0..ext.len() - 1 {
            assert!(!supports_extended_length(&ext[..n]), "prefix {n}");
        }
        assert_eq!(historical_bytes(&[0x3B, 0xF0]), None);
    }
}
