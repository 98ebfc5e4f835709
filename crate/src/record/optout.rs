//! The opt-out register: patients (or relatives on their behalf) who refused contribution.
//! A CSV of patient IDs, UTF-8 or Shift_JIS, with or without a header row.

use super::header::Field;
use super::pseudonym::normalize_id;
use super::text::{decode_text, sniff_delimiter};
use super::RecordError;
use std::collections::HashSet;

#[derive(Debug, Clone, Default)]
pub struct OptOut {
    ids: HashSet<String>,
}

impl OptOut {
    /// An empty register.
    pub fn none() -> Self {
        OptOut::default()
    }

    /// Reads the register. With a header row, the patient-ID column is used; without one,
    /// the first column of every row is an ID.
    pub fn from_csv(bytes: &[u8]) -> Result<OptOut, RecordError> {
        let (text, _) = decode_text(bytes, "opt-out")?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(sniff_delimiter(&text))
            .flexible(true)
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut ids = HashSet::new();
        let mut column = 0usize;
        for (index, result) in reader.records().enumerate() {
            let record = result.map_err(|e| RecordError::Csv {
                what: "opt-out",
                detail: e.to_string(),
            })?;
            if index == 0 {
                if let Some(i) = record
                    .iter()
                    .position(|h| Field::from_header(h) == Some(Field::PatientId))
                {
                    column = i;
                    continue;
                }
            }
            if let Some(id) = record
                .get(column)
                .map(normalize_id)
                .filter(|id| !id.is_empty())
            {
                ids.insert(id);
            }
        }
        Ok(OptOut { ids })
    }

    pub fn from_ids<I: IntoIterator<Item = S>, S: AsRef<str>>(ids: I) -> OptOut {
        OptOut {
            ids: ids
                .into_iter()
                .map(|id| normalize_id(id.as_ref()))
                .filter(|id| !id.is_empty())
                .collect(),
        }
    }

    pub fn contains(&self, patient_id: &str) -> bool {
        self.ids.contains(&normalize_id(patient_id))
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// True when a photo's file name starts with an opted-out ID followed by a separator or
    /// the extension ("P0012_20240305.jpg"): such a photo is excluded even without a record.
    pub fn names_photo(&self, file_name: &str) -> bool {
        let stem = normalize_id(file_name);
        stem.char_indices()
            .filter(|&(_, c)| matches!(c, '_' | '-' | '.' | ' '))
            .any(|(i, _)| {
                stem.get(..i)
                    .is_some_and(|prefix| self.ids.contains(prefix))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_and_without_header_in_either_encoding() {
        let register =
            OptOut::from_csv("患者ID,理由\nP001,本人\n００２,家族\n".as_bytes()).unwrap();
        assert!(register.contains("P001") && register.contains("002"));
        assert!(!register.contains("患者ID"));
        assert_eq!(register.len(), 2);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("P003\nP004\n");
        let register = OptOut::from_csv(&sjis).unwrap();
        assert!(register.contains("P003") && register.contains("P004"));
    }

    #[test]
    fn photos_named_after_an_opted_out_patient() {
        let register = OptOut::from_ids(["P001"]);
        assert!(register.names_photo("P001_20240305.jpg"));
        assert!(register.names_photo("P001.jpg"));
        assert!(!register.names_photo("P0011_20240305.jpg"));
        assert!(!register.names_photo("XP001_1.jpg"));
    }
}
