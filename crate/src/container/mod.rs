//! Placeholder: filled in by the container work.

/// Errors of this step.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("not implemented yet")]
    NotImplemented,
}

impl ContainerError {
    pub fn code(&self) -> &'static str {
        match self {
            ContainerError::NotImplemented => "container.not_implemented",
        }
    }
}
