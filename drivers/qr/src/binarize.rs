//! Binarisation: luma → bit matrix (set = black) for the detector. Every binariser here computes a
//! threshold for each pixel of a row; one shared routine compares and packs 8 pixels at a time.
//! Buffers live in [`Scratch`] so a decoder reuses its memory from frame to frame.

use rxing::common::{BitArray, BitMatrix};

use crate::frame::Luma;

/// Reusable buffers.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    thr: Vec<u8>,
    blocks: Vec<u32>,
    block_thr: Vec<u8>,
    tmp: Vec<u32>,
    cols: Vec<u16>,
}

/// Gathers the low bit of each of 8 bytes (each 0 or 1) into one byte, byte `i` → bit `i`.
#[inline(always)]
fn gather8(x: u64) -> usize {
    (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) as usize
}

/// Builds the bit matrix: pixel `(x, y)` is black when `row[x] <= thr[x]`, `thr` filled by
/// `fill(y, &mut thr)` for each row.
#[inline(never)]
fn threshold_matrix(img: &Luma<'_>, thr: &mut Vec<u8>, mut fill: impl FnMut(usize, &mut [u8])) -> Option<BitMatrix> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut m = BitMatrix::new(w as u32, h as u32).ok()?;
    let mut bits = BitArray::with_size(w);
    const WB: usize = usize::BITS as usize;
    thr.clear();
    thr.resize(w, 0);
    let mut cmp = [0u8; WB];
    for y in 0..h {
        fill(y, thr);
        let row = img.row(y as u32);
        for (i, (p, t)) in row.chunks(WB).zip(thr.chunks(WB)).enumerate() {
            let word = if let (Ok(p), Ok(t)) = (<&[u8; WB]>::try_from(p), <&[u8; WB]>::try_from(t)) {
                for k in 0..WB {
                    cmp[k] = u8::from(p[k] <= t[k]);
                }
                let mut word = 0usize;
                for (k, c) in cmp.chunks_exact(8).enumerate() {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    word |= gather8(u64::from_le_bytes(b)) << (8 * k);
                }
                word
            } else {
                p.iter().zip(t).enumerate().fold(0usize, |a, (k, (p, t))| a | (usize::from(p <= t) << k))
            };
            bits.setBulk(i * WB, word);
        }
        m.setRow(y as u32, &bits);
    }
    Some(m)
}

/// Block-statistics binariser, a generalisation of zxing's hybrid binariser: the image is cut
/// into `b x b` blocks; each block's black point is its mean, or — when its contrast (max − min)
/// is at most `min_range` — an estimate for a flat block (half its minimum, or its neighbours'
/// level); a pixel is black when it is at most the mean black point of the `(2k+1)²` blocks
/// around its block, less `delta`. zxing: `b = 8, k = 2, min_range = 24, delta = 0`.
pub(crate) fn block_mean(
    img: &Luma<'_>,
    b: usize,
    k: usize,
    min_range: u8,
    delta: u8,
    s: &mut Scratch,
) -> Option<BitMatrix> {
    match b {
        4 => block_mean_b::<4>(img, k, min_range, delta, s),
        8 => block_mean_b::<8>(img, k, min_range, delta, s),
        16 => block_mean_b::<16>(img, k, min_range, delta, s),
        _ => None,
    }
}

fn block_mean_b<const B: usize>(
    img: &Luma<'_>,
    k: usize,
    min_range: u8,
    delta: u8,
    s: &mut Scratch,
) -> Option<BitMatrix> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let n = 2 * k + 1;
    if w < B * n || h < B * n {
        return global_mean(img, s);
    }
    let sw = w.div_ceil(B);
    let sh = h.div_ceil(B);
    let blacks = &mut s.blocks;
    blacks.clear();
    blacks.resize(sw * sh, 0);
    block_stats::<B>(img, min_range, sw, sh, blacks, &mut s.cols);
    // (2k+1)² neighbourhood mean, window kept inside the grid (as zxing does): horizontal
    // window sums, then vertical ones, from prefix sums.
    let tmp = &mut s.tmp;
    tmp.clear();
    tmp.resize(sw * sh, 0);
    let mut prefix = vec![0u32; sw.max(sh) + 1];
    for by in 0..sh {
        let r = &blacks[by * sw..(by + 1) * sw];
        for (i, &v) in r.iter().enumerate() {
            prefix[i + 1] = prefix[i] + v;
        }
        for bx in 0..sw {
            let l = bx.clamp(k, sw - 1 - k) - k;
            tmp[by * sw + bx] = prefix[l + n] - prefix[l];
        }
    }
    let bt = &mut s.block_thr;
    bt.clear();
    bt.resize(sw * sh, 0);
    // divide by n² as a fixed-point multiply (sums are at most 255·81)
    let recip = (1u32 << 16).div_ceil((n * n) as u32);
    let delta = u32::from(delta);
    for by in 0..sh {
        let t0 = by.clamp(k, sh - 1 - k) - k;
        let out = &mut bt[by * sw..(by + 1) * sw];
        out.iter_mut().enumerate().for_each(|(bx, o)| {
            let sum: u32 = (t0..t0 + n).map(|z| tmp[z * sw + bx]).sum();
            *o = ((sum * recip) >> 16).saturating_sub(delta).min(255) as u8;
        });
    }
    let bt = &s.block_thr;
    let mut last_by = usize::MAX;
    threshold_matrix(img, &mut s.thr, |y, thr| {
        let by = if y >= h - B && h % B != 0 { sh - 1 } else { y / B };
        if by == last_by {
            return;
        }
        last_by = by;
        let row = &bt[by * sw..(by + 1) * sw];
        for (bx, &t) in row.iter().enumerate() {
            let xo = (bx * B).min(w - B);
            if let Ok(d) = <&mut [u8; B]>::try_from(&mut thr[xo..xo + B]) {
                *d = [t; B];
            }
        }
    })
}

/// Per-block black points (see [`block_mean`]). Column-wise min/max/sum over a block row first
/// (element-wise over whole rows, which vectorises), then reduced per block.
#[inline(never)]
fn block_stats<const B: usize>(
    img: &Luma<'_>,
    min_range: u8,
    sw: usize,
    sh: usize,
    blacks: &mut [u32],
    cols: &mut Vec<u16>,
) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let shift = (B * B).trailing_zeros();
    cols.clear();
    cols.resize(3 * w, 0);
    let (vsum, rest) = cols.split_at_mut(w);
    let (vmin, vmax) = rest.split_at_mut(w);
    for by in 0..sh {
        let yo = (by * B).min(h - B);
        let first = img.row(yo as u32);
        for x in 0..w {
            let p = u16::from(first[x]);
            vsum[x] = p;
            vmin[x] = p;
            vmax[x] = p;
        }
        for yy in 1..B {
            let row = img.row((yo + yy) as u32);
            for (((s, mn), mx), &p) in vsum.iter_mut().zip(vmin.iter_mut()).zip(vmax.iter_mut()).zip(row) {
                let p = u16::from(p);
                *s += p;
                *mn = (*mn).min(p);
                *mx = (*mx).max(p);
            }
        }
        for bx in 0..sw {
            let xo = (bx * B).min(w - B);
            let sum: u32 = vsum[xo..xo + B].iter().map(|&v| u32::from(v)).sum();
            let mn = vmin[xo..xo + B].iter().copied().min().unwrap_or(0);
            let mx = vmax[xo..xo + B].iter().copied().max().unwrap_or(0);
            let mut avg = sum >> shift;
            if mx - mn <= u16::from(min_range) {
                avg = u32::from(mn) / 2;
                if by > 0 && bx > 0 {
                    let nb =
                        (blacks[(by - 1) * sw + bx] + 2 * blacks[by * sw + bx - 1] + blacks[(by - 1) * sw + bx - 1])
                            / 4;
                    if u32::from(mn) < nb {
                        avg = nb;
                    }
                }
            }
            blacks[by * sw + bx] = avg;
        }
    }
}

/// One global threshold (the mean), for frames too small for blocks.
fn global_mean(img: &Luma<'_>, s: &mut Scratch) -> Option<BitMatrix> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let sum: u64 = (0..h).map(|y| img.row(y as u32).iter().map(|&p| u64::from(p)).sum::<u64>()).sum();
    let t = (sum / (w * h) as u64) as u8;
    threshold_matrix(img, &mut s.thr, |_, thr| thr.fill(t.saturating_sub(1)))
}

/// Unsharp mask: `out = p + (gain/4)·(p − box(p))` with a `(2r+1)²` box (edge pixels
/// replicated), clamped to 0..=255. Blur spreads a module's ink over its neighbours; this pushes
/// it back before thresholding. `r` is 1, 2 or 3.
pub(crate) fn sharpen(img: &Luma<'_>, r: usize, gain_q2: i32, rows: &mut Vec<u16>, out: &mut Vec<u8>) {
    match r {
        1 => sharpen_r::<1>(img, gain_q2, rows, out),
        2 => sharpen_r::<2>(img, gain_q2, rows, out),
        _ => sharpen_r::<3>(img, gain_q2, rows, out),
    }
}

fn sharpen_r<const R: usize>(img: &Luma<'_>, gain_q2: i32, rows: &mut Vec<u16>, out: &mut Vec<u8>) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    out.clear();
    out.resize(w * h, 0);
    if w <= 2 * R || h <= 2 * R {
        for y in 0..h {
            out[y * w..(y + 1) * w].copy_from_slice(img.row(y as u32));
        }
        return;
    }
    // Horizontal box sums, one ring slot per row of the vertical window.
    let slots = 2 * R + 1;
    rows.clear();
    rows.resize(slots * w, 0);
    let hsum = |y: usize, dst: &mut [u16]| {
        let src = img.row(y as u32);
        for x in R..w - R {
            let mut acc = 0u16;
            for k in 0..2 * R + 1 {
                acc += u16::from(src[x + k - R]);
            }
            dst[x] = acc;
        }
        for x in (0..R).chain(w - R..w) {
            dst[x] = (0..2 * R + 1).map(|k| u16::from(src[(x + k).saturating_sub(R).min(w - 1)])).sum();
        }
    };
    for y in 0..R.min(h) {
        hsum(y, &mut rows[(y % slots) * w..(y % slots + 1) * w]);
    }
    let n = ((2 * R + 1) * (2 * R + 1)) as u32;
    // box mean = (sum · recip) >> 16, exact enough for sums below 2^13 (255 · 49)
    let recip = (1u32 << 16).div_ceil(n);
    let gain = gain_q2 as i16;
    let mut col = vec![0u16; w];
    for y in 0..h {
        let next = y + R;
        if next < h {
            hsum(next, &mut rows[(next % slots) * w..(next % slots + 1) * w]);
        }
        let slot = |dy: usize| {
            let yy = (y + dy).saturating_sub(R).min(h - 1);
            &rows[(yy % slots) * w..(yy % slots + 1) * w]
        };
        col.copy_from_slice(slot(0));
        for dy in 1..2 * R + 1 {
            for (c, &v) in col.iter_mut().zip(slot(dy)) {
                *c += v;
            }
        }
        let src = img.row(y as u32);
        for ((o, &p), &c) in out[y * w..(y + 1) * w].iter_mut().zip(src).zip(&col) {
            let mean = ((u32::from(c) * recip) >> 16) as i16;
            let p = i16::from(p);
            *o = (p + ((gain * (p - mean)) >> 2)).clamp(0, 255) as u8;
        }
    }
}
