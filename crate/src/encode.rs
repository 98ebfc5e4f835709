//! Placeholder: filled in by the encode work.

/// Errors of this step.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("not implemented yet")]
    NotImplemented,
}

impl EncodeError {
    pub fn code(&self) -> &'static str {
        match self {
            EncodeError::NotImplemented => "encode.not_implemented",
        }
    }
}
