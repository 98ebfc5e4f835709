//! "Does this photo show part of a face?": a linear probe on YuNet's own features, for the
//! facial close-ups that YuNet proposes no box for.
//!
//! Why: a dermatology close-up of a cheek, a nose or an eyelid shows part of a face that no
//! face detector boxes as a face (on the tune split, 135 of the 180 close-ups with an eye
//! visible had no kept box, so no review flag, and a whole-photo CenterFace pass found few of
//! them). Whether the photo is facial at all is an easier question than where the face is:
//! YuNet's head features, pooled over the whole photo at the coarse pyramid level (which the
//! detector computes anyway), answer it well enough to hold the photo for a reviewer. Nothing is
//! painted on this evidence: there is no region to paint, and a lesion must not be lost to a
//! guess.
//!
//! Features: for each of YuNet's three strides, the shared head convolution's output over the
//! photo's cells (padding excluded), its mean then its max per channel, so 3 × 2 × 64 values.
//! Weights, bias and threshold are fitted by `scripts/train/face_part.py` and embedded from
//! `models/face/face_part.json`; the face model card says on what.

use candle_core::Tensor;
use serde::Deserialize;

use super::FaceError;

/// Values per pooled feature vector (three strides, mean and max, 64 channels).
pub const FEATURES: usize = 3 * 2 * 64;

const EMBEDDED: &str = include_str!("../../../models/face/face_part.json");

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FacePartProbe {
    /// Logistic regression over the pooled features (standardisation folded in).
    pub weight: Vec<f32>,
    pub bias: f32,
    /// Probability at or above which the photo is flagged `face_part` for review.
    pub threshold: f32,
}

impl FacePartProbe {
    /// The probe shipped with hifu.
    pub fn embedded() -> Result<Self, FaceError> {
        Self::from_json(EMBEDDED)
    }

    pub fn from_json(text: &str) -> Result<Self, FaceError> {
        let probe: FacePartProbe = serde_json::from_str(text)
            .map_err(|e| FaceError::BadWeights(format!("face_part.json: {e}")))?;
        if probe.weight.len() != FEATURES || !probe.weight.iter().all(|w| w.is_finite()) {
            return Err(FaceError::BadWeights(format!(
                "face_part.json: expected {FEATURES} finite weights, found {}",
                probe.weight.len()
            )));
        }
        Ok(probe)
    }

    /// The probability that the photo shows part of a face, from [`pool`]'s features.
    pub fn probability(&self, features: &[f32]) -> Result<f32, FaceError> {
        if features.len() != self.weight.len() {
            return Err(FaceError::Inference(format!(
                "{} face-part features, expected {}",
                features.len(),
                self.weight.len()
            )));
        }
        let z: f32 = self.bias
            + self
                .weight
                .iter()
                .zip(features)
                .map(|(w, f)| w * f)
                .sum::<f32>();
        Ok(1.0 / (1.0 + (-z).exp()))
    }

    pub fn flags(&self, probability: f32) -> bool {
        probability >= self.threshold
    }
}

/// Mean and max per channel of each stride's map over the cells that hold the photo
/// (`width × height` pixels at the top left of the padded input), coarse maps last.
pub fn pool(maps: &[Tensor; 3], width: usize, height: usize) -> candle_core::Result<Vec<f32>> {
    let mut out = Vec::with_capacity(FEATURES);
    let mut stride = 8;
    for map in maps {
        let (_, _, mh, mw) = map.dims4()?;
        let rows = height.div_ceil(stride).clamp(1, mh.max(1));
        let cols = width.div_ceil(stride).clamp(1, mw.max(1));
        let cells = map
            .narrow(2, 0, rows)?
            .narrow(3, 0, cols)?
            .squeeze(0)?
            .flatten_from(1)?;
        out.extend(cells.mean(1)?.to_vec1::<f32>()?);
        out.extend(cells.max(1)?.to_vec1::<f32>()?);
        stride *= 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_probe_loads() {
        let p = FacePartProbe::embedded().expect("models/face/face_part.json");
        assert!(p.threshold > 0.0 && p.threshold < 1.0);
    }

    #[test]
    fn wrong_feature_count_is_an_error_not_a_panic() {
        let p = FacePartProbe::embedded().expect("embedded probe");
        assert!(p.probability(&[0.0; 3]).is_err());
        assert!(FacePartProbe::from_json(r#"{"weight":[1.0],"bias":0,"threshold":0.5}"#).is_err());
        assert!(FacePartProbe::from_json("not json").is_err());
    }

    #[test]
    fn pooling_ignores_the_padding() {
        // 64 channels, 4 × 4 cells at stride 8 for a 20 × 12 photo padded to 32 × 32: the
        // photo covers 2 rows and 3 columns.
        let mut v = vec![100f32; 64 * 16];
        for c in 0..64 {
            for y in 0..2 {
                for x in 0..3 {
                    v[c * 16 + y * 4 + x] = (y * 3 + x) as f32;
                }
            }
        }
        let m8 = Tensor::from_vec(v, (1, 64, 4, 4), &candle_core::Device::Cpu).expect("t");
        let m16 = Tensor::zeros(
            (1, 64, 2, 2),
            candle_core::DType::F32,
            &candle_core::Device::Cpu,
        )
        .expect("t");
        let m32 = Tensor::zeros(
            (1, 64, 1, 1),
            candle_core::DType::F32,
            &candle_core::Device::Cpu,
        )
        .expect("t");
        let f = pool(&[m8, m16, m32], 20, 12).expect("pool");
        assert_eq!(f.len(), FEATURES);
        assert_eq!(f[0], 2.5);
        assert_eq!(f[64], 5.0);
    }
}
