//! Dense 3×3 convolution (stride 1, padding 1) of a nearest-upsampled map, from the map before
//! upsampling: the per-tap 1×1 products are taken at the coarse resolution (a factor² fewer
//! multiplications) and only their sums are laid out at the fine one.
//!
//! A feature pyramid upsamples its coarse levels before a 3×3 convolution (the PP-OCRv4 text
//! detector's neck and head); computing that convolution at the fine resolution repeats every
//! product factor² times.

use candle_core::{Result, Tensor};

use super::with_f32;

/// A 3×3 kernel (Cout, Cin, 3, 3) as (9·Cout, Cin), row `tap·Cout + co` holding `w[co, :, ky, kx]`
/// with `tap = 3·ky + kx`: times a (Cin, H·W) map, the per-tap planes [`add_taps`] reads.
pub fn tap_rows(w: &Tensor) -> Result<Tensor> {
    let (cout, cin, kh, kw) = w.dims4()?;
    if kh != 3 || kw != 3 {
        candle_core::bail!("tap_rows: kernel must be 3×3, got {:?}", w.dims());
    }
    w.permute((2, 3, 0, 1))?.reshape((9 * cout, cin))?.contiguous()
}

/// Adds to `out` (Cout planes of `h × w`) the 3×3 convolution, zero-padded by 1, of a map
/// upsampled by `factor`, given the per-tap planes of the map before upsampling: `taps` holds
/// 9·Cout planes of (h/factor) × (w/factor) ordered as [`tap_rows`] orders the kernel.
/// `out[co, y, x] += Σ taps[tap, co, (y + ky − 1)/factor, (x + kx − 1)/factor]` over the taps
/// whose pixel lies inside `h × w`.
pub fn add_taps(out: &mut [f32], taps: &[f32], cout: usize, (h, w): (usize, usize), factor: usize) -> Result<()> {
    let f = factor.max(1);
    let (ch, cw) = (h / f, w / f);
    if ch * f != h || cw * f != w || h == 0 || w == 0 || out.len() != cout * h * w || taps.len() != 9 * cout * ch * cw {
        candle_core::bail!(
            "add_taps: {} tap values for {cout} outputs of {h}×{w} at factor {f}, output of {}",
            taps.len(),
            out.len()
        );
    }
    if f == 1 {
        add_taps_same(out, taps, cout, (h, w));
    } else {
        add_taps_up(out, taps, cout, (h, w), f);
    }
    Ok(())
}

/// Factor 1: each output row adds the nine planes' rows shifted by their taps' offsets.
fn add_taps_same(out: &mut [f32], taps: &[f32], cout: usize, (h, w): (usize, usize)) {
    add_taps_rows(out, taps, cout, (h, w), 0);
}

/// [`add_taps_same`] on a band of rows: `out` holds Cout planes of the output rows
/// `first .. first + out.len() / (Cout·w)` of an `h × w` output, and `taps` 9·Cout planes of the
/// input rows `first − 1 ..= last + 1` (clipped to the image) that those rows read.
fn add_taps_rows(out: &mut [f32], taps: &[f32], cout: usize, (h, w): (usize, usize), first: usize) {
    let rows = out.len() / (cout * w).max(1);
    let top = first.saturating_sub(1);
    let tap_rows = (first + rows + 1).min(h) - top;
    let plane = tap_rows * w;
    for (co, out) in out.chunks_exact_mut(rows * w).enumerate() {
        for (y, row) in out.chunks_exact_mut(w).enumerate() {
            for ky in 0..3 {
                // Input row y + ky − 1; outside the image it is padding and adds nothing.
                let Some(iy) = (first + y + ky).checked_sub(1).filter(|&iy| iy < h) else {
                    continue;
                };
                for kx in 0..3 {
                    let start = ((ky * 3 + kx) * cout + co) * plane + (iy - top) * w;
                    let Some(src) = taps.get(start..start + w) else {
                        continue;
                    };
                    // out[x] += src[x + kx − 1] where that index is inside the row.
                    let (dst, from) = match kx {
                        0 => (row.get_mut(1..), src.get(..w - 1)),
                        1 => (Some(&mut *row), Some(src)),
                        _ => (row.get_mut(..w - 1), src.get(1..)),
                    };
                    if let (Some(dst), Some(from)) = (dst, from) {
                        dst.iter_mut().zip(from).for_each(|(d, v)| *d += v);
                    }
                }
            }
        }
    }
}

/// Adds to `out` (Cout planes of `h × w`) the 3×3 convolution, zero-padded by 1, of `x`
/// (C, h·w) with the kernel's [`tap_rows`] `taps` (9·Cout, C), a band of `band` output rows
/// at a time: the per-tap planes of a whole map are nine times the output and, when C is
/// small, writing them costs more than the products; a band's stay in the cache.
pub fn add_conv3x3_bands(out: &mut [f32], x: &Tensor, taps: &Tensor, (h, w): (usize, usize), band: usize) -> Result<()> {
    let (rows9, c) = taps.dims2()?;
    let cout = rows9 / 9;
    if rows9 != 9 * cout || x.dims2()? != (c, h * w) || out.len() != cout * h * w || h == 0 || w == 0 {
        candle_core::bail!("add_conv3x3_bands: taps {:?} and map {:?} for {cout} outputs of {h}×{w}", taps.dims(), x.dims());
    }
    let x = x.reshape((c, h, w))?;
    let band = band.max(1);
    let mut scratch = vec![0f32; cout * band * w];
    for first in (0..h).step_by(band) {
        let rows = band.min(h - first);
        let top = first.saturating_sub(1);
        let input = x.narrow(1, top, (first + rows + 1).min(h) - top)?.contiguous()?;
        let planes = taps.matmul(&input.flatten_from(1)?)?;
        let part = scratch.get_mut(..cout * rows * w).unwrap_or_default();
        part.fill(0.0);
        with_f32(&planes, "add_conv3x3_bands", |planes| {
            add_taps_rows(part, planes, cout, (h, w), first);
            Ok(())
        })?;
        for (co, src) in part.chunks_exact(rows * w).enumerate() {
            let start = (co * h + first) * w;
            if let Some(dst) = out.get_mut(start..start + rows * w) {
                dst.iter_mut().zip(src).for_each(|(d, v)| *d += v);
            }
        }
    }
    Ok(())
}

/// Factor ≥ 2: a window's three columns fall in at most two coarse columns, so each kernel row
/// first becomes one fine-width row per coarse row (its three taps summed, the first and last
/// pixel of each block reaching into the neighbouring block), and each output row then adds
/// three of those.
fn add_taps_up(out: &mut [f32], taps: &[f32], cout: usize, (h, w): (usize, usize), f: usize) {
    let (ch, cw) = (h / f, w / f);
    let cplane = ch * cw;
    // rows[(ky·ch + cy)·w + x] = Σ_kx taps[(ky, kx), co, cy, (x + kx − 1)/f], zero outside.
    let mut rows = vec![0f32; 3 * ch * w];
    for (co, out) in out.chunks_exact_mut(h * w).enumerate() {
        for (index, dst) in rows.chunks_exact_mut(w).enumerate() {
            let (ky, cy) = (index / ch, index % ch);
            let tap = |kx: usize| {
                let start = ((ky * 3 + kx) * cout + co) * cplane + cy * cw;
                taps.get(start..start + cw).unwrap_or_default()
            };
            let (t0, t1, t2) = (tap(0), tap(1), tap(2));
            let before = std::iter::once(&0.0).chain(t0); // t0[cx − 1]
            let after = t2.iter().skip(1).chain(std::iter::once(&0.0)); // t2[cx + 1]
            let columns = t0.iter().zip(t1).zip(t2).zip(before.zip(after));
            for (block, (((&l, &m), &r), (&b, &a))) in dst.chunks_exact_mut(f).zip(columns) {
                block.fill(l + m + r);
                if let Some(first) = block.first_mut() {
                    *first = b + m + r;
                }
                if let Some(last) = block.last_mut() {
                    *last = l + m + a;
                }
            }
        }
        for (y, row) in out.chunks_exact_mut(w).enumerate() {
            for ky in 0..3 {
                let Some(iy) = (y + ky).checked_sub(1).filter(|&iy| iy < h) else {
                    continue;
                };
                let start = (ky * ch + iy / f) * w;
                if let Some(src) = rows.get(start..start + w) {
                    row.iter_mut().zip(src).for_each(|(d, v)| *d += v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::conv3x3::conv2d_3x3_padded;
    use crate::nn::{Activation, Padding};
    use candle_core::Device;

    fn check(cin: usize, cout: usize, (ch, cw): (usize, usize), factor: usize) {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (1, cin, ch, cw), &dev).unwrap();
        let k = Tensor::randn(0f32, 1.0, (cout, cin, 3, 3), &dev).unwrap();
        let (h, w) = (ch * factor, cw * factor);
        let fine = x.upsample_nearest2d(h, w).unwrap();
        let expected = conv2d_3x3_padded(&fine, &k, &vec![0.0; cout], 1, Activation::Identity, Padding::Centred)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let planes = tap_rows(&k).unwrap().matmul(&x.reshape((cin, ch * cw)).unwrap()).unwrap();
        let planes = planes.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mut got = vec![1f32; cout * h * w];
        add_taps(&mut got, &planes, cout, (h, w), factor).unwrap();
        let diff = got.iter().zip(&expected).map(|(g, e)| (g - 1.0 - e).abs()).fold(0f32, f32::max);
        assert!(diff < 1e-4, "{cin}→{cout} {ch}×{cw} ×{factor}: {diff}");
    }

    #[test]
    fn matches_convolving_the_upsampled_map() {
        for factor in [1, 2, 4, 8] {
            for size in [(1, 1), (2, 3), (5, 4), (3, 7)] {
                check(6, 4, size, factor);
            }
        }
        check(13, 24, (6, 5), 2);
    }

    #[test]
    fn bands_match_the_whole_map() {
        let dev = Device::Cpu;
        for (h, w, band) in [(7, 5, 3), (7, 5, 1), (4, 6, 8), (1, 1, 2), (9, 3, 4)] {
            let x = Tensor::randn(0f32, 1.0, (1, 5, h, w), &dev).unwrap();
            let k = Tensor::randn(0f32, 1.0, (3, 5, 3, 3), &dev).unwrap();
            let expected = conv2d_3x3_padded(&x, &k, &[0.0; 3], 1, Activation::Identity, Padding::Centred)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            let mut got = vec![1f32; 3 * h * w];
            let taps = tap_rows(&k).unwrap();
            add_conv3x3_bands(&mut got, &x.reshape((5, h * w)).unwrap(), &taps, (h, w), band).unwrap();
            let diff = got.iter().zip(&expected).map(|(g, e)| (g - 1.0 - e).abs()).fold(0f32, f32::max);
            assert!(diff < 1e-4, "{h}×{w} band {band}: {diff}");
        }
        let mut out = vec![0f32; 3 * 4 * 4];
        let taps = Tensor::zeros((27, 5), candle_core::DType::F32, &dev).unwrap();
        let x = Tensor::zeros((5, 15), candle_core::DType::F32, &dev).unwrap();
        assert!(add_conv3x3_bands(&mut out, &x, &taps, (4, 4), 2).is_err());
    }

    #[test]
    fn rejects_inconsistent_sizes() {
        let mut out = vec![0f32; 2 * 6 * 6];
        assert!(add_taps(&mut out, &[0.0; 9 * 2 * 9], 2, (6, 6), 2).is_ok());
        assert!(add_taps(&mut out, &[0.0; 9 * 2 * 9], 2, (6, 6), 4).is_err());
        assert!(add_taps(&mut out, &[0.0; 9 * 2 * 8], 2, (6, 6), 2).is_err());
        assert!(add_taps(&mut out[1..], &[0.0; 9 * 2 * 9], 2, (6, 6), 2).is_err());
    }
}
