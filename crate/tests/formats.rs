//! Every format and pixel layout hifu reads decodes to the right pixels.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{decode, fixture, png_raw, Meta};
use hifu::{scrub_without_faces as scrub, Format, OutputFormat, OutputKind, ScrubOptions, Status};
use image::{DynamicImage, ImageBuffer, Rgb, RgbImage, Rgba};

/// Forces PNG output so the decoded pixels reach the test unchanged.
fn scrub_to_png(input: &[u8]) -> (hifu::Scrubbed, DynamicImage) {
    let options = ScrubOptions {
        format: OutputFormat::Png,
        ..Default::default()
    };
    let out = scrub(input, &options).unwrap();
    assert_eq!(out.report.status, Status::Ok);
    assert_eq!(out.mime, "image/png");
    let image = decode(&out.image);
    (out, image)
}

/// The quadrant colours `fixtures/decode/make.sh` paints (top-left, top-right, bottom-left,
/// bottom-right) on a 64×48 canvas.
const QUADRANTS: [[u8; 3]; 4] = [[220, 40, 40], [40, 200, 60], [40, 60, 210], [250, 250, 250]];

fn assert_quadrants(image: &DynamicImage, tolerance: u8, what: &str) {
    let rgb = image.to_rgb8();
    assert_eq!(rgb.dimensions(), (64, 48), "{what}");
    for (i, (x, y)) in [(16, 12), (48, 12), (16, 36), (48, 36)]
        .into_iter()
        .enumerate()
    {
        let got = rgb.get_pixel(x, y).0;
        let want = QUADRANTS[i];
        let off = got
            .iter()
            .zip(want)
            .map(|(a, b)| a.abs_diff(b))
            .max()
            .unwrap();
        assert!(
            off <= tolerance,
            "{what}: quadrant {i} is {got:?}, expected about {want:?}"
        );
    }
}

#[test]
fn cmyk_adobe_jpeg_decodes_to_the_right_rgb() {
    // ImageMagick's YCCK JPEG with an Adobe APP14 marker (inverted CMYK, Photoshop style).
    let input = fixture("cmyk.jpg");
    let (out, image) = scrub_to_png(&input);
    assert_eq!(out.report.input_format, Some(Format::Jpeg));
    assert_quadrants(&image, 12, "CMYK JPEG");
}

#[test]
fn cmyk_jpeg_in_auto_mode_keeps_its_pixels() {
    let input = fixture("cmyk.jpg");
    let out = scrub(&input, &ScrubOptions::default()).unwrap();
    assert_quadrants(&decode(&out.image), 12, "CMYK JPEG, auto output");
}

#[test]
fn progressive_jpeg_decodes() {
    let (_, image) = scrub_to_png(&fixture("progressive.jpg"));
    assert_quadrants(&image, 8, "progressive JPEG");
}

#[test]
fn lossy_webp_decodes() {
    let input = fixture("lossy.webp");
    let out = scrub(&input, &ScrubOptions::default()).unwrap();
    assert_eq!(out.report.input_format, Some(Format::Webp));
    assert_eq!(
        out.mime, "image/png",
        "auto mode writes PNG for non-JPEG input"
    );
    assert_eq!(out.report.output_kind, Some(OutputKind::ReEncoded));
    assert_quadrants(&decode(&out.image), 12, "lossy WebP");
}

#[test]
fn lossless_webp_decodes_exactly() {
    let source = common::asymmetric(37, 23);
    let mut input = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut input)
        .encode(source.as_raw(), 37, 23, image::ExtendedColorType::Rgb8)
        .unwrap();
    let (_, image) = scrub_to_png(&input);
    assert_eq!(image.to_rgb8().as_raw(), source.as_raw());
}

#[test]
fn tiff_8_and_16_bit_decode() {
    let source = common::asymmetric(20, 10);
    let mut input = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(source.clone())
        .write_to(&mut input, image::ImageFormat::Tiff)
        .unwrap();
    let (out, image) = scrub_to_png(input.get_ref());
    assert_eq!(out.report.input_format, Some(Format::Tiff));
    assert_eq!(image.to_rgb8().as_raw(), source.as_raw());

    let wide: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(20, 10, |x, y| {
        Rgb([x as u16 * 3000, y as u16 * 6000, 65535])
    });
    let mut input = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb16(wide.clone())
        .write_to(&mut input, image::ImageFormat::Tiff)
        .unwrap();
    let (_, image) = scrub_to_png(input.get_ref());
    let rgb = image.to_rgb8();
    for (x, y, px) in wide.enumerate_pixels() {
        let want = px.0.map(|v| ((u32::from(v) * 255 + 32767) / 65535) as u8);
        assert_eq!(rgb.get_pixel(x, y).0, want);
    }
}

#[test]
fn png_16_bit_is_rounded_to_8_bit() {
    let wide: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(16, 4, |x, y| {
        Rgb([x as u16 * 4369, 65535 - y as u16 * 257, 128])
    });
    let input = common::png(&DynamicImage::ImageRgb16(wide.clone()), Meta::default());
    let (_, image) = scrub_to_png(&input);
    assert_eq!(image.color(), image::ColorType::Rgb8, "hifu outputs 8-bit");
    let rgb = image.to_rgb8();
    for (x, y, px) in wide.enumerate_pixels() {
        let want = px.0.map(|v| ((u32::from(v) * 255 + 32767) / 65535) as u8);
        assert_eq!(rgb.get_pixel(x, y).0, want, "at ({x}, {y})");
    }
}

#[test]
fn palette_png_with_transparency_decodes_to_its_colours() {
    // 4×2, 2-bit palette: red, green, blue, and a half-transparent black (tRNS).
    let plte = vec![255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0];
    let trns = vec![255, 255, 255, 128];
    // Each row: filter byte 0, then four 2-bit indices packed in one byte.
    let rows = [0u8, 0b00_01_10_11, 0, 0b11_10_01_00];
    let input = png_raw(4, 2, 2, 3, &[(b"PLTE", plte), (b"tRNS", trns)], &rows);
    let (_, image) = scrub_to_png(&input);
    let rgba = image.to_rgba8();
    let red = Rgba([255, 0, 0, 255]);
    let glass = Rgba([0, 0, 0, 128]);
    assert_eq!(*rgba.get_pixel(0, 0), red);
    assert_eq!(*rgba.get_pixel(1, 0), Rgba([0, 255, 0, 255]));
    assert_eq!(*rgba.get_pixel(3, 0), glass);
    assert_eq!(*rgba.get_pixel(0, 1), glass);
    assert_eq!(*rgba.get_pixel(3, 1), red);
}

#[test]
fn palette_png_without_transparency_has_no_alpha_in_the_output() {
    let plte = vec![10, 20, 30, 200, 100, 0];
    let rows = [0u8, 0b0100_0000];
    let input = png_raw(2, 1, 1, 3, &[(b"PLTE", plte)], &rows);
    let (_, image) = scrub_to_png(&input);
    assert_eq!(image.color(), image::ColorType::Rgb8);
    assert_eq!(image.to_rgb8().as_raw(), &vec![10, 20, 30, 200, 100, 0]);
}

#[test]
fn grey_with_alpha_png_keeps_grey_and_alpha() {
    let source: ImageBuffer<image::LumaA<u8>, Vec<u8>> = ImageBuffer::from_fn(5, 3, |x, y| {
        image::LumaA([(x * 50) as u8, 255 - (y * 60) as u8])
    });
    let input = common::png(&DynamicImage::ImageLumaA8(source.clone()), Meta::default());
    let (_, image) = scrub_to_png(&input);
    let rgba = image.to_rgba8();
    for (x, y, px) in source.enumerate_pixels() {
        let [l, a] = px.0;
        assert_eq!(rgba.get_pixel(x, y).0, [l, l, l, a]);
    }
}

#[test]
fn grey_png_becomes_rgb_with_equal_channels() {
    let source: ImageBuffer<image::Luma<u8>, Vec<u8>> =
        ImageBuffer::from_fn(6, 2, |x, y| image::Luma([(x * 40 + y) as u8]));
    let input = common::png(&DynamicImage::ImageLuma8(source.clone()), Meta::default());
    let (_, image) = scrub_to_png(&input);
    let rgb = image.to_rgb8();
    for (x, y, px) in source.enumerate_pixels() {
        assert_eq!(rgb.get_pixel(x, y).0, [px.0[0]; 3]);
    }
}

#[test]
fn alpha_png_forced_to_jpeg_is_laid_over_white() {
    let source = image::RgbaImage::from_fn(16, 16, |_, _| Rgba([0, 0, 0, 0]));
    let input = common::png_rgba(&source);
    let options = ScrubOptions {
        format: OutputFormat::Jpeg,
        ..Default::default()
    };
    let out = scrub(&input, &options).unwrap();
    assert_eq!(out.mime, "image/jpeg");
    let rgb = decode(&out.image).to_rgb8();
    assert!(
        rgb.pixels().all(|p| p.0.iter().all(|&c| c >= 250)),
        "transparent must read as white"
    );
}

#[test]
fn alpha_png_in_auto_mode_stays_png_with_alpha() {
    let source = image::RgbaImage::from_fn(3, 3, |x, y| Rgba([x as u8 * 80, y as u8 * 80, 9, 100]));
    let out = scrub(&common::png_rgba(&source), &ScrubOptions::default()).unwrap();
    assert_eq!(out.mime, "image/png");
    assert_eq!(decode(&out.image).to_rgba8().as_raw(), source.as_raw());
}

#[test]
fn an_opaque_rgba_png_loses_its_useless_alpha_channel() {
    let source = image::RgbaImage::from_fn(3, 3, |x, y| Rgba([x as u8, y as u8, 9, 255]));
    let out = scrub(&common::png_rgba(&source), &ScrubOptions::default()).unwrap();
    assert_eq!(decode(&out.image).color(), image::ColorType::Rgb8);
    let _: RgbImage = decode(&out.image).to_rgb8();
}
