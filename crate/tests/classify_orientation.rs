#![cfg(not(target_arch = "wasm32"))]
//! `classify_bytes` decodes like the scrub core: the EXIF orientation is applied before the
//! classifier sees the pixels (a sideways phone photo is classified upright).

use std::path::Path;

use hifu::decode::Pixels;
use hifu::skin::{classify, classify_bytes, SkinModel};
use hifu::Limits;
use image::codecs::jpeg::JpegEncoder;
use zeroize::Zeroizing;

fn model() -> SkinModel {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/skin");
    SkinModel::from_bytes(
        &std::fs::read(dir.join("skin.safetensors")).unwrap(),
        &std::fs::read_to_string(dir.join("calibration.json")).unwrap(),
        &std::fs::read_to_string(dir.join("labels.json")).unwrap(),
    )
    .unwrap()
}

/// A brownish blob off-centre on pinkish skin: asymmetric, so a rotation shows in the heat map.
fn photo(w: u32, h: u32) -> Vec<u8> {
    let mut rgb = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - w as f32 * 0.4, y as f32 - h as f32 * 0.35);
            let inside = dx * dx / 300.0 + dy * dy / 120.0 < 1.0;
            rgb.extend_from_slice(if inside {
                &[110, 60, 40]
            } else {
                &[225, 160, 150]
            });
        }
    }
    rgb
}

fn jpeg(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .encode(rgb, w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// The JPEG with an APP1/EXIF segment saying "orientation 6" (rotate 90° clockwise to view).
fn with_orientation_6(jpeg: &[u8]) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1]); // one IFD entry
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation SHORT 6
    tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let len = (payload.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Rotates RGB pixels 90° clockwise (what orientation 6 asks for), written independently of
/// the crate's `decode::orient`.
fn rotate_cw(p: &Pixels) -> Pixels {
    let (w, h) = (p.width() as usize, p.height() as usize);
    let s = p.samples();
    let mut out = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            // source (x, y) lands at column h-1-y, row x of the w-tall, h-wide result
            let (nx, ny) = (h - 1 - y, x);
            let src = (y * w + x) * 3;
            let dst = (ny * h + nx) * 3;
            out[dst..dst + 3].copy_from_slice(&s[src..src + 3]);
        }
    }
    Pixels::new(h as u32, w as u32, 3, Zeroizing::new(out)).unwrap()
}

#[test]
fn exif_orientation_is_applied_before_classifying() {
    let model = model();
    let (w, h) = (160, 120);
    let plain = jpeg(&photo(w, h), w, h);
    let oriented = with_orientation_6(&plain);

    let stored = hifu::skin::upright_pixels(&plain, &Limits::default()).unwrap();
    assert_eq!((stored.width(), stored.height()), (w, h));
    let upright = rotate_cw(&stored);

    let from_bytes = classify_bytes(&oriented, &model, &Limits::default()).unwrap();
    let expected = classify(&upright, &model).unwrap();
    assert_eq!(from_bytes, expected, "orientation 6 must be applied first");

    let sideways = classify(&stored, &model).unwrap();
    assert_ne!(
        sideways.heat_map.values, from_bytes.heat_map.values,
        "the test photo must be asymmetric enough for a rotation to show"
    );
}

#[test]
fn unreadable_bytes_are_a_decode_error_not_a_panic() {
    let model = model();
    let err = classify_bytes(b"not a photo", &model, &Limits::default()).unwrap_err();
    assert_eq!(err.code(), "decode.unknown_format");
    let truncated = &jpeg(&photo(64, 48), 64, 48)[..200];
    assert!(classify_bytes(truncated, &model, &Limits::default()).is_err());
}
