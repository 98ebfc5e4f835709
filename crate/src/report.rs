//! What a scrub did to a photo, built as the photo moves through the steps.

use serde::{Deserialize, Serialize};

/// A kind of metadata a file carried (never its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Exif,
}

/// Categories found in a file, before removal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub categories: Vec<Category>,
}

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
