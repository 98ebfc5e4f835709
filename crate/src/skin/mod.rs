//! Skin-lesion classifier: EfficientNet-Lite0 (ImageNet-pretrained) fine-tuned on HAM10000
//! dermoscopy (Tschandl et al., Sci. Data 5, 180161, 2018, doi:10.1038/sdata.2018.161, CC BY-NC
//! 4.0) and clinical photos (MED-NODE, SD-198, DermNet NZ), run with candle.
//!
//! Reference implementation and training: `scripts/train/` (`lite0.py` defines the network,
//! `sources.py` the data and splits, `train.py` trains it, `calibrate.py` fits temperature
//! scaling, the abstention thresholds and the operating points and exports `models/skin/`).
//! Model card: `models/skin/README.md`. Parity with PyTorch: `crate/tests/skin_parity.rs`
//! against `tests/parity/skin/reference.json`.
//!
//! Pipeline: upright sRGB pixels → [`preprocess`] (whole photo, area resize, normalise) →
//! [`model::Lite0`] (logits, pooled features, last feature map) → [`classify`] (calibrated
//! softmax, "not a skin photo" / "not sure" abstention, class activation map). The model is
//! built from bytes ([`SkinModel::from_bytes`]) so the same code runs in the browser.
//!
//! Decision support, not a diagnosis.

pub mod classify;
pub mod config;
mod error;
pub mod model;
pub mod preprocess;
pub mod tattoo;

pub use classify::{Abstention, ClassProbability, Classification, Decision, HeatMap};
pub use config::{Label, SkinConfig};
pub use error::SkinError;
pub use tattoo::{TattooHead, TattooStep};

use crate::decode::{self, Limits, Pixels};

/// Weights + settings, ready to classify.
pub struct SkinModel {
    pub(crate) net: model::Lite0,
    pub config: SkinConfig,
    pub labels: Vec<Label>,
}

impl SkinModel {
    /// Builds the model from the three files of `models/skin/`: `skin.safetensors` bytes,
    /// `calibration.json` and `labels.json` text.
    pub fn from_bytes(
        weights: &[u8],
        calibration_json: &str,
        labels_json: &str,
    ) -> Result<SkinModel, SkinError> {
        let config = SkinConfig::from_json(calibration_json)?;
        let labels = config::labels_from_json(labels_json, &config.classes)?;
        let net = model::Lite0::from_safetensors(
            weights,
            &model::Lite0Config::default(),
            config.classes.len(),
            config.preprocessing.size,
        )?;
        Ok(SkinModel {
            net,
            config,
            labels,
        })
    }

    /// Length of the pooled feature vector (what outside heads such as the tattoo flag read).
    pub fn feature_len(&self) -> usize {
        self.net.feature_len()
    }

    /// Raw network outputs for already-decoded upright pixels (used by the parity test).
    pub fn forward(&self, pixels: &Pixels) -> Result<model::Forward, SkinError> {
        self.net
            .forward(preprocess::to_input(pixels, &self.config.preprocessing)?)
    }

    /// Raw class activation map (before scaling to 0–255) of `class` for `forward`.
    pub fn raw_cam(
        &self,
        forward: &model::Forward,
        class: usize,
    ) -> Result<(usize, usize, Vec<f32>), SkinError> {
        self.net.cam(forward, class)
    }
}

/// Classifies upright sRGB pixels (orientation already applied).
pub fn classify(pixels: &Pixels, model: &SkinModel) -> Result<Classification, SkinError> {
    let forward = model.forward(pixels)?;
    let region = preprocess::analysed_region(pixels.width(), pixels.height());
    classify::build(model, &forward, region)
}

/// Decodes photo bytes the way the scrub core does (format sniffing, limits, EXIF orientation,
/// ICC → sRGB) and classifies the upright pixels.
pub fn classify_bytes(
    bytes: &[u8],
    model: &SkinModel,
    limits: &Limits,
) -> Result<Classification, crate::Error> {
    let pixels = upright_pixels(bytes, limits)?;
    Ok(classify(&pixels, model)?)
}

/// identify → container (orientation, ICC) → [`decode::upright`], as scrubbing does.
pub fn upright_pixels(bytes: &[u8], limits: &Limits) -> Result<Pixels, crate::Error> {
    let format = decode::identify(bytes, limits)?;
    let parsed = crate::container::parse(bytes, format)?;
    let (pixels, _, _) = decode::upright(
        bytes,
        format,
        parsed.orientation,
        parsed.icc_profile.as_deref(),
        limits,
    )?;
    Ok(pixels)
}
