//! The photo measured block by block at three scales: the ridge band of one block covers
//! spacings of about 2.7–16 pixels, so the half- and quarter-size copies cover fingertips
//! photographed two and four times as close.

use image::RgbImage;

use super::spectrum::{peaks_agree, BlockColour, BlockRidges, BlockSpectrum, RidgeBand, BLOCK, STRIDE};
use crate::decode::Pixels;
use crate::face::resample::resize_pixels;

/// Longest side of the first scale; smaller photos are measured at their own size. A camera
/// photo of a whole hand (12 MP) resolves fingertip ridges 8–12 px apart, which only a first
/// scale of this size keeps above the ridge band's shortest spacing (models/fingerprint/README.md).
pub const MAX_SIDE: u32 = 2048;

/// One scale's grid of blocks.
#[derive(Debug, Clone, Default)]
pub struct RidgeMap {
    /// Photo pixels per pixel of this scale.
    pub photo_per_pixel: f32,
    /// One block's area in blocks of the first scale (1, 4, 16), so that patches found at
    /// different scales are measured alike.
    pub area: f32,
    pub columns: usize,
    pub rows: usize,
    /// Row-major, `rows × columns`; block (i, j) starts at `(j, i) × STRIDE` in this scale.
    pub blocks: Vec<BlockRidges>,
}

impl RidgeMap {
    pub fn block(&self, row: usize, column: usize) -> Option<&BlockRidges> {
        if column >= self.columns {
            return None;
        }
        self.blocks.get(row * self.columns + column)
    }

    /// The grid positions of block `(row, column)`'s 8 neighbours (fewer at the border).
    pub fn neighbours(&self, row: usize, column: usize) -> impl Iterator<Item = (usize, usize)> {
        let (rows, columns) = (self.rows, self.columns);
        (0..9).filter_map(move |k| {
            let (i, j) = (
                (row + k / 3).checked_sub(1)?,
                (column + k % 3).checked_sub(1)?,
            );
            (k != 4 && i < rows && j < columns).then_some((i, j))
        })
    }

    /// Block `(row, column)`'s area in photo pixels, `[x, y, width, height]`.
    pub fn block_region(&self, row: usize, column: usize) -> [f32; 4] {
        let s = self.photo_per_pixel;
        let side = BLOCK as f32 * s;
        [
            (column * STRIDE) as f32 * s,
            (row * STRIDE) as f32 * s,
            side,
            side,
        ]
    }
}

/// Measures the upright photo at its three scales.
pub fn scan(pixels: &Pixels, band: RidgeBand) -> Vec<RidgeMap> {
    scan_at(pixels, band, MAX_SIDE)
}

/// [`scan`] with the first scale's longest side at most `max_side`.
pub fn scan_at(pixels: &Pixels, band: RidgeBand, max_side: u32) -> Vec<RidgeMap> {
    let (width, height) = (pixels.width(), pixels.height());
    let shrink = (max_side.max(BLOCK as u32) as f32 / width.max(height).max(1) as f32).min(1.0);
    let (w, h) = (
        ((width as f32 * shrink).round() as u32).max(1),
        ((height as f32 * shrink).round() as u32).max(1),
    );
    let first = resize_pixels(pixels, w, h);
    let second = half(&first);
    let third = half(&second);
    let mut spectrum = BlockSpectrum::new(band);
    let photo_per_pixel = width as f32 / w as f32;
    vec![
        measure_all(&first, photo_per_pixel, 1.0, &mut spectrum),
        measure_all(&second, photo_per_pixel * 2.0, 4.0, &mut spectrum),
        measure_all(&third, photo_per_pixel * 4.0, 16.0, &mut spectrum),
    ]
}

fn measure_all(
    rgb: &RgbImage,
    photo_per_pixel: f32,
    area: f32,
    spectrum: &mut BlockSpectrum,
) -> RidgeMap {
    let (width, height) = (rgb.width() as usize, rgb.height() as usize);
    // The integer sum is exact in f32, as adding the three channels as floats was.
    let gray: Vec<f32> = rgb
        .as_raw()
        .chunks_exact(3)
        .map(|p| match *p {
            [r, g, b] => f32::from(u16::from(r) + u16::from(g) + u16::from(b)) / 3.0,
            _ => 0.0,
        })
        .collect();
    let fit = |side: usize| side.checked_sub(BLOCK).map_or(0, |room| room / STRIDE + 1);
    let (columns, rows) = (fit(width), fit(height));
    let cells = cell_colours(rgb.as_raw(), width, columns + 1, rows + 1);
    let cell = |i: usize, j: usize| cells.get(i * (columns + 1) + j).copied().unwrap_or_default();
    let mut blocks = Vec::with_capacity(rows * columns);
    for i in 0..rows {
        for j in 0..columns {
            // A block is 2 × 2 cells.
            let colour = cell(i, j) + cell(i, j + 1) + cell(i + 1, j) + cell(i + 1, j + 1);
            blocks.push(
                spectrum
                    .measure_coloured(&gray, width, j * STRIDE, i * STRIDE, colour)
                    .unwrap_or_default(),
            );
        }
    }
    let mut map = RidgeMap {
        photo_per_pixel,
        area,
        columns,
        rows,
        blocks,
    };
    set_agreement(&mut map);
    map
}

/// The colour sums of each `STRIDE × STRIDE` cell of the `width`-wide `rgb` image, `across ×
/// down` cells from the top left, row-major: each pixel is read once, where summing each
/// block's own pixels read it for all four blocks it lies in.
fn cell_colours(rgb: &[u8], width: usize, across: usize, down: usize) -> Vec<BlockColour> {
    let mut cells = vec![BlockColour::default(); across * down];
    for (cy, band) in cells.chunks_exact_mut(across.max(1)).enumerate() {
        for row in cy * STRIDE..(cy + 1) * STRIDE {
            let start = row * width * 3;
            let Some(line) = rgb.get(start..start + across * STRIDE * 3) else {
                continue;
            };
            for (cell, pixels) in band.iter_mut().zip(line.chunks_exact(STRIDE * 3)) {
                *cell = *cell + BlockColour::of(pixels);
            }
        }
    }
    cells
}

/// Fills each block's `agreement` from its 8 neighbours.
fn set_agreement(map: &mut RidgeMap) {
    let shares: Vec<f32> = (0..map.rows * map.columns)
        .map(|index| {
            let (i, j) = (index / map.columns.max(1), index % map.columns.max(1));
            let Some(centre) = map.block(i, j) else {
                return 0.0;
            };
            let (mut agree, mut seen) = (0u32, 0u32);
            for (ni, nj) in map.neighbours(i, j) {
                if let Some(other) = map.block(ni, nj) {
                    seen += 1;
                    agree += u32::from(peaks_agree(centre, other));
                }
            }
            if seen == 0 {
                0.0
            } else {
                agree as f32 / seen as f32
            }
        })
        .collect();
    for (block, share) in map.blocks.iter_mut().zip(shares) {
        block.agreement = share;
    }
}

/// The image at half size, each pixel the mean of a 2 × 2 square.
fn half(rgb: &RgbImage) -> RgbImage {
    let (width, height) = (rgb.width() as usize, rgb.height() as usize);
    let (w, h) = ((width / 2).max(1), (height / 2).max(1));
    let raw = rgb.as_raw();
    let row = |y: usize| raw.get(y * width * 3..(y + 1) * width * 3).unwrap_or(&[]);
    let mean = |a: u8, b: u8, c: u8, d: u8| {
        ((u32::from(a) + u32::from(b) + u32::from(c) + u32::from(d) + 2) / 4) as u8
    };
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        // Odd sizes and 1-pixel sides repeat the last row and column, as a clamped read would.
        let (top, bottom) = (
            row((2 * y).min(height.saturating_sub(1))),
            row((2 * y + 1).min(height.saturating_sub(1))),
        );
        if width == 1 {
            if let (&[t0, t1, t2], &[b0, b1, b2]) = (top, bottom) {
                out.extend([mean(t0, t0, b0, b0), mean(t1, t1, b1, b1), mean(t2, t2, b2, b2)]);
            }
            continue;
        }
        // Two pixels across (6 samples) per output pixel.
        for (t, b) in top.chunks_exact(6).zip(bottom.chunks_exact(6)).take(w) {
            if let (&[t0, t1, t2, t3, t4, t5], &[b0, b1, b2, b3, b4, b5]) = (t, b) {
                out.extend([mean(t0, t3, b0, b3), mean(t1, t4, b1, b4), mean(t2, t5, b2, b5)]);
            }
        }
    }
    RgbImage::from_raw(w as u32, h as u32, out).unwrap_or_else(|| RgbImage::new(w as u32, h as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_averages_two_by_two_squares_and_repeats_the_last_row_and_column() {
        // 3 × 3: the odd last column and row pair with themselves.
        let rgb = RgbImage::from_fn(3, 3, |x, y| image::Rgb([(10 * x + 100 * y) as u8, 7, 255]));
        let small = half(&rgb);
        assert_eq!(small.dimensions(), (1, 1));
        // (0 + 10 + 100 + 110 + 2) / 4, rounded as `(sum + 2) / 4`.
        assert_eq!(small.get_pixel(0, 0).0, [55, 7, 255]);
        let wide = RgbImage::from_fn(5, 1, |x, _| image::Rgb([x as u8 * 20, 0, 0]));
        let small = half(&wide);
        assert_eq!(small.dimensions(), (2, 1));
        assert_eq!(
            small.pixels().map(|p| p.0[0]).collect::<Vec<_>>(),
            vec![10, 50]
        );
        assert_eq!(half(&RgbImage::new(1, 1)).dimensions(), (1, 1));
        let tall = RgbImage::from_fn(1, 4, |_, y| image::Rgb([y as u8 * 40, 1, 2]));
        let small = half(&tall);
        assert_eq!(small.dimensions(), (1, 2));
        assert_eq!(small.pixels().map(|p| p.0).collect::<Vec<_>>(), vec![[20, 1, 2], [100, 1, 2]]);
        // Every size up to 9 × 9 against the mean of the clamped 2 × 2 square.
        for (width, height) in (1..10).flat_map(|w| (1..10).map(move |h| (w, h))) {
            let rgb = RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 29 + y * 7) as u8, (x * y) as u8, 255 - x as u8]));
            let small = half(&rgb);
            for (x, y, p) in small.enumerate_pixels() {
                let at = |dx: u32, dy: u32| rgb.get_pixel((2 * x + dx).min(width - 1), (2 * y + dy).min(height - 1)).0;
                for c in 0..3 {
                    let sum: u32 = [at(0, 0), at(1, 0), at(0, 1), at(1, 1)].iter().map(|q| u32::from(q[c])).sum();
                    assert_eq!(p.0[c], ((sum + 2) / 4) as u8, "{width} × {height} at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn blocks_coloured_from_cells_measure_exactly_as_blocks_summed_alone() {
        // A noisy image with stripes and near-white patches, 3 × 2 blocks and a ragged edge.
        let rgb = RgbImage::from_fn(67, 53, |x, y| {
            let v = ((x * 37 + y * 91) % 256) as u8;
            let white = (x / 8 + y / 8) % 3 == 0;
            image::Rgb(if white { [240, 235 + (x % 20) as u8, 250] } else { [v, v / 2 + 60, 255 - v] })
        });
        let mut spectrum = BlockSpectrum::new(RidgeBand::default());
        let map = measure_all(&rgb, 1.0, 1.0, &mut spectrum);
        assert_eq!((map.columns, map.rows), (3, 2));
        let gray: Vec<f32> = rgb.as_raw().chunks_exact(3).map(|p| p.iter().map(|v| f32::from(*v)).sum::<f32>() / 3.0).collect();
        for i in 0..map.rows {
            for j in 0..map.columns {
                let mut alone = spectrum.measure(&gray, rgb.as_raw(), 67, j * STRIDE, i * STRIDE).unwrap();
                alone.agreement = map.block(i, j).unwrap().agreement;
                assert_eq!(map.block(i, j), Some(&alone), "block ({i}, {j})");
            }
        }
        assert!(map.blocks.iter().any(|b| b.white_share > 0.0 && b.white_share < 1.0));
    }

    #[test]
    fn neighbours_stop_at_the_border() {
        let map = RidgeMap {
            rows: 3,
            columns: 4,
            blocks: vec![BlockRidges::default(); 12],
            ..Default::default()
        };
        assert_eq!(
            map.neighbours(0, 0).collect::<Vec<_>>(),
            vec![(0, 1), (1, 0), (1, 1)]
        );
        assert_eq!(map.neighbours(1, 1).count(), 8);
        assert_eq!(
            map.neighbours(2, 3).collect::<Vec<_>>(),
            vec![(1, 2), (1, 3), (2, 2)]
        );
    }
}
