//! A file cut short anywhere gives a typed error (never a panic, never an output).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;

use common::{fixture, Meta};
use hifu::{scrub_without_faces as scrub, ScrubOptions};
use image::DynamicImage;

fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(common::asymmetric(40, 30))
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let exif = common::exif_orientation(6);
    vec![
        (
            "baseline JPEG with EXIF",
            common::jpeg(
                &common::asymmetric(40, 30),
                90,
                Meta {
                    exif: Some(exif),
                    icc: None,
                },
            ),
        ),
        ("progressive JPEG", fixture("progressive.jpg")),
        ("CMYK JPEG", fixture("cmyk.jpg")),
        ("PNG", encoded(image::ImageFormat::Png)),
        ("lossless WebP", encoded(image::ImageFormat::WebP)),
        ("lossy WebP", fixture("lossy.webp")),
        ("TIFF", encoded(image::ImageFormat::Tiff)),
    ]
}

/// Every prefix of every input, tallied by error code.
fn codes_for(bytes: &[u8]) -> BTreeMap<String, Vec<usize>> {
    let mut codes: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for cut in 0..bytes.len() {
        let code = match scrub(&bytes[..cut], &ScrubOptions::default()) {
            Ok(_) => "OK".to_owned(),
            Err(e) => e.code().to_owned(),
        };
        codes.entry(code).or_default().push(cut);
    }
    codes
}

/// Bytes the sniffer needs before it can name the format.
fn signature_len(name: &str) -> usize {
    match name {
        n if n.contains("JPEG") => 3,
        "PNG" => 8,
        n if n.contains("WebP") => 12,
        _ => 4, // TIFF
    }
}

#[test]
fn every_prefix_of_every_format_is_a_truncation_error() {
    for (name, bytes) in inputs() {
        assert!(
            scrub(&bytes, &ScrubOptions::default()).is_ok(),
            "{name}: the whole file must scrub"
        );
        let signature = signature_len(name);
        for (code, cuts) in codes_for(&bytes) {
            let summary = format!(
                "{name} ({} bytes): {code} at {} cuts, first {:?}",
                bytes.len(),
                cuts.len(),
                &cuts[..cuts.len().min(8)]
            );
            let allowed = match code.as_str() {
                "decode.empty" => cuts == [0],
                "decode.unknown_format" => cuts.iter().all(|&c| c > 0 && c < signature),
                "decode.truncated" | "container.truncated" => cuts.iter().all(|&c| c >= signature),
                // A TIFF cut inside its 8-byte header loses the IFD offset: the tag
                // structure (which is EXIF's) is reported as damaged.
                "container.malformed_exif" => name == "TIFF" && cuts.iter().all(|&c| c < 8),
                _ => false,
            };
            assert!(allowed, "{summary}");
        }
    }
}

#[test]
fn a_larger_jpeg_cut_anywhere_in_its_scan_data_is_truncated() {
    // zune-jpeg decodes a cut scan leniently (grey fill); hifu must still refuse it, because
    // the photo is incomplete. The container walk catches the missing end of image.
    let image = common::asymmetric(320, 240);
    let bytes = common::jpeg(&image, 92, Meta::default());
    for cut in (bytes.len() / 4..bytes.len())
        .step_by(97)
        .chain([bytes.len() - 2, bytes.len() - 1])
    {
        let error = scrub(&bytes[..cut], &ScrubOptions::default()).unwrap_err();
        assert!(
            error.code().ends_with(".truncated"),
            "cut at {cut}: {}",
            error.code()
        );
        assert!(error.to_string().contains("ends early"), "{error}");
    }
}
