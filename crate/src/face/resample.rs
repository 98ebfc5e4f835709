//! Resampling the photo for the detector's pyramid.
//!
//! `fast_image_resize` runs the same separable triangle (bilinear) filter as
//! `image::imageops::resize`, with SIMD on x86-64, ARM and wasm32 simd128: the image crate's
//! generic filter was a large share of the whole detection on camera-sized photos
//! (BENCHMARKS.md). The image crate stays as the fallback, so a failure here costs time, not a photo.

use std::ops::Deref;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{imageops, RgbImage};
use zeroize::Zeroize;

use super::Photo;
use crate::decode::Pixels;

/// `photo` resampled to `width × height` (both at least 1).
pub fn resize_rgb<C: Deref<Target = [u8]>>(photo: &Photo<C>, width: u32, height: u32) -> RgbImage {
    let (width, height) = (width.max(1), height.max(1));
    simd_resize(photo, width, height)
        .unwrap_or_else(|| imageops::resize(photo, width, height, imageops::FilterType::Triangle))
}

/// The upright photo `pixels` (RGB, or RGBA with the alpha dropped) resampled to
/// `width × height` (both at least 1), as [`resize_rgb`] would, but read in place: a step that
/// only needs a small copy (the text check) makes no full-size copy of the patient's photo.
pub fn resize_pixels(pixels: &Pixels, width: u32, height: u32) -> RgbImage {
    let (width, height) = (width.max(1), height.max(1));
    simd_resize_pixels(pixels, width, height).unwrap_or_else(|| {
        let rgb: Vec<u8> = pixels.samples().chunks_exact(usize::from(pixels.channels())).flat_map(|p| p.iter().take(3).copied()).collect();
        let photo = RgbImage::from_raw(pixels.width(), pixels.height(), rgb).unwrap_or_default();
        let small = imageops::resize(&photo, width, height, imageops::FilterType::Triangle);
        photo.into_raw().zeroize();
        small
    })
}

fn simd_resize_pixels(pixels: &Pixels, width: u32, height: u32) -> Option<RgbImage> {
    let kind = if pixels.channels() == 4 { PixelType::U8x4 } else { PixelType::U8x3 };
    let source = ImageRef::new(pixels.width(), pixels.height(), pixels.samples(), kind).ok()?;
    let mut target = Image::new(width, height, kind);
    // Alpha is dropped, so it must not weight the colours.
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)).use_alpha(false);
    Resizer::new().resize(&source, &mut target, &options).ok()?;
    let mut samples = target.into_vec();
    let rgb = if pixels.channels() == 4 {
        let rgb: Vec<u8> = samples.chunks_exact(4).flat_map(|p| p.iter().take(3).copied()).collect();
        samples.zeroize();
        rgb
    } else {
        samples
    };
    RgbImage::from_raw(width, height, rgb)
}

/// The `[left, top, width, height]` region of `photo` (fractional, inside the photo)
/// resampled to `width × height`, without copying the region first.
pub fn resize_region_rgb<C: Deref<Target = [u8]>>(photo: &Photo<C>, region: [f64; 4], width: u32, height: u32) -> RgbImage {
    let (width, height) = (width.max(1), height.max(1));
    simd_resize_region(photo, region, width, height).unwrap_or_else(|| {
        let [x, y, w, h] = region.map(|v| v.max(0.0).round() as u32);
        let black = image::Rgb([0, 0, 0]);
        let view = RgbImage::from_fn(w.max(1), h.max(1), |cx, cy| {
            photo.get_pixel_checked(x + cx, y + cy).copied().unwrap_or(black)
        });
        imageops::resize(&view, width, height, imageops::FilterType::Triangle)
    })
}

fn simd_resize_region<C: Deref<Target = [u8]>>(photo: &Photo<C>, region: [f64; 4], width: u32, height: u32) -> Option<RgbImage> {
    let source = ImageRef::new(photo.width(), photo.height(), &photo.as_raw()[..], PixelType::U8x3).ok()?;
    let mut target = Image::new(width, height, PixelType::U8x3);
    let [x, y, w, h] = region;
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .crop(x, y, w, h);
    Resizer::new().resize(&source, &mut target, &options).ok()?;
    RgbImage::from_raw(width, height, target.into_vec())
}

fn simd_resize<C: Deref<Target = [u8]>>(photo: &Photo<C>, width: u32, height: u32) -> Option<RgbImage> {
    let source = ImageRef::new(
        photo.width(),
        photo.height(),
        &photo.as_raw()[..],
        PixelType::U8x3,
    )
    .ok()?;
    let mut target = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(&source, &mut target, &options).ok()?;
    RgbImage::from_raw(width, height, target.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x ^ y) & 0xff) as u8,
            ])
        })
    }

    #[test]
    fn resizing_pixels_in_place_matches_resizing_a_copy_and_drops_alpha() {
        let photo = gradient(401, 301);
        let rgb = Pixels::new(401, 301, 3, zeroize::Zeroizing::new(photo.as_raw().clone())).unwrap();
        let rgba_samples: Vec<u8> = photo.pixels().flat_map(|p| [p[0], p[1], p[2], 77]).collect();
        let rgba = Pixels::new(401, 301, 4, zeroize::Zeroizing::new(rgba_samples)).unwrap();
        let expected = resize_rgb(&photo, 231, 173);
        assert_eq!(resize_pixels(&rgb, 231, 173), expected);
        assert_eq!(resize_pixels(&rgba, 231, 173), expected);
    }

    #[test]
    fn matches_the_image_crate_filter() {
        let photo = gradient(401, 301);
        for (w, h) in [(231, 173), (640, 480), (80, 60), (401, 301)] {
            let fast = resize_rgb(&photo, w, h);
            let reference = imageops::resize(&photo, w, h, imageops::FilterType::Triangle);
            assert_eq!(fast.dimensions(), (w, h));
            let diff: u64 = fast
                .as_raw()
                .iter()
                .zip(reference.as_raw())
                .map(|(a, b)| u64::from(a.abs_diff(*b)))
                .sum();
            let mean = diff as f64 / fast.as_raw().len() as f64;
            assert!(mean < 1.5, "{w}×{h}: mean difference {mean}");
        }
    }

    #[test]
    fn degenerate_sizes_do_not_fail() {
        for (sw, sh, w, h) in [(1, 1, 5, 5), (10000, 1, 3, 1), (1, 3, 1, 1), (7, 7, 0, 0)] {
            let out = resize_rgb(&gradient(sw, sh), w, h);
            assert_eq!(out.dimensions(), (w.max(1), h.max(1)));
        }
    }
}
