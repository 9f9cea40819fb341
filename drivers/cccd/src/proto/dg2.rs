//! DG2, the encoded face (ICAO 9303-10 §4.7.2; ISO/IEC 19794-5:2005 facial record inside the
//! biometric information template).
//!
//! `75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E|7F2E data } … } }`; the data block is a
//! `FAC\0` record whose first facial image carries its image data type (0 = JPEG,
//! 1 = JPEG 2000). The image bytes are checked against the format's magic number.
//!
//! The image is personal, sensitive data: [`FaceImage`] is not `Serialize`, its `Debug` prints
//! only the format and length, and its bytes are zeroed when it is dropped. Nothing in this
//! crate writes it anywhere.
//!
//! Does not implement: ISO/IEC 39794-5 (the 2020s extensible encoding), more than the first
//! face, feature points beyond skipping them.

use zeroize::Zeroize;

use super::der::Reader;
use crate::{Error, Result};

/// The image encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG (image data type 0).
    Jpeg,
    /// JPEG 2000 (image data type 1).
    Jpeg2000,
}

/// The face image, held in memory only.
pub struct FaceImage {
    /// Format of [`FaceImage::bytes`].
    pub format: ImageFormat,
    /// Width in pixels, from the record header.
    pub width: u16,
    /// Height in pixels, from the record header.
    pub height: u16,
    bytes: Vec<u8>,
}

impl FaceImage {
    /// The encoded image (JPEG or JPEG 2000 bytes), e.g. to show it on the officer's screen.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for FaceImage {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl std::fmt::Debug for FaceImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceImage")
            .field("format", &self.format)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

fn be(b: &[u8]) -> usize {
    b.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x))
}

/// Parses DG2 and returns the first face image.
pub fn parse_dg2(b: &[u8]) -> Result<FaceImage> {
    let mut file = Reader::new(b, "malformed DG2");
    let mut group = Reader::new(file.expect(0x75)?, "malformed DG2");
    let mut bit_group = Reader::new(group.expect(0x7F61)?, "malformed DG2 template group");
    let count = bit_group.expect(0x02)?;
    if count.is_empty() || count == [0] {
        return Err(Error::Lds("DG2 holds no biometric template"));
    }
    let mut bit = Reader::new(bit_group.expect(0x7F60)?, "malformed DG2 template");
    bit.expect(0xA1)?;
    let data = match bit.peek_tag() {
        Some(0x5F2E) => bit.expect(0x5F2E)?,
        Some(0x7F2E) => bit.expect(0x7F2E)?,
        _ => return Err(Error::Lds("DG2 template has no biometric data block")),
    };
    parse_facial_record(data)
}

/// Parses an ISO/IEC 19794-5 facial record block (`FAC\0`…) and returns its first image.
pub fn parse_facial_record(d: &[u8]) -> Result<FaceImage> {
    let err = Error::Lds;
    if d.get(..4) != Some(b"FAC\0") {
        return Err(err("DG2: not an ISO 19794-5 facial record"));
    }
    let record_len = be(d.get(8..12).ok_or(err("DG2: truncated record header"))?);
    let faces = be(d.get(12..14).ok_or(err("DG2: truncated record header"))?);
    if faces == 0 || record_len > d.len() || record_len < 14 {
        return Err(err("DG2: record length or face count is inconsistent"));
    }
    let face = d.get(14..record_len).ok_or(err("DG2: truncated facial record"))?;
    let face_len = be(face.get(0..4).ok_or(err("DG2: truncated facial header"))?);
    let points = be(face.get(4..6).ok_or(err("DG2: truncated facial header"))?);
    let face = face.get(..face_len).ok_or(err("DG2: facial record longer than the block"))?;
    let info_at =
        20usize.checked_add(points.checked_mul(8).ok_or(err("DG2: bad feature points"))?).ok_or(err("DG2"))?;
    let info = face.get(info_at..info_at + 12).ok_or(err("DG2: truncated image information"))?;
    let (data_type, width, height) = match info {
        [_, t, w0, w1, h0, h1, ..] => (*t, u16::from_be_bytes([*w0, *w1]), u16::from_be_bytes([*h0, *h1])),
        _ => return Err(err("DG2: truncated image information")),
    };
    let image = face.get(info_at + 12..).filter(|i| !i.is_empty()).ok_or(err("DG2: no image data"))?;
    let format = match data_type {
        0 => ImageFormat::Jpeg,
        1 => ImageFormat::Jpeg2000,
        _ => return Err(err("DG2: unknown image data type")),
    };
    let magic_ok = match format {
        ImageFormat::Jpeg => image.starts_with(&[0xFF, 0xD8, 0xFF]),
        ImageFormat::Jpeg2000 => {
            image.starts_with(&[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20])
                || image.starts_with(&[0xFF, 0x4F, 0xFF, 0x51])
        }
    };
    if !magic_ok {
        return Err(err("DG2: image data does not match its declared format"));
    }
    Ok(FaceImage { format, width, height, bytes: image.to_vec() })
}

/// Builds a DG2 around `image` (for the simulated chip and tests): one face, no feature points.
pub fn build_dg2(image: &[u8], format: ImageFormat, width: u16, height: u16) -> Vec<u8> {
    use super::der::enc;
    let mut info = vec![0x01, if format == ImageFormat::Jpeg { 0 } else { 1 }];
    info.extend_from_slice(&width.to_be_bytes());
    info.extend_from_slice(&height.to_be_bytes());
    info.extend_from_slice(&[0x01, 0x02, 0x00, 0x00, 0x00, 0x00]);
    let face_len = 20 + info.len() + image.len();
    let mut face = u32::try_from(face_len).unwrap_or(u32::MAX).to_be_bytes().to_vec();
    face.extend_from_slice(&[
        0x00, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]);
    face.extend_from_slice(&info);
    face.extend_from_slice(image);
    let mut rec = b"FAC\x00010\x00".to_vec();
    rec.extend_from_slice(&u32::try_from(14 + face.len()).unwrap_or(u32::MAX).to_be_bytes());
    rec.extend_from_slice(&[0x00, 0x01]);
    rec.extend_from_slice(&face);
    let header =
        enc(&[0xA1], &[0x80, 0x02, 0x01, 0x01, 0x81, 0x01, 0x02, 0x87, 0x02, 0x01, 0x01, 0x88, 0x02, 0x00, 0x08]);
    let bit = enc(&[0x7F, 0x60], &[header, enc(&[0x5F, 0x2E], &rec)].concat());
    let group = enc(&[0x7F, 0x61], &[vec![0x02, 0x01, 0x01], bit].concat());
    enc(&[0x75], &group)
}

/// A small JPEG-shaped payload of `len` bytes (SOI, APP0 "JFIF", filler, EOI) for tests.
pub fn synthetic_jpeg(len: usize) -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x00, 0x00,
    ];
    let mut x: u32 = 0x1234_5678;
    while v.len() + 2 < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push((x as u8) & 0x7F);
    }
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_redacted_debug() {
        let jpeg = synthetic_jpeg(2000);
        let dg2 = build_dg2(&jpeg, ImageFormat::Jpeg, 240, 320);
        let face = parse_dg2(&dg2).unwrap();
        assert_eq!((face.format, face.width, face.height), (ImageFormat::Jpeg, 240, 320));
        assert_eq!(face.bytes(), &jpeg[..]);
        let dbg = format!("{face:?}");
        assert!(dbg.contains("len: 2000") && !dbg.contains("255"), "{dbg}");
    }

    #[test]
    fn every_truncation_is_an_error() {
        let dg2 = build_dg2(&synthetic_jpeg(100), ImageFormat::Jpeg, 1, 1);
        for n in 0..dg2.len() {
            assert!(parse_dg2(&dg2[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn a_wrong_magic_or_type_is_an_error() {
        let dg2 = build_dg2(&synthetic_jpeg(100), ImageFormat::Jpeg2000, 1, 1);
        assert!(parse_dg2(&dg2).is_err());
    }
}
