//! A second-stage face/not-face check on YuNet's candidate boxes.
//!
//! YuNet, trained on WIDER FACE, puts a face box (score 0.5–0.95) on about 5 % of dermoscopic
//! close-ups of skin, and on camera-sized copies of them also smaller boxes over lesions;
//! redacting those would destroy the lesion, and the full-face gate would exclude the photo.
//! This small CNN (three stride-2 3×3 convolutions, then a linear logit over the whole 4×4
//! feature map, so that where dark and light parts sit (eyes above a mouth) counts, not just
//! texture and colour; ~25k parameters, hifu's own weights) looks at the candidate crop (the
//! box grown by 20 %, resized to 32×32) and says whether it is a face. It was trained by
//! `crate/examples/train_face_verifier.rs` on YuNet's boxes over LFW portraits, the same
//! portraits shrunk to scene-face sizes and unlabelled group photos (positives) against
//! YuNet's boxes and random crops over HAM10000 skin photos at native and camera sizes
//! (negatives), split by lesion; see models/face/README.md for the model card and numbers.
//!
//! It only judges boxes spanning at least [`VerifierConfig::min_extent`] (5 %) of the photo:
//! the smallest boxes are faces in a crowd, too few pixels to judge, and never skin false
//! positives (those span a lesion). Boxes spanning 15 % or more are kept only if it finds a
//! face likely; smaller ones are dropped only if it is all but certain there is none. Every
//! judged box is checked whatever its YuNet score: skin false positives reach 0.92, as high
//! as portraits.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};
use image::{imageops, RgbImage};
use zeroize::Zeroize;

use super::boxes::Face;
use crate::nn::out_len;
use crate::redact::region;

/// The trained weights (small, hifu's own: committed and compiled in).
pub const WEIGHTS: &[u8] = include_bytes!("../../../models/face/verifier.safetensors");

#[derive(Debug, Clone, PartialEq)]
pub struct VerifierConfig {
    pub input: usize,
    pub channels: [usize; 3],
    /// Boxes spanning less than this share of the photo's width and height are not judged.
    pub min_extent: f32,
    /// Boxes spanning at least this share are judged strictly (`threshold`): 681 of YuNet's 685
    /// boxes on 503 camera-sized held-out skin photos span more (the other 4 get p ≤ 0.0002),
    /// the scene faces the verifier doubts 5–14 %.
    pub large_extent: f32,
    /// A large box is kept when its face probability is at least this.
    pub threshold: f32,
    /// A smaller judged box is dropped only when its face probability is below this, i.e.
    /// when the verifier is all but certain: faces in a scene (profiles, odd light) are rarer
    /// in its training data than portraits, and a missed face is worse than a redacted patch.
    pub small_threshold: f32,
    /// Context around the box, as in redaction.
    pub margin: f32,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            input: 32,
            channels: [16, 32, 64],
            min_extent: 0.05,
            large_extent: 0.15,
            threshold: 0.5,
            small_threshold: 0.001,
            margin: 0.2,
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
        let side = (0..config.channels.len()).fold(config.input, |s, _| out_len(s, 2));
        let head = candle_nn::linear(cin * side * side, 1, vb.pp("head"))?;
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
        self.head.forward(&x.flatten_from(1)?)?.squeeze(1)
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
        // The region is a copy of a face: wiped after use, like the pyramid's levels.
        let region = view.to_image();
        let small = imageops::resize(&region, side, side, imageops::FilterType::Triangle);
        region.into_raw().zeroize();
        let data: Vec<f32> = small
            .as_raw()
            .iter()
            .map(|&v| f32::from(v) / 255.0)
            .collect();
        small.into_raw().zeroize();
        let s = self.config.input;
        Ok(Some(
            Tensor::from_vec(data, (s, s, 3), &Device::Cpu)?
                .permute((2, 0, 1))?
                .contiguous()?,
        ))
    }

    /// Whether `face` is large enough for the verifier to judge.
    pub fn judges(&self, face: &Face, width: u32, height: u32) -> bool {
        extent(face, width, height) >= self.config.min_extent
    }

    /// The face probability a judged box spanning `extent` of the photo needs to be kept.
    fn needed(&self, extent: f32) -> f32 {
        if extent >= self.config.large_extent {
            self.config.threshold
        } else {
            self.config.small_threshold
        }
    }

    /// Drops the candidates the verifier does not think are faces.
    pub fn filter(&self, photo: &RgbImage, faces: Vec<Face>) -> Result<Vec<Face>> {
        let mut kept = Vec::with_capacity(faces.len());
        for face in faces {
            let share = extent(&face, photo.width(), photo.height());
            if share < self.config.min_extent {
                kept.push(face);
                continue;
            }
            // No crop to judge (a degenerate box): keep it, a redaction too many is harmless.
            let Some(crop) = self.crop(photo, &face)? else {
                kept.push(face);
                continue;
            };
            let logit = self.logits(&crop.unsqueeze(0)?)?.to_vec1::<f32>()?;
            // No logit back (never expected): keep the box, as for a degenerate crop.
            let p = logit
                .first()
                .map(|l| 1.0 / (1.0 + (-l).exp()))
                .unwrap_or(1.0);
            if p >= self.needed(share) {
                kept.push(face);
            }
        }
        Ok(kept)
    }
}

/// The larger of the box's shares of the photo's width and height.
fn extent(face: &Face, width: u32, height: u32) -> f32 {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    (face.width() / w).max(face.height() / h)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A verifier whose every crop gets face probability `p` (zero weights, a head bias).
    fn constant(p: f32) -> Verifier {
        let config = VerifierConfig::default();
        let dev = Device::Cpu;
        let mut tensors = HashMap::new();
        let mut cin = 3;
        for (i, &c) in config.channels.iter().enumerate() {
            let w = Tensor::zeros((c, cin, 3, 3), DType::F32, &dev).unwrap();
            tensors.insert(format!("conv{i}.weight"), w);
            tensors.insert(
                format!("conv{i}.bias"),
                Tensor::zeros(c, DType::F32, &dev).unwrap(),
            );
            cin = c;
        }
        let side = (0..config.channels.len()).fold(config.input, |s, _| out_len(s, 2));
        let features = cin * side * side;
        let head = Tensor::zeros((1, features), DType::F32, &dev).unwrap();
        tensors.insert("head.weight".into(), head);
        let logit = (p / (1.0 - p)).ln();
        tensors.insert("head.bias".into(), Tensor::new(&[logit], &dev).unwrap());
        Verifier::new(VarBuilder::from_tensors(tensors, DType::F32, &dev), config).unwrap()
    }

    fn square(x: f32, side: f32) -> Face {
        Face {
            bbox: [x, x, x + side, x + side],
            score: 0.95,
            landmarks: [[0.0; 2]; 5],
        }
    }

    /// Which of a large (40 %), a mid-sized (10 %) and a small (3 %) box on a 1000-px photo
    /// survive a verifier that gives every crop probability `p`, as box sides.
    fn kept_sides(p: f32) -> Vec<f32> {
        let photo = RgbImage::new(1000, 1000);
        let faces = vec![
            square(100.0, 400.0),
            square(600.0, 100.0),
            square(800.0, 30.0),
        ];
        constant(p)
            .filter(&photo, faces)
            .unwrap()
            .iter()
            .map(|f| f.width())
            .collect()
    }

    #[test]
    fn large_boxes_need_a_likely_face_smaller_ones_only_a_possible_one() {
        assert_eq!(kept_sides(0.9), vec![400.0, 100.0, 30.0]);
        assert_eq!(kept_sides(0.1), vec![100.0, 30.0]);
        assert_eq!(kept_sides(0.0001), vec![30.0]);
    }
}
