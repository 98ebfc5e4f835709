//! YuNet-n, a 75k-parameter face detector, in candle.
//!
//! Paper: W. Wu, H. Peng, S. Yu, "YuNet: A Tiny Millisecond-level Face Detector", Machine
//! Intelligence Research 20, 656–665 (2023), doi:10.1007/s11633-023-1423-y.
//! Reference implementation and weights: <https://github.com/ShiqiYu/libfacedetection.train>
//! (`mmdet/models/backbones/yunet_backbone.py`, `necks/tfpn.py`, `dense_heads/yunet_head.py`,
//! `configs/yunet_n.py`); the layer order here was read from the exported ONNX graph
//! (`yunet_n_dynamic.onnx`).
//!
//! Shape: a stride-2 3×3 stem, then blocks of "depthwise-separable units" (1×1 conv → depthwise
//! 3×3 → BN → ReLU) with 2× max-pooling, a top-down feature pyramid over strides 8, 16, 32,
//! and per-stride heads for face class, objectness, box and five landmarks.
//! Input: BGR, 0–255 floats, no normalisation, height and width divisible by 32.
//! Batch norms are folded into the convolutions at load time.

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor};

use crate::nn::conv3x3::conv2d_3x3;
use crate::nn::depthwise::conv2d_dw3x3_after_bias;
use crate::nn::fold::{fold_batch_norm, BatchNorm};
use crate::nn::pointwise::{conv2d_1x1_no_bias, to_rows};
use crate::nn::pool::max_pool2x2;

/// The architecture of a YuNet variant (defaults: YuNet-n as in `configs/yunet_n.py`).
#[derive(Debug, Clone, PartialEq)]
pub struct YuNetConfig {
    /// Channels of each backbone stage: the stem (in, mid, out), then (in, out) per block.
    pub stage_channels: Vec<Vec<usize>>,
    /// Stages followed by a 2× max-pool.
    pub downsample_after: Vec<usize>,
    /// Stages whose outputs feed the pyramid (strides 8, 16, 32).
    pub output_stages: Vec<usize>,
    pub strides: [usize; 3],
    pub keypoints: usize,
    pub bn_eps: f64,
}

impl Default for YuNetConfig {
    fn default() -> Self {
        YuNetConfig {
            stage_channels: vec![
                vec![3, 16, 16],
                vec![16, 64],
                vec![64, 64],
                vec![64, 64],
                vec![64, 64],
                vec![64, 64],
            ],
            downsample_after: vec![0, 2, 3, 4],
            output_stages: vec![3, 4, 5],
            strides: [8, 16, 32],
            keypoints: 5,
            bn_eps: 1e-5,
        }
    }
}

/// The network's raw outputs per stride (8, 16, 32), each (N, H/s · W/s, C) in row-major cell
/// order: `cls` and `obj` after the sigmoid, `bbox` (dx, dy, log w, log h) and `kps`
/// (x, y per landmark) in units of the stride — the same maps as the reference ONNX export.
pub struct YuNetMaps {
    pub cls: [Tensor; 3],
    pub obj: [Tensor; 3],
    pub bbox: [Tensor; 3],
    pub kps: [Tensor; 3],
}

/// A 1×1 convolution then a depthwise 3×3, with BN + ReLU folded in when the unit has them.
struct SeparableUnit {
    pw_weight: Tensor,
    pw_bias: Vec<f32>,
    dw_weight: Tensor,
    dw_bias: Vec<f32>,
    relu: bool,
}

impl SeparableUnit {
    fn load(w: &Weights, prefix: &str, eps: f64) -> Result<Self> {
        let pw_weight = w.get(&format!("{prefix}.conv1.weight"))?;
        let pw_bias = w.get(&format!("{prefix}.conv1.bias"))?;
        let dw_weight = w.get(&format!("{prefix}.conv2.weight"))?;
        let dw_bias = w.get(&format!("{prefix}.conv2.bias"))?;
        let (dw_weight, dw_bias, relu) = match w.batch_norm(&format!("{prefix}.bn"), eps)? {
            Some(bn) => {
                let (wt, b) = fold_batch_norm(&dw_weight, &dw_bias, &bn)?;
                (wt, b, true)
            }
            None => (dw_weight, dw_bias, false),
        };
        Ok(SeparableUnit {
            pw_weight,
            pw_bias: pw_bias.to_vec1()?,
            dw_weight: dw_weight.contiguous()?,
            dw_bias: dw_bias.to_vec1()?,
            relu,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = conv2d_1x1_no_bias(x, &self.pw_weight)?;
        conv2d_dw3x3_after_bias(
            &y,
            Some(&self.pw_bias),
            &self.dw_weight,
            Some(&self.dw_bias),
            self.relu,
            1,
        )
    }
}

/// The stem: a full 3×3 stride-2 convolution (BN + ReLU folded) and one separable unit.
struct Stem {
    weight: Tensor,
    bias: Vec<f32>,
    unit: SeparableUnit,
}

impl Stem {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = conv2d_3x3(x, &self.weight, &self.bias, 2, true)?;
        self.unit.forward(&y)
    }
}

struct Head {
    shared: SeparableUnit,
    cls: SeparableUnit,
    obj: SeparableUnit,
    bbox: SeparableUnit,
    kps: SeparableUnit,
}

/// YuNet with weights loaded and batch norms folded.
pub struct YuNet {
    config: YuNetConfig,
    stem: Stem,
    blocks: Vec<[SeparableUnit; 2]>,
    lateral: Vec<SeparableUnit>,
    heads: Vec<Head>,
}

/// The safetensors file written by `scripts/convert-yunet` (PyTorch `state_dict` names).
struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn get(&self, name: &str) -> Result<Tensor> {
        match self.0.get(name) {
            Some(t) => t.to_dtype(DType::F32),
            None => candle_core::bail!("the YuNet weights have no tensor {name}"),
        }
    }

    fn batch_norm(&self, prefix: &str, eps: f64) -> Result<Option<BatchNorm>> {
        if !self.0.contains_key(&format!("{prefix}.weight")) {
            return Ok(None);
        }
        Ok(Some(BatchNorm {
            weight: self.get(&format!("{prefix}.weight"))?,
            bias: self.get(&format!("{prefix}.bias"))?,
            running_mean: self.get(&format!("{prefix}.running_mean"))?,
            running_var: self.get(&format!("{prefix}.running_var"))?,
            eps,
        }))
    }
}

impl YuNet {
    /// Loads the converted weights (`models/face/yunet_n.safetensors`) from memory.
    pub fn from_safetensors(bytes: &[u8], config: YuNetConfig) -> Result<Self> {
        let w = Weights(candle_core::safetensors::load_buffer(bytes, &Device::Cpu)?);
        let eps = config.bn_eps;
        let stem_bn = w
            .batch_norm("backbone.model0.bn1", eps)?
            .ok_or_else(|| candle_core::Error::Msg("the YuNet stem has no batch norm".into()))?;
        let (weight, bias) = fold_batch_norm(
            &w.get("backbone.model0.conv1.weight")?,
            &w.get("backbone.model0.conv1.bias")?,
            &stem_bn,
        )?;
        let stem = Stem {
            weight: weight.contiguous()?,
            bias: bias.to_vec1()?,
            unit: SeparableUnit::load(&w, "backbone.model0.conv2", eps)?,
        };
        let blocks = (1..config.stage_channels.len())
            .map(|i| {
                Ok([
                    SeparableUnit::load(&w, &format!("backbone.model{i}.conv1"), eps)?,
                    SeparableUnit::load(&w, &format!("backbone.model{i}.conv2"), eps)?,
                ])
            })
            .collect::<Result<Vec<_>>>()?;
        let levels = config.strides.len();
        let lateral = (0..levels)
            .map(|i| SeparableUnit::load(&w, &format!("neck.lateral_convs.{i}"), eps))
            .collect::<Result<Vec<_>>>()?;
        let heads = (0..levels)
            .map(|i| {
                let unit = |name: &str| {
                    SeparableUnit::load(&w, &format!("bbox_head.multi_level_{name}.{i}"), eps)
                };
                Ok(Head {
                    shared: SeparableUnit::load(
                        &w,
                        &format!("bbox_head.multi_level_share_convs.{i}.0"),
                        eps,
                    )?,
                    cls: unit("cls")?,
                    obj: unit("obj")?,
                    bbox: unit("bbox")?,
                    kps: unit("kps")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(YuNet {
            config,
            stem,
            blocks,
            lateral,
            heads,
        })
    }

    pub fn config(&self) -> &YuNetConfig {
        &self.config
    }

    /// Runs the network on `input` (N, 3, H, W), BGR 0–255, H and W divisible by 32.
    pub fn forward(&self, input: &Tensor) -> Result<YuNetMaps> {
        Ok(self.forward_with_features(input)?.0)
    }

    /// [`Self::forward`], plus the shared head features of each stride (N, 64, H/s, W/s).
    pub fn forward_with_features(&self, input: &Tensor) -> Result<(YuNetMaps, [Tensor; 3])> {
        let (_, c, h, w) = input.dims4()?;
        if c != 3 || h == 0 || w == 0 || h % 32 != 0 || w % 32 != 0 {
            candle_core::bail!("YuNet input must be (N, 3, H, W) with H, W multiples of 32");
        }
        let mut x = self.stem.forward(input)?;
        let mut features = Vec::with_capacity(3);
        if self.config.downsample_after.contains(&0) {
            x = max_pool2x2(&x)?;
        }
        for (i, [a, b]) in self.blocks.iter().enumerate() {
            let stage = i + 1;
            x = b.forward(&a.forward(&x)?)?;
            if self.config.output_stages.contains(&stage) {
                features.push(x.clone());
            }
            if self.config.downsample_after.contains(&stage) {
                x = max_pool2x2(&x)?;
            }
        }
        let [f8, f16, f32_] = <[Tensor; 3]>::try_from(features)
            .map_err(|_| candle_core::Error::Msg("YuNet config must output 3 stages".into()))?;
        let [l8, l16, l32] = self.lateral_units()?;
        // Top-down pyramid: each coarser level, refined, is upsampled into the finer one.
        let p32 = l32.forward(&f32_)?;
        let p16 = l16.forward(&f16.add(&upsample2(&p32)?)?)?;
        let p8 = l8.forward(&f8.add(&upsample2(&p16)?)?)?;
        let mut outs: Vec<[Tensor; 4]> = Vec::with_capacity(3);
        let mut shared = Vec::with_capacity(3);
        for (head, p) in self.heads.iter().zip([p8, p16, p32]) {
            let s = head.shared.forward(&p)?;
            shared.push(s.clone());
            outs.push([
                candle_nn::ops::sigmoid(&to_rows(&head.cls.forward(&s)?)?)?,
                candle_nn::ops::sigmoid(&to_rows(&head.obj.forward(&s)?)?)?,
                to_rows(&head.bbox.forward(&s)?)?,
                to_rows(&head.kps.forward(&s)?)?,
            ]);
        }
        let [[c0, o0, b0, k0], [c1, o1, b1, k1], [c2, o2, b2, k2]] =
            <[[Tensor; 4]; 3]>::try_from(outs)
                .map_err(|_| candle_core::Error::Msg("YuNet must have 3 heads".into()))?;
        let shared = <[Tensor; 3]>::try_from(shared)
            .map_err(|_| candle_core::Error::Msg("YuNet must have 3 heads".into()))?;
        let maps = YuNetMaps {
            cls: [c0, c1, c2],
            obj: [o0, o1, o2],
            bbox: [b0, b1, b2],
            kps: [k0, k1, k2],
        };
        Ok((maps, shared))
    }

    fn lateral_units(&self) -> Result<[&SeparableUnit; 3]> {
        match self.lateral.as_slice() {
            [a, b, c] => Ok([a, b, c]),
            _ => candle_core::bail!("YuNet must have 3 lateral units"),
        }
    }
}

fn upsample2(x: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    x.upsample_nearest2d(h * 2, w * 2)
}
