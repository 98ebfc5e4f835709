//! All eight EXIF orientations come out as the same upright pixels, with no EXIF left.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{asymmetric, decode, diff, exif_orientation, Meta};
use hifu::{scrub_without_faces as scrub, Category, OutputKind, ScrubOptions};
use image::{metadata::Orientation, DynamicImage, RgbImage};

/// The stored pixels a camera writes for `upright` when it tags them with `value`: the inverse
/// of what a viewer does (6 and 8 undo each other; the other six are their own inverse). Done
/// with the `image` crate, not hifu's own orientation code.
fn stored_for(upright: &RgbImage, value: u8) -> RgbImage {
    let inverse = match value {
        6 => 8,
        8 => 6,
        v => v,
    };
    let mut image = DynamicImage::ImageRgb8(upright.clone());
    image.apply_orientation(Orientation::from_exif(inverse).unwrap());
    image.to_rgb8()
}

#[test]
fn png_inputs_in_all_eight_orientations_give_identical_upright_pixels() {
    // Odd sizes, so an off-by-one in any mirror or rotation shows.
    let upright = asymmetric(33, 21);
    for value in 1..=8u8 {
        let stored = stored_for(&upright, value);
        let input = common::png_rgb(
            &stored,
            Meta {
                exif: Some(exif_orientation(value.into())),
                icc: None,
            },
        );
        let out = scrub(&input, &ScrubOptions::default()).unwrap();
        assert_eq!(out.report.orientation_applied, Some(value));
        assert!(
            out.report.removed.contains(&Category::Exif),
            "{:?}",
            out.report.removed
        );
        assert_eq!(out.mime, "image/png");
        let got = decode(&out.image).to_rgb8();
        assert_eq!(
            got.dimensions(),
            upright.dimensions(),
            "orientation {value}"
        );
        assert!(
            got.as_raw() == upright.as_raw(),
            "orientation {value}: pixels are not upright"
        );
        let left = hifu::inspect(&out.image, &Default::default()).unwrap();
        assert!(
            left.categories.is_empty(),
            "orientation {value}: output still carries {left:?}"
        );
    }
}

#[test]
fn jpeg_inputs_in_all_eight_orientations_give_the_same_upright_pixels() {
    let upright = asymmetric(96, 64);
    let mut outputs = Vec::new();
    for value in 1..=8u8 {
        let stored = stored_for(&upright, value);
        let input = common::jpeg(
            &stored,
            95,
            Meta {
                exif: Some(exif_orientation(value.into())),
                icc: None,
            },
        );
        let out = scrub(&input, &ScrubOptions::default()).unwrap();
        assert_eq!(out.report.orientation_applied, Some(value));
        let expected_kind = if value == 1 {
            OutputKind::Lossless
        } else {
            OutputKind::ReEncoded
        };
        assert_eq!(
            out.report.output_kind,
            Some(expected_kind),
            "orientation {value}"
        );
        assert_eq!(out.mime, "image/jpeg");
        let got = decode(&out.image).to_rgb8();
        assert_eq!(
            got.dimensions(),
            upright.dimensions(),
            "orientation {value}"
        );
        // Two JPEG generations: small differences everywhere, none large.
        let (mean, max) = diff(got.as_raw(), upright.as_raw());
        assert!(
            mean < 2.5 && max < 60,
            "orientation {value}: mean {mean:.2}, max {max}"
        );
        let left = hifu::inspect(&out.image, &Default::default()).unwrap();
        assert!(
            !left.categories.contains(&Category::Exif),
            "orientation {value}: {left:?}"
        );
        outputs.push(got);
    }
    // And against each other: a wrong rotation of this image differs by far more than this.
    for (i, other) in outputs.iter().enumerate().skip(1) {
        let (mean, _) = diff(other.as_raw(), outputs[0].as_raw());
        assert!(mean < 2.5, "orientation {} vs 1: mean {mean:.2}", i + 1);
    }
}

#[test]
fn a_wrong_orientation_would_be_caught_by_these_tolerances() {
    // Guards the test above: mirrored pixels are far outside the tolerance it allows.
    let upright = asymmetric(96, 64);
    let mirrored = stored_for(&upright, 2);
    let (mean, _) = diff(mirrored.as_raw(), upright.as_raw());
    assert!(mean > 10.0, "mean {mean:.2}");
}
