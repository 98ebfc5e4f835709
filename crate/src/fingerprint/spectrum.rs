//! What each small block of the photo's spectrum says about ridges. Friction ridges (fingertip,
//! palm and sole skin) are a narrow-band pattern: many parallel lines at one spacing. In a
//! block's power spectrum that is a sharp peak at one frequency and one direction, well above
//! the lower frequencies of the same direction. A single edge (a finger's outline, a crease)
//! also puts its power in one direction, but spread over every frequency and strongest at the
//! lowest, which is why the peak is compared with the lower frequencies of its own direction
//! rather than with the whole band.

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::f32::consts::PI;
use std::sync::Arc;

/// Side of a block in pixels; blocks overlap by half.
pub const BLOCK: usize = 32;
pub const STRIDE: usize = BLOCK / 2;
/// Half-width of the peak's direction sector.
const SECTOR: f32 = PI / 9.0;
/// A pixel is near white when every channel is at least this.
const WHITE: u8 = 230;

/// One block's measurements.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BlockRidges {
    /// Frequency of the strongest component in the ridge band, in cycles per block.
    pub cycles: f32,
    /// Its direction (of the wave vector), 0–π.
    pub direction: f32,
    /// Mean power at the peak (its ring and direction sector) over the mean power of the same
    /// sector at 0.4–0.65 × the peak's frequency: high for a periodic pattern, below 1 for an edge.
    pub prominence: f32,
    /// Share of the peak ring's power that lies in the peak's direction: high for parallel
    /// lines, low for a mesh or a speckle.
    pub concentration: f32,
    /// Band power's amplitude relative to the block's brightness.
    pub contrast: f32,
    /// The block's mean colour (R, G, B, 0–255).
    pub mean_rgb: [f32; 3],
    /// Share of its pixels that are near white in every channel: printed stripes (a logo, a
    /// ruler, a label) are, skin ridges are not.
    pub white_share: f32,
    /// Share of the block's neighbours (of 8, fewer at the border) whose peak has about the same
    /// frequency and direction: ridges run on from block to block, chance peaks do not
    /// ([`super::scan`] sets it).
    pub agreement: f32,
}

/// The frequencies, in cycles per block, searched for the ridge peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RidgeBand {
    pub min_cycles: f32,
    pub max_cycles: f32,
}

impl Default for RidgeBand {
    fn default() -> Self {
        RidgeBand {
            min_cycles: 2.0,
            max_cycles: 12.0,
        }
    }
}

/// Whether two blocks' peaks continue one another: frequencies within a fifth and directions
/// within π/8.
pub fn peaks_agree(a: &BlockRidges, b: &BlockRidges) -> bool {
    (a.cycles - b.cycles).abs() <= 0.2 * a.cycles.max(b.cycles)
        && direction_gap(a.direction, b.direction) <= PI / 8.0
}

/// The angle between two directions of lines (0–π, so π and 0 are the same direction).
fn direction_gap(a: f32, b: f32) -> f32 {
    let d = (a - b).abs();
    // `d % PI` without the library call for the directions hifu compares (both 0–π), where the
    // subtraction is exact and gives the same value.
    let d = if d < PI {
        d
    } else if d < 2.0 * PI {
        d - PI
    } else {
        d % PI
    };
    // A comparison rather than `f32::min`, which is a call to libm's `fminf` in wasm.
    let other = PI - d;
    if other < d {
        other
    } else {
        d
    }
}

/// A block's colour: its pixels' R, G and B sums and how many are near white. Integer sums, so
/// adding up parts of the block in any order gives the same values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockColour {
    pub rgb: [u32; 3],
    pub white: u32,
}

impl BlockColour {
    /// The sums of the `rgb` pixels (3 samples each).
    pub fn of(rgb: &[u8]) -> BlockColour {
        let mut sums = BlockColour::default();
        for pixel in rgb.chunks_exact(3) {
            if let [r, g, b] = *pixel {
                sums.rgb = [
                    sums.rgb[0] + u32::from(r),
                    sums.rgb[1] + u32::from(g),
                    sums.rgb[2] + u32::from(b),
                ];
                sums.white += u32::from(r.min(g).min(b) >= WHITE);
            }
        }
        sums
    }
}

impl std::ops::Add for BlockColour {
    type Output = BlockColour;
    fn add(self, other: BlockColour) -> BlockColour {
        BlockColour {
            rgb: [
                self.rgb[0] + other.rgb[0],
                self.rgb[1] + other.rgb[1],
                self.rgb[2] + other.rgb[2],
            ],
            white: self.white + other.white,
        }
    }
}

/// One frequency bin that [`BlockSpectrum::peak_measures`] reads.
#[derive(Debug, Clone, Copy)]
struct Bin {
    /// Position in the transposed spectrum (`BlockSpectrum::transform`): `fx × BLOCK + fy`.
    index: usize,
    /// Distance from the origin, cycles per block.
    radius: f32,
    /// Direction of the wave vector, 0–π.
    angle: f32,
    in_band: bool,
}

/// Reusable FFT plan, window and per-bin geometry for [`BLOCK`]-sized blocks.
pub struct BlockSpectrum {
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    /// The bins within one cycle of the band's top, in row-major order: no other bin counts
    /// towards any measure (the peak's ring reaches one cycle past it; its lower frequencies lie
    /// inside the band), and keeping the order keeps every sum the same.
    bins: Vec<Bin>,
    buffer: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    transposed: Vec<Complex<f32>>,
    /// The power of each of `bins`.
    power: Vec<f32>,
}

impl BlockSpectrum {
    pub fn new(band: RidgeBand) -> BlockSpectrum {
        let fft = FftPlanner::new().plan_fft_forward(BLOCK);
        let scratch = vec![Complex::default(); fft.get_inplace_scratch_len()];
        // Symmetric Hann window (numpy's `hanning`), so block edges do not read as an edge.
        let hann: Vec<f32> = (0..BLOCK)
            .map(|n| 0.5 - 0.5 * (2.0 * PI * n as f32 / (BLOCK - 1) as f32).cos())
            .collect();
        let mut window = Vec::with_capacity(BLOCK * BLOCK);
        let mut bins = Vec::new();
        let signed = |k: usize| {
            if k < BLOCK / 2 {
                k as f32
            } else {
                k as f32 - BLOCK as f32
            }
        };
        for (y, wy) in hann.iter().enumerate() {
            for (x, wx) in hann.iter().enumerate() {
                window.push(wy * wx);
                let (fy, fx) = (signed(y), signed(x));
                let radius = (fy * fy + fx * fx).sqrt();
                if radius <= band.max_cycles + 1.0 {
                    bins.push(Bin {
                        index: x * BLOCK + y,
                        radius,
                        angle: fy.atan2(fx).rem_euclid(PI),
                        in_band: radius >= band.min_cycles && radius <= band.max_cycles,
                    });
                }
            }
        }
        BlockSpectrum {
            fft,
            window,
            power: vec![0.0; bins.len()],
            bins,
            buffer: vec![Complex::default(); BLOCK * BLOCK],
            scratch,
            transposed: vec![Complex::default(); BLOCK * BLOCK],
        }
    }

    /// Measures the block whose top-left corner is `(x, y)` in `gray` (row-major, `width`
    /// wide), with `rgb` the same area's colours (3 samples per pixel, same layout). `None`
    /// when the block does not fit.
    pub fn measure(
        &mut self,
        gray: &[f32],
        rgb: &[u8],
        width: usize,
        x: usize,
        y: usize,
    ) -> Option<BlockRidges> {
        let mut colour = BlockColour::default();
        for row in 0..BLOCK {
            let start = (y + row) * width + x;
            colour = colour + BlockColour::of(rgb.get(start * 3..(start + BLOCK) * 3)?);
        }
        self.measure_coloured(gray, width, x, y, colour)
    }

    /// [`Self::measure`] with the block's colour already summed ([`super::scan`] sums each
    /// pixel once for the four overlapping blocks it lies in).
    pub fn measure_coloured(
        &mut self,
        gray: &[f32],
        width: usize,
        x: usize,
        y: usize,
        colour: BlockColour,
    ) -> Option<BlockRidges> {
        let mut sum = 0.0f32;
        for row in 0..BLOCK {
            let start = (y + row) * width + x;
            sum += gray.get(start..start + BLOCK)?.iter().sum::<f32>();
        }
        // A block's integer sums are far below 2^24, so they convert to f32 exactly.
        let (rgb, white) = (colour.rgb.map(|c| c as f32), colour.white);
        let count = (BLOCK * BLOCK) as f32;
        let mean = sum / count;
        for row in 0..BLOCK {
            let start = (y + row) * width + x;
            let line = gray.get(start..start + BLOCK)?;
            let target = self.buffer.get_mut(row * BLOCK..(row + 1) * BLOCK)?;
            let window = self.window.get(row * BLOCK..(row + 1) * BLOCK)?;
            for ((t, v), w) in target.iter_mut().zip(line).zip(window) {
                *t = Complex::new((v - mean) * w, 0.0);
            }
        }
        self.transform();
        for (p, bin) in self.power.iter_mut().zip(&self.bins) {
            *p = self.transposed.get(bin.index).map_or(0.0, |c| c.norm_sqr());
        }
        let mut ridges = self.peak_measures(mean);
        ridges.mean_rgb = rgb.map(|c| c / count);
        ridges.white_share = white as f32 / count;
        Some(ridges)
    }

    /// 2-D FFT of `buffer`: its rows in place, then its columns into `transposed`.
    fn transform(&mut self) {
        // Every row in one call, then the columns as the rows of the transpose: the spectrum
        // ends up transposed, which `Bin::index` accounts for.
        self.fft
            .process_with_scratch(&mut self.buffer, &mut self.scratch);
        for (y, row) in self.buffer.chunks_exact(BLOCK).enumerate() {
            for (x, c) in row.iter().enumerate() {
                if let Some(slot) = self.transposed.get_mut(x * BLOCK + y) {
                    *slot = *c;
                }
            }
        }
        self.fft
            .process_with_scratch(&mut self.transposed, &mut self.scratch);
    }

    /// Peak, prominence, concentration and contrast of `power`, for a block of brightness `mean`.
    fn peak_measures(&self, mean: f32) -> BlockRidges {
        let bins = || self.power.iter().copied().zip(self.bins.iter().copied());
        let (mut peak_power, mut cycles, mut direction, mut band_power) = (-1.0f32, 0.0, 0.0, 0.0);
        for (p, bin) in bins() {
            if bin.in_band {
                band_power += p;
                if p > peak_power {
                    (peak_power, cycles, direction) = (p, bin.radius, bin.angle);
                }
            }
        }
        let in_sector = |a: f32| direction_gap(a, direction) <= SECTOR;
        let on_ring = |r: f32| (r - cycles).abs() <= 1.0;
        let (low_from, low_to) = ((0.4 * cycles).max(1.0), 0.65 * cycles);
        let (mut peak_sum, mut peak_n, mut low_sum, mut low_n) = (0.0f32, 0u32, 0.0f32, 0u32);
        let (mut ring_in_band, mut peak_in_band) = (0.0f32, 0.0f32);
        for (p, bin) in bins() {
            let (r, sector) = (bin.radius, in_sector(bin.angle));
            if on_ring(r) && bin.in_band {
                ring_in_band += p;
                if sector {
                    peak_in_band += p;
                }
            }
            if sector && on_ring(r) {
                peak_sum += p;
                peak_n += 1;
            }
            if sector && r >= low_from && r <= low_to {
                low_sum += p;
                low_n += 1;
            }
        }
        let peak_mean = peak_sum / peak_n.max(1) as f32;
        let low_mean = low_sum / low_n.max(1) as f32;
        BlockRidges {
            cycles,
            direction,
            prominence: if low_n == 0 {
                0.0
            } else {
                peak_mean / (low_mean + 1e-9)
            },
            concentration: peak_in_band / (ring_in_band + 1e-9),
            contrast: band_power.sqrt() / ((BLOCK * BLOCK) as f32 * (mean + 1.0)),
            mean_rgb: [0.0; 3],
            white_share: 0.0,
            agreement: 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measure(pattern: impl Fn(f32, f32) -> f32) -> BlockRidges {
        let gray: Vec<f32> = (0..BLOCK * BLOCK)
            .map(|i| pattern((i % BLOCK) as f32, (i / BLOCK) as f32))
            .collect();
        let rgb = vec![180u8; BLOCK * BLOCK * 3];
        BlockSpectrum::new(RidgeBand::default())
            .measure(&gray, &rgb, BLOCK, 0, 0)
            .unwrap()
    }

    #[test]
    fn parallel_lines_make_a_sharp_prominent_peak() {
        // Ridges every 6.4 px at 30°: 5 cycles per block.
        let (c, s) = ((PI / 6.0).cos(), (PI / 6.0).sin());
        let b = measure(|x, y| 150.0 + 20.0 * (2.0 * PI * (x * c + y * s) / 6.4).cos());
        assert!((b.cycles - 5.0).abs() <= 1.0, "{b:?}");
        assert!(b.prominence > 20.0 && b.concentration > 0.6, "{b:?}");
        assert!((b.direction - PI / 6.0).abs() < 0.2, "{b:?}");
    }

    #[test]
    fn an_edge_is_not_a_ridge_pattern() {
        let b = measure(|x, _| if x < 14.0 { 90.0 } else { 200.0 });
        assert!(b.prominence < 2.0, "{b:?}");
    }

    #[test]
    fn direction_gap_is_the_remainder_it_replaces() {
        let steps: Vec<f32> = (0..=64).map(|i| i as f32 * PI / 64.0).collect();
        for &a in &steps {
            for &b in &steps {
                let d = (a - b).abs() % PI;
                assert_eq!(
                    direction_gap(a, b).to_bits(),
                    d.min(PI - d).to_bits(),
                    "{a} {b}"
                );
            }
        }
        assert!((direction_gap(0.1, PI - 0.1) - 0.2).abs() < 1e-6);
    }

    #[test]
    fn a_flat_block_has_no_contrast() {
        let b = measure(|_, _| 128.0);
        assert!(b.contrast < 1e-3, "{b:?}");
    }
}
