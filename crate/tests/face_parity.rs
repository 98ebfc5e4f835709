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

use candle_core::{Device, Tensor};
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
    let reference_path = common::repo().join("tests/parity/yunet/reference.safetensors");
    let reference = candle_core::safetensors::load(&reference_path, &Device::Cpu).unwrap();
    let bytes = std::fs::read(&reference_path).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().clone().unwrap();

    let mut worst = 0f32;
    for (name, rel, step) in PHOTOS {
        let (rgb, w, h) = common::subsampled_rgb(&common::shared().join(rel), step);
        let input = bgr_tensor(&rgb, w, h).unwrap();
        let info: serde_json::Value = serde_json::from_str(&meta[name]).unwrap();
        let sum = input
            .to_dtype(candle_core::DType::F64)
            .unwrap()
            .sum_all()
            .unwrap();
        let sum = sum.to_scalar::<f64>().unwrap();
        assert_eq!(
            sum,
            info["input_sum"].as_f64().unwrap(),
            "{name}: the decoded input differs from the reference's (JPEG decoder mismatch)"
        );
        let maps = model.forward(&input).unwrap();
        for (kind, tensors) in [
            ("cls", &maps.cls),
            ("obj", &maps.obj),
            ("bbox", &maps.bbox),
            ("kps", &maps.kps),
        ] {
            for (stride, got) in [8, 16, 32].iter().zip(tensors.iter()) {
                let key = format!("{name}.{kind}_{stride}");
                let expected: &Tensor = &reference[&key];
                let got = got.squeeze(0).unwrap();
                assert_eq!(got.dims(), expected.dims(), "{key}");
                let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
                let diff = diff.to_scalar::<f32>().unwrap();
                println!("{key}: max abs diff {diff:.2e}");
                worst = worst.max(diff);
            }
        }
    }
    println!("worst max abs diff over all maps: {worst:.2e}");
    assert!(worst <= 1e-3, "max abs diff {worst} > 1e-3");
}
