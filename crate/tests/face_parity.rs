//! YuNet in candle vs the reference ONNX export in onnxruntime, on the raw output maps.
//!
//! Expected values: tests/parity/yunet/reference.safetensors, written by
//! tests/parity/yunet/make_reference.py (onnxruntime 1.32 on ../shared/weights/yunet/
//! yunet_n_dynamic.onnx; versions pinned in requirements.txt next to it). Both sides decode the
//! same JPEGs from ../shared/faces, keep every `step`-th pixel, zero-pad to multiples of 32 and
//! feed BGR 0–255 floats, so the inputs are identical (checked by their sums).
//! Needs models/face/yunet_n.safetensors (scripts/convert-yunet) and ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::face::input::bgr_tensor;
use hifu::face::yunet::{YuNet, YuNetConfig};

/// (name, path under ../shared, step): the same list as PHOTOS in make_reference.py.
const PHOTOS: [(&str, &str, usize); 3] = [
    ("pascal", "faces/images/2007_007763.jpg", 2),
    (
        "meeting",
        "faces/images/11_Meeting_Meeting_11_Meeting_Meeting_11_176.jpg",
        2,
    ),
    ("lfw", "faces/lfw/Aaron_Guiel_0001.jpg", 1),
];

#[test]
fn candle_matches_onnxruntime_on_raw_maps() {
    let model = YuNet::from_safetensors(&common::yunet_weights(), YuNetConfig::default()).unwrap();
    let reference = common::ParityReference::load("tests/parity/yunet/reference.safetensors");

    let mut worst = 0f32;
    for (name, rel, step) in PHOTOS {
        let (rgb, w, h) = common::subsampled_rgb(&common::shared().join(rel), step);
        let input = bgr_tensor(&rgb, w, h).unwrap();
        reference.assert_same_input(name, &input);
        let maps = model.forward(&input).unwrap();
        for (kind, tensors) in [
            ("cls", &maps.cls),
            ("obj", &maps.obj),
            ("bbox", &maps.bbox),
            ("kps", &maps.kps),
        ] {
            for (stride, got) in [8, 16, 32].iter().zip(tensors.iter()) {
                worst = worst.max(reference.max_abs_diff(&format!("{name}.{kind}_{stride}"), got));
            }
        }
    }
    println!("worst max abs diff over all maps: {worst:.2e}");
    assert!(worst <= 1e-3, "max abs diff {worst} > 1e-3");
}
