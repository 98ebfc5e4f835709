//! The face options shared by `hifu scrub` and `hifu contribute`, and the detector they build.
//!
//! Fail closed: detection is on unless `--no-face-detection` is given. When the weights
//! cannot be found, every photo fails with `face.weights_missing` and nothing is written.

use crate::keys::os_rng;
use crate::models;
use hifu::face::{FaceOptions, FaceStep};
use hifu::redact::RedactMode;
use rand_chacha::rand_core::RngCore;
use std::path::PathBuf;

const WEIGHTS: &str = "models/face/yunet_n.safetensors";

#[derive(clap::Args)]
pub struct FaceArgs {
    /// How faces are redacted: `fill` (default, irreversible), `pixelate` (coarse blocks plus
    /// noise), or `blur` (reversible by published attacks: only on explicit request).
    #[arg(long, value_enum, default_value_t = RedactArg::Fill)]
    redact: RedactArg,
    /// Skip face detection entirely. Photos then leave with any faces they show.
    #[arg(long)]
    no_face_detection: bool,
    /// Keep full-face portraits (redacted) instead of excluding them.
    #[arg(long)]
    allow_full_face: bool,
    /// The YuNet weights (default: models/face/yunet_n.safetensors beside the executable or
    /// in the current directory or above; made by scripts/convert-yunet).
    #[arg(long, value_name = "FILE")]
    face_model: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RedactArg {
    Fill,
    Pixelate,
    Blur,
}

impl FaceArgs {
    /// The face step for a batch (weights are loaded once). Err only for a broken RNG.
    pub fn step(&self) -> Result<FaceStep, String> {
        if self.no_face_detection {
            return Ok(FaceStep::disabled());
        }
        let options = FaceOptions {
            redact: match self.redact {
                RedactArg::Fill => RedactMode::Fill,
                RedactArg::Pixelate => RedactMode::Pixelate,
                RedactArg::Blur => RedactMode::Blur,
            },
            allow_full_face: self.allow_full_face,
            ..FaceOptions::default()
        };
        let path = match &self.face_model {
            Some(p) => Some(p.clone()),
            None => models::find(WEIGHTS, |p| p.is_file()),
        };
        let weights = match &path {
            Some(p) => match std::fs::read(p) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    eprintln!("hifu: cannot read the face model {} ({e})", p.display());
                    None
                }
            },
            None => None,
        };
        if weights.is_none() {
            eprintln!(
                "hifu: no face model found ({WEIGHTS}; run scripts/convert-yunet or pass \
                 --face-model): every photo will be refused. Use --no-face-detection only if \
                 the photos are known to show no face."
            );
        }
        // Only pixelate's noise uses the seed; a fresh one per run keeps it unpredictable.
        let seed = os_rng()?.next_u64();
        Ok(FaceStep::new(weights.as_deref(), options, seed))
    }
}
