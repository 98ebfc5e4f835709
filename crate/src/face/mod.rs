//! Face detection (YuNet over a pyramid of scales and tiles, CenterFace's second look at each
//! box), evaluation helpers, the full-face / partial-face gate, and the errors of this step.

pub mod boxes;
pub mod centerface;
pub mod detect;
pub mod eval;
pub mod face_part;
pub mod gate;
pub mod input;
pub mod judge;
pub mod pyramid;
pub mod resample;
pub mod step;
pub mod yunet;

pub use boxes::Face;

/// The RGB photo the detector reads: an owned `image::RgbImage`, or a view of pixels held
/// elsewhere (`Photo<&[u8]>`), so a scrub's decoded pixels are read in place, not copied.
pub type Photo<C> = image::ImageBuffer<image::Rgb<u8>, C>;
pub use detect::{Detection, Detector, DetectorConfig, FaceWeights, Scan};
pub use pyramid::{Pyramid, TileFound, TileJob};
pub use step::{FaceOptions, FacePlan, FaceStep};

/// Errors of this step.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FaceError {
    #[error("The face detector has no weights: run scripts/convert-yunet and scripts/convert-centerface (or pass the model folder), or disable face detection explicitly")]
    WeightsMissing,
    #[error("The face detector weights could not be loaded ({0}): re-run scripts/convert-yunet and scripts/convert-centerface")]
    BadWeights(String),
    #[error(
        "The face detector failed on this photo ({0}): this is a bug in hifu, please report it"
    )]
    Inference(String),
    #[error("The faces in this photo could not be redacted ({0}): this is a bug in hifu, please report it; the photo was not written")]
    Redaction(String),
}

impl FaceError {
    pub fn code(&self) -> &'static str {
        match self {
            FaceError::WeightsMissing => "face.weights_missing",
            FaceError::BadWeights(_) => "face.bad_weights",
            FaceError::Inference(_) => "face.inference",
            FaceError::Redaction(_) => "face.redaction",
        }
    }
}
