//! EXIF orientation (TIFF tag 274, values 1–8) applied to the pixels, so the output is upright
//! without the tag that is about to be removed.

use zeroize::Zeroizing;

use super::Pixels;

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
    let last_x = w.saturating_sub(1);
    let last_y = h.saturating_sub(1);
    for (i, dst) in out.chunks_exact_mut(channels).enumerate() {
        let (x, y) = (i % out_w.max(1), i / out_w.max(1));
        // (sx, sy): the stored pixel shown at upright position (x, y).
        let (sx, sy) = match orientation {
            2 => (last_x - x, y),
            3 => (last_x - x, last_y - y),
            4 => (x, last_y - y),
            5 => (y, x),
            6 => (y, last_y - x),
            7 => (last_x - y, last_y - x),
            _ => (last_x - y, x), // 8
        };
        let start = (sy * w + sx) * channels;
        if let Some(px) = src.get(start..start + channels) {
            dst.copy_from_slice(px);
        }
    }
    let (width, height) = (out_w as u32, out_h as u32);
    let channels = pixels.channels();
    // Same sample count, dimensions swapped or not: `new` cannot refuse it.
    Pixels::new(width, height, channels, out).unwrap_or(pixels)
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
    fn out_of_range_values_leave_pixels_alone() {
        for value in [0u8, 9, 255] {
            let (pixels, image) = sample();
            assert_eq!(orient(pixels, value).samples(), image.as_raw().as_slice());
        }
    }
}
