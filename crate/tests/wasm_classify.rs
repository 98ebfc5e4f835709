//! The classifier bindings in a real browser (headless Chromium via wasm-bindgen-test): the
//! page's `Classifier`, built from the committed `models/skin/` files, on the synthetic photo of
//! tests/parity/skin/make_reference.py (sent as a lossless PNG, so the pixels are exactly the
//! reference's). The calibrated probabilities must match PyTorch's, which checks the wasm
//! build's own arithmetic (simd128 GEMM, hifu's im2col and fused kernels) end to end.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p hifu --target wasm32-unknown-unknown --release
//! --no-default-features --test wasm_classify` (scripts/test does).
#![cfg(target_arch = "wasm32")]

use hifu::wasm::classify::Classifier;
use js_sys::Reflect;
use serde_json::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const WEIGHTS: &[u8] = include_bytes!("../../models/skin/skin.safetensors");
const CALIBRATION: &str = include_str!("../../models/skin/calibration.json");
const LABELS: &str = include_str!("../../models/skin/labels.json");
const REFERENCE: &str = include_str!("../../tests/parity/skin/reference.json");

/// r = (7x + 3y) mod 256, g = xy mod 256, b = (x + 2y + 40) mod 256, 203 × 151, as PNG.
fn synthetic_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(203, 151, |x, y| {
        image::Rgb([
            ((x * 7 + y * 3) % 256) as u8,
            ((x * y) % 256) as u8,
            ((x + 2 * y + 40) % 256) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn classifier() -> Classifier {
    Classifier::new(WEIGHTS, CALIBRATION, LABELS).unwrap_or_else(|e| panic!("{e:?}"))
}

#[wasm_bindgen_test]
fn calibrated_probabilities_match_pytorch() {
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let expected = reference["fixtures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "synthetic")
        .unwrap();
    let want: Vec<f64> = expected["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let codes: Vec<String> = serde_json::from_str::<Value>(CALIBRATION).unwrap()["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();

    let result = classifier()
        .classify(&synthetic_png())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let got: Value = serde_wasm_bindgen::from_value(result).unwrap();
    let classes = got["classes"].as_array().unwrap();
    assert_eq!(classes.len(), codes.len(), "every class is listed");
    let probabilities: Vec<f64> = classes
        .iter()
        .map(|c| c["probability"].as_f64().unwrap())
        .collect();
    assert!(
        probabilities.windows(2).all(|p| p[0] >= p[1]),
        "sorted by probability: {probabilities:?}"
    );
    for class in classes {
        let code = class["code"].as_str().unwrap();
        let index = codes.iter().position(|c| c == code).unwrap();
        let (p, w) = (class["probability"].as_f64().unwrap(), want[index]);
        assert!((p - w).abs() < 1e-4, "{code}: wasm {p}, PyTorch {w}");
        assert!(
            !class["ja"].as_str().unwrap().is_empty(),
            "{code} has a Japanese name"
        );
    }
    let top = expected["top"].as_u64().unwrap() as usize;
    assert_eq!(classes[0]["code"], codes[top].as_str());
    assert_eq!(got["heat_map"]["class"], codes[top].as_str());
    let cells =
        got["heat_map"]["width"].as_u64().unwrap() * got["heat_map"]["height"].as_u64().unwrap();
    assert_eq!(
        got["heat_map"]["values"].as_array().unwrap().len() as u64,
        cells
    );
    // Each alert reaches JS as one plain object (a JS Map would not convert to these fields).
    let alerts = got["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    for a in alerts {
        assert!(a["threshold"].is_number() && a["sensitivity"].is_number(), "{a}");
        assert!(a["name"].is_string() && a["raised"].is_boolean(), "{a}");
    }
    // A formula image is nothing like a lesion: whatever the classes say, the abstention must
    // be one of the documented decisions and carry its reason.
    let decision = got["abstention"]["decision"].as_str().unwrap();
    assert!(
        ["confident", "not_sure", "not_skin"].contains(&decision),
        "{decision}"
    );
    assert!(!got["abstention"]["reason"].as_str().unwrap().is_empty());
}

#[wasm_bindgen_test]
fn a_file_that_is_not_a_photo_is_a_typed_error() {
    let error = classifier().classify(b"%PDF-1.7 not a photo").unwrap_err();
    let code = Reflect::get(&error, &"code".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(
        code.starts_with("decode.") || code.starts_with("container."),
        "{code}"
    );
    assert!(Reflect::get(&error, &"message".into())
        .unwrap()
        .as_string()
        .is_some());
}

#[wasm_bindgen_test]
fn weights_that_are_not_safetensors_are_refused() {
    let error = Classifier::new(b"not weights", CALIBRATION, LABELS)
        .err()
        .unwrap();
    let code = Reflect::get(&error, &"code".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(code.starts_with("skin."), "{code}");
}
