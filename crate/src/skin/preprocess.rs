//! Photo → network input, bit-for-bit the arithmetic of `scripts/train/prep.py`: the whole
//! photo area-resized (squashed) to `size × size` (each output pixel is the coverage-weighted
//! mean of the input pixels under its footprint, computed in f64), then
//! `(v/255 − mean[c]) / std[c]`, CHW f32.
//!
//! The whole photo rather than a centre square: in a clinical close-up the lesion is often off
//! centre, and the heat map then covers everything the clinician sees. Area averaging rather
//! than a library resampler: it anti-aliases any downscale (phone photos are 20–40× larger than
//! the input) and is simple enough to match exactly in both languages.

use super::config::Preprocessing;
use super::SkinError;
use crate::decode::Pixels;

/// The region of the photo the network sees, in photo pixels (today always the whole photo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// Where each output cell reads from: first input index and one weight per input cell.
struct Taps {
    start: usize,
    weights: Vec<f64>,
}

/// Coverage weights of input cells `[i, i+1)` under output cell `[j·r, (j+1)·r)`, `r = n_in/n_out`.
fn area_taps(n_in: usize, n_out: usize) -> Vec<Taps> {
    let r = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|j| {
            let lo = j as f64 * r;
            let hi = (j + 1) as f64 * r;
            let start = lo.floor() as usize;
            let end = (hi.ceil() as usize).min(n_in);
            let weights = (start..end)
                .map(|i| (hi.min((i + 1) as f64) - lo.max(i as f64)) / r)
                .collect();
            Taps { start, weights }
        })
        .collect()
}

/// The region of a `width × height` photo the network analyses: all of it.
pub fn analysed_region(width: u32, height: u32) -> Region {
    Region {
        x: 0,
        y: 0,
        width,
        height,
    }
}

/// `pixels` area-resized to `size × size × 3` f64 RGB in 0–255, row-major. Alpha, if any, is
/// ignored (the classifier looks at colour only).
pub fn resized(pixels: &Pixels, size: usize) -> Result<Vec<f64>, SkinError> {
    let (w, h) = (pixels.width(), pixels.height());
    if w == 0 || h == 0 || size == 0 {
        return Err(SkinError::EmptyImage {
            width: w,
            height: h,
        });
    }
    let (w, h) = (w as usize, h as usize);
    let channels = usize::from(pixels.channels());
    let stride = w * channels;
    let (rows_taps, cols_taps) = (area_taps(h, size), area_taps(w, size));

    // Vertical pass: size rows × w columns × 3.
    let mut rows = vec![0f64; size * w * 3];
    for (out_row, tap) in rows.chunks_exact_mut(w * 3).zip(&rows_taps) {
        let src_rows = pixels.samples().chunks_exact(stride).skip(tap.start);
        for (src, weight) in src_rows.zip(&tap.weights) {
            if channels == 3 {
                // An RGB row is laid out as the accumulator row is: one flat pass, which the
                // compiler vectorises (the same products and sums, in the same order).
                for (a, v) in out_row.iter_mut().zip(src) {
                    *a += weight * f64::from(*v);
                }
                continue;
            }
            for (acc, p) in out_row.chunks_exact_mut(3).zip(src.chunks_exact(channels)) {
                for (a, v) in acc.iter_mut().zip(p) {
                    *a += weight * f64::from(*v);
                }
            }
        }
    }
    // Horizontal pass: size × size × 3.
    let mut out = vec![0f64; size * size * 3];
    for (out_row, row) in out.chunks_exact_mut(size * 3).zip(rows.chunks_exact(w * 3)) {
        for (acc, tap) in out_row.chunks_exact_mut(3).zip(&cols_taps) {
            let src = row.chunks_exact(3).skip(tap.start);
            for (p, weight) in src.zip(&tap.weights) {
                for (a, v) in acc.iter_mut().zip(p) {
                    *a += weight * v;
                }
            }
        }
    }
    Ok(out)
}

/// The normalised CHW network input for `pixels`.
pub fn to_input(pixels: &Pixels, prep: &Preprocessing) -> Result<Vec<f32>, SkinError> {
    let size = prep.size;
    let square = resized(pixels, size)?;
    let plane = size * size;
    let mut chw = vec![0f32; 3 * plane];
    for (c, out_plane) in chw.chunks_exact_mut(plane).enumerate() {
        let (mean, std) = match (prep.mean.get(c), prep.std.get(c)) {
            (Some(m), Some(s)) => (f64::from(*m), f64::from(*s)),
            _ => continue,
        };
        for (o, px) in out_plane.iter_mut().zip(square.chunks_exact(3)) {
            if let Some(v) = px.get(c) {
                *o = ((v / 255.0 - mean) / std) as f32;
            }
        }
    }
    Ok(chw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn solid(w: u32, h: u32, rgb: [u8; 3]) -> Pixels {
        let data: Vec<u8> = (0..w * h).flat_map(|_| rgb).collect();
        Pixels::new(w, h, 3, Zeroizing::new(data)).unwrap()
    }

    #[test]
    fn area_weights_of_every_output_cell_sum_to_one() {
        for (n_in, n_out) in [(150, 96), (4000, 96), (7, 96), (96, 96), (151, 96)] {
            for tap in area_taps(n_in, n_out) {
                let s: f64 = tap.weights.iter().sum();
                assert!((s - 1.0).abs() < 1e-9, "{n_in}->{n_out}: {s}");
                assert!(tap.start + tap.weights.len() <= n_in);
            }
        }
    }

    #[test]
    fn a_solid_colour_stays_that_colour_at_any_size() {
        for (w, h) in [(200, 150), (3, 5), (1, 1), (1000, 40)] {
            let out = resized(&solid(w, h, [10, 128, 250]), 96).unwrap();
            for px in out.chunks_exact(3) {
                assert!(
                    (px[0] - 10.0).abs() < 1e-9
                        && (px[1] - 128.0).abs() < 1e-9
                        && (px[2] - 250.0).abs() < 1e-9
                );
            }
        }
    }

    #[test]
    fn the_whole_photo_is_squashed_in_not_cropped() {
        assert_eq!(
            analysed_region(200, 150),
            Region {
                x: 0,
                y: 0,
                width: 200,
                height: 150
            }
        );
        // A left-black / right-white 6×2 photo at 2×2: the left output column is the mean of
        // input columns 0–2 (two black, one white), the right one of columns 3–5 (white).
        let mut data = Vec::new();
        for _y in 0..2 {
            for x in 0..6u32 {
                data.extend_from_slice(&if x < 2 { [0, 0, 0] } else { [255, 255, 255] });
            }
        }
        let p = Pixels::new(6, 2, 3, Zeroizing::new(data)).unwrap();
        let out = resized(&p, 2).unwrap();
        for row in out.chunks_exact(6) {
            assert!((row[0] - 85.0).abs() < 1e-9 && (row[3] - 255.0).abs() < 1e-9, "{row:?}");
        }
    }

    #[test]
    fn rgb_rows_give_the_same_bits_as_rgba_rows() {
        // RGB takes the flat pass, RGBA the per-pixel one: the same products and sums in the
        // same order, so the same values to the last bit.
        let (w, h) = (517u32, 389u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i.wrapping_mul(7919) % 251) as u8).collect();
        let rgba: Vec<u8> = rgb.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
        let a = resized(&Pixels::new(w, h, 3, Zeroizing::new(rgb)).unwrap(), 96).unwrap();
        let b = resized(&Pixels::new(w, h, 4, Zeroizing::new(rgba)).unwrap(), 96).unwrap();
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn empty_photo_is_an_error_not_a_panic() {
        let p = Pixels::new(0, 0, 3, Zeroizing::new(vec![])).unwrap();
        assert!(matches!(
            resized(&p, 96),
            Err(SkinError::EmptyImage { .. })
        ));
    }
}
