//! The PP-OCRv4 text detector in candle vs the reference ONNX export in onnxruntime, on the
//! probability map.
//!
//! Expected values: tests/parity/ppocr/reference.safetensors, written by
//! tests/parity/ppocr/make_reference.py (onnxruntime 1.23 on `ch_PP-OCRv4_det_infer.onnx` from
//! the PyPI wheel rapidocr-onnxruntime 1.4.4, float32 weights). This test converts the same ONNX
//! in float32 with the converter hifu ships (crate/examples/convert_ppocr_det.rs), so it
//! measures the port; the int8 weights' effect on detection is in models/text/README.md.
//! Both sides decode the same JPEGs, keep every `step`-th pixel and crop to multiples of 32.
//! Needs models/text/.download/ch_PP-OCRv4_det_infer.onnx (scripts/convert-ppocr-det) and ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[allow(dead_code)]
#[path = "../examples/convert_ppocr_det.rs"]
mod convert_ppocr_det;

use hifu::text::{PpOcrDet, PpOcrDetConfig};

/// (name, path under ../shared, step): the same list as PHOTOS in make_reference.py.
const PHOTOS: [(&str, &str, usize); 2] = [
    ("dermnet", "data/clinical/dermnet/Acne vulgaris/154.jpg", 1),
    ("mednode", "data/clinical/mednode/melanoma/136733.jpg", 3),
];

fn cropped(rgb: &[u8], w: usize, h: usize) -> (Vec<u8>, usize, usize) {
    let (cw, ch) = (w / 32 * 32, h / 32 * 32);
    let mut out = Vec::with_capacity(cw * ch * 3);
    for row in rgb.chunks_exact(w * 3).take(ch) {
        out.extend_from_slice(&row[..cw * 3]);
    }
    (out, cw, ch)
}

#[test]
fn candle_matches_onnxruntime_on_the_probability_map() {
    let onnx = common::repo().join("models/text/.download/ch_PP-OCRv4_det_infer.onnx");
    let dir = tempfile::tempdir().unwrap();
    let f32_weights = dir.path().join("ppocr_det_f32.safetensors");
    convert_ppocr_det::convert(onnx.to_str().unwrap(), f32_weights.to_str().unwrap(), false)
        .expect("convert the ONNX export (run scripts/convert-ppocr-det first)");
    let model = PpOcrDet::from_safetensors(&std::fs::read(&f32_weights).unwrap(), PpOcrDetConfig::default()).unwrap();
    let reference = common::ParityReference::load("tests/parity/ppocr/reference.safetensors");

    let mut worst = 0f32;
    for (name, rel, step) in PHOTOS {
        let (rgb, w, h) = common::subsampled_rgb(&common::shared().join(rel), step);
        let (rgb, w, h) = cropped(&rgb, w, h);
        let input = model.input(&rgb, w, h).unwrap();
        reference.assert_same_input(name, &input);
        let map = model.forward(&input).unwrap();
        worst = worst.max(reference.max_abs_diff(&format!("{name}.map"), &map));
    }
    println!("worst max abs diff: {worst:.2e}");
    assert!(worst <= 1e-3, "max abs diff {worst} > 1e-3");
}
