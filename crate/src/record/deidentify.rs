//! From a validated row to what may leave the site: pseudonym, age band, sex, coarse capture
//! date, and redacted free text. Names, IDs and birth dates are not carried over at all.

use super::import::{RawRecord, Sex};
use super::policy::{DatePrecision, Policy};
use super::pseudonym::SiteKey;
use super::redact::redact_free_text;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeidentifiedRecord {
    /// hex HMAC-SHA256(site key, patient ID).
    pub pseudonym: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_band: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// "2024-03" (or "2024" under a year-only policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture_period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis_first_visit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_diagnosis: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesion_site: Option<String>,
}

/// Applies `policy` to one row.
pub fn deidentify(record: &RawRecord, policy: &Policy, key: &SiteKey) -> DeidentifiedRecord {
    let names: Vec<&str> = [record.name.as_deref(), record.name_kana.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let free_text = |value: &Option<String>| {
        value.as_deref().map(|v| {
            if policy.redact_free_text {
                redact_free_text(v, &names, &policy.redaction_marker)
            } else {
                v.to_owned()
            }
        })
    };
    DeidentifiedRecord {
        pseudonym: key.pseudonym(&record.patient_id),
        age_band: record.age.map(|age| age_band(age, policy)),
        sex: record.sex,
        capture_period: record.capture_date.map(|d| match policy.capture_date {
            DatePrecision::YearMonth => format!("{:04}-{:02}", d.year, d.month),
            DatePrecision::Year => format!("{:04}", d.year),
        }),
        diagnosis_first_visit: free_text(&record.diagnosis_first_visit),
        final_diagnosis: free_text(&record.final_diagnosis),
        race: if policy.keep_race {
            free_text(&record.race)
        } else {
            None
        },
        lesion_site: free_text(&record.lesion_site),
    }
}

/// "40-44" for 42 with 5-year bands; "90+" at and above the top code.
pub fn age_band(age: u16, policy: &Policy) -> String {
    if age >= policy.age_top_code {
        return format!("{}+", policy.age_top_code);
    }
    let width = u16::from(policy.age_band_years.max(1));
    let low = age / width * width;
    let high = low
        .saturating_add(width - 1)
        .min(policy.age_top_code.saturating_sub(1));
    if low == high {
        format!("{low}")
    } else {
        format!("{low}-{high}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_harbor_bands() {
        let policy = Policy::default();
        let bands: Vec<String> = [0, 4, 42, 89, 90, 104]
            .iter()
            .map(|&a| age_band(a, &policy))
            .collect();
        assert_eq!(bands, ["0-4", "0-4", "40-44", "85-89", "90+", "90+"]);
        let tens = Policy {
            age_band_years: 10,
            age_top_code: 85,
            ..Policy::default()
        };
        assert_eq!(age_band(84, &tens), "80-84");
        assert_eq!(age_band(85, &tens), "85+");
    }
}
