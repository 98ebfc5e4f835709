//! `hifu hub verify`: every held photo's record and file open with its batch key, each batch's
//! counts match its items, and no file lies in the store without a row.

use super::item::{open_counts, opened_items};
use super::store::{OrFail, Store};
use super::Failure;
use hifu::hub::{Counts, ItemFacts};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub photos: usize,
    pub problems: Vec<String>,
}

pub fn verify(store: &mut Store) -> Result<VerifyReport, Failure> {
    let mut problems = Vec::new();
    let items = opened_items(store, None)?;
    let mut counts: BTreeMap<i64, Counts> = BTreeMap::new();
    let mut files = store.object_files()?;
    for opened in &items {
        counts
            .entry(opened.batch_id)
            .or_default()
            .add(&ItemFacts::of(&opened.item.record));
        if files.remove(&opened.photo_tag).is_none() {
            problems.push(format!("item {}: its photo file is missing", opened.id));
            continue;
        }
        if let Err(Failure::Data(e) | Failure::Usage(e)) = store.read_object(opened.batch_id, &opened.photo_tag) {
            problems.push(format!("item {}: {e}", opened.id));
        }
    }
    for name in files.keys() {
        problems.push(format!("a file without a row: objects/…/{name}"));
    }
    let batches: Vec<(i64, Option<Vec<u8>>)> = {
        let mut stmt = store
            .conn
            .prepare("SELECT id, sealed_counts FROM batches WHERE erased_at IS NULL")
            .or_fail()?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .or_fail()?
            .collect::<Result<Vec<_>, _>>()
            .or_fail()?;
        rows
    };
    for (id, sealed) in batches {
        let stored = match sealed {
            Some(sealed) => open_counts(store, id, &sealed)?,
            None => Counts::default(),
        };
        if stored != counts.remove(&id).unwrap_or_default() {
            problems.push(format!("batch {id}: its counts do not match its photos"));
        }
    }
    for id in counts.keys() {
        problems.push(format!("items belong to batch {id}, which is erased or missing"));
    }
    Ok(VerifyReport {
        photos: items.len(),
        problems,
    })
}
