//! Linking photos to records. By the file-name column when the row has one; otherwise by the
//! naming convention `<patient ID>_<YYYYMMDD>[_anything].<ext>` with the row's capture date.
//! Nothing is guessed: photos and rows that do not link, or link ambiguously, are reported.

use super::import::RawRecord;
use super::pseudonym::normalize_id;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One photo and the index of its record in the import's `records`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoLink {
    pub photo: String,
    pub record: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linking {
    /// In photo-name order, so the bundle's order does not depend on the folder listing.
    pub links: Vec<PhotoLink>,
    pub unmatched_photos: Vec<String>,
    /// Rows (file row numbers) with no photo.
    pub unmatched_rows: Vec<u64>,
    /// Photos claimed by more than one row: (photo, rows). Not contributed.
    pub conflicts: Vec<(String, Vec<u64>)>,
}

/// Links `photos` (file names, no folders) to `records`.
pub fn link_photos(records: &[RawRecord], photos: &[String]) -> Linking {
    let mut claims: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for photo in photos {
        let key = photo.as_str();
        claims.entry(key).or_default();
        let lower = photo.to_lowercase();
        for (index, record) in records.iter().enumerate() {
            let claimed = match &record.file_name {
                Some(name) => name.to_lowercase() == lower,
                None => by_convention(record, photo),
            };
            if claimed {
                claims.entry(key).or_default().push(index);
            }
        }
    }
    let mut linking = Linking::default();
    let mut linked_records = vec![false; records.len()];
    for (photo, owners) in claims {
        match owners.as_slice() {
            [] => linking.unmatched_photos.push(photo.to_owned()),
            [index] => {
                if let Some(flag) = linked_records.get_mut(*index) {
                    *flag = true;
                }
                linking.links.push(PhotoLink {
                    photo: photo.to_owned(),
                    record: *index,
                });
            }
            many => {
                let rows = many
                    .iter()
                    .filter_map(|i| records.get(*i))
                    .map(|r| r.row)
                    .collect();
                linking.conflicts.push((photo.to_owned(), rows));
            }
        }
    }
    linking.unmatched_rows = records
        .iter()
        .zip(&linked_records)
        .filter(|(_, linked)| !**linked)
        .map(|(r, _)| r.row)
        .collect();
    linking
}

fn by_convention(record: &RawRecord, photo: &str) -> bool {
    let Some(date) = record.capture_date else {
        return false;
    };
    let prefix = format!(
        "{}_{:04}{:02}{:02}",
        normalize_id(&record.patient_id),
        date.year,
        date.month,
        date.day
    );
    let name = normalize_id(photo);
    name.strip_prefix(&prefix)
        .is_some_and(|rest| rest.starts_with(['_', '-', '.', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Date;

    fn record(row: u64, id: &str, file: Option<&str>, date: Option<Date>) -> RawRecord {
        RawRecord {
            row,
            patient_id: id.into(),
            name: None,
            name_kana: None,
            birth_date: None,
            age: None,
            sex: None,
            capture_date: date,
            diagnosis_first_visit: None,
            final_diagnosis: None,
            race: None,
            lesion_site: None,
            file_name: file.map(Into::into),
        }
    }

    #[test]
    fn by_file_name_by_convention_and_the_leftovers() {
        let date = Date::new(2024, 3, 5).ok();
        let records = [
            record(2, "P1", Some("IMG_1.JPG"), None),
            record(3, "P2", None, date),
            record(4, "P3", Some("missing.jpg"), None),
            record(5, "P4", Some("shared.jpg"), None),
            record(6, "P5", Some("shared.jpg"), None),
        ];
        let photos: Vec<String> = [
            "img_1.jpg",
            "P2_20240305_a.jpg",
            "P2_20240305_b.png",
            "P2_20240306.jpg",
            "shared.jpg",
            "stray.png",
        ]
        .map(String::from)
        .into();
        let linking = link_photos(&records, &photos);
        let linked: Vec<(&str, usize)> = linking
            .links
            .iter()
            .map(|l| (l.photo.as_str(), l.record))
            .collect();
        assert_eq!(
            linked,
            [
                ("P2_20240305_a.jpg", 1),
                ("P2_20240305_b.png", 1),
                ("img_1.jpg", 0)
            ]
        );
        assert_eq!(linking.unmatched_photos, ["P2_20240306.jpg", "stray.png"]);
        assert_eq!(linking.unmatched_rows, [4, 5, 6]);
        assert_eq!(linking.conflicts, [("shared.jpg".to_string(), vec![5, 6])]);
    }
}
