//! `hifu hub export --out DIR`: the training set. Clean images under `images/<split>/` and one
//! `labels.csv`, split by patient (a keyed digest of the pseudonym decides, so the split of a
//! patient never changes as data arrives and no patient is in two splits).

use super::item::opened_items;
use super::store::Store;
use super::Failure;
use hifu::hub::split::export_patient_id;
use hifu::hub::SplitFractions;
use hifu::seal::extension_for_mime;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Columns of labels.csv, in order.
pub const COLUMNS: [&str; 12] = [
    "image",
    "split",
    "patient",
    "site",
    "batch",
    "final_diagnosis",
    "diagnosis_first_visit",
    "age_band",
    "sex",
    "capture_period",
    "race",
    "lesion_site",
];

#[derive(Debug, Serialize)]
pub struct ExportReport {
    pub out: String,
    pub photos: usize,
    pub per_split: BTreeMap<String, usize>,
}

pub fn export(store: &mut Store, out: &Path, fractions: SplitFractions) -> Result<ExportReport, Failure> {
    let staging = crate::keys::staging_folder(out).map_err(Failure::Usage)?;
    let result = write(store, &staging, fractions);
    match result {
        Ok(mut report) => {
            std::fs::rename(&staging, out)
                .map_err(|e| Failure::Data(format!("cannot move the export to {}: {e}", out.display())))?;
            report.out = out.display().to_string();
            Store::audit(
                &store.conn,
                "export",
                &format!("{} photos exported, per split {:?}", report.photos, report.per_split),
            )?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

fn write(store: &mut Store, dir: &Path, fractions: SplitFractions) -> Result<ExportReport, Failure> {
    let fail = |what: &Path, e: &dyn std::fmt::Display| {
        Failure::Data(format!("cannot write {}: {e}", what.display()))
    };
    for split in ["train", "validation", "test"] {
        let path = dir.join("images").join(split);
        std::fs::create_dir_all(&path).map_err(|e| fail(&path, &e))?;
    }
    let sites: BTreeMap<i64, String> = super::status::status(store)?
        .batches
        .into_iter()
        .map(|b| (b.id, b.site))
        .collect();
    let labels = dir.join("labels.csv");
    let mut csv = csv::Writer::from_path(&labels).map_err(|e| fail(&labels, &e))?;
    csv.write_record(COLUMNS).map_err(|e| fail(&labels, &e))?;
    let mut per_split: BTreeMap<String, usize> = BTreeMap::new();
    let items = opened_items(store, None)?;
    for opened in &items {
        let record = &opened.item.record;
        let split = fractions.split_of(&store.keys, &record.pseudonym).as_str();
        let name = format!(
            "images/{split}/{}.{}",
            opened.photo_tag.get(..20).unwrap_or(&opened.photo_tag),
            extension_for_mime(&opened.item.mime)
        );
        let bytes = store.read_object(opened.batch_id, &opened.photo_tag)?;
        let path = dir.join(&name);
        std::fs::write(&path, bytes.as_slice()).map_err(|e| fail(&path, &e))?;
        let sex = record
            .sex
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        csv.write_record([
            name,
            split.to_owned(),
            export_patient_id(&store.keys, &record.pseudonym),
            sites.get(&opened.batch_id).cloned().unwrap_or_default(),
            opened.batch_id.to_string(),
            text(&record.final_diagnosis),
            text(&record.diagnosis_first_visit),
            text(&record.age_band),
            sex,
            text(&record.capture_period),
            text(&record.race),
            text(&record.lesion_site),
        ])
        .map_err(|e| fail(&labels, &e))?;
        *per_split.entry(split.to_owned()).or_default() += 1;
    }
    csv.flush().map_err(|e| fail(&labels, &e))?;
    Ok(ExportReport {
        out: dir.display().to_string(),
        photos: items.len(),
        per_split,
    })
}
