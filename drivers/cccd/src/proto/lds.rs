//! LDS1 file structures (ICAO 9303-10): BER-TLV, EF.COM, DG1.
//!
//! Does not implement: DG2, DG13 (planned), DG14, DG15, EF.SOD.

use super::mrz::Mrz;
use crate::{Error, Result};

/// One BER-TLV: (tag as up to 3 bytes big-endian, value, rest). Definite lengths up to 3 bytes.
pub fn tlv(b: &[u8]) -> Option<(u32, &[u8], &[u8])> {
    let (&t0, mut rest) = b.split_first()?;
    let mut tag = u32::from(t0);
    if t0 & 0x1F == 0x1F {
        for _ in 0..2 {
            let (&t, r) = rest.split_first()?;
            rest = r;
            tag = (tag << 8) | u32::from(t);
            if t & 0x80 == 0 {
                break;
            }
        }
    }
    let (&l0, mut rest) = rest.split_first()?;
    let len = match l0 {
        0x00..=0x7F => usize::from(l0),
        0x81..=0x83 => {
            let n = usize::from(l0 & 0x7F);
            let bytes = rest.get(..n)?;
            rest = rest.get(n..)?;
            bytes.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x))
        }
        _ => return None,
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// Total encoded length of the TLV whose first bytes are `head`, if `head` holds its header.
pub fn encoded_len(head: &[u8]) -> Option<usize> {
    let (&t0, rest) = head.split_first()?;
    let mut idx = 1;
    if t0 & 0x1F == 0x1F {
        idx += 1;
        if rest.first()? & 0x80 != 0 {
            idx += 1;
        }
    }
    let l0 = *head.get(idx)?;
    let (len, hdr) = match l0 {
        0x00..=0x7F => (usize::from(l0), idx + 1),
        0x81..=0x83 => {
            let n = usize::from(l0 & 0x7F);
            let bytes = head.get(idx + 1..idx + 1 + n)?;
            (bytes.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)), idx + 1 + n)
        }
        _ => return None,
    };
    len.checked_add(hdr)
}

/// A data group or elementary file of the eMRTD applet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataGroup {
    /// EF.COM (011E).
    Com,
    /// DG1, the MRZ (0101).
    Dg1,
    /// DG2, the face (0102).
    Dg2,
    /// DG13, Vietnamese personal data (010D).
    Dg13,
    /// DG14, security infos (010E).
    Dg14,
    /// DG15, active authentication key (010F).
    Dg15,
    /// EF.SOD (011D).
    Sod,
}

impl DataGroup {
    /// The file identifier.
    pub fn fid(self) -> u16 {
        match self {
            DataGroup::Com => 0x011E,
            DataGroup::Dg1 => 0x0101,
            DataGroup::Dg2 => 0x0102,
            DataGroup::Dg13 => 0x010D,
            DataGroup::Dg14 => 0x010E,
            DataGroup::Dg15 => 0x010F,
            DataGroup::Sod => 0x011D,
        }
    }

    /// The data group number as listed in the SOD (`None` for EF.COM and EF.SOD).
    pub fn number(self) -> Option<u8> {
        match self {
            DataGroup::Dg1 => Some(1),
            DataGroup::Dg2 => Some(2),
            DataGroup::Dg13 => Some(13),
            DataGroup::Dg14 => Some(14),
            DataGroup::Dg15 => Some(15),
            DataGroup::Com | DataGroup::Sod => None,
        }
    }

    /// The data group with SOD number `n` (1, 2, 13, 14, 15).
    pub fn from_number(n: u8) -> Option<Self> {
        [DataGroup::Dg1, DataGroup::Dg2, DataGroup::Dg13, DataGroup::Dg14, DataGroup::Dg15]
            .into_iter()
            .find(|dg| dg.number() == Some(n))
    }

    /// The data group for an EF.COM tag (`61` = DG1, `75` = DG2, `6D` = DG13 …).
    pub fn from_tag(tag: u8) -> Option<Self> {
        Some(match tag {
            0x61 => DataGroup::Dg1,
            0x75 => DataGroup::Dg2,
            0x6D => DataGroup::Dg13,
            0x6E => DataGroup::Dg14,
            0x6F => DataGroup::Dg15,
            _ => return None,
        })
    }
}

/// EF.COM: LDS version and the list of data-group tags present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EfCom {
    /// LDS version, e.g. `"0107"`.
    pub lds_version: String,
    /// Unicode version, e.g. `"040000"`.
    pub unicode_version: String,
    /// Data-group tags listed (`61`, `75`, …), including ones this crate does not know.
    pub tags: Vec<u8>,
}

impl EfCom {
    /// Parses `60 { 5F01 … 5F36 … 5C … }`.
    pub fn parse(b: &[u8]) -> Result<Self> {
        let (tag, mut v, _) = tlv(b).ok_or(Error::Lds("EF.COM is not a TLV"))?;
        if tag != 0x60 {
            return Err(Error::Lds("EF.COM tag is not 60"));
        }
        let mut com = EfCom { lds_version: String::new(), unicode_version: String::new(), tags: Vec::new() };
        while !v.is_empty() {
            let (t, val, rest) = tlv(v).ok_or(Error::Lds("EF.COM content is malformed"))?;
            let text = || String::from_utf8(val.to_vec()).map_err(|_| Error::Lds("EF.COM version is not text"));
            match t {
                0x5F01 => com.lds_version = text()?,
                0x5F36 => com.unicode_version = text()?,
                0x5C => com.tags = val.to_vec(),
                _ => {}
            }
            v = rest;
        }
        Ok(com)
    }

    /// The data groups listed that this crate knows.
    pub fn data_groups(&self) -> Vec<DataGroup> {
        self.tags.iter().filter_map(|&t| DataGroup::from_tag(t)).collect()
    }
}

/// Parses DG1 (`61 { 5F1F <MRZ> }`) into the MRZ.
pub fn parse_dg1(b: &[u8]) -> Result<Mrz> {
    let (tag, v, _) = tlv(b).ok_or(Error::Lds("DG1 is not a TLV"))?;
    if tag != 0x61 {
        return Err(Error::Lds("DG1 tag is not 61"));
    }
    let (t, mrz, _) = tlv(v).ok_or(Error::Lds("DG1 content is malformed"))?;
    if t != 0x5F1F {
        return Err(Error::Lds("DG1 has no 5F1F MRZ"));
    }
    Mrz::parse(std::str::from_utf8(mrz).map_err(|_| Error::Lds("DG1 MRZ is not ASCII"))?)
}

/// Builds DG1 from MRZ text (used by the simulated chip and tests).
pub fn build_dg1(mrz: &str) -> Vec<u8> {
    let m: Vec<u8> = mrz.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let mut inner = vec![0x5F, 0x1F];
    push_len(&mut inner, m.len());
    inner.extend_from_slice(&m);
    let mut out = vec![0x61];
    push_len(&mut out, inner.len());
    out.extend_from_slice(&inner);
    out
}

/// Appends a BER definite length.
pub fn push_len(v: &mut Vec<u8>, len: usize) {
    match len {
        0..=0x7F => v.push(len as u8),
        0x80..=0xFF => v.extend_from_slice(&[0x81, len as u8]),
        _ => v.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_icao_d4_ef_com() {
        let b = hex::decode("60145F0104303130365F36063034303030305C026175").unwrap();
        let com = EfCom::parse(&b).unwrap();
        assert_eq!(com.lds_version, "0106");
        assert_eq!(com.unicode_version, "040000");
        assert_eq!(com.data_groups(), vec![DataGroup::Dg1, DataGroup::Dg2]);
        assert_eq!(encoded_len(&b[..4]), Some(22));
    }

    #[test]
    fn dg1_round_trips_the_cccd_md_mrz() {
        let mrz = "IDVNM0990123459001099012345<<0\n9903159M2403155VNM<<<<<<<<<<<2\nNGUYEN<<VAN<A<<<<<<<<<<<<<<<<<";
        let dg1 = build_dg1(mrz);
        assert_eq!(&dg1[..5], &[0x61, 0x5D, 0x5F, 0x1F, 0x5A]);
        assert_eq!(parse_dg1(&dg1).unwrap().document_number, "099012345");
    }

    #[test]
    fn truncated_tlvs_are_errors() {
        let dg1 = build_dg1(&"<".repeat(90));
        for n in 0..dg1.len() {
            assert!(parse_dg1(&dg1[..n]).is_err());
        }
        assert_eq!(tlv(&[0x5F]), None);
        assert_eq!(tlv(&[0x04, 0x84, 0, 0, 0, 1]), None);
    }
}
