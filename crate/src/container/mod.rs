//! One file per container format: the metadata inventory (what the file carried, as
//! categories) and, for JPEG, the lossless rewrite that drops every metadata segment.

pub mod inventory;

use crate::decode::Format;
pub use inventory::{Category, Inventory};

/// What the container carried, and what decoding needs from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub inventory: Inventory,
    /// EXIF orientation 1–8 (1 when absent or invalid).
    pub orientation: u8,
    /// The embedded ICC profile, reassembled when split over several segments.
    pub icc_profile: Option<Vec<u8>>,
}

/// Reads the container structure of `bytes` (already sniffed as `format`).
pub fn parse(_bytes: &[u8], _format: Format) -> Result<Parsed, ContainerError> {
    Err(ContainerError::NotImplemented)
}

/// JPEG only: the same image with every metadata segment and any trailer removed; the
/// entropy-coded data is bit-identical. Keeps what decoding needs (tables, SOF/SOS, DRI,
/// JFIF APP0, Adobe APP14 transform flag).
pub fn strip_jpeg(_bytes: &[u8]) -> Result<Vec<u8>, ContainerError> {
    Err(ContainerError::NotImplemented)
}

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
