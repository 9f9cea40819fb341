//! Camera pixel layouts to luma: YUYV and NV12 keep their Y plane, GREY is taken as is, RGB/BGR
//! are weighted (Rec. 601), MJPEG is decoded straight to grey (zune-jpeg, with the `camera`
//! feature).

use crate::{Error, GrayFrame};

/// Pixel layouts a camera delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PixelFormat {
    /// Motion JPEG: one JPEG per frame.
    Mjpeg,
    /// Packed 4:2:2, Y0 U Y1 V.
    Yuyv,
    /// Planar Y, then interleaved UV at half resolution.
    Nv12,
    /// 8-bit grey.
    Gray,
    /// Packed RGB.
    Rgb,
    /// Packed BGR.
    Bgr,
}

/// Converts one camera frame to luma.
pub fn to_luma(format: PixelFormat, width: u32, height: u32, data: &[u8]) -> Result<GrayFrame, Error> {
    let n = width as usize * height as usize;
    let short =
        |need: usize| Error::Frame(format!("{format:?} {width}x{height} needs {need} bytes, got {}", data.len()));
    let gray = match format {
        PixelFormat::Yuyv => {
            if data.len() < 2 * n {
                return Err(short(2 * n));
            }
            data[..2 * n].iter().step_by(2).copied().collect()
        }
        PixelFormat::Nv12 | PixelFormat::Gray => {
            if data.len() < n {
                return Err(short(n));
            }
            data[..n].to_vec()
        }
        PixelFormat::Rgb | PixelFormat::Bgr => {
            if data.len() < 3 * n {
                return Err(short(3 * n));
            }
            let (r, b) = if format == PixelFormat::Rgb { (0, 2) } else { (2, 0) };
            data[..3 * n]
                .chunks_exact(3)
                .map(|p| ((299 * u32::from(p[r]) + 587 * u32::from(p[1]) + 114 * u32::from(p[b]) + 500) / 1000) as u8)
                .collect()
        }
        PixelFormat::Mjpeg => return mjpeg_to_luma(data),
    };
    GrayFrame::new(width, height, gray)
}

#[cfg(feature = "camera")]
fn mjpeg_to_luma(data: &[u8]) -> Result<GrayFrame, Error> {
    use zune_jpeg::JpegDecoder;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::Luma);
    let mut dec = JpegDecoder::new_with_options(std::io::Cursor::new(data), options);
    let pixels = dec.decode().map_err(|e| Error::Image(format!("MJPEG frame: {e:?}")))?;
    let info = dec.info().ok_or_else(|| Error::Image("MJPEG frame without header".into()))?;
    GrayFrame::new(u32::from(info.width), u32::from(info.height), pixels)
}

#[cfg(not(feature = "camera"))]
fn mjpeg_to_luma(_: &[u8]) -> Result<GrayFrame, Error> {
    Err(Error::Image("MJPEG frames need the `camera` feature (zune-jpeg)".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuyv_keeps_the_y_plane() {
        let yuyv = [10, 128, 20, 128, 30, 0, 40, 255];
        let f = to_luma(PixelFormat::Yuyv, 4, 1, &yuyv).expect("converts");
        assert_eq!(f.data(), &[10, 20, 30, 40]);
        assert!(to_luma(PixelFormat::Yuyv, 4, 2, &yuyv).is_err());
    }

    #[test]
    fn nv12_gray_rgb_bgr() {
        let nv12 = [1, 2, 3, 4, 99, 99];
        assert_eq!(to_luma(PixelFormat::Nv12, 2, 2, &nv12).expect("converts").data(), &[1, 2, 3, 4]);
        assert_eq!(to_luma(PixelFormat::Gray, 2, 2, &nv12).expect("converts").data(), &[1, 2, 3, 4]);
        let rgb = [255, 0, 0, 0, 0, 255];
        assert_eq!(to_luma(PixelFormat::Rgb, 2, 1, &rgb).expect("converts").data(), &[76, 29]);
        assert_eq!(to_luma(PixelFormat::Bgr, 2, 1, &rgb).expect("converts").data(), &[29, 76]);
    }

    #[test]
    fn garbage_mjpeg_is_an_error() {
        assert!(to_luma(PixelFormat::Mjpeg, 2, 2, &[0xFF, 0xD8, 0, 1, 2]).is_err());
    }
}
