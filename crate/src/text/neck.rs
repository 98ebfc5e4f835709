//! The detector's neck (RSE-FPN) and the head's 3×3 convolution without the 96-channel maps at
//! a quarter of the input's resolution, which cost most of the detector's time.
//!
//! Everything between the backbone's taps and the head's first activation is linear except the
//! squeeze-excite gates, which scale channels by factors computed from channel means:
//! - lateral `l_j = s_j ⊙ (A_j f_j + a_j)`, where `f_j` is the tap and `s_j` the residual gate
//!   (1 + gate) of the mean of `A_j f_j + a_j`, that is of `A_j · mean(f_j) + a_j`: the gate
//!   needs no map, and `l_j = E_j [f_j; 1]` with `E_j = diag(s_j) [A_j | a_j]`;
//! - top-down `m_i = Σ_{j ≥ i} up_{2^{j−i}}(l_j)`, so the output layer's 3×3 convolution
//!   `q_i = conv(m_i; W_i) + d_i` is a sum over levels of `conv(up(g_j); W_i E_j)`, each taken at
//!   level j's own resolution ([`add_taps`]) on `g_j = [f_j; 1]` (12, 18 or 42 channels plus
//!   ones, which carry the bias and are zero-padded like the map) or, where the tap is wider
//!   than the lateral layer, on `l_j` itself;
//! - the head's 3×3 over the concatenated `up(p_i)`, `p_i = q_i ⊙ (1 + gate)`, is likewise a
//!   sum over levels at their own resolutions, the gate folded into the head's weights.

use candle_core::{DType, Device, Result, Tensor, D};

use super::ppocr::{Conv, SqueezeExcite};
use crate::nn::bias::scale_channels;
use crate::nn::conv3x3_taps::conv2d_3x3_taps;
use crate::nn::conv3x3_up::{add_conv3x3_bands, add_taps, tap_rows};
use crate::nn::pointwise::conv2d_1x1;
use crate::nn::{with_f32, Activation};

/// Output rows per matrix product where a 3×3 convolution runs at its map's own resolution:
/// the band's per-tap planes (nine per output channel) then stay in the cache.
const BAND: usize = 8;

/// A neck layer: convolution (1×1 lateral or 3×3 output) and a residual squeeze-excite,
/// `y + y·gate(y)`.
pub(super) struct NeckLayer {
    pub(super) conv: Conv,
    pub(super) se: SqueezeExcite,
}

impl NeckLayer {
    /// The layer as written, for a lateral layer whose tap is wider than its output.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = if self.conv.weight.dim(3)? == 1 {
            conv2d_1x1(x, &self.conv.weight, &self.conv.bias, false)?
        } else {
            conv2d_3x3_taps(x, &self.conv.weight, &self.conv.bias, Activation::Identity)?
        };
        scale_channels(&y, &self.se.gate(&y, 1.0)?)
    }
}

pub(super) struct Neck {
    /// Lateral and output layers, finest level first.
    lateral: Vec<NeckLayer>,
    output: Vec<NeckLayer>,
    /// Per level j, the tap rows of output layers 0 ..= j stacked, (9·Cout·(j + 1), C).
    stacked: Vec<Tensor>,
    /// Per level i, the tap rows of the head's weights on that level's channels, (9·Chead, Cout).
    head_taps: Vec<Tensor>,
    head_bias: Vec<f32>,
}

impl Neck {
    pub(super) fn new(lateral: Vec<NeckLayer>, output: Vec<NeckLayer>, head: &Conv) -> Result<Neck> {
        let levels = lateral.len();
        if levels == 0 || output.len() != levels {
            candle_core::bail!("text detector: {levels} lateral and {} output layers", output.len());
        }
        let rows = output.iter().map(|o| tap_rows(&o.conv.weight)).collect::<Result<Vec<_>>>()?;
        let stacked = (1..=levels)
            .map(|n| Tensor::cat(rows.get(..n).unwrap_or_default(), 0))
            .collect::<Result<Vec<_>>>()?;
        let Some(first) = output.first() else {
            candle_core::bail!("text detector: no output layers");
        };
        let cout = first.conv.weight.dim(0)?;
        if head.weight.dim(1)? != levels * cout {
            candle_core::bail!("text detector: head takes {} channels, not {levels}×{cout}", head.weight.dim(1)?);
        }
        // The head's input is the levels coarsest first: level i's channels start at
        // (levels − 1 − i)·Cout.
        let head_taps = (0..levels)
            .map(|i| tap_rows(&head.weight.narrow(1, (levels - 1 - i) * cout, cout)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(Neck { lateral, output, stacked, head_taps, head_bias: head.bias.clone() })
    }

    /// The head's 3×3 convolution and ReLU, (1, Chead, H, W) at the finest level's size, from one
    /// image's taps (1, C_j, H/2^j, W/2^j), finest first.
    pub(super) fn forward(&self, features: &[Tensor]) -> Result<Tensor> {
        let levels = self.lateral.len();
        if features.len() != levels {
            candle_core::bail!("text detector: {} taps for {levels} levels", features.len());
        }
        let mut sizes = Vec::with_capacity(levels);
        for (j, f) in features.iter().enumerate() {
            let (n, _, h, w) = f.dims4()?;
            let (h0, w0) = (h << j, w << j);
            if n != 1 || sizes.first().is_some_and(|&s| s != (h0, w0)) {
                candle_core::bail!("text detector: tap {j} is {:?}, not level {j} of one image", f.dims());
            }
            sizes.push((h0, w0));
        }
        let size = |i: usize| {
            let (h, w) = sizes.first().copied().unwrap_or((0, 0));
            (h >> i, w >> i)
        };
        // Per level j: its map and the output layers' tap rows on it, and the per-tap planes of
        // the output layers i < j, which read the map upsampled.
        let mut inputs = Vec::with_capacity(levels);
        let mut coarse = Vec::with_capacity(levels);
        for (j, (f, layer)) in features.iter().zip(&self.lateral).enumerate() {
            let Some(stacked) = self.stacked.get(j) else {
                candle_core::bail!("text detector: no output weights for level {j}");
            };
            let (g, weights) = self.lateral_input(f, layer, stacked)?;
            let rows = weights.dim(0)? / (j + 1);
            coarse.push(if j > 0 { Some(weights.narrow(0, 0, j * rows)?.matmul(&g)?) } else { None });
            inputs.push((g, weights.narrow(0, j * rows, rows)?));
        }
        let (h0, w0) = size(0);
        let chead = self.head_bias.len();
        let mut head = vec![0f32; chead * h0 * w0];
        for (out, &b) in head.chunks_exact_mut(h0 * w0).zip(&self.head_bias) {
            out.fill(b);
        }
        for (i, ((layer, head_taps), (g, weights))) in self.output.iter().zip(&self.head_taps).zip(&inputs).enumerate() {
            let (h, w) = size(i);
            let cout = layer.conv.bias.len();
            let plane = h * w;
            let mut q = vec![0f32; cout * plane];
            for (out, &b) in q.chunks_exact_mut(plane).zip(&layer.conv.bias) {
                out.fill(b);
            }
            add_conv3x3_bands(&mut q, g, weights, (h, w), BAND)?;
            for (j, p) in coarse.iter().enumerate().skip(i + 1) {
                let Some(p) = p else { continue };
                let block = p.narrow(0, i * 9 * cout, 9 * cout)?;
                with_f32(&block, "text neck", |taps| add_taps(&mut q, taps, cout, (h, w), 1 << (j - i)))?;
            }
            let means: Vec<f32> = q.chunks_exact(plane).map(|c| c.iter().sum::<f32>() / plane as f32).collect();
            let gate = layer.se.gate(&Tensor::from_vec(means, (1, cout, 1, 1), &Device::Cpu)?, 1.0)?;
            let taps = head_taps.broadcast_mul(&Tensor::from_vec(gate, (1, cout), &Device::Cpu)?)?;
            let q = Tensor::from_vec(q, (cout, plane), &Device::Cpu)?;
            if i == 0 {
                add_conv3x3_bands(&mut head, &q, &taps, (h0, w0), BAND)?;
            } else {
                let planes = taps.matmul(&q)?;
                with_f32(&planes, "text head", |taps| add_taps(&mut head, taps, chead, (h0, w0), 1 << i))?;
            }
        }
        head.iter_mut().for_each(|v| *v = crate::nn::relu(*v));
        Tensor::from_vec(head, (1, chead, h0, w0), &Device::Cpu)
    }

    /// The map the output layers' weights multiply at one level, (C, H·W), and those weights
    /// with the lateral layer folded in: `[f; 1]` and `stacked · E` when the tap is narrower
    /// than the lateral layer's output, else the lateral layer's output and `stacked`.
    fn lateral_input(&self, f: &Tensor, layer: &NeckLayer, stacked: &Tensor) -> Result<(Tensor, Tensor)> {
        let (_, k, h, w) = f.dims4()?;
        let a = &layer.conv.weight;
        let wide = a.dim(0)?;
        if k + 1 >= wide {
            let l = layer.forward(f)?;
            return Ok((l.reshape((wide, h * w))?, stacked.clone()));
        }
        let pooled = f.mean_keepdim(D::Minus1)?.mean_keepdim(D::Minus2)?;
        let ymean = conv2d_1x1(&pooled, a, &layer.conv.bias, false)?;
        let gate = Tensor::from_vec(layer.se.gate(&ymean, 1.0)?, (wide, 1), &Device::Cpu)?;
        let bias = Tensor::from_slice(&layer.conv.bias, (wide, 1), &Device::Cpu)?;
        let e = Tensor::cat(&[a.reshape((wide, k))?, bias], 1)?.broadcast_mul(&gate)?;
        let ones = Tensor::ones((1, 1, h, w), DType::F32, &Device::Cpu)?;
        let g = Tensor::cat(&[f, &ones], 1)?.reshape((k + 1, h * w))?;
        Ok((g, stacked.matmul(&e)?))
    }
}
