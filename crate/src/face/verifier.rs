//! A second-stage face/not-face check on YuNet's large candidate boxes.
//!
//! YuNet, trained on WIDER FACE, puts a face box (large, score 0.5–0.85) on about 5 % of
//! dermoscopic close-ups of skin; redacting those would destroy the lesion, and the full-face
//! gate would exclude the photo. This tiny CNN (three stride-2 3×3 convolutions, global
//! average pooling, a linear logit; ~14k parameters, hifu's own weights) looks at the candidate
//! crop (the box grown by 20 %, resized to 32×32) and says whether it is a face. It was trained
//! by `crate/examples/train_face_verifier.rs` on YuNet's boxes over LFW portraits (positives)
//! against YuNet's boxes and random crops over HAM10000 skin photos (negatives), split by
//! lesion; see models/face/README.md for the model card and numbers.
//!
//! It only judges boxes spanning at least [`VerifierConfig::min_extent`] of the photo: small
//! boxes are faces in a scene, for which LFW portraits are no training data, and skin
//! false positives are large.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};
use image::{imageops, RgbImage};

use super::boxes::Face;
use crate::redact::region;

/// The trained weights (small, hifu's own: committed and compiled in).
pub const WEIGHTS: &[u8] = include_bytes!("../../../models/face/verifier.safetensors");

#[derive(Debug, Clone, PartialEq)]
pub struct VerifierConfig {
    pub input: usize,
    pub channels: [usize; 3],
    /// Boxes spanning less than this share of the photo's width and height are not judged.
    pub min_extent: f32,
    /// A judged box is kept when its face probability is at least this.
    pub threshold: f32,
    /// Context around the box, as in redaction.
    pub margin: f32,
    /// YuNet scores at or above this are trusted without a second look (skin false positives
    /// score 0.5–0.85; the portraits the verifier doubts, e.g. a face under a helmet, ≥ 0.9).
    pub trusted_score: f32,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            input: 32,
            channels: [16, 32, 32],
            min_extent: 0.2,
            threshold: 0.5,
            margin: 0.2,
            trusted_score: 0.9,
        }
    }
}

pub struct Verifier {
    convs: Vec<Conv2d>,
    head: Linear,
    config: VerifierConfig,
}

impl Verifier {
    /// Builds the network on `vb` (zero-initialised weights from a file, or a training VarMap).
    pub fn new(vb: VarBuilder, config: VerifierConfig) -> Result<Self> {
        let conv = Conv2dConfig {
            padding: 1,
            stride: 2,
            ..Default::default()
        };
        let mut convs = Vec::new();
        let mut cin = 3;
        for (i, &c) in config.channels.iter().enumerate() {
            convs.push(candle_nn::conv2d(
                cin,
                c,
                3,
                conv,
                vb.pp(format!("conv{i}")),
            )?);
            cin = c;
        }
        let head = candle_nn::linear(cin, 1, vb.pp("head"))?;
        Ok(Verifier {
            convs,
            head,
            config,
        })
    }

    /// hifu's trained weights, built into the library (`models/face/verifier.safetensors`).
    pub fn embedded() -> Result<Self> {
        Verifier::from_safetensors(WEIGHTS)
    }

    /// Loads trained weights (`models/face/verifier.safetensors`).
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self> {
        let vb = VarBuilder::from_buffered_safetensors(bytes.to_vec(), DType::F32, &Device::Cpu)?;
        Verifier::new(vb, VerifierConfig::default())
    }

    /// The same network with other decision settings (thresholds, extent, margin); the
    /// network's own shape (`input`, `channels`) stays what its weights were built with.
    pub fn with_config(mut self, config: VerifierConfig) -> Self {
        self.config = VerifierConfig {
            input: self.config.input,
            channels: self.config.channels,
            ..config
        };
        self
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Face logits for a batch of crops (N, 3, input, input), RGB scaled to 0–1.
    pub fn logits(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.clone();
        for conv in &self.convs {
            x = conv.forward(&x)?.relu()?;
        }
        let pooled = x.mean((2, 3))?;
        self.head.forward(&pooled)?.squeeze(1)
    }

    /// The crop the verifier sees for `face`, as (3, input, input) floats 0–1.
    pub fn crop(&self, photo: &RgbImage, face: &Face) -> Result<Option<Tensor>> {
        let (w, h) = (photo.width() as usize, photo.height() as usize);
        let Some(r) = region(face, self.config.margin, w, h) else {
            return Ok(None);
        };
        let view = imageops::crop_imm(
            photo,
            r.x0 as u32,
            r.y0 as u32,
            (r.x1 - r.x0) as u32,
            (r.y1 - r.y0) as u32,
        );
        let side = self.config.input as u32;
        let small = imageops::resize(&view.to_image(), side, side, imageops::FilterType::Triangle);
        let data: Vec<f32> = small
            .as_raw()
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect();
        let s = self.config.input;
        Ok(Some(
            Tensor::from_vec(data, (s, s, 3), &Device::Cpu)?
                .permute((2, 0, 1))?
                .contiguous()?,
        ))
    }

    /// Whether `face` is large enough for the verifier to judge.
    pub fn judges(&self, face: &Face, width: u32, height: u32) -> bool {
        let (w, h) = (width.max(1) as f32, height.max(1) as f32);
        (face.width() / w).max(face.height() / h) >= self.config.min_extent
    }

    /// Drops the large candidates the verifier does not think are faces.
    pub fn filter(&self, photo: &RgbImage, faces: Vec<Face>) -> Result<Vec<Face>> {
        let mut kept = Vec::with_capacity(faces.len());
        for face in faces {
            if face.score >= self.config.trusted_score
                || !self.judges(&face, photo.width(), photo.height())
            {
                kept.push(face);
                continue;
            }
            let Some(crop) = self.crop(photo, &face)? else {
                continue;
            };
            let logit = self.logits(&crop.unsqueeze(0)?)?.to_vec1::<f32>()?;
            let p = logit
                .first()
                .map(|l| 1.0 / (1.0 + (-l).exp()))
                .unwrap_or(0.0);
            if p >= self.config.threshold {
                kept.push(face);
            }
        }
        Ok(kept)
    }
}
