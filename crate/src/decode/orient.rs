//! EXIF orientation (TIFF tag 274, values 1–8) applied to the pixels, so the output is upright
//! without the tag that is about to be removed.

use zeroize::Zeroizing;

use super::Pixels;

/// Side of the square of upright pixels copied at a time: for the orientations that swap the
/// axes, each upright row reads a stored column, and a square's columns stay in the cache.
const TILE: usize = 64;

/// The upright image for a stored image tagged with `orientation`. Values outside 1–8 are
/// treated as 1 (the EXIF default), as viewers do. The source buffer is dropped (and so
/// zeroized) once the copy is made.
pub fn orient(pixels: Pixels, orientation: u8) -> Pixels {
    if !(2..=8).contains(&orientation) {
        return pixels;
    }
    let (w, h) = (pixels.width() as usize, pixels.height() as usize);
    let channels = usize::from(pixels.channels());
    let swaps_axes = orientation >= 5;
    let (out_w, out_h) = if swaps_axes { (h, w) } else { (w, h) };
    let src = pixels.samples();
    let mut out = Zeroizing::new(vec![0u8; src.len()]);
    let (last_x, last_y) = (w.saturating_sub(1) as isize, h.saturating_sub(1) as isize);
    let w_i = w as isize;
    // The stored pixel (sx, sy) shown at upright (x, y) is affine in x and y, so its index
    // sy·w + sx is `base + x·step_x + y·step_y`.
    let (base, step_x, step_y) = match orientation {
        2 => (last_x, -1, w_i),                  // (last_x − x, y)
        3 => (last_y * w_i + last_x, -1, -w_i),  // (last_x − x, last_y − y)
        4 => (last_y * w_i, 1, -w_i),            // (x, last_y − y)
        5 => (0, w_i, 1),                        // (y, x)
        6 => (last_y * w_i, -w_i, 1),            // (y, last_y − x)
        7 => (last_y * w_i + last_x, -w_i, -1),  // (last_x − y, last_y − x)
        _ => (last_x, w_i, -1),                  // 8: (last_x − y, x)
    };
    for y0 in (0..out_h).step_by(TILE) {
        for x0 in (0..out_w).step_by(TILE) {
            let x1 = (x0 + TILE).min(out_w);
            for y in y0..(y0 + TILE).min(out_h) {
                let row = out.get_mut((y * out_w + x0) * channels..(y * out_w + x1) * channels).unwrap_or_default();
                let index = base + x0 as isize * step_x + y as isize * step_y;
                // `Pixels` holds 3 or 4 samples per pixel.
                if channels == 3 {
                    copy_pixels::<3>(row, src, index, step_x);
                } else {
                    copy_pixels::<4>(row, src, index, step_x);
                }
            }
        }
    }
    let (width, height) = (out_w as u32, out_h as u32);
    let channels = pixels.channels();
    // Same sample count, dimensions swapped or not: `new` cannot refuse it.
    Pixels::new(width, height, channels, out).unwrap_or(pixels)
}

/// Fills `row` with the stored pixels at `index`, `index + step`, … (`N` samples each): the
/// fixed size lets the compiler move each pixel without a call to `memcpy`.
fn copy_pixels<const N: usize>(row: &mut [u8], src: &[u8], mut index: isize, step: isize) {
    for dst in row.chunks_exact_mut(N) {
        // Every index lies in the photo (the turn is a permutation); wrapping arithmetic keeps a
        // mistake a skipped pixel rather than an overflow panic.
        let start = (index as usize).wrapping_mul(N);
        if let (Ok(dst), Some(px)) = (<&mut [u8; N]>::try_from(dst), src.get(start..start.wrapping_add(N))) {
            dst.copy_from_slice(px);
        }
        index += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{metadata::Orientation, DynamicImage, RgbImage};

    /// A 3×2 image whose six pixels are all different.
    fn sample() -> (Pixels, RgbImage) {
        let data: Vec<u8> = (0..18).map(|v| v * 10).collect();
        let image = RgbImage::from_raw(3, 2, data.clone()).unwrap();
        (Pixels::new(3, 2, 3, Zeroizing::new(data)).unwrap(), image)
    }

    #[test]
    fn matches_the_image_crates_reading_of_every_exif_value() {
        for value in 1..=8u8 {
            let (pixels, image) = sample();
            let ours = orient(pixels, value);
            let mut theirs = DynamicImage::ImageRgb8(image);
            theirs.apply_orientation(Orientation::from_exif(value).unwrap());
            assert_eq!(
                (ours.width(), ours.height()),
                (theirs.width(), theirs.height()),
                "{value}"
            );
            assert_eq!(ours.samples(), theirs.as_bytes(), "orientation {value}");
        }
    }

    #[test]
    fn images_larger_than_a_tile_match_the_image_crate_in_every_orientation() {
        // Odd sizes over two tiles, so partial tiles at both edges; RGB and RGBA.
        let (w, h) = (2 * TILE as u32 + 3, TILE as u32 + 17);
        let rgb = RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, (x * 7 + y * 13) as u8]));
        let rgba = image::RgbaImage::from_fn(w, h, |x, y| image::Rgba([y as u8, x as u8, (x ^ y) as u8, (x + y) as u8]));
        for value in 1..=8u8 {
            for (theirs, channels) in [(DynamicImage::ImageRgb8(rgb.clone()), 3u8), (DynamicImage::ImageRgba8(rgba.clone()), 4)] {
                let pixels = Pixels::new(w, h, channels, Zeroizing::new(theirs.as_bytes().to_vec())).unwrap();
                let ours = orient(pixels, value);
                let mut theirs = theirs;
                theirs.apply_orientation(Orientation::from_exif(value).unwrap());
                assert_eq!((ours.width(), ours.height()), (theirs.width(), theirs.height()), "{value}");
                assert!(ours.samples() == theirs.as_bytes(), "orientation {value}, {channels} channels");
            }
        }
    }

    #[test]
    fn out_of_range_values_leave_pixels_alone() {
        for value in [0u8, 9, 255] {
            let (pixels, image) = sample();
            assert_eq!(orient(pixels, value).samples(), image.as_raw().as_slice());
        }
    }
}
