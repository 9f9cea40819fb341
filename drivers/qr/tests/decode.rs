//! The decoder on rendered and degraded codes, on frames with no code, and on payload encodings.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Rng, Scene, receipt, render};
use motcua_qr::{Decoder, GrayFrame, Luma, Reject, Scan};
use qrcode::EcLevel;

fn decode(frame: &GrayFrame) -> Scan {
    Decoder::new().decode(frame.luma())
}

fn assert_reads(text: &str, ec: EcLevel, scene: &Scene) {
    let frame = render(text.as_bytes(), ec, scene);
    assert_eq!(decode(&frame), Scan::Text(text.to_owned()), "{scene:?}");
}

#[test]
fn clean_codes_of_every_shape_read() {
    for (i, ec) in [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H].into_iter().enumerate() {
        for k in 0..3 {
            let text = receipt(i as u32 * 3 + k);
            assert_reads(
                &text,
                ec,
                &Scene { module: 3.0 + k as f32, angle: (i * 3 + k as usize) as f32 * 4.0 - 20.0, ..Scene::default() },
            );
        }
    }
    assert_reads("000.00.12.H62-201105-0004", EcLevel::M, &Scene::default());
}

#[test]
fn rotated_and_sheared_codes_read() {
    for (i, angle) in [17.0, 45.0, 90.0, 133.0, 180.0, -100.0, -37.5].into_iter().enumerate() {
        let shear = if i % 2 == 0 { 0.0 } else { 0.12 };
        assert_reads(&receipt(40 + i as u32), EcLevel::M, &Scene { angle, shear, module: 3.5, ..Scene::default() });
    }
}

#[test]
fn blurred_low_contrast_unevenly_lit_noisy_codes_read() {
    let cases = [
        Scene { blur: 1.0, module: 4.0, angle: 12.0, ..Scene::default() },
        Scene { contrast: 0.35, module: 4.0, angle: -30.0, ..Scene::default() },
        Scene { gradient: 0.3, module: 4.0, angle: 60.0, ..Scene::default() },
        Scene { noise: 25.0, module: 4.0, angle: 100.0, ..Scene::default() },
        Scene {
            blur: 1.2,
            contrast: 0.5,
            gradient: 0.2,
            noise: 8.0,
            module: 4.5,
            angle: 150.0,
            seed: 7,
            ..Scene::default()
        },
        Scene { blur: 0.8, contrast: 0.6, module: 3.0, angle: 33.0, seed: 9, ..Scene::default() },
    ];
    for (i, scene) in cases.iter().enumerate() {
        assert_reads(&receipt(60 + i as u32), EcLevel::M, scene);
    }
}

#[test]
fn light_on_dark_code_reads() {
    let scene = Scene { inverted: true, background: 40.0, blur: 0.7, module: 4.0, angle: 20.0, ..Scene::default() };
    assert_reads(&receipt(80), EcLevel::M, &scene);
}

#[test]
fn large_frame_is_decoded_halved_first() {
    // 1280x720 with a big code: found in the halved frame.
    let scene = Scene {
        width: 1280,
        height: 720,
        center: (700.0, 380.0),
        module: 8.0,
        angle: 25.0,
        blur: 1.0,
        ..Scene::default()
    };
    assert_reads(&receipt(90), EcLevel::M, &scene);
    // A small code that only reads at full size.
    let scene = Scene { width: 1280, height: 720, center: (300.0, 200.0), module: 3.0, angle: 5.0, ..Scene::default() };
    assert_reads(&receipt(91), EcLevel::M, &scene);
}

#[test]
fn strided_buffers_decode() {
    let text = receipt(5);
    let frame = render(text.as_bytes(), EcLevel::M, &Scene::default());
    let stride = frame.width() as usize + 24;
    let mut buf = vec![0xA5u8; stride * frame.height() as usize];
    for (y, row) in frame.data().chunks(frame.width() as usize).enumerate() {
        buf[y * stride..y * stride + row.len()].copy_from_slice(row);
    }
    let luma = Luma::with_stride(frame.width(), frame.height(), stride, &buf).unwrap();
    assert_eq!(Decoder::new().decode(luma), Scan::Text(text));
    assert!(Luma::with_stride(frame.width(), frame.height(), stride, &buf[..buf.len() - 30]).is_err());
    assert!(Luma::with_stride(10, 10, 9, &buf).is_err());
}

#[test]
fn nfd_vietnamese_comes_out_nfc() {
    let nfc = "Hồ sơ: Nguyễn Văn A — đã tiếp nhận";
    let nfd: String = unicode_nfd(nfc);
    assert_ne!(nfd, nfc);
    let frame = render(nfd.as_bytes(), EcLevel::M, &Scene { module: 4.0, ..Scene::default() });
    assert_eq!(decode(&frame), Scan::Text(nfc.to_owned()));
}

/// NFD by hand for the letters used above (no normalisation crate in the test's own path).
fn unicode_nfd(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            'ồ' => vec!['o', '\u{302}', '\u{300}'],
            'ơ' => vec!['o', '\u{31b}'],
            'ễ' => vec!['e', '\u{302}', '\u{303}'],
            'ă' => vec!['a', '\u{306}'],
            'ã' => vec!['a', '\u{303}'],
            'ế' => vec!['e', '\u{302}', '\u{301}'],
            'ậ' => vec!['a', '\u{323}', '\u{302}'],
            c => vec![c],
        })
        .collect()
}

#[test]
fn invalid_utf8_is_rejected_not_returned() {
    let bytes = [b'A', 0xC3, 0x28, b'B', 0xFF, 0xFE];
    let frame = render(&bytes, EcLevel::M, &Scene::default());
    assert_eq!(decode(&frame), Scan::Rejected(Reject::InvalidUtf8));
}

#[test]
fn frames_without_a_code_never_decode() {
    let mut rng = Rng(0xDEAD_BEEF);
    let mut dec = Decoder::new();
    let (w, h) = (160u32, 120u32);
    for i in 0..60 {
        let data: Vec<u8> = match i % 4 {
            // white noise
            0 => (0..w * h).map(|_| rng.next() as u8).collect(),
            // blocky noise: random 4x4 cells, like modules without a code
            1 => {
                let cells: Vec<u8> =
                    (0..(w / 4) * (h / 4)).map(|_| if rng.next() & 1 == 0 { 30 } else { 220 }).collect();
                (0..w * h).map(|p| cells[((p / w / 4) * (w / 4) + (p % w) / 4) as usize]).collect()
            }
            // smooth gradient with a little noise
            2 => (0..w * h).map(|p| ((p % w) * 255 / w) as u8 ^ (rng.next() as u8 & 7)).collect(),
            // stripes and squares
            _ => (0..w * h).map(|p| if ((p % w) / 7 + (p / w) / 5 + i) % 3 == 0 { 25 } else { 230 }).collect(),
        };
        let scan = dec.decode_luma(w, h, &data);
        assert!(matches!(scan, Scan::NoCode), "frame {i}: {scan:?}");
    }
}

#[test]
fn a_torn_code_is_not_decoded_partially() {
    // A code whose lower half is covered: error correction cannot recover it, nothing comes out.
    let text = receipt(7);
    let mut frame = render(text.as_bytes(), EcLevel::L, &Scene { module: 5.0, ..Scene::default() });
    let w = frame.width() as usize;
    for (i, p) in frame.data_mut().iter_mut().enumerate() {
        if i / w > 125 && i / w < 175 {
            *p = 200;
        }
    }
    assert_eq!(decode(&frame), Scan::NoCode);
}

#[test]
fn tiny_and_degenerate_frames_do_not_panic() {
    let mut dec = Decoder::new();
    for (w, h) in [(1, 1), (2, 1), (1, 50), (7, 7), (39, 40), (41, 41), (300, 3)] {
        let data = vec![128u8; (w * h) as usize];
        assert_eq!(dec.decode_luma(w, h, &data), Scan::NoCode);
    }
    assert_eq!(dec.decode_luma(10, 10, &[0; 5]), Scan::NoCode);
}
