//! Grey-level resampling of a located symbol. The detector samples its bit matrix one pixel per
//! module from a binarised frame; on blurred, low-contrast frames that loses modules the luma
//! still shows. Here the module centres are re-sampled from the luma itself (bilinear) and
//! classified against black and white levels learnt from the symbol's own function patterns
//! (finders, separators, timing, alignment), fitted as planes across the symbol so uneven light
//! cancels out.

use rxing::common::BitMatrix;

use crate::frame::Luma;

/// Projective map of the unit square onto a quadrilateral (Heckbert): (0,0)→p0, (1,0)→p1,
/// (1,1)→p2, (0,1)→p3.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Homography([f64; 8]);

impl Homography {
    pub fn square_to_quad(p: [(f64, f64); 4]) -> Option<Self> {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = p;
        let (dx1, dx2, dx3) = (x1 - x2, x3 - x2, x0 - x1 + x2 - x3);
        let (dy1, dy2, dy3) = (y1 - y2, y3 - y2, y0 - y1 + y2 - y3);
        let h = if dx3.abs() < 1e-9 && dy3.abs() < 1e-9 {
            [x1 - x0, x2 - x1, x0, y1 - y0, y2 - y1, y0, 0.0, 0.0]
        } else {
            let den = dx1 * dy2 - dx2 * dy1;
            if den.abs() < 1e-12 {
                return None;
            }
            let g = (dx3 * dy2 - dx2 * dy3) / den;
            let hh = (dx1 * dy3 - dx3 * dy1) / den;
            [x1 - x0 + g * x1, x3 - x0 + hh * x3, x0, y1 - y0 + g * y1, y3 - y0 + hh * y3, y0, g, hh]
        };
        h.iter().all(|v| v.is_finite()).then_some(Self(h))
    }

    #[inline]
    pub fn map(&self, u: f64, v: f64) -> (f64, f64) {
        let [a, b, c, d, e, f, g, h] = self.0;
        let w = g * u + h * v + 1.0;
        ((a * u + b * v + c) / w, (d * u + e * v + f) / w)
    }
}

/// Bilinear luma at pixel-area coordinates (pixel `i` covers `[i, i+1)`), `None` outside.
#[inline]
fn bilinear(img: &Luma<'_>, x: f64, y: f64) -> Option<f32> {
    let (fx, fy) = (x - 0.5, y - 0.5);
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    if !(fx >= 0.0 && fy >= 0.0 && fx <= w - 1.0 && fy <= h - 1.0) {
        return None;
    }
    let (ix, iy) = (fx as u32, fy as u32);
    let (ax, ay) = ((fx - f64::from(ix)) as f32, (fy - f64::from(iy)) as f32);
    let ix1 = (ix + 1).min(img.width() - 1) as usize;
    let iy1 = (iy + 1).min(img.height() - 1);
    let (r0, r1) = (img.row(iy), img.row(iy1));
    let ix = ix as usize;
    let top = f32::from(r0[ix]) * (1.0 - ax) + f32::from(r0[ix1]) * ax;
    let bot = f32::from(r1[ix]) * (1.0 - ax) + f32::from(r1[ix1]) * ax;
    Some(top * (1.0 - ay) + bot * ay)
}

/// Known colour of function-pattern module `(x, y)` in a model-2 symbol of side `dim`
/// (`Some(true)` = black), `None` for data/format modules.
fn function_module(x: usize, y: usize, dim: usize) -> Option<bool> {
    // finder + separator around each of the three finder corners
    for (ox, oy) in [(0isize, 0isize), (dim as isize - 7, 0), (0, dim as isize - 7)] {
        let (dx, dy) = (x as isize - ox, y as isize - oy);
        if (-1..=7).contains(&dx) && (-1..=7).contains(&dy) {
            let r = (dx - 3).abs().max((dy - 3).abs());
            return Some(r != 2 && r != 4);
        }
    }
    // timing patterns
    if (y == 6 && (8..dim - 8).contains(&x)) || (x == 6 && (8..dim - 8).contains(&y)) {
        return Some((x + y).is_multiple_of(2));
    }
    // the bottom-right alignment pattern (versions 2..=6 have only that one)
    if (25..=41).contains(&dim) {
        let c = dim as isize - 7;
        let r = (x as isize - c).abs().max((y as isize - c).abs());
        if r <= 2 {
            return Some(r != 1);
        }
    }
    None
}

/// Least-squares plane `a + b·x + c·y` through `(x, y, v)` samples.
fn fit_plane(s: &[(f32, f32, f32)]) -> Option<[f64; 3]> {
    let mut m = [[0f64; 3]; 3];
    let mut r = [0f64; 3];
    for &(x, y, v) in s {
        let f = [1.0, f64::from(x), f64::from(y)];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += f[i] * f[j];
            }
            r[i] += f[i] * f64::from(v);
        }
    }
    let det3 = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det3(&m);
    if d.abs() < 1e-9 {
        return None;
    }
    let mut out = [0f64; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let mut mk = m;
        for i in 0..3 {
            mk[i][k] = r[i];
        }
        *o = det3(&mk) / d;
    }
    Some(out)
}

/// The module grid of a symbol of side `dim` whose corners (outer edges of the modules) are at
/// `corners` = [top-left, top-right, bottom-right, bottom-left] in pixel-area coordinates,
/// re-sampled from the luma and classified with a threshold `alpha` of the way from the black to
/// the white level (0.5 = midway). Yields one bit matrix per `alpha`; `None` if the symbol leaves
/// the frame or its function patterns show no contrast.
///
/// With `refine`, the bottom-right corner — the one no finder pattern pins down, guessed by the
/// detector as a parallelogram's or from an alignment pattern it may have missed — is first moved
/// within ±1 module to where the modules of the bottom-right quadrant sample sharpest (furthest
/// from the threshold) and the alignment pattern fits best.
pub(crate) fn resample(
    img: &Luma<'_>,
    corners: [(f64, f64); 4],
    dim: usize,
    alphas: &[f32],
    refine: bool,
) -> Option<Vec<BitMatrix>> {
    if !(21..=177).contains(&dim) {
        return None;
    }
    let inv = 1.0 / dim as f64;
    let sample_at = |hmg: &Homography, x: usize, y: usize| {
        let (px, py) = hmg.map((x as f64 + 0.5) * inv, (y as f64 + 0.5) * inv);
        bilinear(img, px, py)
    };
    let mut hmg = Homography::square_to_quad(corners)?;
    // Levels from the function patterns (the finders dominate: they don't move with the corner).
    let (mut black, mut white) = (Vec::with_capacity(256), Vec::with_capacity(256));
    for y in 0..dim {
        for x in 0..dim {
            if let Some(is_black) = function_module(x, y, dim) {
                let v = sample_at(&hmg, x, y)?;
                if is_black { black.push((x as f32, y as f32, v)) } else { white.push((x as f32, y as f32, v)) }
            }
        }
    }
    let b = fit_plane(&black)?;
    let w = fit_plane(&white)?;
    let level = |p: &[f64; 3], x: usize, y: usize| p[0] + p[1] * x as f64 + p[2] * y as f64;
    let mid = (dim / 2, dim / 2);
    // Light-on-dark symbols: "black" is the module colour.
    let dark_modules = level(&b, mid.0, mid.1) < level(&w, mid.0, mid.1);
    if (level(&w, mid.0, mid.1) - level(&b, mid.0, mid.1)).abs() < 4.0 {
        return None;
    }
    let thr = |x: usize, y: usize| 0.5 * (level(&b, x, y) + level(&w, x, y));
    if refine {
        let score = |h: &Homography| -> Option<f64> {
            let mut s = 0.0;
            for y in dim / 2..dim {
                for x in dim / 2..dim {
                    let d = f64::from(sample_at(h, x, y)?) - thr(x, y);
                    s += match function_module(x, y, dim) {
                        // known modules count double and with their sign
                        Some(is_black) => 2.0 * if is_black == dark_modules { -d } else { d },
                        None => d.abs(),
                    };
                }
            }
            Some(s)
        };
        let step = |c: (f64, f64), d: (f64, f64)| (c.0 + d.0, c.1 + d.1);
        // one module along each of the symbol's axes near the bottom-right corner
        let [tl, tr, br, bl] = corners;
        let ux = ((br.0 - bl.0) / dim as f64, (br.1 - bl.1) / dim as f64);
        let uy = ((br.0 - tr.0) / dim as f64, (br.1 - tr.1) / dim as f64);
        let mut best = (score(&hmg).unwrap_or(f64::MIN), hmg);
        // half-module steps within ±1 module (a finer second search gained nothing on the corpora)
        for i in -2..=2 {
            for j in -2..=2 {
                if i == 0 && j == 0 {
                    continue;
                }
                let (fi, fj) = (f64::from(i) * 0.5, f64::from(j) * 0.5);
                let c = step(br, (ux.0 * fi + uy.0 * fj, ux.1 * fi + uy.1 * fj));
                let Some(h) = Homography::square_to_quad([tl, tr, c, bl]) else { continue };
                if let Some(sc) = score(&h)
                    && sc > best.0
                {
                    best = (sc, h);
                }
            }
        }
        hmg = best.1;
    }
    let mut vals = vec![0f32; dim * dim];
    for y in 0..dim {
        for x in 0..dim {
            vals[y * dim + x] = sample_at(&hmg, x, y)?;
        }
    }
    let mut out = Vec::with_capacity(alphas.len());
    for &alpha in alphas {
        let mut m = BitMatrix::new(dim as u32, dim as u32).ok()?;
        for y in 0..dim {
            for x in 0..dim {
                let (lb, lw) = (level(&b, x, y), level(&w, x, y));
                let t = lb + f64::from(alpha) * (lw - lb);
                let v = f64::from(vals[y * dim + x]);
                if (v < t) == dark_modules {
                    m.set(x as u32, y as u32);
                }
            }
        }
        out.push(m);
    }
    Some(out)
}
