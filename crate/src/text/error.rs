//! Why the text check could not run. Each message says who is at fault and what to do.

/// Errors of the burned-in text detector.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TextError {
    #[error(
        "The text detector weights are unreadable or do not match PP-OCRv4 ({detail}): \
         run ./scripts/convert-ppocr-det again"
    )]
    Weights { detail: String },
    #[error("The text detector failed while running ({detail}): this is a bug in hifu, please report it")]
    Inference { detail: String },
}

impl TextError {
    pub fn code(&self) -> &'static str {
        match self {
            TextError::Weights { .. } => "text.weights_invalid",
            TextError::Inference { .. } => "text.inference",
        }
    }

    pub(crate) fn inference(e: candle_core::Error) -> TextError {
        TextError::Inference { detail: e.to_string() }
    }
}
