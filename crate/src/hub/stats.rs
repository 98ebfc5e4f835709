//! Progress counts: how many photos, per final diagnosis, age band, sex and capture year.
//! The hub keeps one `Counts` per batch (encrypted), so `hifu hub status` adds up a few hundred
//! small records instead of reading every item.

use crate::record::DeidentifiedRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Shown for a field the site did not send.
pub const UNKNOWN: &str = "(not given)";

/// What one item contributes to the counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    pub final_diagnosis: String,
    pub age_band: String,
    pub sex: String,
    pub capture_year: String,
}

impl ItemFacts {
    pub fn of(record: &DeidentifiedRecord) -> ItemFacts {
        let or_unknown = |v: Option<String>| {
            v.map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| UNKNOWN.to_owned())
        };
        ItemFacts {
            final_diagnosis: or_unknown(record.final_diagnosis.clone()),
            age_band: or_unknown(record.age_band.clone()),
            sex: or_unknown(
                record
                    .sex
                    .and_then(|s| serde_json::to_value(s).ok())
                    .and_then(|v| v.as_str().map(str::to_owned)),
            ),
            capture_year: or_unknown(
                record
                    .capture_period
                    .as_deref()
                    .and_then(|p| p.get(..4))
                    .map(str::to_owned),
            ),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub photos: u64,
    pub final_diagnosis: BTreeMap<String, u64>,
    pub age_band: BTreeMap<String, u64>,
    pub sex: BTreeMap<String, u64>,
    pub capture_year: BTreeMap<String, u64>,
}

impl Counts {
    pub fn add(&mut self, facts: &ItemFacts) {
        self.photos += 1;
        for (map, key) in [
            (&mut self.final_diagnosis, &facts.final_diagnosis),
            (&mut self.age_band, &facts.age_band),
            (&mut self.sex, &facts.sex),
            (&mut self.capture_year, &facts.capture_year),
        ] {
            *map.entry(key.clone()).or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.photos += other.photos;
        for (mine, theirs) in [
            (&mut self.final_diagnosis, &other.final_diagnosis),
            (&mut self.age_band, &other.age_band),
            (&mut self.sex, &other.sex),
            (&mut self.capture_year, &other.capture_year),
        ] {
            for (key, n) in theirs {
                *mine.entry(key.clone()).or_default() += n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Sex;

    fn record(diagnosis: Option<&str>, period: Option<&str>) -> DeidentifiedRecord {
        DeidentifiedRecord {
            pseudonym: "ab".repeat(32),
            age_band: Some("40-44".into()),
            sex: Some(Sex::Female),
            capture_period: period.map(str::to_owned),
            diagnosis_first_visit: None,
            final_diagnosis: diagnosis.map(str::to_owned),
            race: None,
            lesion_site: None,
        }
    }

    #[test]
    fn counts_add_and_merge_by_field() {
        let mut a = Counts::default();
        a.add(&ItemFacts::of(&record(Some("melanoma"), Some("2024-03"))));
        a.add(&ItemFacts::of(&record(Some(" "), None)));
        let mut b = Counts::default();
        b.add(&ItemFacts::of(&record(Some("melanoma"), Some("2023"))));
        a.merge(&b);
        assert_eq!(a.photos, 3);
        assert_eq!(a.final_diagnosis.get("melanoma"), Some(&2));
        assert_eq!(a.final_diagnosis.get(UNKNOWN), Some(&1));
        assert_eq!(a.capture_year.get("2024"), Some(&1));
        assert_eq!(a.capture_year.get("2023"), Some(&1));
        assert_eq!(a.sex.get("female"), Some(&3));
    }
}
