//! Placeholder: filled in by the decode work.

pub mod sniff;
pub use sniff::{sniff, Format};

/// Errors of this step.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not implemented yet")]
    NotImplemented,
}

impl DecodeError {
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::NotImplemented => "decode.not_implemented",
        }
    }
}

/// Decode limits, checked against the header before any pixel buffer is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Limits {
    pub max_width: u32,
    pub max_height: u32,
    /// Largest decoded size in bytes hifu will allocate for one image.
    pub max_alloc: u64,
    /// Largest input file accepted, in bytes.
    pub max_input_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_width: 16_384, max_height: 16_384, max_alloc: 512 << 20, max_input_bytes: 256 << 20 }
    }
}
