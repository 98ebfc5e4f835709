//! Why classification could not run. Each message says who is at fault and what to do.

/// Errors of the skin classifier.
#[derive(Debug, thiserror::Error)]
pub enum SkinError {
    #[error(
        "The classifier weights are unreadable or do not match EfficientNet-Lite0 ({detail}): \
         reinstall models/skin/skin.safetensors from the release"
    )]
    Weights { detail: String },
    #[error(
        "The classifier settings ({file}) are invalid ({detail}): \
         reinstall models/skin/ from the release"
    )]
    Config { file: &'static str, detail: String },
    #[error("The photo has no pixels ({width}×{height}): export it again")]
    EmptyImage { width: u32, height: u32 },
    #[error(
        "The classifier failed while running ({detail}): this is a bug in hifu, please report it"
    )]
    Inference { detail: String },
}

impl SkinError {
    pub fn code(&self) -> &'static str {
        match self {
            SkinError::Weights { .. } => "skin.weights_invalid",
            SkinError::Config { .. } => "skin.config_invalid",
            SkinError::EmptyImage { .. } => "skin.empty_image",
            SkinError::Inference { .. } => "skin.inference",
        }
    }

    pub(crate) fn inference(e: candle_core::Error) -> SkinError {
        SkinError::Inference {
            detail: e.to_string(),
        }
    }
}
