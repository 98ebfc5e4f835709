//! The de-identification rules, written into every bundle's manifest so that the hub knows
//! exactly what was generalised and how.

use super::RecordError;
use serde::{Deserialize, Serialize};

/// How much of the capture date leaves the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    /// "2024-03"
    YearMonth,
    /// "2024"
    Year,
}

/// Unknown fields are refused: a misspelt setting must not silently fall back to a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Width of an age band in years ("40-44" for 5).
    pub age_band_years: u8,
    /// Ages at or above this become one band ("90+"), as HIPAA Safe Harbor requires.
    pub age_top_code: u16,
    pub capture_date: DatePrecision,
    /// Redact ID-like numbers, phone numbers, dates and the row's own name in free text.
    pub redact_free_text: bool,
    /// What replaces a redacted span.
    pub redaction_marker: String,
    /// Whether the race column leaves the site at all.
    pub keep_race: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            age_band_years: 5,
            age_top_code: 90,
            capture_date: DatePrecision::YearMonth,
            redact_free_text: true,
            redaction_marker: "[redacted]".into(),
            keep_race: true,
        }
    }
}

impl Policy {
    pub fn validate(&self) -> Result<(), RecordError> {
        if self.age_band_years == 0 {
            return Err(RecordError::BadPolicy("age_band_years must be at least 1"));
        }
        if self.age_top_code == 0 || self.age_top_code > 150 {
            return Err(RecordError::BadPolicy(
                "age_top_code must be between 1 and 150",
            ));
        }
        if self.redaction_marker.chars().any(|c| c.is_ascii_digit()) {
            return Err(RecordError::BadPolicy(
                "redaction_marker must not contain digits",
            ));
        }
        Ok(())
    }
}
