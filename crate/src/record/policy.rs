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
    /// Review flags (`report::REVIEW_KINDS`) whose photos are excluded outright instead of held
    /// for a person: e.g. `["tattoo"]` for a site that sends no tattoo photo at all. Empty (the
    /// default): every flagged photo waits for a person's decision.
    pub exclude_flagged: Vec<String>,
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
            exclude_flagged: Vec::new(),
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
        if self.exclude_flagged.iter().any(|k| !crate::report::REVIEW_KINDS.contains(&k.as_str())) {
            return Err(RecordError::BadPolicy(
                "exclude_flagged may list only partial_face, face_part, text, tattoo and fingerprint",
            ));
        }
        Ok(())
    }

    /// The first of `review`'s flags whose kind this policy excludes outright, if any.
    pub fn excluded_flag<'a>(&self, review: &'a [crate::report::ReviewFlag]) -> Option<&'a str> {
        self.excluded_kind(review.iter().map(|f| f.kind.as_str()))
    }

    /// The first of `kinds` that this policy excludes outright, if any.
    pub fn excluded_kind<'a>(&self, mut kinds: impl Iterator<Item = &'a str>) -> Option<&'a str> {
        kinds.find(|k| self.exclude_flagged.iter().any(|e| e == k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReviewFlag;

    fn flag(kind: &str) -> ReviewFlag {
        ReviewFlag { kind: kind.into(), regions: Vec::new(), score: 1.0 }
    }

    #[test]
    fn a_policy_excludes_only_the_kinds_it_names() {
        let policy: Policy = serde_json::from_str(r#"{"exclude_flagged": ["tattoo"]}"#).unwrap();
        policy.validate().unwrap();
        assert_eq!(policy.excluded_flag(&[flag("text"), flag("tattoo")]), Some("tattoo"));
        assert_eq!(policy.excluded_flag(&[flag("text")]), None);
        assert_eq!(Policy::default().excluded_flag(&[flag("tattoo")]), None);
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let policy: Policy = serde_json::from_str(r#"{"exclude_flagged": ["tatoo"]}"#).unwrap();
        assert!(matches!(policy.validate(), Err(RecordError::BadPolicy(_))));
    }
}
