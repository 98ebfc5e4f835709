//! The face options shared by `hifu scrub` and `hifu contribute`, and the detector they build.
//!
//! Fail closed: detection is on unless `--no-face-detection` is given. When the weights
//! cannot be found, every photo fails with `face.weights_missing` and nothing is written.

use crate::keys::os_rng;
use crate::models;
use hifu::face::{FaceOptions, FaceStep, FaceWeights};
use hifu::redact::RedactMode;
use rand_chacha::rand_core::RngCore;
use std::path::PathBuf;

const FOLDER: &str = "models/face";
const YUNET: &str = "yunet_n.safetensors";
const CENTERFACE: &str = "centerface.safetensors";

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
    /// The folder with the face detector's weights, yunet_n.safetensors and
    /// centerface.safetensors (default: models/face/ beside the executable or in the current
    /// directory or above; made by scripts/convert-yunet and scripts/convert-centerface).
    #[arg(long, value_name = "DIR")]
    face_models: Option<PathBuf>,
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
        let complete = |p: &std::path::Path| p.join(YUNET).is_file() && p.join(CENTERFACE).is_file();
        let dir = match &self.face_models {
            Some(p) => Some(p.clone()),
            None => models::find(FOLDER, complete),
        };
        let read = |name: &str| -> Option<Vec<u8>> {
            let path = dir.as_ref()?.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    eprintln!("hifu: cannot read the face model {} ({e})", path.display());
                    None
                }
            }
        };
        let (yunet, centerface) = (read(YUNET), read(CENTERFACE));
        if yunet.is_none() || centerface.is_none() {
            eprintln!(
                "hifu: no complete face model found ({FOLDER}/{YUNET} and {CENTERFACE}; run \
                 scripts/convert-yunet and scripts/convert-centerface, or pass --face-models): \
                 every photo will be refused. Use --no-face-detection only if the photos are \
                 known to show no face."
            );
        }
        let weights = match (&yunet, &centerface) {
            (Some(y), Some(c)) => Some(FaceWeights {
                yunet: y,
                centerface: c,
            }),
            _ => None,
        };
        // Only pixelate's noise uses the seed; a fresh one per run keeps it unpredictable.
        let seed = os_rng()?.next_u64();
        Ok(FaceStep::new(weights, options, seed))
    }
}
