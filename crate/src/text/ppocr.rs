//! PP-OCRv4's mobile text detector (a DBNet) in candle: photo in, per-pixel text probability out.
//!
//! Papers: M. Liao, Z. Wan, C. Yao, K. Chen, X. Bai, "Real-time Scene Text Detection with
//! Differentiable Binarization", AAAI 2020, arXiv:1911.08947 (the head and the map); C. Cui et
//! al., "PP-LCNet: A Lightweight CPU Convolutional Neural Network", arXiv:2109.15099 (the
//! backbone, here its V3 with learnable affine blocks). Reference implementation: PaddleOCR
//! (`ppocr/modeling/backbones/rec_lcnetv3.py`, `necks/db_fpn.py` `RSEFPN`, `heads/det_db_head.py`),
//! <https://github.com/PaddlePaddle/PaddleOCR>. hifu uses the ONNX export in the PyPI wheel
//! `rapidocr-onnxruntime` 1.4.4 (`ch_PP-OCRv4_det_infer.onnx`, Apache-2.0), converted by
//! `crate/examples/convert_ppocr_det.rs`; the layer order here was read from that graph.
//!
//! Shape: a 3×3 stride-2 stem; 14 blocks of depthwise convolution (+ hard-swish when stride 1),
//! optional squeeze-excite, 1×1 convolution + hard-swish (each activation followed by a learnable
//! `c·x + d`); 1×1 taps at strides 4, 8, 16, 32; an FPN whose lateral and output layers each
//! carry a residual squeeze-excite; the four levels upsampled to stride 4 and concatenated; a
//! 3×3 convolution and two 2×2 stride-2 transposed convolutions back to full resolution, then a
//! sigmoid. Input: BGR, `(v/255 − mean)/std` with ImageNet's mean and std taken in RGB order
//! (as PaddleOCR feeds OpenCV's BGR pixels), height and width multiples of 32.

use std::collections::HashMap;

use candle_core::{Device, Result, Tensor, D};

use super::neck::{Neck, NeckLayer};
use crate::nn::bias::scale_channels;
use crate::nn::conv3x3::conv2d_3x3_padded;
use crate::nn::depthwise::conv2d_depthwise;
use crate::nn::pointwise::{conv2d_1x1, conv2d_1x1_act, conv2d_1x1_no_bias};
use crate::nn::upsample::pixel_shuffle_2x2;
use crate::nn::{quant, Activation, Padding};

/// The architecture (defaults: the released PP-OCRv4 mobile detector).
#[derive(Debug, Clone, PartialEq)]
pub struct PpOcrDetConfig {
    /// Backbone blocks: depthwise kernel, stride, squeeze-excite.
    pub blocks: Vec<(usize, usize, bool)>,
    /// Blocks whose outputs feed the taps (strides 4, 8, 16, 32).
    pub taps: [usize; 4],
    /// Hard-sigmoid slopes of the backbone's and the neck's squeeze-excite gates.
    pub backbone_se_slope: f32,
    pub neck_se_slope: f32,
    /// Input normalisation per channel in the network's (BGR) order.
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Default for PpOcrDetConfig {
    fn default() -> Self {
        let mut blocks = vec![(3, 1, false), (3, 2, false), (3, 1, false), (3, 2, false), (3, 1, false)];
        blocks.push((3, 2, false));
        blocks.extend([(5, 1, false); 4]);
        blocks.extend([(5, 2, true), (5, 1, true), (5, 1, false), (5, 1, false)]);
        PpOcrDetConfig {
            blocks,
            taps: [2, 4, 9, 13],
            backbone_se_slope: 1.0 / 6.0,
            neck_se_slope: 0.2,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        }
    }
}

/// A convolution with its bias (affine blocks and batch norms already folded in).
pub(super) struct Conv {
    pub(super) weight: Tensor,
    pub(super) bias: Vec<f32>,
}

/// Squeeze-excite: global mean, 1×1 + ReLU, 1×1 + hard-sigmoid, times the input.
pub(super) struct SqueezeExcite {
    reduce: Conv,
    expand: Conv,
    slope: f32,
}

impl SqueezeExcite {
    /// The gate per image and channel, `offset` added (the neck's residual form adds 1).
    pub(super) fn gate(&self, x: &Tensor, offset: f32) -> Result<Vec<f32>> {
        let pooled = x.mean_keepdim(D::Minus1)?.mean_keepdim(D::Minus2)?;
        let y = conv2d_1x1(&pooled, &self.reduce.weight, &self.reduce.bias, true)?;
        let y = conv2d_1x1(&y, &self.expand.weight, &self.expand.bias, false)?;
        let gate = y.flatten_all()?.to_vec1::<f32>()?;
        Ok(gate.into_iter().map(|v| (v * self.slope + 0.5).clamp(0.0, 1.0) + offset).collect())
    }
}

struct Block {
    depthwise: Conv,
    /// Hard-swish and its affine block after the depthwise convolution (absent at stride 2).
    depthwise_act: Option<Activation>,
    stride: usize,
    se: Option<SqueezeExcite>,
    pointwise: Conv,
    pointwise_act: Activation,
}

impl Block {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let act = self.depthwise_act.unwrap_or(Activation::Identity);
        let dw = &self.depthwise;
        let mut y = conv2d_depthwise(x, None, &dw.weight, Some(&dw.bias), act, self.stride, Padding::Centred)?;
        if let Some(se) = &self.se {
            y = scale_channels(&y, &se.gate(&y, 0.0)?)?;
        }
        conv2d_1x1_act(&y, &self.pointwise.weight, &self.pointwise.bias, self.pointwise_act)
    }
}

/// A 2×2 stride-2 transposed convolution stored as a 1×1 convolution to 4·Cout channels
/// ordered (cout, dy, dx), then the pixel shuffle that lays each pixel's 2×2 block out.
fn upsample(x: &Tensor, conv: &Conv, act: Activation) -> Result<Tensor> {
    pixel_shuffle_2x2(&conv2d_1x1_no_bias(x, &conv.weight)?, &conv.bias, act)
}

/// The safetensors file written by `convert_ppocr_det` (f32 or int8 weights).
struct Weights(HashMap<String, Tensor>);

impl Weights {
    fn get(&self, name: &str) -> Result<Tensor> {
        quant::weight(&self.0, name).map_err(|e| candle_core::Error::Msg(format!("text detector: {e}")))
    }

    fn conv(&self, name: &str) -> Result<Conv> {
        Ok(Conv {
            weight: self.get(&format!("{name}.weight"))?,
            bias: self.get(&format!("{name}.bias"))?.to_vec1()?,
        })
    }

    fn se(&self, name: &str, slope: f32) -> Result<SqueezeExcite> {
        Ok(SqueezeExcite {
            reduce: self.conv(&format!("{name}.se.0"))?,
            expand: self.conv(&format!("{name}.se.1"))?,
            slope,
        })
    }

    /// The `[c, d]` of a hard-swish's affine block.
    fn hardswish(&self, name: &str) -> Result<Activation> {
        match self.get(name)?.to_vec1::<f32>()?.as_slice() {
            [scale, shift] => Ok(Activation::HardSwish { scale: *scale, shift: *shift }),
            _ => candle_core::bail!("text detector: {name} must hold two values"),
        }
    }
}

/// PP-OCRv4's detector with weights loaded.
pub struct PpOcrDet {
    config: PpOcrDetConfig,
    stem: Conv,
    blocks: Vec<Block>,
    taps: Vec<Conv>,
    /// The neck and the head's 3×3 convolution.
    neck: Neck,
    up: [Conv; 2],
}

impl PpOcrDet {
    /// Loads the converted weights (`models/text/ppocr_det.safetensors`) from memory.
    pub fn from_safetensors(bytes: &[u8], config: PpOcrDetConfig) -> Result<Self> {
        let w = Weights(candle_core::safetensors::load_buffer(bytes, &Device::Cpu)?);
        let mut blocks = Vec::with_capacity(config.blocks.len());
        for (i, &(kernel, stride, se)) in config.blocks.iter().enumerate() {
            let depthwise = w.conv(&format!("block.{i}.dw"))?;
            if depthwise.weight.dim(3)? != kernel {
                candle_core::bail!("text detector: block {i} is not {kernel}×{kernel}");
            }
            blocks.push(Block {
                depthwise,
                depthwise_act: if stride == 1 { Some(w.hardswish(&format!("block.{i}.dw.act"))?) } else { None },
                stride,
                se: if se { Some(w.se(&format!("block.{i}"), config.backbone_se_slope)?) } else { None },
                pointwise: w.conv(&format!("block.{i}.pw"))?,
                pointwise_act: w.hardswish(&format!("block.{i}.pw.act"))?,
            });
        }
        let neck = |part: &str| -> Result<Vec<NeckLayer>> {
            (0..4)
                .map(|level| {
                    let name = format!("neck.{part}.{level}");
                    Ok(NeckLayer {
                        conv: w.conv(&name)?,
                        se: w.se(&name, config.neck_se_slope)?,
                    })
                })
                .collect()
        };
        Ok(PpOcrDet {
            stem: w.conv("stem")?,
            blocks,
            taps: (0..4).map(|l| w.conv(&format!("tap.{l}"))).collect::<Result<_>>()?,
            neck: Neck::new(neck("ins")?, neck("inp")?, &w.conv("head.conv")?)?,
            up: [w.conv("head.up.0")?, w.conv("head.up.1")?],
            config,
        })
    }

    /// The input tensor (1, 3, H, W) from RGB bytes, normalised in the network's BGR order.
    /// `width` and `height` must be multiples of 32.
    pub fn input(&self, rgb: &[u8], width: usize, height: usize) -> Result<Tensor> {
        if !width.is_multiple_of(32) || !height.is_multiple_of(32) || width == 0 || height == 0 {
            candle_core::bail!("text detector: input {width}×{height} is not a multiple of 32");
        }
        if rgb.len() != width * height * 3 {
            candle_core::bail!("text detector: {} bytes for {width}×{height} RGB", rgb.len());
        }
        // Planes in BGR order: source channel 2, 1, 0. Each plane's 256 possible values are
        // worked out once (the same arithmetic, so the same bits) and the buffer is sized up front.
        let mut values: Vec<f32> = Vec::with_capacity(rgb.len());
        for (c, (mean, std)) in self.config.mean.into_iter().zip(self.config.std).enumerate() {
            let table: Vec<f32> = (0..=255u8).map(|v| (f32::from(v) / 255.0 - mean) / std).collect();
            let source = 2 - c;
            values.extend(rgb.chunks_exact(3).map(|px| {
                px.get(source).and_then(|v| table.get(usize::from(*v))).copied().unwrap_or(0.0)
            }));
        }
        Tensor::from_vec(values, (1, 3, height, width), &Device::Cpu)
    }

    /// The text probability map (N, 1, H, W) for an input from [`PpOcrDet::input`].
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut y = conv2d_3x3_padded(x, &self.stem.weight, &self.stem.bias, 2, Activation::Identity, Padding::Centred)?;
        let mut features = Vec::with_capacity(4);
        let mut taps = self.taps.iter();
        for (i, block) in self.blocks.iter().enumerate() {
            y = block.forward(&y)?;
            if self.config.taps.contains(&i) {
                let Some(tap) = taps.next() else {
                    candle_core::bail!("text detector: more taps than tap weights");
                };
                features.push(conv2d_1x1(&y, &tap.weight, &tap.bias, false)?);
            }
        }
        // The gates fold into weights per image, so the neck runs one image at a time.
        let images = (0..y.dim(0)?)
            .map(|n| {
                let one: Vec<Tensor> = features.iter().map(|f| f.narrow(0, n, 1)).collect::<Result<_>>()?;
                self.neck.forward(&one)
            })
            .collect::<Result<Vec<_>>>()?;
        let y = match images.as_slice() {
            [one] => one.clone(),
            all => Tensor::cat(all, 0)?,
        };
        let [up0, up1] = &self.up;
        let y = upsample(&y, up0, Activation::Relu)?;
        let y = upsample(&y, up1, Activation::Identity)?;
        candle_nn::ops::sigmoid(&y)
    }
}
