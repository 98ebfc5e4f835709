//! What a scrub did to a photo, built as the photo moves through the steps.

use serde::{Deserialize, Serialize};

pub use crate::container::inventory::{Category, Inventory};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Excluded,
    Error,
}

/// How the output was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Container rewritten; JPEG entropy-coded data bit-identical to the input.
    Lossless,
    ReEncoded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub status: Status,
    pub removed: Vec<Category>,
    pub orientation_applied: u8,
    pub output_kind: OutputKind,
}
