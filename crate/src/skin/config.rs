//! The settings that travel with the weights: `models/skin/calibration.json` (classes,
//! architecture, preprocessing, temperature, abstention thresholds, operating points) and
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
    /// Alerts raised on the summed calibrated probability of some classes (melanoma; any
    /// malignant class), each at a threshold chosen on validation for a target sensitivity.
    #[serde(default)]
    pub operating_points: Vec<OperatingPoint>,
}

/// One alert's threshold and what it means, measured on the validation split.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct OperatingPoint {
    /// A stable name (`melanoma`, `malignant`).
    pub name: String,
    pub en: String,
    pub ja: String,
    /// Class codes whose probabilities are summed.
    pub classes: Vec<String>,
    /// Raised when the summed probability is at least this.
    pub threshold: f32,
    /// Share of validation photos of these classes that raise it, and of the others that do not.
    pub sensitivity: f32,
    pub specificity: f32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModelConfig {
    /// The network the weights are for; only `EfficientNet-Lite0` runs here.
    pub architecture: String,
}

/// The architecture [`super::model::Lite0`] implements.
pub const ARCHITECTURE: &str = "EfficientNet-Lite0";

/// How a photo becomes the network input (see `preprocess.rs` and `scripts/train/prep.py`).
#[derive(Debug, Clone, Deserialize)]
pub struct Preprocessing {
    /// The network sees the whole photo squashed to `size × size`.
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
    /// The second gate, when the weights carry a discriminator: "not a skin photo" when its
    /// score exceeds this.
    #[serde(default)]
    pub discriminator: Option<Discriminator>,
}

/// Threshold of the linear skin-photo discriminator (calibrate.py).
#[derive(Debug, Clone, Deserialize)]
pub struct Discriminator {
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
        if self.model.architecture != ARCHITECTURE {
            return Err(bad(&format!(
                "the model is {:?}; this hifu runs {ARCHITECTURE}",
                self.model.architecture
            )));
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
        for op in &self.operating_points {
            if op.classes.is_empty() || op.classes.iter().any(|c| !self.classes.contains(c)) {
                return Err(bad(&format!("operating point {} names unknown classes", op.name)));
            }
            if !(0.0..=1.0).contains(&op.threshold) {
                return Err(bad(&format!("operating point {} threshold must be 0–1", op.name)));
            }
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
