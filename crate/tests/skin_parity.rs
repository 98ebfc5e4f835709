#![cfg(not(target_arch = "wasm32"))]
//! EfficientNet-Lite0 in candle vs PyTorch on the same exported weights.
//!
//! Expected values: `tests/parity/skin/reference.json`, produced by
//! `/work/venv-torch/bin/python tests/parity/skin/make_reference.py` (PyTorch, float32, CPU,
//! `scripts/train/prep.py` preprocessing, Pillow JPEG decoding) from `models/skin/`. Rerun it
//! whenever the weights change. Fixtures: one synthetic photo defined by a formula (same
//! pixels in both languages) and the dermoscopic and clinical photos named in
//! `tests/parity/skin/fixtures.txt`, read from `../shared/data` (not committed).
//!
//! JPEG decoders differ: the crate's (zune-jpeg via `image`) and Pillow's (libjpeg-turbo) give
//! pixels that differ by a level here and there, which moves logits by ~1e-2 — more than the
//! 1e-3 this test allows for the network. So the reference runs PyTorch on the crate's own
//! decoded pixels, written by the ignored test `dump_decoded_fixtures` (make_reference.py runs
//! it), and records Pillow-decoded logits beside them only for information.

use std::path::{Path, PathBuf};

use hifu::decode::{Limits, Pixels};
use hifu::skin::{classify, preprocess, SkinModel};
use serde_json::Value;
use zeroize::Zeroizing;

const MAX_LOGIT_DIFF: f32 = 1e-3;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn model() -> SkinModel {
    let dir = repo().join("models/skin");
    SkinModel::from_bytes(
        &std::fs::read(dir.join("skin.safetensors")).unwrap(),
        &std::fs::read_to_string(dir.join("calibration.json")).unwrap(),
        &std::fs::read_to_string(dir.join("labels.json")).unwrap(),
    )
    .unwrap()
}

fn reference() -> Value {
    let text = std::fs::read_to_string(repo().join("tests/parity/skin/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// The synthetic photo of make_reference.py: r = (7x + 3y) mod 256, g = xy mod 256,
/// b = (x + 2y + 40) mod 256, 203 × 151.
fn synthetic() -> Pixels {
    let (w, h) = (203u32, 151u32);
    let mut data = Vec::new();
    for y in 0..h {
        for x in 0..w {
            data.push(((x * 7 + y * 3) % 256) as u8);
            data.push(((x * y) % 256) as u8);
            data.push(((x + 2 * y + 40) % 256) as u8);
        }
    }
    Pixels::new(w, h, 3, Zeroizing::new(data)).unwrap()
}

fn fixture(reference: &Value, name: &str) -> Value {
    reference["fixtures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap()
        .clone()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Logits, calibrated probabilities and the raw CAM of the top class match PyTorch.
fn assert_matches(model: &SkinModel, pixels: &Pixels, expected: &Value) {
    let name = expected["name"].as_str().unwrap();
    let forward = model.forward(pixels).unwrap();
    let logit_diff = max_diff(&forward.logits, &floats(&expected["logits"]));
    assert!(
        logit_diff <= MAX_LOGIT_DIFF,
        "{name}: max |logit diff| {logit_diff}"
    );

    let top = expected["top"].as_u64().unwrap() as usize;
    let (h, w, cam) = model.raw_cam(&forward, top).unwrap();
    let expected_cam: Vec<f32> = expected["cam_raw"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(floats)
        .collect();
    assert_eq!(h * w, expected_cam.len(), "{name}: CAM size");
    let cam_scale = expected_cam.iter().map(|v| v.abs()).fold(1.0, f32::max);
    let cam_diff = max_diff(&cam, &expected_cam);
    assert!(
        cam_diff <= 1e-4 * cam_scale,
        "{name}: CAM differs by {cam_diff}"
    );

    let result = classify(pixels, model).unwrap();
    let codes = &model.config.classes;
    for (k, p) in floats(&expected["probabilities"]).iter().enumerate() {
        let got = result
            .classes
            .iter()
            .find(|c| c.code == codes[k])
            .unwrap()
            .probability;
        assert!(
            (got - p).abs() < 1e-4,
            "{name}: probability of {} {got} vs {p}",
            codes[k]
        );
    }
    assert_eq!(
        result.heat_map.class, codes[top],
        "{name}: heat map is for the top class"
    );
}

#[test]
fn preprocessing_matches_python_on_identical_pixels() {
    let model = model();
    let reference = reference();
    let expected = fixture(&reference, "synthetic");
    let input = preprocess::to_input(&synthetic(), &model.config.preprocessing).unwrap();
    let size = model.config.preprocessing.size;
    let samples = expected["input_samples"].as_array().unwrap();
    assert!(samples.len() >= 10);
    for sample in samples {
        let s = floats(sample);
        let (c, y, x) = (s[0] as usize, s[1] as usize, s[2] as usize);
        let got = input[(c * size + y) * size + x];
        assert!(
            (got - s[3]).abs() < 1e-5,
            "input[{c},{y},{x}] = {got}, python {}",
            s[3]
        );
    }
    let plane = size * size;
    for (c, want) in floats(&expected["input_channel_sums"]).iter().enumerate() {
        let got: f32 = input[c * plane..(c + 1) * plane].iter().sum();
        assert!((got - want).abs() < 1e-2, "channel {c} sum {got} vs {want}");
    }
}

#[test]
fn network_matches_pytorch_on_a_synthetic_photo() {
    let reference = reference();
    assert_matches(&model(), &synthetic(), &fixture(&reference, "synthetic"));
}

#[test]
fn network_matches_pytorch_on_skin_photos() {
    let images = repo().join("../shared/data");
    if !images.is_dir() {
        eprintln!(
            "skipping: {} not found (read-only data, not in the repo)",
            images.display()
        );
        return;
    }
    let model = model();
    let reference = reference();
    let fixtures = reference["fixtures"].as_array().unwrap();
    let mut checked = 0;
    for expected in fixtures.iter().filter(|f| f["name"] != "synthetic") {
        let name = expected["name"].as_str().unwrap();
        let bytes = std::fs::read(images.join(name)).unwrap();
        let pixels = hifu::skin::upright_pixels(&bytes, &Limits::default()).unwrap();
        // The reference ran on the pixels this decoder produced (see dump_decoded_fixtures);
        // a different sum means the decoder changed, not the network.
        let sum: u64 = pixels.samples().iter().map(|&v| u64::from(v)).sum();
        assert_eq!(
            sum,
            expected["decoded_pixel_sum"].as_u64().unwrap(),
            "{name}: decoded pixels changed since reference.json was made: rerun make_reference.py"
        );
        assert_matches(&model, &pixels, expected);
        checked += 1;
    }
    assert!(checked >= 3, "reference.json has too few photo fixtures");
}

/// Writes the crate-decoded fixture photos as PPM files into `$HIFU_SKIN_DUMP` for
/// make_reference.py (ignored: a step of producing the reference, not a check).
#[test]
#[ignore]
fn dump_decoded_fixtures() {
    let dir = PathBuf::from(std::env::var("HIFU_SKIN_DUMP").unwrap());
    let images = repo().join("../shared/data");
    let names = std::fs::read_to_string(repo().join("tests/parity/skin/fixtures.txt")).unwrap();
    for name in names.lines().filter(|l| !l.is_empty()) {
        let bytes = std::fs::read(images.join(name)).unwrap();
        let pixels = hifu::skin::upright_pixels(&bytes, &Limits::default()).unwrap();
        assert_eq!(pixels.channels(), 3);
        let mut ppm = format!("P6\n{} {}\n255\n", pixels.width(), pixels.height()).into_bytes();
        ppm.extend_from_slice(pixels.samples());
        std::fs::write(dir.join(format!("{}.ppm", name.replace('/', "_"))), ppm).unwrap();
    }
}
