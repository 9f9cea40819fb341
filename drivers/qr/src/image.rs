//! PNG files to grayscale frames (the bench corpus and the file-backed frame source).

use std::io::{BufReader, Cursor};
use std::path::Path;

use crate::{Error, GrayFrame};

/// Reads a PNG file as a grayscale frame (colour converted with Rec. 601 weights, 16-bit
/// truncated, alpha ignored).
pub fn load_png(path: &Path) -> Result<GrayFrame, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    decode(BufReader::new(file)).map_err(|e| Error::Image(format!("{}: {e}", path.display())))
}

/// Decodes PNG bytes as a grayscale frame.
pub fn png_to_gray(bytes: &[u8]) -> Result<GrayFrame, Error> {
    decode(Cursor::new(bytes)).map_err(Error::Image)
}

fn decode<R: std::io::BufRead + std::io::Seek>(r: R) -> Result<GrayFrame, String> {
    let mut dec = png::Decoder::new(r);
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().map_err(|e| e.to_string())?;
    let size = reader.output_buffer_size().ok_or("PNG too large")?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("indexed PNG not expanded".into()),
    };
    if info.bit_depth != png::BitDepth::Eight {
        return Err(format!("unsupported PNG bit depth {:?}", info.bit_depth));
    }
    let mut gray = Vec::with_capacity(w * h);
    for y in 0..h {
        let line = &buf[y * info.line_size..y * info.line_size + w * channels];
        match channels {
            1 | 2 => gray.extend(line.chunks_exact(channels).map(|p| p[0])),
            _ => {
                gray.extend(line.chunks_exact(channels).map(|p| {
                    ((299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]) + 500) / 1000) as u8
                }))
            }
        }
    }
    GrayFrame::new(info.width, info.height, gray).map_err(|e| e.to_string())
}
