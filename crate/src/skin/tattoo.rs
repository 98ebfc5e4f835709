//! The tattoo flag: does the photo show a tattoo, which can identify a patient? A linear head
//! on the skin classifier's pooled features (logistic regression, `scripts/train/tattoo.py`;
//! data, splits and figures in `models/tattoo/README.md`), and its class activation map for the
//! region. [`TattooStep`] runs it as a check ([`crate::Chain`]: before the face step paints): a flagged photo gets a
//! `tattoo` review flag, and the caller holds it for a person to decide.

use super::{SkinError, SkinModel};
use crate::decode::Pixels;
use crate::report::ReviewFlag;
use crate::scrub::{PixelStep, StepOutcome};
use serde::Deserialize;

const FORMAT: &str = "hifu-tattoo-head-v1";
/// Cells of the activation map at or above this share of its peak make up the region.
const REGION_SHARE: f32 = 0.5;

/// `models/tattoo/tattoo.json`.
#[derive(Deserialize)]
struct HeadFile {
    format: String,
    weights: Vec<f32>,
    bias: f32,
    threshold: f32,
}

/// The fitted head: `score = w · pooled + b`, flagged above `threshold`.
#[derive(Debug, Clone)]
pub struct TattooHead {
    weights: Vec<f32>,
    bias: f32,
    threshold: f32,
}

impl TattooHead {
    /// Reads `tattoo.json`; its weights must match the classifier's pooled feature length.
    pub fn from_json(text: &str, feature_len: usize) -> Result<TattooHead, SkinError> {
        let bad = |detail: String| SkinError::Config {
            file: "models/tattoo/tattoo.json",
            detail,
        };
        let file: HeadFile = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if file.format != FORMAT {
            return Err(bad(format!("format {:?}, expected {FORMAT:?}", file.format)));
        }
        if file.weights.len() != feature_len {
            return Err(bad(format!(
                "{} weights for {feature_len} features",
                file.weights.len()
            )));
        }
        if !file.weights.iter().chain([&file.bias, &file.threshold]).all(|v| v.is_finite()) {
            return Err(bad("a weight is not a finite number".into()));
        }
        Ok(TattooHead {
            weights: file.weights,
            bias: file.bias,
            threshold: file.threshold,
        })
    }

    pub fn score(&self, pooled: &[f32]) -> f32 {
        self.weights.iter().zip(pooled).map(|(w, f)| w * f).sum::<f32>() + self.bias
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }
}

/// The tattoo check as a scrub step. It reads the pixels as decoded (before the face step paints)
/// and never changes them.
pub struct TattooStep {
    model: SkinModel,
    head: TattooHead,
}

impl TattooStep {
    pub fn new(model: SkinModel, head: TattooHead) -> TattooStep {
        TattooStep { model, head }
    }

    /// The score and, when flagged, the region `[x, y, width, height]` in photo pixels.
    pub fn check(&self, pixels: &Pixels) -> Result<(f32, Option<[f32; 4]>), SkinError> {
        let forward = self.model.forward(pixels)?;
        let score = self.head.score(&forward.pooled);
        if score <= self.head.threshold {
            return Ok((score, None));
        }
        let (h, w, cam) = self.model.net.cam_with(&forward, &self.head.weights)?;
        Ok((score, hot_region(&cam, h, w, pixels.width(), pixels.height())))
    }
}

impl PixelStep for TattooStep {
    fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, crate::Error> {
        let (score, region) = self.check(pixels)?;
        let mut outcome = StepOutcome::default();
        if score > self.head.threshold {
            let whole = [0.0, 0.0, pixels.width() as f32, pixels.height() as f32];
            outcome.review.push(ReviewFlag {
                kind: "tattoo".into(),
                regions: vec![region.unwrap_or(whole)],
                // The logistic model's probability.
                score: 1.0 / (1.0 + (-score).exp()),
            });
        }
        Ok(outcome)
    }
}

/// The bounding box of the activation-map cells at or above half its peak, in photo pixels
/// (the whole photo is squashed onto the map, so cell (i, j) covers one h-th and w-th of it).
fn hot_region(cam: &[f32], h: usize, w: usize, width: u32, height: u32) -> Option<[f32; 4]> {
    let peak = cam.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !(peak.is_finite() && peak > 0.0) || h == 0 || w == 0 {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for (index, value) in cam.iter().enumerate() {
        if *value >= REGION_SHARE * peak {
            let (i, j) = (index / w, index % w);
            x0 = x0.min(j);
            y0 = y0.min(i);
            x1 = x1.max(j + 1);
            y1 = y1.max(i + 1);
        }
    }
    let (cw, ch) = (width as f32 / w as f32, height as f32 / h as f32);
    (x1 > x0 && y1 > y0).then(|| {
        [
            x0 as f32 * cw,
            y0 as f32 * ch,
            (x1 - x0) as f32 * cw,
            (y1 - y0) as f32 * ch,
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_is_the_box_of_the_hot_cells_in_photo_pixels() {
        // 3 × 4 map: hot cells at (0, 1) and (1, 2); (2, 3) is below half the peak.
        let cam = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 0.0, 0.4];
        let region = hot_region(&cam, 3, 4, 400, 300).unwrap();
        assert_eq!(region, [100.0, 0.0, 200.0, 200.0]);
        assert_eq!(hot_region(&[0.0; 12], 3, 4, 400, 300), None);
        assert_eq!(hot_region(&[f32::NAN; 12], 3, 4, 400, 300), None);
    }

    #[test]
    fn a_head_file_that_does_not_fit_the_model_is_refused() {
        let ok = r#"{"format": "hifu-tattoo-head-v1", "weights": [1.0, 2.0], "bias": 0.5, "threshold": 1.0}"#;
        let head = TattooHead::from_json(ok, 2).unwrap();
        assert_eq!(head.score(&[1.0, 1.0]), 3.5);
        assert!(TattooHead::from_json(ok, 3).is_err());
        assert!(TattooHead::from_json(&ok.replace("v1", "v0"), 2).is_err());
        assert!(TattooHead::from_json("{}", 2).is_err());
    }
}
