//! From network outputs to what the clinician sees: calibrated probabilities for every class
//! (sorted), the abstention decision with its reason, and a class activation heat map.

use serde::Serialize;

use super::config::{Label, OodScore, OperatingPoint};
use super::model::Forward;
use super::preprocess::Region;
use super::{SkinError, SkinModel};

/// One class with its temperature-calibrated probability.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassProbability {
    pub code: String,
    pub en: String,
    pub ja: String,
    pub malignant: bool,
    pub probability: f32,
}

/// Whether the model commits to an answer.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The top class is confident enough to show as the model's suggestion.
    Confident,
    /// The top class is below the calibrated confidence threshold.
    NotSure,
    /// The photo does not look like the skin photos the model was trained on.
    NotSkin,
}

/// The abstention decision and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Abstention {
    pub decision: Decision,
    /// A sentence for the page / CLI.
    pub reason: String,
    /// Calibrated top-1 probability and the threshold it is compared with.
    pub confidence: f32,
    pub min_confidence: f32,
    /// Out-of-distribution score (higher = less like the training photos) and its threshold.
    pub ood_score: f32,
    pub ood_max_score: f32,
    pub ood_kind: OodScore,
    /// The discriminator's score and threshold (higher = less like a skin photo), when the
    /// model has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discriminator_score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discriminator_max_score: Option<f32>,
}

/// Class activation map of the top class: `width × height` cells over the analysed region,
/// 0 (no evidence) to 255 (strongest evidence), row-major.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HeatMap {
    pub width: usize,
    pub height: usize,
    pub class: String,
    pub values: Vec<u8>,
    /// The region of the (upright) photo the map covers, in photo pixels: the whole photo.
    pub region: Region,
}

/// An operating point checked on this photo: whether its summed probability reaches the
/// threshold chosen on validation, and what that threshold catches there.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alert {
    #[serde(flatten)]
    pub point: OperatingPoint,
    /// The summed calibrated probability of the point's classes for this photo.
    pub probability: f32,
    /// `probability ≥ threshold` (never raised for a photo judged not to be skin).
    pub raised: bool,
}

/// The classifier's full answer for one photo.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Classification {
    /// Every class, most probable first.
    pub classes: Vec<ClassProbability>,
    pub abstention: Abstention,
    /// One entry per operating point in calibration.json (melanoma, any malignant class).
    pub alerts: Vec<Alert>,
    pub heat_map: HeatMap,
}

impl Classification {
    /// The `k` most probable classes.
    pub fn top(&self, k: usize) -> &[ClassProbability] {
        self.classes.get(..k.min(self.classes.len())).unwrap_or_default()
    }
}

/// `softmax(logits / temperature)`, computed stably.
pub fn calibrated_softmax(logits: &[f32], temperature: f32) -> Vec<f32> {
    let scaled: Vec<f32> = logits.iter().map(|l| l / temperature).collect();
    let max = scaled.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = scaled.iter().map(|s| (s - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

/// Scales a raw CAM to 0–255: negative evidence is clipped to 0, the maximum maps to 255.
pub fn cam_to_u8(raw: &[f32]) -> Vec<u8> {
    let max = raw.iter().copied().fold(0f32, f32::max);
    raw.iter()
        .map(|v| {
            if max > 0.0 && v.is_finite() {
                (v.max(0.0) / max * 255.0).round().clamp(0.0, 255.0) as u8
            } else {
                0
            }
        })
        .collect()
}

fn log_sum_exp(v: &[f32]) -> f32 {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    max + v.iter().map(|x| (x - max).exp()).sum::<f32>().ln()
}

pub(crate) fn build(
    model: &SkinModel,
    forward: &Forward,
    region: Region,
) -> Result<Classification, SkinError> {
    let config = &model.config;
    let probs = calibrated_softmax(&forward.logits, config.temperature);
    let mut classes: Vec<ClassProbability> = model
        .labels
        .iter()
        .zip(&probs)
        .map(|(label, &probability): (&Label, &f32)| ClassProbability {
            code: label.code.clone(),
            en: label.en.clone(),
            ja: label.ja.clone(),
            malignant: label.malignant,
            probability,
        })
        .collect();
    let top_index = probs
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &p)| {
            if p > best.1 {
                (i, p)
            } else {
                best
            }
        })
        .0;
    classes.sort_by(|a, b| b.probability.total_cmp(&a.probability));
    let top = classes
        .first()
        .cloned()
        .ok_or_else(|| SkinError::Inference {
            detail: "the model returned no classes".into(),
        })?;

    let ood_score = match config.ood.score {
        OodScore::Mahalanobis => model.net.mahalanobis(&forward.pooled)?,
        OodScore::Energy => -log_sum_exp(&forward.logits),
        OodScore::MaxLogit => -forward
            .logits
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max),
    };
    let min_confidence = config.not_sure.min_confidence;
    let ood_max_score = config.ood.max_score;
    let discriminator_max_score = config.ood.discriminator.as_ref().map(|d| d.max_score);
    let discriminator_score = match discriminator_max_score {
        Some(_) => Some(model.net.discriminator(&forward.pooled)?.ok_or_else(|| {
            SkinError::Config {
                file: "calibration.json",
                detail: "it sets a discriminator threshold but skin.safetensors has no \
                         ood.discriminator weights: export both with scripts/train/calibrate.py"
                    .into(),
            }
        })?),
        None => None,
    };
    let portrait_or_scene = match (discriminator_score, discriminator_max_score) {
        (Some(score), Some(max)) => score.is_nan() || score > max,
        _ => false,
    };
    let (decision, reason) = if ood_score.is_nan() || ood_score > ood_max_score || portrait_or_scene {
        (
            Decision::NotSkin,
            "This does not look like a photo of skin (the kind the model was trained on: \
             dermoscopic or clinical close-ups): no suggestion is given"
                .to_string(),
        )
    } else if top.probability < min_confidence {
        (
            Decision::NotSure,
            format!(
                "Not sure: the most likely class ({}, {:.0} %) is below the {:.0} % confidence \
                 the model needs to make a suggestion",
                top.en,
                top.probability * 100.0,
                min_confidence * 100.0
            ),
        )
    } else {
        (
            Decision::Confident,
            format!(
                "Most likely {} ({:.0} %); decision support only, not a diagnosis",
                top.en,
                top.probability * 100.0
            ),
        )
    };

    let alerts = config
        .operating_points
        .iter()
        .map(|point| {
            let probability: f32 = config
                .classes
                .iter()
                .zip(&probs)
                .filter(|(code, _)| point.classes.contains(code))
                .map(|(_, p)| p)
                .sum();
            Alert {
                raised: decision != Decision::NotSkin && probability >= point.threshold,
                point: point.clone(),
                probability,
            }
        })
        .collect();
    let (height, width, raw) = model.net.cam(forward, top_index)?;
    Ok(Classification {
        alerts,
        classes,
        abstention: Abstention {
            decision,
            reason,
            confidence: top.probability,
            min_confidence,
            ood_score,
            ood_max_score,
            ood_kind: config.ood.score,
            discriminator_score,
            discriminator_max_score,
        },
        heat_map: HeatMap {
            width,
            height,
            class: top.code,
            values: cam_to_u8(&raw),
            region,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_flattens_but_keeps_the_order() {
        let logits = [2.0, 0.5, -1.0];
        let sharp = calibrated_softmax(&logits, 1.0);
        let flat = calibrated_softmax(&logits, 2.0);
        assert!((sharp.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((flat.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(flat[0] < sharp[0] && flat[0] > flat[1] && flat[1] > flat[2]);
        // huge logits do not overflow
        let big = calibrated_softmax(&[1000.0, 0.0], 1.0);
        assert!((big[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn cam_scaling_clips_negative_evidence_and_peaks_at_255() {
        assert_eq!(cam_to_u8(&[-1.0, 0.0, 0.5, 1.0]), vec![0, 0, 128, 255]);
        assert_eq!(cam_to_u8(&[-1.0, -2.0]), vec![0, 0]);
        assert_eq!(cam_to_u8(&[f32::NAN, 1.0]), vec![0, 255]);
    }
}
