//! Placeholder: filled in by the skin work.

/// Errors of this step.
#[derive(Debug, thiserror::Error)]
pub enum SkinError {
    #[error("not implemented yet")]
    NotImplemented,
}

impl SkinError {
    pub fn code(&self) -> &'static str {
        match self {
            SkinError::NotImplemented => "skin.not_implemented",
        }
    }
}
