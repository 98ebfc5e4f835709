//! The face step inside `scrub`: faces are redacted and listed, full-face portraits are
//! excluded unless overridden, missing weights fail closed, odd images never panic.
//! Needs models/face/{yunet_n,centerface}.safetensors (scripts/convert-yunet,
//! scripts/convert-centerface) and ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::face::{FaceOptions, FaceStep, FaceWeights};
use hifu::redact::{RedactMode, FILL_RGB};
use hifu::scrub::scrub_with;
use hifu::{OutputKind, ScrubOptions, Status};

fn weights() -> (Vec<u8>, Vec<u8>) {
    (common::yunet_weights(), common::centerface_weights())
}

fn photo(rel: &str) -> Vec<u8> {
    std::fs::read(common::shared().join(rel)).unwrap()
}

fn step(options: FaceOptions) -> FaceStep {
    let (yunet, centerface) = weights();
    let weights = FaceWeights {
        yunet: &yunet,
        centerface: &centerface,
    };
    FaceStep::new(Some(weights), options, 42)
}

#[test]
fn faces_in_a_group_photo_are_filled_and_listed() {
    let input = photo("faces/images/2007_007763.jpg");
    let out = scrub_with(
        &input,
        &ScrubOptions::default(),
        &mut step(FaceOptions::default()),
    )
    .unwrap();
    assert_eq!(out.report.status, Status::Ok);
    assert_eq!(out.report.output_kind, Some(OutputKind::ReEncoded));
    let faces = &out.report.faces;
    assert!(faces.len() >= 7, "7 labelled faces, {} found", faces.len());
    assert!(faces
        .iter()
        .all(|f| f.score >= 0.4 && f.landmarks.len() == 5));
    assert_eq!(out.report.gate.as_ref().map(|g| g.excluded), Some(false));

    let original = image::load_from_memory(&input).unwrap().to_rgb8();
    let clean = image::load_from_memory(&out.image).unwrap().to_rgb8();
    for f in faces {
        let (cx, cy) = ((f.x + f.width / 2.0) as u32, (f.y + f.height / 2.0) as u32);
        let p = clean.get_pixel(cx, cy).0;
        assert!(
            p.iter().zip(FILL_RGB).all(|(a, b)| a.abs_diff(b) <= 4),
            "face centre {cx},{cy} is {p:?}, not the fill colour"
        );
        assert_ne!(original.get_pixel(cx, cy).0, p);
    }
    // Far from every face (the bottom-left corner of the photo) the pixels are the original's,
    // give or take JPEG re-encoding.
    let (o, c) = (original.get_pixel(5, 370).0, clean.get_pixel(5, 370).0);
    assert!(
        o.iter().zip(c).all(|(a, b)| a.abs_diff(b) <= 12),
        "{o:?} vs {c:?}"
    );
}

#[test]
fn a_full_face_portrait_is_excluded_unless_overridden() {
    let input = photo("faces/lfw/Aaron_Guiel_0001.jpg");
    let out = scrub_with(
        &input,
        &ScrubOptions::default(),
        &mut step(FaceOptions::default()),
    )
    .unwrap();
    assert_eq!(out.report.status, Status::Excluded);
    let gate = out.report.gate.unwrap();
    assert!(gate.excluded);
    assert_eq!(gate.reason.as_deref(), Some("full_face"));
    assert!(out.image.is_empty());
    assert!(!out.report.faces.is_empty());

    let allow = FaceOptions {
        allow_full_face: true,
        ..FaceOptions::default()
    };
    let out = scrub_with(&input, &ScrubOptions::default(), &mut step(allow)).unwrap();
    assert_eq!(out.report.status, Status::Ok);
    let clean = image::load_from_memory(&out.image).unwrap().to_rgb8();
    let f = &out.report.faces[0];
    let p = clean
        .get_pixel((f.x + f.width / 2.0) as u32, (f.y + f.height / 2.0) as u32)
        .0;
    assert!(
        p.iter().zip(FILL_RGB).all(|(a, b)| a.abs_diff(b) <= 4),
        "{p:?}"
    );
}

#[test]
fn pixelate_and_blur_change_the_face_region() {
    let input = photo("faces/images/2008_001322.jpg");
    let original = image::load_from_memory(&input).unwrap().to_rgb8();
    for mode in [RedactMode::Pixelate, RedactMode::Blur] {
        let options = FaceOptions {
            redact: mode,
            ..FaceOptions::default()
        };
        let out = scrub_with(&input, &ScrubOptions::default(), &mut step(options)).unwrap();
        let clean = image::load_from_memory(&out.image).unwrap().to_rgb8();
        let f = &out.report.faces[0];
        let (x0, y0) = (f.x as u32, f.y as u32);
        let mut diff = 0u64;
        for y in y0..y0 + f.height as u32 {
            for x in x0..x0 + f.width as u32 {
                let (a, b) = (original.get_pixel(x, y).0, clean.get_pixel(x, y).0);
                diff += a
                    .iter()
                    .zip(b)
                    .map(|(a, b)| u64::from(a.abs_diff(b)))
                    .sum::<u64>();
            }
        }
        let per_sample = diff as f64 / (f.width * f.height * 3.0) as f64;
        assert!(
            per_sample > 8.0,
            "{mode:?}: mean change {per_sample:.1} levels"
        );
    }
}

#[test]
fn missing_weights_fail_closed() {
    let input = photo("faces/images/2007_007763.jpg");
    let mut step = FaceStep::new(None, FaceOptions::default(), 0);
    let err = scrub_with(&input, &ScrubOptions::default(), &mut step).unwrap_err();
    assert_eq!(err.code(), "face.weights_missing");
    assert!(err.to_string().contains("convert-yunet"));

    let (yunet, centerface) = weights();
    for broken in [
        FaceWeights {
            yunet: b"not safetensors",
            centerface: &centerface,
        },
        FaceWeights {
            yunet: &yunet,
            centerface: b"not safetensors",
        },
    ] {
        let mut step = FaceStep::new(Some(broken), FaceOptions::default(), 0);
        let err = scrub_with(&input, &ScrubOptions::default(), &mut step).unwrap_err();
        assert_eq!(err.code(), "face.bad_weights");
    }
}

#[test]
fn detection_off_is_explicit_and_keeps_the_lossless_path() {
    let input = photo("faces/images/2007_007763.jpg");
    let out = scrub_with(&input, &ScrubOptions::default(), &mut FaceStep::disabled()).unwrap();
    assert_eq!(out.report.status, Status::Ok);
    assert!(out.report.faces.is_empty());
    assert!(out.report.gate.is_none());
    assert_eq!(out.report.output_kind, Some(OutputKind::Lossless));
}

fn png(img: image::DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn odd_images_never_panic() {
    let mut step = step(FaceOptions::default());
    let inputs = [
        png(image::DynamicImage::ImageRgb8(image::RgbImage::new(1, 1))),
        png(image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            10000,
            10,
            image::Rgb([200, 150, 120]),
        ))),
        png(image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            10,
            10000,
            image::Rgb([20, 50, 90]),
        ))),
        png(image::DynamicImage::ImageLuma8(
            image::GrayImage::from_pixel(64, 48, image::Luma([77])),
        )),
        png(image::DynamicImage::ImageRgba8(
            image::RgbaImage::from_pixel(33, 17, image::Rgba([1, 2, 3, 0])),
        )),
    ];
    for input in inputs {
        let out = scrub_with(&input, &ScrubOptions::default(), &mut step).unwrap();
        assert_eq!(out.report.status, Status::Ok);
    }
    // A grey LFW portrait with alpha: still found (and excluded as a full face).
    let face = image::load_from_memory(&photo("faces/lfw/Aaron_Guiel_0001.jpg")).unwrap();
    for img in [
        image::DynamicImage::ImageLuma8(face.to_luma8()),
        image::DynamicImage::ImageRgba8(face.to_rgba8()),
    ] {
        let out = scrub_with(&png(img), &ScrubOptions::default(), &mut step).unwrap();
        assert_eq!(out.report.status, Status::Excluded);
    }
}
