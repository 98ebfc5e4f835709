//! Same input and options → identical bytes; the lossless path is taken exactly when no pixel
//! needs to change, and the report says which path was used.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{decode, exif_orientation, Meta};
use hifu::{scrub_without_faces as scrub, Colour, OutputFormat, OutputKind, ScrubOptions};

fn twice(input: &[u8], options: &ScrubOptions) -> hifu::Scrubbed {
    let a = scrub(input, options).unwrap();
    let b = scrub(input, options).unwrap();
    assert_eq!(a.image, b.image, "two runs gave different bytes");
    assert_eq!(a.report, b.report);
    a
}

/// The JPEG from its first SOS marker on: the entropy-coded scan data (and EOI).
fn scan_data(jpeg: &[u8]) -> &[u8] {
    let sos = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("an SOS marker");
    &jpeg[sos..]
}

#[test]
fn a_plain_upright_jpeg_takes_the_lossless_path_and_keeps_its_scan_bit_identical() {
    let input = common::jpeg(
        &common::asymmetric(64, 48),
        85,
        Meta {
            exif: Some(exif_orientation(1)),
            icc: None,
        },
    );
    let out = twice(&input, &ScrubOptions::default());
    assert_eq!(out.report.output_kind, Some(OutputKind::Lossless));
    assert_eq!(out.report.colour, Some(Colour::None));
    assert_eq!(out.mime, "image/jpeg");
    assert!(out.image.len() < input.len(), "the EXIF segment is gone");
    assert_eq!(scan_data(&out.image), scan_data(&input));
    assert_eq!(decode(&out.image).as_bytes(), decode(&input).as_bytes());
}

#[test]
fn forcing_jpeg_still_allows_the_lossless_path() {
    let input = common::jpeg(&common::asymmetric(64, 48), 85, Meta::default());
    let options = ScrubOptions {
        format: OutputFormat::Jpeg,
        ..Default::default()
    };
    assert_eq!(
        twice(&input, &options).report.output_kind,
        Some(OutputKind::Lossless)
    );
}

#[test]
fn a_rotated_jpeg_is_re_encoded_identically_each_time_at_the_requested_quality() {
    let input = common::jpeg(
        &common::asymmetric(64, 48),
        85,
        Meta {
            exif: Some(exif_orientation(3)),
            icc: None,
        },
    );
    let high = twice(&input, &ScrubOptions::default());
    assert_eq!(high.report.output_kind, Some(OutputKind::ReEncoded));
    let low = twice(
        &input,
        &ScrubOptions {
            quality: 20,
            ..Default::default()
        },
    );
    assert!(
        low.image.len() < high.image.len(),
        "quality must reach the encoder"
    );
}

#[test]
fn png_and_webp_inputs_are_re_encoded_identically_each_time() {
    let png = common::png_rgb(&common::asymmetric(50, 30), Meta::default());
    let out = twice(&png, &ScrubOptions::default());
    assert_eq!(out.report.output_kind, Some(OutputKind::ReEncoded));
    assert_eq!(out.mime, "image/png");
    let webp = common::fixture("lossy.webp");
    assert_eq!(twice(&webp, &ScrubOptions::default()).mime, "image/png");
    let forced = twice(
        &webp,
        &ScrubOptions {
            format: OutputFormat::Jpeg,
            ..Default::default()
        },
    );
    assert_eq!(forced.mime, "image/jpeg");
}

#[test]
fn report_serialises_with_the_documented_field_names() {
    let input = common::jpeg(
        &common::asymmetric(64, 48),
        85,
        Meta {
            exif: Some(exif_orientation(8)),
            icc: None,
        },
    );
    let report =
        serde_json::to_value(scrub(&input, &ScrubOptions::default()).unwrap().report).unwrap();
    assert_eq!(report["status"], "ok");
    assert_eq!(report["input_format"], "jpeg");
    assert_eq!(report["output_format"], "jpeg");
    assert_eq!(report["output_mime"], "image/jpeg");
    assert_eq!(report["output_kind"], "re_encoded");
    assert_eq!(report["orientation_applied"], 8);
    assert_eq!(report["colour"], "none");
    assert_eq!(
        (report["width"].as_u64(), report["height"].as_u64()),
        (Some(48), Some(64))
    );
    assert_eq!(report["removed"], serde_json::json!(["exif"]));
    assert_eq!(report["faces"], serde_json::json!([]));
    assert!(report.get("gate").is_none() && report.get("error").is_none());
}
