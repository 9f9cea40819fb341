//! Grayscale frames: an owned, packed [`GrayFrame`] and a borrowed, strided [`Luma`] view.

use crate::Error;

/// A borrowed 8-bit luma image: `height` rows of `width` pixels, row `y` starting at byte
/// `y * stride` of `data` (`stride >= width`; the bytes between `width` and `stride` are ignored).
/// One byte per pixel, 0 = black, 255 = white. A camera buffer with padded rows is used as is.
#[derive(Clone, Copy)]
pub struct Luma<'a> {
    width: u32,
    height: u32,
    stride: usize,
    data: &'a [u8],
}

impl<'a> Luma<'a> {
    /// A packed image (`stride == width`).
    pub fn new(width: u32, height: u32, data: &'a [u8]) -> Result<Self, Error> {
        Self::with_stride(width, height, width as usize, data)
    }

    /// An image whose rows are `stride` bytes apart.
    pub fn with_stride(width: u32, height: u32, stride: usize, data: &'a [u8]) -> Result<Self, Error> {
        if width == 0 || height == 0 {
            return Err(Error::Frame(format!("empty frame {width}x{height}")));
        }
        if stride < width as usize {
            return Err(Error::Frame(format!("stride {stride} is less than the width {width}")));
        }
        let need = stride
            .checked_mul(height as usize - 1)
            .and_then(|n| n.checked_add(width as usize))
            .ok_or_else(|| Error::Frame("frame size overflows".into()))?;
        if data.len() < need {
            return Err(Error::Frame(format!(
                "{width}x{height} frame with stride {stride} needs {need} bytes, got {}",
                data.len()
            )));
        }
        Ok(Self { width, height, stride, data })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes from one row to the next.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Row `y` (exactly `width` bytes). Panics if `y >= height`.
    pub fn row(&self, y: u32) -> &'a [u8] {
        let start = y as usize * self.stride;
        &self.data[start..start + self.width as usize]
    }

    /// A packed copy.
    pub fn to_frame(&self) -> GrayFrame {
        if self.stride == self.width as usize {
            let n = self.width as usize * self.height as usize;
            return GrayFrame { width: self.width, height: self.height, data: self.data[..n].to_vec() };
        }
        let mut data = Vec::with_capacity(self.width as usize * self.height as usize);
        for y in 0..self.height {
            data.extend_from_slice(self.row(y));
        }
        GrayFrame { width: self.width, height: self.height, data }
    }

    /// The image halved in both directions by averaging 2x2 blocks (an odd last row or column
    /// is dropped); a frame narrower or lower than 2 pixels is copied as is.
    pub fn halved(&self) -> GrayFrame {
        let (w, h) = (self.width / 2, self.height / 2);
        if w == 0 || h == 0 {
            return self.to_frame();
        }
        let mut data = vec![0u8; w as usize * h as usize];
        for (y, out) in data.chunks_exact_mut(w as usize).enumerate() {
            let a = self.row(2 * y as u32);
            let b = self.row(2 * y as u32 + 1);
            for (x, o) in out.iter_mut().enumerate() {
                let s = u16::from(a[2 * x]) + u16::from(a[2 * x + 1]) + u16::from(b[2 * x]) + u16::from(b[2 * x + 1]);
                *o = ((s + 2) / 4) as u8;
            }
        }
        GrayFrame { width: w, height: h, data }
    }
}

impl std::fmt::Debug for Luma<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Luma({}x{}, stride {})", self.width, self.height, self.stride)
    }
}

/// An owned, packed 8-bit grayscale frame (`stride == width`), as a camera source delivers it.
#[derive(Clone, PartialEq, Eq)]
pub struct GrayFrame {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl std::fmt::Debug for GrayFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrayFrame({}x{})", self.width, self.height)
    }
}

impl GrayFrame {
    /// A frame from packed rows; `data.len()` must be `width * height`.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<Self, Error> {
        Luma::new(width, height, &data)?;
        if data.len() != width as usize * height as usize {
            return Err(Error::Frame(format!(
                "{width}x{height} frame needs {} bytes, got {}",
                width * height,
                data.len()
            )));
        }
        Ok(Self { width, height, data })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The packed pixels, row after row.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The pixels, mutable (for sources that fill a frame in place).
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// A borrowed view.
    pub fn luma(&self) -> Luma<'_> {
        Luma { width: self.width, height: self.height, stride: self.width as usize, data: &self.data }
    }
}
