//! Placeholder: filled in by the seal work.

/// Errors of this step.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("not implemented yet")]
    NotImplemented,
}

impl SealError {
    pub fn code(&self) -> &'static str {
        match self {
            SealError::NotImplemented => "seal.not_implemented",
        }
    }
}
