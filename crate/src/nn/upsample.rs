//! The pixel shuffle after a 2×2 stride-2 transposed convolution computed as a 1×1 convolution,
//! as plain row writes: candle's permute-then-`contiguous` copies one value at a time through
//! strided indexing, which cost more than the convolutions around it at a quarter of a photo's
//! resolution. (The feature pyramid's nearest upsampling is folded into its convolutions:
//! `nn::conv3x3_up`.)

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

use super::{contiguous_f32, Activation};

/// `x` (N, 4·Cout, H, W), channels ordered (cout, dy, dx), plus `bias` (4·Cout, one value per
/// channel of `x`), then `act`, laid
/// out as (N, Cout, 2H, 2W) with channel (c, dy, dx) at pixel (2y + dy, 2x + dx): a 2×2 stride-2
/// transposed convolution whose weights went through a 1×1 convolution to make `x`.
pub fn pixel_shuffle_2x2(x: &Tensor, bias: &[f32], act: Activation) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&Shuffle { bias: bias.to_vec(), act })
}

/// The (N, C, H, W) of a contiguous 4-d tensor's values.
fn planes<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> candle_core::Result<(&'a [f32], [usize; 4])> {
    let values = contiguous_f32(storage, layout, op)?;
    let (n, c, h, w) = layout.shape().dims4()?;
    if h == 0 || w == 0 {
        candle_core::bail!("{op}: empty planes {:?}", layout.shape());
    }
    Ok((values, [n, c, h, w]))
}

/// One output row: each of `src`'s values `factor` times.
struct Shuffle {
    bias: Vec<f32>,
    act: Activation,
}

impl CustomOp1 for Shuffle {
    fn name(&self) -> &'static str {
        "pixel_shuffle_2x2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (input, [n, c4, h, w]) = planes(storage, layout, self.name())?;
        let cout = c4 / 4;
        if c4 != 4 * cout || self.bias.len() != c4 {
            candle_core::bail!("pixel_shuffle_2x2: {c4} channels with {} bias values", self.bias.len());
        }
        let (plane, ow) = (h * w, 2 * w);
        let mut output = vec![0f32; n * cout * 4 * plane];
        // Output plane (image, c) comes from input planes 4c .. 4c + 4, in (dy, dx) order.
        for (index, (out, quad)) in output.chunks_exact_mut(4 * plane).zip(input.chunks_exact(4 * plane)).enumerate() {
            let mut sources = quad.chunks_exact(plane);
            let (Some(p00), Some(p01), Some(p10), Some(p11)) =
                (sources.next(), sources.next(), sources.next(), sources.next())
            else {
                continue;
            };
            let c = 4 * (index % cout);
            let b = |k: usize| self.bias.get(c + k).copied().unwrap_or(0.0);
            let (b00, b01, b10, b11) = (b(0), b(1), b(2), b(3));
            for (y, pair) in out.chunks_exact_mut(2 * ow).enumerate() {
                let (top, bottom) = pair.split_at_mut(ow);
                let row = y * w..(y + 1) * w;
                for (dst, (left, right), (bl, br)) in [(top, (p00, p01), (b00, b01)), (bottom, (p10, p11), (b10, b11))] {
                    let (Some(left), Some(right)) = (left.get(row.clone()), right.get(row.clone())) else {
                        continue;
                    };
                    for (px, (&l, &r)) in dst.chunks_exact_mut(2).zip(left.iter().zip(right)) {
                        px.copy_from_slice(&[self.act.apply(l + bl), self.act.apply(r + br)]);
                    }
                }
            }
        }
        Ok((CpuStorage::F32(output), Shape::from((n, cout, 2 * h, ow))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        assert_eq!(a.dims(), b.dims());
        (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap()
    }

    #[test]
    fn shuffle_matches_permute() {
        let (n, cout, h, w) = (2, 3, 4, 5);
        let x = Tensor::randn(0f32, 1.0, (n, 4 * cout, h, w), &Device::Cpu).unwrap();
        let bias: Vec<f32> = (0..4 * cout).map(|i| i as f32 * 0.25 - 1.0).collect();
        let b = Tensor::new(bias.as_slice(), &Device::Cpu).unwrap().reshape((1, cout, 2, 2, 1, 1)).unwrap();
        let expected = x
            .reshape((n, cout, 2, 2, h, w))
            .unwrap()
            .broadcast_add(&b)
            .unwrap()
            .relu()
            .unwrap()
            .permute((0, 1, 4, 2, 5, 3))
            .unwrap()
            .contiguous()
            .unwrap()
            .reshape((n, cout, 2 * h, 2 * w))
            .unwrap();
        assert!(max_diff(&pixel_shuffle_2x2(&x, &bias, Activation::Relu).unwrap(), &expected) < 1e-6);
        assert!(pixel_shuffle_2x2(&x, &bias[..cout], Activation::Relu).is_err());
    }
}
