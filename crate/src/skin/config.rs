//! The settings that travel with the weights: `models/skin/calibration.json` (classes,
//! architecture widths, preprocessing, temperature, abstention thresholds) and
//! `models/skin/labels.json` (names and malignancy per class). Both are written by
//! `scripts/train/calibrate.py`.

use serde::{Deserialize, Serialize};

use super::SkinError;

/// Everything `calibration.json` holds that inference needs.
#[derive(Debug, Clone, Deserialize)]
pub struct SkinConfig {
    /// Class codes in logit order (`akiec`, `bcc`, …).
    pub classes: Vec<String>,
    pub model: ModelConfig,
    pub preprocessing: Preprocessing,
    /// Temperature scaling: calibrated probabilities are `softmax(logits / temperature)`.
    pub temperature: f32,
    pub not_sure: NotSure,
    pub ood: Ood,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModelConfig {
    /// Channels of the four stages; each stage is two 3×3 convs (stride 2, then 1).
    pub widths: Vec<usize>,
}

/// How a photo becomes the network input (see `preprocess.rs` and `scripts/train/prep.py`).
#[derive(Debug, Clone, Deserialize)]
pub struct Preprocessing {
    /// The network sees a `size × size` centre square.
    pub size: usize,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

/// "Not sure" below this calibrated top-1 probability.
#[derive(Debug, Clone, Deserialize)]
pub struct NotSure {
    pub min_confidence: f32,
}

/// "Not a skin photo" when the OOD score exceeds `max_score`.
#[derive(Debug, Clone, Deserialize)]
pub struct Ood {
    pub score: OodScore,
    pub max_score: f32,
}

/// Which out-of-distribution score the threshold belongs to (chosen in calibrate.py).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OodScore {
    /// `min_k (f − μ_k)ᵀ P (f − μ_k)` on the pooled features (Lee et al. 2018).
    Mahalanobis,
    /// `−logsumexp(logits)` (Liu et al. 2020).
    Energy,
    /// `−max(logits)`.
    MaxLogit,
}

/// One row of `labels.json`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Label {
    pub code: String,
    pub en: String,
    pub ja: String,
    pub malignant: bool,
}

impl SkinConfig {
    pub fn from_json(text: &str) -> Result<SkinConfig, SkinError> {
        let config: SkinConfig = serde_json::from_str(text).map_err(|e| SkinError::Config {
            file: "calibration.json",
            detail: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), SkinError> {
        let bad = |detail: &str| SkinError::Config {
            file: "calibration.json",
            detail: detail.to_string(),
        };
        if self.classes.is_empty() {
            return Err(bad("no classes"));
        }
        if self.model.widths.is_empty() || self.model.widths.contains(&0) {
            return Err(bad("model widths must be non-empty and positive"));
        }
        if !(8..=1024).contains(&self.preprocessing.size) {
            return Err(bad("input size must be 8–1024 pixels"));
        }
        if self
            .preprocessing
            .std
            .iter()
            .any(|s| !(s.is_finite() && *s > 0.0))
        {
            return Err(bad("std must be positive"));
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(bad("temperature must be positive"));
        }
        Ok(())
    }
}

/// Parses `labels.json` and checks it names exactly the model's classes, in order.
pub fn labels_from_json(text: &str, classes: &[String]) -> Result<Vec<Label>, SkinError> {
    let labels: Vec<Label> = serde_json::from_str(text).map_err(|e| SkinError::Config {
        file: "labels.json",
        detail: e.to_string(),
    })?;
    let codes: Vec<&str> = labels.iter().map(|l| l.code.as_str()).collect();
    let expected: Vec<&str> = classes.iter().map(String::as_str).collect();
    if codes != expected {
        return Err(SkinError::Config {
            file: "labels.json",
            detail: format!("classes {codes:?} do not match calibration.json {expected:?}"),
        });
    }
    Ok(labels)
}
