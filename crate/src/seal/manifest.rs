//! `manifest.json`, the first entry of every bundle: what the site sends, per photo, next to
//! the scrubbed pixels. It holds no direct identifier and no clock time unless one is passed in,
//! so identical inputs give identical manifests.

use super::SealError;
use crate::record::{DeidentifiedRecord, Policy};
use crate::report::{Category, Gate, OutputKind, Report};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The entry name of the manifest inside a bundle.
pub const MANIFEST_ENTRY: &str = "manifest.json";
/// Bumped whenever a field changes meaning or disappears.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema_version: u32,
    /// Short code of the contributing site, chosen by the site (e.g. "KYOTO-DERM").
    pub site_code: String,
    /// The hifu version that built the bundle.
    pub tool_version: String,
    /// The de-identification rules applied to every record.
    pub policy: Policy,
    /// Optional label for the batch (e.g. "2024-Q2"), passed in; never the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    pub items: Vec<ManifestItem>,
}

/// One photo and its record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestItem {
    /// Entry name of the scrubbed image inside the bundle (`images/…`). Original file names
    /// stay at the site: they often carry patient IDs.
    pub image: String,
    /// SHA-256 of the scrubbed image bytes, lower-case hex.
    pub sha256: String,
    pub mime: String,
    pub record: DeidentifiedRecord,
    pub scrub: ScrubSummary,
}

/// What the scrub did to the photo (categories and counts, no values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrubSummary {
    pub removed: Vec<Category>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation_applied: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_kind: Option<OutputKind>,
    /// Faces found and redacted; absent when no face step ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faces_redacted: Option<usize>,
    /// The identifiable-photo gate's decision; absent when no gate ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// The review flags the photo was sealed with (`text`, `tattoo`, …): a person approved it
    /// with them. Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review: Vec<String>,
    /// Classifier output (decision support), when the site ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier: Option<serde_json::Value>,
}

impl ScrubSummary {
    pub fn from_report(report: &Report) -> Self {
        // Without a gate and without faces there is no sign that detection ran: say nothing
        // rather than a reassuring "0".
        let detection_ran = report.gate.is_some() || !report.faces.is_empty();
        ScrubSummary {
            removed: report.removed.clone(),
            orientation_applied: report.orientation_applied,
            output_kind: report.output_kind,
            faces_redacted: detection_ran.then_some(report.faces.len()),
            gate: report.gate.clone(),
            review: report.review.iter().map(|f| f.kind.clone()).collect(),
            classifier: None,
        }
    }
}

impl Manifest {
    pub fn new(site_code: &str, policy: Policy) -> Self {
        Manifest {
            schema_version: MANIFEST_SCHEMA_VERSION,
            site_code: site_code.to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            policy,
            batch: None,
            items: Vec::new(),
        }
    }

    /// Pretty JSON with a stable field order (struct order), ending in a newline.
    pub fn to_json(&self) -> Result<Vec<u8>, SealError> {
        let mut out = serde_json::to_vec_pretty(self).map_err(|_| SealError::Manifest)?;
        out.push(b'\n');
        Ok(out)
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, SealError> {
        serde_json::from_slice(bytes)
            .map_err(|_| SealError::BadContent("manifest.json is not a hifu manifest"))
    }
}

/// Lower-case hex SHA-256, as the manifest records image digests.
pub fn sha256_hex(bytes: &[u8]) -> String {
    super::hex_encode(&Sha256::digest(bytes))
}

impl Manifest {
    /// Checks the opened images against the manifest: every listed image present with its
    /// digest, and no image that the manifest does not list. `images` maps entry name → SHA-256.
    pub fn check_images(&self, images: &BTreeMap<String, String>) -> Result<(), SealError> {
        if self.schema_version != MANIFEST_SCHEMA_VERSION {
            return Err(SealError::BadContent(
                "the manifest has an unknown schema version",
            ));
        }
        for item in &self.items {
            match images.get(&item.image) {
                None => {
                    return Err(SealError::BadContent(
                        "an image listed in the manifest is missing",
                    ))
                }
                Some(digest) if digest != &item.sha256 => {
                    return Err(SealError::BadContent(
                        "an image does not match its SHA-256 in the manifest",
                    ))
                }
                Some(_) => {}
            }
        }
        if images.len() != self.items.len() {
            return Err(SealError::BadContent(
                "the bundle holds images the manifest does not list",
            ));
        }
        Ok(())
    }
}

/// File extension for an image MIME type (the bundle names images by number, not by origin);
/// `bin` for a type hifu does not write.
pub fn extension_for_mime(mime: &str) -> &'static str {
    crate::decode::Format::from_mime(mime).map_or("bin", crate::decode::Format::extension)
}
