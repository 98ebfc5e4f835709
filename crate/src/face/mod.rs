//! Placeholder: filled in by the face work.

/// Errors of this step.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("not implemented yet")]
    NotImplemented,
}

impl FaceError {
    pub fn code(&self) -> &'static str {
        match self {
            FaceError::NotImplemented => "face.not_implemented",
        }
    }
}
