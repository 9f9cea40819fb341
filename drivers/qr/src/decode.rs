//! The decoder chain: binarise the frame, find finder-pattern triples, sample the module grid,
//! correct errors, parse segments. Cheap passes first; the next pass runs only when the previous
//! one found nothing, so a clear frame costs one pass.
//!
//! Detection and sampling are rxing's port of zxing-cpp's QR detector (finder triples, edge-traced
//! grid fit) with zxing's classic detector as a second opinion; binarisation, grey-level
//! re-sampling, error-corrected codeword extraction and segment parsing are ours. A payload is
//! only returned when every Reed–Solomon block of the symbol checks out; nothing partial.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rxing::DecodeHints;
use rxing::common::reedsolomon::{PredefinedGenericGF, ReedSolomonDecoder};
use rxing::common::{BitMatrix, DetectorRXingResult};
use rxing::qrcode::cpp_port::detector::{FindFinderPatterns, GenerateFinderPatternSets, SampleQR};
use rxing::qrcode::decoder::{BitMatrixParser, DataBlock};
use rxing::qrcode::detector::Detector;

use crate::binarize::{self, Scratch};
use crate::frame::Luma;
use crate::payload::{self, Reject};
use crate::sample;

/// What one frame holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    /// A code whose error correction checked out, as NFC text.
    Text(String),
    /// A code was read (its error correction checked out) but its content is not acceptable text.
    Rejected(Reject),
    /// No readable code.
    NoCode,
}

impl Scan {
    /// The text, if any.
    pub fn text(&self) -> Option<&str> {
        match self {
            Scan::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// How a pass turns luma into black and white.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Binarizer {
    /// Block statistics, a generalisation of zxing's hybrid binariser: the frame is cut into
    /// `block x block` pixel blocks; a block's black point is its mean, or, when its contrast is
    /// at most `min_range`, an estimate for a flat block; a pixel is black when it is at most the
    /// mean black point of the `(2k+1)²` blocks around it, less `delta`.
    /// zxing's hybrid binariser is `{ block: 8, k: 2, min_range: 24, delta: 0 }`.
    BlockMean {
        /// Block side in pixels: 4, 8 or 16.
        block: u8,
        /// Neighbourhood half-size, in blocks.
        k: u8,
        /// Contrast (max − min) at or under which a block counts as flat.
        min_range: u8,
        /// Margin below the local mean, grey levels.
        delta: u8,
    },
    /// [`Binarizer::BlockMean`] on the frame sharpened by an unsharp mask:
    /// `p + gain·(p − box(p))`, box `(2 radius + 1)²`, gain `gain_q2 / 4`. Restores the contrast
    /// that blur takes from modules of 2–4 pixels.
    Sharpened {
        /// Unsharp-mask box half-size, pixels (1..=3).
        radius: u8,
        /// Unsharp-mask gain, in quarters.
        gain_q2: u8,
        /// Block side in pixels: 4, 8 or 16.
        block: u8,
        /// Neighbourhood half-size, in blocks.
        k: u8,
        /// Margin below the local mean, grey levels.
        delta: u8,
        /// Contrast (max − min, after sharpening) at or under which a block counts as flat.
        min_range: u8,
    },
}

impl Binarizer {
    /// zxing's hybrid binariser.
    pub const ZXING_HYBRID: Binarizer = Binarizer::BlockMean { block: 8, k: 2, min_range: 24, delta: 0 };
}

/// One pass of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// How the frame is binarised.
    pub binarizer: Binarizer,
    /// Also look for a light-on-dark code (the inverted bit matrix) when nothing was found.
    pub inverted: bool,
    /// Let zxing's classic detector have a go too (see [`DecoderConfig::classic_min_finders`]).
    pub classic: bool,
}

/// Decoder settings. [`Default`] is the chain measured on the receipt corpus (see the crate
/// README for the figures and the levers tried).
#[derive(Debug, Clone, PartialEq)]
pub struct DecoderConfig {
    /// The passes, cheapest first; the chain stops at the first that finds a code.
    pub passes: Vec<Pass>,
    /// Frames at least this wide are decoded halved (2x2 mean) first, full size only when that
    /// finds nothing.
    pub halve_from_width: u32,
    /// How many of the passes run on the halved frame (the rest only at full size).
    pub halved_passes: usize,
    /// At most this many finder-pattern triples are sampled per pass (bounds time on clutter).
    pub max_sets: usize,
    /// When the finder-triple detector decodes nothing but saw at least this many finder
    /// candidates, zxing's classic detector (other finder search, other grid fit) gets the same
    /// bit matrix. `None`: never.
    pub classic_min_finders: Option<usize>,
    /// When a located symbol's sampled bits fail error correction, re-sample its modules from the
    /// luma and classify them against levels learnt from its own function patterns, at each of
    /// these fractions of the way from the black level to the white (empty: off).
    pub resample_levels: Vec<f32>,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            passes: vec![
                Pass { binarizer: Binarizer::ZXING_HYBRID, inverted: false, classic: true },
                Pass {
                    binarizer: Binarizer::Sharpened { radius: 2, gain_q2: 8, block: 8, k: 1, delta: 4, min_range: 0 },
                    inverted: true,
                    classic: false,
                },
            ],
            halve_from_width: 1200,
            halved_passes: usize::MAX,
            max_sets: 16,
            classic_min_finders: Some(3),
            resample_levels: vec![0.5],
        }
    }
}

/// A QR decoder over grayscale frames. Holds scratch buffers reused from frame to frame: keep one
/// per thread.
#[derive(Default)]
pub struct Decoder {
    config: DecoderConfig,
    scratch: Scratch,
    sharp: Vec<u8>,
    rows: Vec<u16>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder").field("config", &self.config).finish_non_exhaustive()
    }
}

enum Found {
    Code(Result<String, Reject>),
    Nothing,
}

impl Decoder {
    /// A decoder with the default chain.
    pub fn new() -> Self {
        Self::with_config(DecoderConfig::default())
    }

    /// A decoder with a chosen chain.
    pub fn with_config(config: DecoderConfig) -> Self {
        Self { config, ..Default::default() }
    }

    /// The chain in use.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Decodes the code in a frame.
    pub fn decode(&mut self, img: Luma<'_>) -> Scan {
        if img.width() >= self.config.halve_from_width && img.width() >= 2 && img.height() >= 2 {
            let half = img.halved();
            let s = self.decode_at_scale(half.luma(), self.config.halved_passes);
            if s != Scan::NoCode {
                return s;
            }
        }
        self.decode_at_scale(img, usize::MAX)
    }

    /// Decodes a packed frame (`data.len() == width * height`); `NoCode` when they don't fit.
    pub fn decode_luma(&mut self, width: u32, height: u32, data: &[u8]) -> Scan {
        match Luma::new(width, height, data) {
            Ok(img) => self.decode(img),
            Err(_) => Scan::NoCode,
        }
    }

    fn decode_at_scale(&mut self, img: Luma<'_>, passes: usize) -> Scan {
        for i in 0..self.config.passes.len().min(passes) {
            let pass = self.config.passes[i];
            match self.run_pass(&img, pass) {
                Found::Code(Ok(t)) => return Scan::Text(t),
                Found::Code(Err(r)) => return Scan::Rejected(r),
                Found::Nothing => {}
            }
        }
        Scan::NoCode
    }

    fn run_pass(&mut self, img: &Luma<'_>, pass: Pass) -> Found {
        let m = match pass.binarizer {
            Binarizer::BlockMean { block, k, min_range, delta } => {
                binarize::block_mean(img, block.into(), k.into(), min_range, delta, &mut self.scratch)
            }
            Binarizer::Sharpened { radius, gain_q2, block, k, delta, min_range } => {
                let mut buf = std::mem::take(&mut self.sharp);
                binarize::sharpen(img, radius.into(), gain_q2.into(), &mut self.rows, &mut buf);
                let m = Luma::new(img.width(), img.height(), &buf).ok().and_then(|s| {
                    binarize::block_mean(&s, block.into(), k.into(), min_range, delta, &mut self.scratch)
                });
                self.sharp = buf;
                m
            }
        };
        let Some(mut m) = m else {
            return Found::Nothing;
        };
        let classic = if pass.classic { self.config.classic_min_finders } else { None };
        let found = detect(img, &m, &self.config, classic);
        if matches!(found, Found::Nothing) && pass.inverted {
            m.flip_self();
            // (the classic detector adds nothing on light-on-dark codes in the corpora: not run)
            return detect(img, &m, &self.config, None);
        }
        found
    }
}

/// Finds and decodes one code in a bit matrix. rxing is third-party code fed with camera input:
/// a panic inside it is caught and counts as "nothing found".
fn detect(img: &Luma<'_>, m: &BitMatrix, cfg: &DecoderConfig, classic: Option<usize>) -> Found {
    let found = catch_unwind(AssertUnwindSafe(|| {
        let mut fps = FindFinderPatterns(m, true, 0);
        let finders = fps.len();
        let sets = GenerateFinderPatternSets(&mut fps);

        for set in sets.iter().take(cfg.max_sets) {
            let Ok(det) = SampleQR(m, set) else { continue };
            let bits = det.getBits();
            if let Some(found) = decode_bits(bits) {
                return found;
            }
            let p = det.getPoints();
            if cfg.resample_levels.is_empty() || p.len() < 4 {
                continue;
            }
            // The sampler reports [tl, tr, bl, br], each half a pixel past the module edges.
            let c = |i: usize| (f64::from(p[i].x) - 0.5, f64::from(p[i].y) - 0.5);
            let corners = [c(0), c(1), c(3), c(2)];
            for refine in [false, true] {
                let grids = sample::resample(img, corners, bits.width() as usize, &cfg.resample_levels, refine);
                for bits in grids.into_iter().flatten() {
                    if let Some(found) = decode_bits(&bits) {
                        return found;
                    }
                }
            }
        }
        if classic.is_some_and(|n| finders >= n) {
            let hints = DecodeHints { TryHarder: Some(true), ..Default::default() };
            if let Ok(det) = Detector::new(m).detect_with_hints(&hints)
                && let Some(found) = decode_bits(det.getBits())
            {
                return found;
            }
        }
        Found::Nothing
    }));
    found.unwrap_or(Found::Nothing)
}

fn decode_bits(bits: &BitMatrix) -> Option<Found> {
    let (data, version) = codewords(bits)?;
    Some(Found::Code(payload::text_from_codewords(&data, version)))
}

/// The error-corrected data codewords of a sampled module grid and its version, trying the
/// mirror image too. `None` unless every block's Reed–Solomon check passes.
fn codewords(bits: &BitMatrix) -> Option<(Vec<u8>, u32)> {
    let mut parser = BitMatrixParser::new(bits.clone()).ok()?;
    if let Some(r) = read_corrected(&mut parser) {
        return Some(r);
    }
    parser.remask().ok()?;
    parser.setMirror(true);
    parser.readVersion().ok()?;
    parser.readFormatInformation().ok()?;
    parser.mirror();
    read_corrected(&mut parser)
}

fn read_corrected(parser: &mut BitMatrixParser) -> Option<(Vec<u8>, u32)> {
    let version = parser.readVersion().ok()?;
    let ec = parser.readFormatInformation().ok()?.getErrorCorrectionLevel();
    let cw = parser.readCodewords().ok()?;
    let blocks = DataBlock::getDataBlocks(&cw, version, ec).ok()?;
    let rs = ReedSolomonDecoder::new(PredefinedGenericGF::QrCodeField256.into());
    let mut out = Vec::with_capacity(blocks.iter().map(|b| b.getNumDataCodewords() as usize).sum());
    for b in &blocks {
        let mut words = b.getCodewords().to_vec();
        let n = b.getNumDataCodewords() as usize;
        let ec_words = words.len().checked_sub(n)?;
        rs.decode(&mut words, i32::try_from(ec_words).ok()?).ok()?;
        out.extend_from_slice(&words[..n]);
    }
    Some((out, version.getVersionNumber()))
}
