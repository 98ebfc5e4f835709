//! The scrub pipeline: decode → inventory → orient/colour → (faces) → encode or lossless rewrite.

use crate::{decode::Limits, report::Report, Error};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// Lossless JPEG rewrite when possible, otherwise JPEG for JPEG input and PNG for the rest.
    #[default]
    Auto,
    Jpeg,
    Png,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScrubOptions {
    pub limits: Limits,
    pub format: OutputFormat,
    /// JPEG quality for re-encoding, 1–100.
    pub quality: u8,
}

impl Default for ScrubOptions {
    fn default() -> Self {
        ScrubOptions { limits: Limits::default(), format: OutputFormat::Auto, quality: 92 }
    }
}

/// A clean photo and what was done to it.
#[derive(Debug, Clone)]
pub struct Scrubbed {
    pub image: Vec<u8>,
    pub mime: &'static str,
    pub report: Report,
}

pub fn scrub(_input: &[u8], _options: &ScrubOptions) -> Result<Scrubbed, Error> {
    Err(crate::decode::DecodeError::NotImplemented.into())
}

pub fn inspect(_input: &[u8], _limits: &Limits) -> Result<crate::report::Inventory, Error> {
    Err(crate::decode::DecodeError::NotImplemented.into())
}
