//! The scrub bindings in a real browser (headless Chromium via wasm-bindgen-test):
//! photos made in memory go through `hifu::wasm::scrub` exactly as a page calls it.
//! These photos hold no faces and no weights are embedded, so the metadata tests opt out of
//! face detection explicitly; the fail-closed tests check what happens when they do not.
//! (Detection on a real photo with the real weights: tests/e2e/clinician_faces.test.mjs.)
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p hifu --target wasm32-unknown-unknown --release
//! --no-default-features --test wasm_scrub` (scripts/test does).
#![cfg(target_arch = "wasm32")]

use hifu::wasm::scrub::{categories, inspect, scrub, FaceDetector, TYPESCRIPT};
use hifu::Category;
use js_sys::{Array, Reflect, Uint8Array};
use std::io::Cursor;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A 16×8 JPEG whose left half is dark and right half light, so orientation is visible.
fn jpeg_16x8() -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 8, |x, _| {
        if x < 8 {
            image::Rgb([20, 30, 40])
        } else {
            image::Rgb([230, 220, 210])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(&img)
        .unwrap();
    out
}

/// A big-endian EXIF block: Orientation = `orientation`, and a GPS IFD with a latitude
/// reference, the smallest thing a reader recognises as a GPS position being present.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // header, IFD0 at 8
    tiff.extend_from_slice(&2u16.to_be_bytes()); // IFD0: 2 entries
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // Orientation, SHORT, 1
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    let gps_ifd = 8 + 2 + 2 * 12 + 4;
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]); // GPSInfo pointer, LONG, 1
    tiff.extend_from_slice(&(gps_ifd as u32).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no IFD1
    tiff.extend_from_slice(&1u16.to_be_bytes()); // GPS IFD: 1 entry
    tiff.extend_from_slice(&[0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]); // GPSLatitudeRef "N"
    tiff.extend_from_slice(&0u32.to_be_bytes());

    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

/// `jpeg` with the EXIF block and a comment inserted right after SOI.
fn jpeg_with_metadata(orientation: u16) -> Vec<u8> {
    let plain = jpeg_16x8();
    let comment = b"patient Yamada Taro";
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&exif_app1(orientation));
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment);
    out.extend_from_slice(&plain[2..]);
    out
}

fn png_12x6() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(12, 6, |x, y| {
        image::Rgba([(x * 20) as u8, (y * 40) as u8, 99, 255])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn strings(v: &JsValue) -> Vec<String> {
    Array::from(v)
        .iter()
        .map(|s| s.as_string().unwrap())
        .collect()
}

fn options(json: &str) -> Option<JsValue> {
    Some(js_sys::JSON::parse(json).unwrap())
}

/// The explicit operator decision that these face-free test photos need no detector.
fn no_faces() -> Option<JsValue> {
    options(NO_FACES)
}

const NO_FACES: &str = r#"{"face":{"detect":false}}"#;

fn output_image(result: &JsValue) -> image::DynamicImage {
    let bytes = get(result, "image")
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    image::load_from_memory(&bytes).unwrap()
}

/// The thrown value's `code`, after checking it is a `HifuError` with a message.
fn error_code(thrown: JsValue) -> String {
    let error = thrown
        .dyn_into::<js_sys::Error>()
        .expect("a JS Error is thrown");
    assert_eq!(String::from(error.name()), "HifuError");
    assert!(!String::from(error.message()).is_empty());
    get(&error, "code")
        .as_string()
        .expect("the error has a string code")
}

#[wasm_bindgen_test]
fn jpeg_with_exif_comes_back_upright_and_clean() {
    let input = jpeg_with_metadata(6);
    let result = scrub(&Uint8Array::from(input.as_slice()), no_faces()).unwrap();

    assert_eq!(get(&result, "mime").as_string().unwrap(), "image/jpeg");
    let report = get(&result, "report");
    assert_eq!(get(&report, "status").as_string().unwrap(), "ok");
    assert_eq!(get(&report, "orientation_applied").as_f64().unwrap(), 6.0);
    assert_eq!(
        get(&report, "output_kind").as_string().unwrap(),
        "re_encoded"
    );
    let removed = strings(&get(&report, "removed"));
    for category in ["exif", "exif_gps", "comment"] {
        assert!(
            removed.contains(&category.to_string()),
            "{category} missing from {removed:?}"
        );
    }

    // Orientation 6 = rotate 90° clockwise: the 16×8 photo is now 8×16, dark half on top.
    let out = output_image(&result).to_rgb8();
    assert_eq!(out.dimensions(), (8, 16));
    assert!(out.get_pixel(4, 2).0[0] < 100 && out.get_pixel(4, 13).0[0] > 150);

    let bytes = get(&result, "image")
        .dyn_into::<Uint8Array>()
        .unwrap()
        .to_vec();
    assert!(!bytes.windows(6).any(|w| w == b"Exif\0\0"), "EXIF survived");
    assert!(
        !bytes.windows(5).any(|w| w == b"Yamad"),
        "the comment survived"
    );
}

#[wasm_bindgen_test]
fn png_without_metadata_stays_png_with_nothing_removed() {
    let result = scrub(&Uint8Array::from(png_12x6().as_slice()), no_faces()).unwrap();
    assert_eq!(get(&result, "mime").as_string().unwrap(), "image/png");
    let report = get(&result, "report");
    assert!(strings(&get(&report, "removed")).is_empty());
    assert_eq!(get(&report, "orientation_applied").as_f64().unwrap(), 1.0);
    assert_eq!(
        output_image(&result).to_rgba8(),
        image::load_from_memory(&png_12x6()).unwrap().to_rgba8()
    );
}

#[wasm_bindgen_test]
fn options_choose_the_output_format() {
    let input = Uint8Array::from(jpeg_with_metadata(1).as_slice());
    let result = scrub(
        &input,
        options(r#"{"format":"png","face":{"detect":false}}"#),
    )
    .unwrap();
    assert_eq!(get(&result, "mime").as_string().unwrap(), "image/png");
    assert_eq!(output_image(&result).to_rgb8().dimensions(), (16, 8));
}

#[wasm_bindgen_test]
fn inspect_lists_categories_without_values() {
    let inventory = inspect(
        &Uint8Array::from(jpeg_with_metadata(1).as_slice()),
        no_faces(),
    )
    .unwrap();
    let categories = strings(&get(&inventory, "categories"));
    assert!(categories.contains(&"exif".to_string()), "{categories:?}");
    assert!(!js_sys::JSON::stringify(&inventory)
        .unwrap()
        .as_string()
        .unwrap()
        .contains("Yamada"));
}

#[wasm_bindgen_test]
fn empty_truncated_and_garbage_inputs_throw_typed_errors() {
    let jpeg = jpeg_with_metadata(1);
    let cases: [(&str, Vec<u8>); 3] = [
        ("decode.empty", Vec::new()),
        ("container.truncated", jpeg[..jpeg.len() / 2].to_vec()),
        (
            "decode.unknown_format",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
    ];
    for (expected, bytes) in cases {
        let thrown = scrub(&Uint8Array::from(bytes.as_slice()), no_faces()).expect_err(expected);
        assert_eq!(error_code(thrown), expected);
    }
    // inspect reads only the container: a cut-off JPEG body is not its business, but empty
    // and unknown input are.
    for (expected, bytes) in [
        ("decode.empty", Vec::new()),
        ("decode.unknown_format", b"GIF89a....".to_vec()),
    ] {
        let thrown = inspect(&Uint8Array::from(bytes.as_slice()), None).expect_err(expected);
        assert_eq!(error_code(thrown), expected);
    }
}

#[wasm_bindgen_test]
fn malformed_options_throw_options_invalid() {
    let input = Uint8Array::from(png_12x6().as_slice());
    let thrown =
        scrub(&input, options(r#"{"quality":"high"}"#)).expect_err("quality must be a number");
    assert_eq!(error_code(thrown), "options.invalid");
    let thrown =
        scrub(&input, options(r#"{"format":"gif"}"#)).expect_err("gif is not an output format");
    assert_eq!(error_code(thrown), "options.invalid");
}

#[wasm_bindgen_test]
fn typescript_names_match_the_core() {
    let listed = Array::from(&categories());
    assert_eq!(listed.length() as usize, Category::ALL.len());
    for (category, entry) in Category::ALL.iter().zip(listed.iter()) {
        assert_eq!(get(&entry, "name").as_string().unwrap(), category.name());
        assert_eq!(get(&entry, "label").as_string().unwrap(), category.label());
        assert!(
            TYPESCRIPT.contains(&format!("\"{}\"", category.name())),
            "{} missing from the .d.ts",
            category.name()
        );
    }
}

#[wasm_bindgen_test]
fn scrub_without_weights_fails_closed() {
    let input = Uint8Array::from(jpeg_with_metadata(6).as_slice());
    // Default options mean "detect faces": with no detector there is no output at all.
    for opts in [
        None,
        options("{}"),
        options(r#"{"face":{"redact":"pixelate"}}"#),
    ] {
        let thrown = scrub(&input, opts).expect_err("no weights must not scrub");
        assert_eq!(error_code(thrown), "face.weights_missing");
    }
    // Only the explicit opt-out scrubs, and then no gate ran and no face is listed.
    let result = scrub(&input, no_faces()).unwrap();
    let report = get(&result, "report");
    assert_eq!(get(&report, "status").as_string().unwrap(), "ok");
    assert!(get(&report, "gate").is_undefined());
    assert_eq!(Array::from(&get(&report, "faces")).length(), 0);
}

#[wasm_bindgen_test]
fn face_detector_rejects_bad_weights_at_construction() {
    for bytes in [Vec::new(), b"not a safetensors file".to_vec()] {
        // Bad bytes in either file are refused before any photo arrives.
        let bad = Uint8Array::from(bytes.as_slice());
        let thrown = FaceDetector::new(&bad, &bad)
            .err()
            .expect("bad weights must throw");
        assert_eq!(error_code(thrown), "face.bad_weights");
    }
}

#[wasm_bindgen_test]
fn face_options_must_parse() {
    let input = Uint8Array::from(png_12x6().as_slice());
    let thrown = scrub(&input, options(r#"{"face":{"redact":"smudge"}}"#))
        .expect_err("smudge is not a redaction");
    assert_eq!(error_code(thrown), "options.invalid");
}
