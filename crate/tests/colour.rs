//! Embedded ICC profiles are converted to sRGB and dropped. Expected values are computed here,
//! independently of moxcms: each profile's RGB→XYZ matrix is derived from its published
//! primaries and D65 white point, and sRGB is reached through the inverse sRGB matrix.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{decode, Meta};
use hifu::{scrub_without_faces as scrub, Category, Colour, OutputFormat, OutputKind, ScrubOptions};
use image::{Rgb, RgbImage};
use moxcms::ColorProfile;

type M3 = [[f64; 3]; 3];

fn mul(a: &M3, v: [f64; 3]) -> [f64; 3] {
    a.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
}

fn inverse(m: &M3) -> M3 {
    let [[a, b, c], [d, e, f], [g, h, i]] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    [
        [
            (e * i - f * h) / det,
            (c * h - b * i) / det,
            (b * f - c * e) / det,
        ],
        [
            (f * g - d * i) / det,
            (a * i - c * g) / det,
            (c * d - a * f) / det,
        ],
        [
            (d * h - e * g) / det,
            (b * g - a * h) / det,
            (a * e - b * d) / det,
        ],
    ]
}

/// RGB→XYZ for primaries (x, y) and a D65 white, the textbook construction.
fn rgb_to_xyz(primaries: [(f64, f64); 3]) -> M3 {
    let xyz = |(x, y): (f64, f64)| [x / y, 1.0, (1.0 - x - y) / y];
    let [r, g, b] = primaries.map(xyz);
    let p: M3 = [[r[0], g[0], b[0]], [r[1], g[1], b[1]], [r[2], g[2], b[2]]];
    let white = xyz((0.3127, 0.3290));
    let s = mul(&inverse(&p), white);
    p.map(|row| [row[0] * s[0], row[1] * s[1], row[2] * s[2]])
}

const SRGB: [(f64, f64); 3] = [(0.64, 0.33), (0.30, 0.60), (0.15, 0.06)];
const P3: [(f64, f64); 3] = [(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)];
const ADOBE: [(f64, f64); 3] = [(0.64, 0.33), (0.21, 0.71), (0.15, 0.06)];

fn srgb_decode(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encode(v: f64) -> u8 {
    let v = v.clamp(0.0, 1.0);
    let e = if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    (e * 255.0).round() as u8
}

/// The sRGB value of `rgb` in a space with `primaries` and transfer function `decode`.
fn expected(rgb: [u8; 3], primaries: [(f64, f64); 3], decode: fn(f64) -> f64) -> [u8; 3] {
    let linear = rgb.map(|c| decode(f64::from(c) / 255.0));
    let xyz = mul(&rgb_to_xyz(primaries), linear);
    mul(&inverse(&rgb_to_xyz(SRGB)), xyz).map(srgb_encode)
}

fn adobe_decode(v: f64) -> f64 {
    v.powf(563.0 / 256.0)
}

/// Patches of flat colour, 8×8 each, side by side.
fn patches(colours: &[[u8; 3]]) -> RgbImage {
    RgbImage::from_fn(8 * colours.len() as u32, 8, |x, _| {
        Rgb(colours[(x / 8) as usize])
    })
}

const COLOURS: [[u8; 3]; 5] = [
    [255, 0, 0],
    [200, 100, 50],
    [60, 180, 90],
    [128, 128, 128],
    [30, 40, 220],
];

fn check(profile: ColorProfile, primaries: [(f64, f64); 3], decode_fn: fn(f64) -> f64, name: &str) {
    let input = common::png_rgb(
        &patches(&COLOURS),
        Meta {
            icc: Some(profile.encode().unwrap()),
            exif: None,
        },
    );
    let out = scrub(&input, &ScrubOptions::default()).unwrap();
    assert_eq!(out.report.colour, Some(Colour::Converted), "{name}");
    assert!(
        out.report.removed.contains(&Category::IccProfile),
        "{name}: {:?}",
        out.report.removed
    );
    let left = hifu::inspect(&out.image, &Default::default()).unwrap();
    assert!(
        left.categories.is_empty(),
        "{name}: output still carries {left:?}"
    );
    assert!(
        !out.image.windows(4).any(|w| w == b"iCCP"),
        "{name}: an iCCP chunk survived"
    );
    let got = decode(&out.image).to_rgb8();
    for (i, colour) in COLOURS.iter().enumerate() {
        let want = expected(*colour, primaries, decode_fn);
        let px = got.get_pixel(8 * i as u32 + 4, 4).0;
        let off = px
            .iter()
            .zip(want)
            .map(|(a, b)| a.abs_diff(b))
            .max()
            .unwrap();
        assert!(
            off <= 2,
            "{name}: {colour:?} became {px:?}, expected {want:?}"
        );
    }
}

#[test]
fn the_independent_maths_agrees_with_known_values() {
    // Guards the reference: P3 red is outside sRGB (clips to pure red), P3 grey is sRGB grey,
    // and the derived sRGB matrix has the familiar first row (0.4124, 0.3576, 0.1805).
    assert_eq!(expected([255, 0, 0], P3, srgb_decode), [255, 0, 0]);
    assert_eq!(expected([128, 128, 128], P3, srgb_decode), [128, 128, 128]);
    let m = rgb_to_xyz(SRGB);
    assert!((m[0][0] - 0.4124).abs() < 1e-3 && (m[0][1] - 0.3576).abs() < 1e-3);
    // A mid-tone moves visibly: the conversion matters.
    assert_ne!(expected([200, 100, 50], P3, srgb_decode), [200, 100, 50]);
}

#[test]
fn display_p3_png_is_converted_to_srgb_and_the_profile_dropped() {
    check(
        ColorProfile::new_display_p3(),
        P3,
        srgb_decode,
        "Display P3",
    );
}

#[test]
fn adobe_rgb_png_is_converted_to_srgb_and_the_profile_dropped() {
    check(
        ColorProfile::new_adobe_rgb(),
        ADOBE,
        adobe_decode,
        "Adobe RGB",
    );
}

#[test]
fn display_p3_jpeg_is_re_encoded_in_srgb_without_a_profile() {
    let image = patches(&COLOURS);
    let icc = ColorProfile::new_display_p3().encode().unwrap();
    let input = common::jpeg(
        &image,
        100,
        Meta {
            icc: Some(icc),
            exif: None,
        },
    );
    let options = ScrubOptions {
        format: OutputFormat::Auto,
        quality: 100,
        ..Default::default()
    };
    let out = scrub(&input, &options).unwrap();
    assert_eq!(out.report.colour, Some(Colour::Converted));
    assert_eq!(out.report.output_kind, Some(OutputKind::ReEncoded));
    assert!(
        !out.image.windows(11).any(|w| w == b"ICC_PROFILE"),
        "an ICC segment survived"
    );
    let got = decode(&out.image).to_rgb8();
    let want = expected([200, 100, 50], P3, srgb_decode);
    let px = got.get_pixel(12, 4).0;
    let off = px
        .iter()
        .zip(want)
        .map(|(a, b)| a.abs_diff(b))
        .max()
        .unwrap();
    assert!(off <= 6, "{px:?} vs {want:?} (two JPEG generations)");
}

#[test]
fn an_srgb_profile_keeps_the_jpeg_lossless() {
    let icc = ColorProfile::new_srgb().encode().unwrap();
    let input = common::jpeg(
        &patches(&COLOURS),
        90,
        Meta {
            icc: Some(icc),
            exif: None,
        },
    );
    let out = scrub(&input, &ScrubOptions::default()).unwrap();
    assert_eq!(out.report.colour, Some(Colour::Srgb));
    assert_eq!(out.report.output_kind, Some(OutputKind::Lossless));
    assert!(out.report.removed.contains(&Category::IccProfile));
    assert!(!out.image.windows(11).any(|w| w == b"ICC_PROFILE"));
    assert_eq!(
        decode(&out.image).as_bytes(),
        decode(&input).as_bytes(),
        "pixels untouched"
    );
}

#[test]
fn an_unreadable_profile_is_reported_and_dropped_and_pixels_are_kept() {
    let input = common::png_rgb(
        &patches(&COLOURS),
        Meta {
            icc: Some(b"this is not an ICC profile, just bytes".to_vec()),
            exif: None,
        },
    );
    let out = scrub(&input, &ScrubOptions::default()).unwrap();
    assert_eq!(out.report.colour, Some(Colour::UnreadableProfile));
    assert!(!out.image.windows(4).any(|w| w == b"iCCP"));
    assert_eq!(
        decode(&out.image).to_rgb8().as_raw(),
        patches(&COLOURS).as_raw()
    );
}
