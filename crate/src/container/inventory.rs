//! Metadata categories: what a file carried, named by kind, never by value.

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
