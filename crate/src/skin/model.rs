//! SkinNet in candle: eight plain 3×3 convolutions (per stage: stride 2, then stride 1; ReLU),
//! global average pooling and one linear layer. BatchNorm is already folded into each conv's
//! bias by `scripts/train/model.py::fold`, so inference is conv + bias + ReLU only.
//!
//! No grouped or depthwise convolutions: a dense 3×3 conv is one im2col + GEMM
//! (`nn::conv3x3`, with bias and ReLU fused into one pass), which is what GEMM is fast at.

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Linear, VarBuilder};

use super::SkinError;
use crate::nn::conv3x3::conv2d_3x3;

/// One BN-folded 3×3 convolution followed by ReLU.
struct ConvRelu {
    weight: Tensor,
    bias: Vec<f32>,
    stride: usize,
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

/// The network, its linear head and the OOD statistics stored beside it.
pub struct SkinNet {
    convs: Vec<ConvRelu>,
    classifier: Linear,
    classifier_weight: Tensor,
    /// `classes × features` class means and the `features × features` shared precision.
    pub(crate) ood_means: Tensor,
    pub(crate) ood_precision: Tensor,
    size: usize,
}

impl SkinNet {
    /// Loads the BN-folded weights from safetensors bytes (no file system: wasm hands in bytes).
    pub fn from_safetensors(
        bytes: &[u8],
        widths: &[usize],
        classes: usize,
        size: usize,
    ) -> Result<SkinNet, SkinError> {
        let weights = |e: candle_core::Error| SkinError::Weights {
            detail: e.to_string(),
        };
        let vb =
            VarBuilder::from_slice_safetensors(bytes, DType::F32, &Device::Cpu).map_err(weights)?;
        let mut convs = Vec::new();
        let mut c_in = 3;
        for &w in widths {
            for stride in [2, 1] {
                let vb = vb.pp(format!("conv{}", convs.len()));
                let weight = vb.get((w, c_in, 3, 3), "weight").map_err(weights)?;
                let bias = vb
                    .get(w, "bias")
                    .and_then(|b| b.to_vec1())
                    .map_err(weights)?;
                convs.push(ConvRelu {
                    weight,
                    bias,
                    stride,
                });
                c_in = w;
            }
        }
        let classifier = candle_nn::linear(c_in, classes, vb.pp("classifier")).map_err(weights)?;
        let classifier_weight = classifier.weight().clone();
        let ood_means = vb
            .get((classes, c_in), "ood.class_means")
            .map_err(weights)?;
        let ood_precision = vb.get((c_in, c_in), "ood.precision").map_err(weights)?;
        Ok(SkinNet {
            convs,
            classifier,
            classifier_weight,
            ood_means,
            ood_precision,
            size,
        })
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
            let mut x = Tensor::from_vec(input, (1, 3, self.size, self.size), &Device::Cpu)?;
            for conv in &self.convs {
                x = conv2d_3x3(&x, &conv.weight, &conv.bias, conv.stride, true)?;
            }
            let pooled = x.mean(D::Minus1)?.mean(D::Minus1)?; // 1 × C
            let logits = self.classifier.forward(&pooled)?;
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
            let flat = forward.feature_map.reshape((c, h * w))?;
            let cam = weight.matmul(&flat)?.flatten_all()?.to_vec1()?;
            Ok((h, w, cam))
        };
        run().map_err(SkinError::inference)
    }

    /// Mahalanobis distance of `pooled` to the nearest class mean (shared precision).
    pub fn mahalanobis(&self, pooled: &[f32]) -> Result<f32, SkinError> {
        let run = || -> candle_core::Result<f32> {
            let f = Tensor::from_slice(pooled, (1, pooled.len()), &Device::Cpu)?;
            let d = self.ood_means.broadcast_sub(&f)?; // K × C (sign is irrelevant)
            let dist = d.matmul(&self.ood_precision)?.mul(&d)?.sum(1)?; // K
            dist.min(0)?.to_scalar::<f32>()
        };
        run().map_err(SkinError::inference)
    }
}
