//! Test frames: QR codes rendered in Rust (the `qrcode` crate's module matrix, our own pixels),
//! then degraded the way a cheap camera does.
#![allow(dead_code, clippy::unwrap_used)]

use motcua_qr::GrayFrame;
use qrcode::{Color, EcLevel, QrCode};

/// xorshift64*: deterministic noise without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// How to draw and spoil a code.
#[derive(Debug, Clone)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    /// Code centre, pixels.
    pub center: (f32, f32),
    /// Pixels per module.
    pub module: f32,
    /// Rotation, degrees.
    pub angle: f32,
    /// Horizontal shear (x += shear · y), a cheap stand-in for perspective.
    pub shear: f32,
    /// Background grey.
    pub background: f32,
    /// Gaussian blur sigma, pixels (0: none).
    pub blur: f32,
    /// Contrast factor around mid-grey (1: unchanged).
    pub contrast: f32,
    /// Weight of a left-to-right light gradient blended in (0: none).
    pub gradient: f32,
    /// Uniform noise amplitude, grey levels.
    pub noise: f32,
    /// Light modules on dark.
    pub inverted: bool,
    pub seed: u64,
}

impl Default for Scene {
    fn default() -> Self {
        Self {
            width: 320,
            height: 240,
            center: (160.0, 120.0),
            module: 4.0,
            angle: 0.0,
            shear: 0.0,
            background: 190.0,
            blur: 0.0,
            contrast: 1.0,
            gradient: 0.0,
            noise: 0.0,
            inverted: false,
            seed: 1,
        }
    }
}

/// The module matrix of `data` (byte mode or whatever the encoder picks) at `ec`.
pub fn modules(data: &[u8], ec: EcLevel) -> (usize, Vec<bool>) {
    let code = QrCode::with_error_correction_level(data, ec).unwrap();
    let w = code.width();
    (w, code.to_colors().into_iter().map(|c| c == Color::Dark).collect())
}

/// Draws `data` as a QR code into a frame as `scene` says.
pub fn render(data: &[u8], ec: EcLevel, scene: &Scene) -> GrayFrame {
    let (n, dark) = modules(data, ec);
    let size = n as f32 + 8.0; // with the 4-module quiet zone
    let (sin, cos) = (-scene.angle.to_radians()).sin_cos();
    let (w, h) = (scene.width as usize, scene.height as usize);
    let mut img = vec![0f32; w * h];
    const SS: usize = 3;
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for sy in 0..SS {
                for sx in 0..SS {
                    let px = x as f32 + (sx as f32 + 0.5) / SS as f32 - scene.center.0;
                    let py = y as f32 + (sy as f32 + 0.5) / SS as f32 - scene.center.1;
                    let px = px - scene.shear * py;
                    let (u, v) = (px * cos - py * sin, px * sin + py * cos);
                    let (mx, my) = (u / scene.module + size / 2.0, v / scene.module + size / 2.0);
                    acc += if mx >= 0.0 && my >= 0.0 && mx < size && my < size {
                        let (ix, iy) = (mx as isize - 4, my as isize - 4);
                        let is_dark = ix >= 0
                            && iy >= 0
                            && (ix as usize) < n
                            && (iy as usize) < n
                            && dark[iy as usize * n + ix as usize];
                        if is_dark != scene.inverted { 20.0 } else { 245.0 }
                    } else {
                        scene.background
                    };
                }
            }
            img[y * w + x] = acc / (SS * SS) as f32;
        }
    }
    spoil(img, scene)
}

/// Blur, contrast, gradient, noise; then to bytes.
pub fn spoil(mut img: Vec<f32>, scene: &Scene) -> GrayFrame {
    let (w, h) = (scene.width as usize, scene.height as usize);
    if scene.blur > 0.0 {
        img = gaussian(&img, w, h, scene.blur);
    }
    let mut rng = Rng(scene.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let out = img
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let x = (i % w) as f32 / w as f32;
            let mut v = 128.0 + scene.contrast * (v - 128.0);
            v = v * (1.0 - scene.gradient) + scene.gradient * 255.0 * x;
            v += scene.noise * (2.0 * rng.unit() - 1.0);
            v.round().clamp(0.0, 255.0) as u8
        })
        .collect();
    GrayFrame::new(scene.width, scene.height, out).unwrap()
}

fn gaussian(img: &[f32], w: usize, h: usize, sigma: f32) -> Vec<f32> {
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r).map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp()).collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut tmp = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            tmp[y * w + x] = (-r..=r)
                .map(|i| k[(i + r) as usize] * img[y * w + (x as isize + i).clamp(0, w as isize - 1) as usize])
                .sum();
        }
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = (-r..=r)
                .map(|i| k[(i + r) as usize] * tmp[(y as isize + i).clamp(0, h as isize - 1) as usize * w + x])
                .sum();
        }
    }
    out
}

/// PNG bytes of a frame.
pub fn png_bytes(frame: &GrayFrame) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, frame.width(), frame.height());
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(frame.data()).unwrap();
    out
}

/// A receipt payload like the corpus generator's.
pub fn receipt(i: u32) -> String {
    let code = format!(
        "{:03}.{:02}.{:02}.H{:02}-2{}{:02}{:02}-{:04}",
        100 + i % 900,
        i % 100,
        (i * 7) % 100,
        1 + i % 65,
        i % 7,
        1 + i % 12,
        1 + i % 28,
        1 + (i * 37) % 9999
    );
    if i.is_multiple_of(3) { format!("https://dichvucong.example.gov.vn/tra-cuu?ma={code}") } else { code }
}
