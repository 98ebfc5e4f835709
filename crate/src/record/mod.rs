//! Placeholder: filled in by the record work.

/// Errors of this step.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("not implemented yet")]
    NotImplemented,
}

impl RecordError {
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::NotImplemented => "record.not_implemented",
        }
    }
}
