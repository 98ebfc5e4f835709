//! Records + opt-out register + photo names → the photos to contribute, each with its
//! de-identified record, and everything the site must look at (row errors, unmatched photos and
//! rows, photos claimed by two rows).

use crate::record::{
    deidentify, import_records, link_photos, DeidentifiedRecord, ImportSummary, OptOut, Policy,
    RecordError, RowError, SiteKey,
};
use serde::Serialize;

/// One photo to scrub and seal, with the record that goes with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedPhoto {
    pub photo: String,
    /// The row in the records file (1 = the first data row), for the site's report.
    pub row: u64,
    pub record: DeidentifiedRecord,
}

/// What `plan` decided. Serialised as the contributor page's `DeidentifyResult`.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub summary: ImportSummary,
    pub row_errors: Vec<RowError>,
    /// Photos of opted-out patients: a count only. They are never opened.
    pub photos_excluded_opt_out: usize,
    pub links: Vec<PlannedPhoto>,
    pub unmatched_photos: Vec<String>,
    pub unmatched_rows: Vec<u64>,
    pub conflicts: Vec<(String, Vec<u64>)>,
}

/// Plans a contribution. Whole-file problems (unreadable records, a bad policy) are errors; row
/// problems come back in `row_errors`.
pub fn plan(
    records: &[u8],
    opt_out: &OptOut,
    photo_names: Vec<String>,
    policy: &Policy,
    key: &SiteKey,
) -> Result<Plan, RecordError> {
    policy.validate()?;
    let import = import_records(records, opt_out)?;
    // Opt-out first: a photo named after an opted-out patient, or listed in an opted-out
    // patient's row, is set aside before any linking.
    let (excluded, candidates): (Vec<String>, Vec<String>) =
        photo_names.into_iter().partition(|photo| {
            let lower = photo.to_lowercase();
            opt_out.names_photo(photo)
                || import
                    .excluded_file_names
                    .iter()
                    .any(|name| name.to_lowercase() == lower)
        });
    let linking = link_photos(&import.records, &candidates);
    let links = linking
        .links
        .iter()
        .filter_map(|link| {
            let record = import.records.get(link.record)?;
            Some(PlannedPhoto {
                photo: link.photo.clone(),
                row: record.row,
                record: deidentify(record, policy, key),
            })
        })
        .collect();
    Ok(Plan {
        summary: import.summary,
        row_errors: import.errors,
        photos_excluded_opt_out: excluded.len(),
        links,
        unmatched_photos: linking.unmatched_photos,
        unmatched_rows: linking.unmatched_rows,
        conflicts: linking.conflicts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn opted_out_photos_are_set_aside_before_linking() {
        let key = SiteKey::generate(&mut rand_chacha::ChaCha20Rng::seed_from_u64(3));
        let records = "患者ID,年齢,最終診断名,ファイル名\nA001,50,悪性黒色腫,IMG_1.jpg\nA002,40,色素性母斑,IMG_2.jpg\n";
        let opt_out = OptOut::from_csv("患者ID\nA001\n".as_bytes()).unwrap();
        let names = vec!["IMG_1.jpg".into(), "IMG_2.jpg".into(), "A001_2.jpg".into(), "stray.jpg".into()];
        let plan = plan(records.as_bytes(), &opt_out, names, &Policy::default(), &key).unwrap();
        assert_eq!(plan.photos_excluded_opt_out, 2);
        assert_eq!(plan.links.len(), 1);
        assert_eq!(plan.links[0].photo, "IMG_2.jpg");
        assert_eq!(plan.links[0].record.pseudonym, key.pseudonym("A002"));
        assert_eq!(plan.unmatched_photos, vec!["stray.jpg".to_owned()]);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(!json.contains("A001") && !json.contains("IMG_1"), "{json}");
    }
}
