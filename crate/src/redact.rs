//! Face redaction over an 8-bit pixel buffer (1–4 channels, row-major): the face box grown by
//! a margin (at least 20 % of its size on every side, so hairline, ears and chin go too) is
//!
//! - `fill` (default): painted one constant colour, alpha made opaque. Irreversible: the
//!   region's bytes are the same whatever the photo held.
//! - `pixelate`: averaged over coarse blocks (8 across the region at most, at least 8 px),
//!   each block offset by noise from the caller's seeded RNG so block means cannot be read
//!   back exactly. Keeps a silhouette; not a guarantee against re-identification.
//! - `blur`: a wide box blur. **Reversible in part by published attacks** (e.g. McPherson,
//!   Shokri, Shmatikov, "Defeating Image Obfuscation with Deep Learning", 2016; deblurring
//!   networks): only on explicit request, never for data leaving the site by default.
//!
//! The core has no ambient randomness: pixelate takes the RNG as an argument.

use rand_core::RngCore;
use serde::{Deserialize, Serialize};


/// How faces are hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedactMode {
    /// Solid fill of the grown face box: irreversible (the default).
    #[default]
    Fill,
    /// Coarse blocks plus noise.
    Pixelate,
    /// Box blur: reversible in part by published attacks; explicit request only.
    Blur,
}

/// The smallest margin allowed, as a share of the face box's width/height on each side.
pub const MIN_MARGIN: f32 = 0.2;

/// The colour of `fill` (RGB; a grey that reads as "removed" on any skin tone).
pub const FILL_RGB: [u8; 3] = [128, 128, 128];

/// The canvas does not describe its buffer: redacting it could miss the face, so nothing is
/// redacted and the photo must not leave (the caller fails closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {width}×{height} canvas of {channels} channels cannot hold {samples} samples")]
pub struct InvalidCanvas {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub samples: usize,
}

/// A pixel buffer to redact in place.
pub struct Canvas<'a> {
    pub samples: &'a mut [u8],
    pub width: usize,
    pub height: usize,
    /// 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA).
    pub channels: usize,
}

/// A pixel rectangle, half-open: x0..x1, y0..y1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

/// The face box `[x0, y0, x1, y1]` grown by `margin` (at least [`MIN_MARGIN`]) on each side,
/// rounded outwards and clipped to the image. `None` when nothing of it lies inside, or the box
/// is not finite.
pub fn region(bbox: [f32; 4], margin: f32, width: usize, height: usize) -> Option<Rect> {
    let margin = if margin.is_finite() {
        margin.max(MIN_MARGIN)
    } else {
        MIN_MARGIN
    };
    let [x0, y0, x1, y1] = bbox;
    if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) || x1 < x0 || y1 < y0 {
        return None;
    }
    let (mx, my) = ((x1 - x0) * margin, (y1 - y0) * margin);
    // `as usize` saturates (negative → 0, huge → usize::MAX), then the clip bounds it.
    let clip = |v: f32, max: usize| (v.max(0.0) as usize).min(max);
    let rect = Rect {
        x0: clip((x0 - mx).floor(), width),
        y0: clip((y0 - my).floor(), height),
        x1: clip((x1 + mx).ceil(), width),
        y1: clip((y1 + my).ceil(), height),
    };
    (rect.x1 > rect.x0 && rect.y1 > rect.y0).then_some(rect)
}

/// Hides every face box (`[x0, y0, x1, y1]` in pixels) in `canvas`. Returns the rectangles
/// changed, or an error when the canvas does not match its buffer (nothing is changed then).
pub fn redact(
    canvas: &mut Canvas<'_>,
    boxes: &[[f32; 4]],
    mode: RedactMode,
    margin: f32,
    rng: &mut dyn RngCore,
) -> Result<Vec<Rect>, InvalidCanvas> {
    check(canvas)?;
    let rects: Vec<Rect> = boxes
        .iter()
        .filter_map(|&b| region(b, margin, canvas.width, canvas.height))
        .collect();
    for r in &rects {
        match mode {
            RedactMode::Fill => fill(canvas, r),
            RedactMode::Pixelate => pixelate(canvas, r, rng),
            RedactMode::Blur => blur(canvas, r),
        }
    }
    Ok(rects)
}

/// Paints each rectangle, clipped to the canvas, with the irreversible fill (the text check's
/// lines, painted once every detector has looked). An error when the canvas does not match
/// its buffer (nothing is changed then).
pub fn fill_regions(canvas: &mut Canvas<'_>, rects: &[Rect]) -> Result<(), InvalidCanvas> {
    check(canvas)?;
    for r in rects {
        let clipped = Rect {
            x0: r.x0.min(canvas.width),
            y0: r.y0.min(canvas.height),
            x1: r.x1.min(canvas.width),
            y1: r.y1.min(canvas.height),
        };
        if clipped.x1 > clipped.x0 && clipped.y1 > clipped.y0 {
            fill(canvas, &clipped);
        }
    }
    Ok(())
}

fn check(canvas: &Canvas<'_>) -> Result<(), InvalidCanvas> {
    let valid = (1..=4).contains(&canvas.channels)
        && canvas
            .width
            .checked_mul(canvas.height)
            .and_then(|p| p.checked_mul(canvas.channels))
            == Some(canvas.samples.len());
    if valid {
        Ok(())
    } else {
        Err(InvalidCanvas {
            width: canvas.width,
            height: canvas.height,
            channels: canvas.channels,
            samples: canvas.samples.len(),
        })
    }
}

/// The constant sample value of `fill` for channel `c` of a `channels`-channel image.
fn fill_value(c: usize, channels: usize) -> u8 {
    let has_alpha = channels == 2 || channels == 4;
    if has_alpha && c + 1 == channels {
        return 255;
    }
    if channels <= 2 {
        // Grey: the luma of FILL_RGB (a grey, so the same value).
        return FILL_RGB[0];
    }
    FILL_RGB.get(c).copied().unwrap_or(255)
}

/// The samples of row `y`, columns x0..x1.
fn row_mut<'s>(canvas: &'s mut Canvas<'_>, y: usize, x0: usize, x1: usize) -> Option<&'s mut [u8]> {
    let start = (y * canvas.width + x0) * canvas.channels;
    let end = (y * canvas.width + x1) * canvas.channels;
    canvas.samples.get_mut(start..end)
}

fn fill(canvas: &mut Canvas<'_>, r: &Rect) {
    let channels = canvas.channels;
    let pixel: Vec<u8> = (0..channels).map(|c| fill_value(c, channels)).collect();
    for y in r.y0..r.y1 {
        if let Some(row) = row_mut(canvas, y, r.x0, r.x1) {
            for px in row.chunks_exact_mut(channels) {
                px.copy_from_slice(&pixel);
            }
        }
    }
}

fn pixelate(canvas: &mut Canvas<'_>, r: &Rect, rng: &mut dyn RngCore) {
    let channels = canvas.channels;
    let longest = (r.x1 - r.x0).max(r.y1 - r.y0);
    let block = longest.div_ceil(8).max(8);
    let mut by = r.y0;
    while by < r.y1 {
        let ey = (by + block).min(r.y1);
        let mut bx = r.x0;
        while bx < r.x1 {
            let ex = (bx + block).min(r.x1);
            let mut sums = [0u64; 4];
            for y in by..ey {
                if let Some(row) = row_mut(canvas, y, bx, ex) {
                    for px in row.chunks_exact(channels) {
                        for (s, v) in sums.iter_mut().zip(px) {
                            *s += u64::from(*v);
                        }
                    }
                }
            }
            let count = ((ey - by) * (ex - bx)).max(1) as u64;
            let noise = rng.next_u32().to_le_bytes();
            let mut pixel = [0u8; 4];
            for (c, (p, s)) in pixel.iter_mut().zip(sums).enumerate().take(channels) {
                let mean = (s / count) as i32;
                // ±24 levels of noise per block and channel; alpha is made opaque.
                let n = i32::from(noise.get(c).copied().unwrap_or(0)) * 49 / 256 - 24;
                let is_alpha = (channels == 2 || channels == 4) && c + 1 == channels;
                *p = if is_alpha {
                    255
                } else {
                    (mean + n).clamp(0, 255) as u8
                };
            }
            for y in by..ey {
                if let Some(row) = row_mut(canvas, y, bx, ex) {
                    for px in row.chunks_exact_mut(channels) {
                        px.copy_from_slice(pixel.get(..channels).unwrap_or_default());
                    }
                }
            }
            bx = ex;
        }
        by = ey;
    }
}

/// Three passes of a separable box blur (close to a Gaussian) inside the rectangle.
fn blur(canvas: &mut Canvas<'_>, r: &Rect) {
    let (w, h, channels) = (r.x1 - r.x0, r.y1 - r.y0, canvas.channels);
    let radius = (w.max(h) / 6).max(2);
    let mut buf: Vec<f32> = Vec::with_capacity(w * h * channels);
    for y in r.y0..r.y1 {
        if let Some(row) = row_mut(canvas, y, r.x0, r.x1) {
            buf.extend(row.iter().map(|&v| f32::from(v)));
        }
    }
    if buf.len() != w * h * channels {
        return;
    }
    let mut tmp = vec![0f32; buf.len()];
    for _ in 0..3 {
        box_pass(&buf, &mut tmp, w, h, channels, radius, true);
        box_pass(&tmp, &mut buf, w, h, channels, radius, false);
    }
    for (y, src) in (r.y0..r.y1).zip(buf.chunks_exact(w * channels)) {
        if let Some(row) = row_mut(canvas, y, r.x0, r.x1) {
            for (d, s) in row.iter_mut().zip(src) {
                *d = s.round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// One box-filter pass along rows (`horizontal`) or columns, edges clamped.
fn box_pass(
    src: &[f32],
    dst: &mut [f32],
    w: usize,
    h: usize,
    ch: usize,
    radius: usize,
    horizontal: bool,
) {
    let (lines, len) = if horizontal { (h, w) } else { (w, h) };
    let at = |line: usize, i: usize, c: usize| -> usize {
        if horizontal {
            (line * w + i) * ch + c
        } else {
            (i * w + line) * ch + c
        }
    };
    let norm = 1.0 / (2 * radius + 1) as f32;
    for line in 0..lines {
        for c in 0..ch {
            let get = |i: isize| -> f32 {
                let i = i.clamp(0, len as isize - 1) as usize;
                src.get(at(line, i, c)).copied().unwrap_or(0.0)
            };
            let r = radius as isize;
            let mut acc: f32 = (-r..=r).map(get).sum();
            for i in 0..len {
                if let Some(d) = dst.get_mut(at(line, i, c)) {
                    *d = acc * norm;
                }
                let i = i as isize;
                acc += get(i + r + 1) - get(i - r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    fn face(x0: f32, y0: f32, x1: f32, y1: f32) -> [f32; 4] {
        [x0, y0, x1, y1]
    }

    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut v = vec![0u8; len];
        rng.fill_bytes(&mut v);
        v
    }

    fn run(
        samples: &mut [u8],
        w: usize,
        h: usize,
        ch: usize,
        faces: &[[f32; 4]],
        mode: RedactMode,
    ) -> Vec<Rect> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut canvas = Canvas {
            samples,
            width: w,
            height: h,
            channels: ch,
        };
        redact(&mut canvas, faces, mode, MIN_MARGIN, &mut rng).unwrap_or_default()
    }

    fn region_bytes(samples: &[u8], w: usize, ch: usize, r: &Rect) -> Vec<u8> {
        (r.y0..r.y1)
            .flat_map(|y| samples[(y * w + r.x0) * ch..(y * w + r.x1) * ch].to_vec())
            .collect()
    }

    #[test]
    fn region_grows_by_at_least_twenty_percent_and_clips() {
        let r = region(face(100.0, 100.0, 200.0, 150.0), 0.0, 1000, 1000).unwrap();
        assert_eq!(
            r,
            Rect {
                x0: 80,
                y0: 90,
                x1: 220,
                y1: 160
            }
        );
        let r = region(face(-50.0, -50.0, 10.0, 10.0), 0.2, 30, 30).unwrap();
        assert_eq!(
            r,
            Rect {
                x0: 0,
                y0: 0,
                x1: 22,
                y1: 22
            }
        );
        assert!(region(face(500.0, 500.0, 600.0, 600.0), 0.2, 100, 100).is_none());
        assert!(region(face(f32::NAN, 0.0, 1.0, 1.0), 0.2, 100, 100).is_none());
    }

    #[test]
    fn fill_is_constant_and_independent_of_the_photo() {
        let (w, h) = (64, 48);
        let faces = [face(10.0, 10.0, 40.0, 30.0)];
        let mut a = noise(w * h * 3, 1);
        let mut b = noise(w * h * 3, 2);
        let before = a.clone();
        let rects = run(&mut a, w, h, 3, &faces, RedactMode::Fill);
        run(&mut b, w, h, 3, &faces, RedactMode::Fill);
        let r = rects[0];
        let ra = region_bytes(&a, w, 3, &r);
        assert_eq!(
            ra,
            region_bytes(&b, w, 3, &r),
            "filled region depends on the input"
        );
        assert!(ra.chunks(3).all(|p| p == FILL_RGB));
        assert_ne!(region_bytes(&before, w, 3, &r), ra);
        // Outside the region nothing changed.
        let outside = Rect {
            x0: 0,
            y0: 40,
            x1: w,
            y1: h,
        };
        assert_eq!(
            region_bytes(&before, w, 3, &outside),
            region_bytes(&a, w, 3, &outside)
        );
    }

    #[test]
    fn fill_makes_alpha_opaque_and_handles_grey() {
        let faces = [face(2.0, 2.0, 8.0, 8.0)];
        let mut rgba = vec![0u8; 12 * 12 * 4];
        run(&mut rgba, 12, 12, 4, &faces, RedactMode::Fill);
        assert_eq!(
            &rgba[(5 * 12 + 5) * 4..(5 * 12 + 6) * 4],
            &[128, 128, 128, 255]
        );
        let mut grey = vec![0u8; 12 * 12];
        run(&mut grey, 12, 12, 1, &faces, RedactMode::Fill);
        assert_eq!(grey[5 * 12 + 5], 128);
        let mut grey_alpha = vec![0u8; 12 * 12 * 2];
        run(&mut grey_alpha, 12, 12, 2, &faces, RedactMode::Fill);
        assert_eq!(&grey_alpha[(5 * 12 + 5) * 2..(5 * 12 + 6) * 2], &[128, 255]);
    }

    #[test]
    fn pixelate_changes_pixels_into_blocks_and_is_seeded() {
        let (w, h) = (100, 100);
        let faces = [face(20.0, 20.0, 80.0, 80.0)];
        let original = noise(w * h * 3, 3);
        let mut a = original.clone();
        let mut b = original.clone();
        let r = run(&mut a, w, h, 3, &faces, RedactMode::Pixelate)[0];
        run(&mut b, w, h, 3, &faces, RedactMode::Pixelate);
        assert_eq!(a, b, "same seed, same output");
        assert_ne!(
            region_bytes(&original, w, 3, &r),
            region_bytes(&a, w, 3, &r)
        );
        // Blocks: the two first pixels of the region are equal.
        let p = |x: usize, y: usize| a[(y * w + x) * 3..(y * w + x) * 3 + 3].to_vec();
        assert_eq!(p(r.x0, r.y0), p(r.x0 + 1, r.y0 + 1));
    }

    #[test]
    fn blur_changes_pixels_inside_only() {
        let (w, h) = (80, 80);
        let faces = [face(20.0, 20.0, 60.0, 60.0)];
        let original = noise(w * h * 3, 4);
        let mut a = original.clone();
        let r = run(&mut a, w, h, 3, &faces, RedactMode::Blur)[0];
        let changed = region_bytes(&original, w, 3, &r)
            .iter()
            .zip(region_bytes(&a, w, 3, &r))
            .filter(|(x, y)| **x != *y)
            .count();
        assert!(changed > (r.x1 - r.x0) * (r.y1 - r.y0) * 3 * 9 / 10);
        assert_eq!(&original[..w * 3 * 5], &a[..w * 3 * 5]);
    }

    #[test]
    fn odd_sizes_never_panic() {
        let faces = [
            face(0.0, 0.0, 1.0, 1.0),
            face(-1e30, -1e30, 1e30, 1e30),
            face(f32::INFINITY, 0.0, 1.0, 1.0),
            face(5.0, 5.0, 2.0, 2.0),
            face(9990.0, 0.0, 10100.0, 12.0),
        ];
        for mode in [RedactMode::Fill, RedactMode::Pixelate, RedactMode::Blur] {
            for (w, h, ch) in [
                (1, 1, 3),
                (10000, 10, 3),
                (10, 10000, 1),
                (7, 3, 4),
                (3, 7, 2),
                (0, 0, 3),
            ] {
                let mut s = noise(w * h * ch, 5);
                run(&mut s, w, h, ch, &faces, mode);
            }
            // A buffer that does not match its size is an error, and left alone.
            let mut s = vec![1u8; 10];
            let mut canvas = Canvas {
                samples: &mut s,
                width: 4,
                height: 4,
                channels: 3,
            };
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            assert!(redact(&mut canvas, &faces, mode, MIN_MARGIN, &mut rng).is_err());
            assert_eq!(s, vec![1u8; 10]);
        }
    }

    #[test]
    fn whole_frame_face_fills_everything() {
        let mut s = noise(3, 6); // one RGB pixel
        run(
            &mut s,
            1,
            1,
            3,
            &[face(0.0, 0.0, 1.0, 1.0)],
            RedactMode::Fill,
        );
        assert_eq!(s, FILL_RGB.to_vec());
        let mut s = noise(10000 * 10 * 3, 7);
        run(
            &mut s,
            10000,
            10,
            3,
            &[face(-10.0, -10.0, 10010.0, 20.0)],
            RedactMode::Fill,
        );
        assert!(s.chunks(3).all(|p| p == FILL_RGB));
    }
}
