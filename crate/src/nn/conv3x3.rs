//! Dense 3×3 convolution (padding 1, stride 1 or 2) as im2col + one matrix product, with the
//! bias and ReLU fused into one pass.
//!
//! candle's CPU `conv2d` also uses im2col, but lays the columns out as (H·W, Cin·9), which
//! needs a transpose of the product back to NCHW and, in wasm, costs more than the product
//! itself. Laying them out as (Cin·9, H·W) makes `W (Cout, Cin·9) × cols` come out in NCHW
//! directly.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

use super::bias::add_bias_activation_in_place;
use super::{contiguous_f32, out_len, Activation, Padding};

/// `x` (N, Cin, H, W) conv `w` (Cout, Cin, 3, 3), padding 1, plus `bias` (Cout), then ReLU when
/// `relu`. Same result as candle's `conv2d(w, 1, stride, 1, 1)` followed by the bias and ReLU.
pub fn conv2d_3x3(
    x: &Tensor,
    w: &Tensor,
    bias: &[f32],
    stride: usize,
    relu: bool,
) -> candle_core::Result<Tensor> {
    let act = if relu {
        Activation::Relu
    } else {
        Activation::Identity
    };
    conv2d_3x3_padded(x, w, bias, stride, act, Padding::Centred)
}

/// [`conv2d_3x3`] with any activation and either border layout (see [`Padding`]).
pub fn conv2d_3x3_padded(
    x: &Tensor,
    w: &Tensor,
    bias: &[f32],
    stride: usize,
    act: Activation,
    padding: Padding,
) -> candle_core::Result<Tensor> {
    if stride != 1 && stride != 2 {
        candle_core::bail!("conv2d_3x3: stride must be 1 or 2, got {stride}");
    }
    let (n, cin, h, width) = x.dims4()?;
    let (cout, wcin, kh, kw) = w.dims4()?;
    if wcin != cin || kh != 3 || kw != 3 {
        candle_core::bail!(
            "conv2d_3x3: weight must be ({cout}, {cin}, 3, 3), got {:?}",
            w.dims()
        );
    }
    let (oh, ow) = (out_len(h, stride), out_len(width, stride));
    let before = (padding.before(h, 3, stride), padding.before(width, 3, stride));
    let cols = x.contiguous()?.apply_op1_no_bwd(&Im2Col { stride, before })?; // (N, Cin·9, OH·OW)
    let w2 = w
        .reshape((cout, cin * 9))?
        .broadcast_left(n)?
        .contiguous()?;
    let y = w2.matmul(&cols)?.reshape((n, cout, oh, ow))?;
    add_bias_activation_in_place(y, bias, act)
}

struct Im2Col {
    stride: usize,
    /// Zero rows above and columns left of the input (0 or 1).
    before: (usize, usize),
}

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "im2col_3x3"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = contiguous_f32(storage, layout, self.name())?;
        let (n, c, h, w) = layout.shape().dims4()?;
        let s = self.stride;
        let (oh, ow) = (out_len(h, s), out_len(w, s));
        if h == 0 || w == 0 {
            candle_core::bail!("im2col_3x3: empty input");
        }
        let (py, px) = self.before;
        if py > 2 || px > 2 {
            candle_core::bail!("im2col_3x3: padding before must be at most 2");
        }
        let mut cols = vec![0f32; n * c * 9 * oh * ow];
        // Row (plane, ky, kx) of the columns holds input[iy = oy·s + ky − py][ix = ox·s + kx − px]
        // for every output pixel, zero where that falls in the padding.
        let rows = cols.chunks_exact_mut(oh * ow);
        let taps = input
            .chunks_exact(h * w)
            .flat_map(|plane| (0..3).flat_map(move |ky| (0..3).map(move |kx| (plane, ky, kx))));
        for (row, (plane, ky, kx)) in rows.zip(taps) {
            // Valid output columns: 0 ≤ ox·s + kx − px < w.
            let lo = px.saturating_sub(kx).div_ceil(s);
            let hi = ow.min((w + px).saturating_sub(kx).div_ceil(s));
            for (oy, segment) in row.chunks_exact_mut(ow).enumerate() {
                let Some(iy) = (oy * s + ky).checked_sub(py).filter(|&iy| iy < h) else {
                    continue; // padding row: stays zero
                };
                let Some(src) = plane.get(iy * w..(iy + 1) * w) else {
                    continue;
                };
                let Some(dst) = segment.get_mut(lo..hi.max(lo)) else {
                    continue;
                };
                let first = lo * s + kx - px;
                if s == 1 {
                    if let Some(from) = src.get(first..first + dst.len()) {
                        dst.copy_from_slice(from);
                    }
                } else {
                    let from = src.iter().skip(first).step_by(s);
                    dst.iter_mut().zip(from).for_each(|(d, v)| *d = *v);
                }
            }
        }
        Ok((CpuStorage::F32(cols), Shape::from((n, c * 9, oh * ow))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn check(n: usize, cin: usize, cout: usize, h: usize, w: usize, stride: usize) {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (n, cin, h, w), &dev).unwrap();
        let k = Tensor::randn(0f32, 1.0, (cout, cin, 3, 3), &dev).unwrap();
        let bias: Vec<f32> = (0..cout).map(|i| i as f32 * 0.1 - 0.3).collect();
        let b = Tensor::new(bias.as_slice(), &dev)
            .unwrap()
            .reshape((1, cout, 1, 1))
            .unwrap();
        let plain = x
            .conv2d(&k, 1, stride, 1, 1)
            .unwrap()
            .broadcast_add(&b)
            .unwrap();
        for relu in [false, true] {
            let expected = if relu {
                plain.relu().unwrap()
            } else {
                plain.clone()
            };
            let got = conv2d_3x3(&x, &k, &bias, stride, relu).unwrap();
            let what = format!("{n}x{cin}x{h}x{w} -> {cout}, stride {stride}");
            assert_eq!(got.dims(), expected.dims(), "{what}");
            let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
            assert!(diff.to_scalar::<f32>().unwrap() < 1e-4, "{what}");
        }
    }

    /// A direct loop over a zero-padded input: the definition, to check the im2col against
    /// (candle's own conv2d disagrees with itself on a 3×3 input at stride 2).
    fn naive(x: &Tensor, k: &Tensor, bias: &[f32], stride: usize, before: (usize, usize)) -> Vec<f32> {
        let (_, cin, h, w) = x.dims4().unwrap();
        let cout = k.dim(0).unwrap();
        let xv = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let kv = k.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let (oh, ow) = (out_len(h, stride), out_len(w, stride));
        let mut out = Vec::new();
        for co in 0..cout {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = bias[co];
                    for ci in 0..cin {
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let (iy, ix) = ((oy * stride + ky) as isize - before.0 as isize, (ox * stride + kx) as isize - before.1 as isize);
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                    acc += xv[(ci * h + iy as usize) * w + ix as usize] * kv[((co * cin + ci) * 3 + ky) * 3 + kx];
                                }
                            }
                        }
                    }
                    out.push(acc.clamp(0.0, 6.0));
                }
            }
        }
        out
    }

    #[test]
    fn tf_same_padding_matches_the_definition() {
        let dev = Device::Cpu;
        for (h, w) in [(16, 12), (5, 7), (1, 1), (2, 3), (6, 6)] {
            let x = Tensor::randn(0f32, 1.0, (1, 3, h, w), &dev).unwrap();
            let k = Tensor::randn(0f32, 1.0, (4, 3, 3, 3), &dev).unwrap();
            let bias = [0.5f32, -0.5, 1.0, 7.0];
            let before = (Padding::TfSame.before(h, 3, 2), Padding::TfSame.before(w, 3, 2));
            // An even axis pads nothing before it at stride 2 (TensorFlow's layout).
            assert_eq!(Padding::TfSame.before(16, 3, 2), 0);
            let expected = naive(&x, &k, &bias, 2, before);
            let got = conv2d_3x3_padded(&x, &k, &bias, 2, Activation::Relu6, Padding::TfSame).unwrap();
            assert_eq!(got.dims(), [1, 4, out_len(h, 2), out_len(w, 2)], "{h}x{w}");
            let got = got.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let diff = got.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(diff < 1e-4, "{h}x{w}: {got:?} vs {expected:?}");
        }
    }

    /// Odd and even sizes, one pixel, batches, and more output than input channels, at both
    /// strides (odd sizes put the last stride-2 window half in the padding).
    #[test]
    fn matches_candle_conv2d() {
        for (n, cin, cout, h, w) in [
            (1, 1, 1, 1, 1),
            (1, 3, 4, 5, 7),
            (2, 8, 5, 9, 4),
            (2, 8, 5, 10, 4),
            (1, 3, 16, 2, 1),
            (1, 3, 16, 3, 2),
        ] {
            for stride in [1, 2] {
                check(n, cin, cout, h, w, stride);
            }
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        let x = Tensor::zeros((1, 4, 8, 8), candle_core::DType::F32, &Device::Cpu).unwrap();
        let k = Tensor::zeros((2, 3, 3, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(conv2d_3x3(&x, &k, &[0.0; 2], 1, false).is_err());
        let k = Tensor::zeros((2, 4, 3, 3), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(conv2d_3x3(&x, &k, &[0.0; 2], 3, false).is_err());
        assert!(conv2d_3x3(&x, &k, &[0.0; 3], 1, false).is_err());
    }
}
