//! `hifu hub withdraw --pseudonyms FILE`: a late opt-out. The patients' photos and records are
//! deleted, and a tombstone (a keyed tag of the pseudonym) keeps any later bundle from bringing
//! them back.

use super::clock::now_utc;
use super::item::recount_batch;
use super::store::{OrFail, Store};
use super::Failure;
use hifu::hub::parse_pseudonym_list;
use rusqlite::params;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Serialize)]
pub struct WithdrawReport {
    pub pseudonyms_listed: usize,
    pub patients_with_photos: usize,
    pub photos_removed: usize,
    pub batches_touched: Vec<i64>,
}

pub fn withdraw(store: &mut Store, list_text: &str) -> Result<WithdrawReport, Failure> {
    let pseudonyms = parse_pseudonym_list(list_text)
        .map_err(|e| Failure::Usage(format!("{}: {e}", e.code())))?;
    let tags: Vec<String> = pseudonyms.iter().map(|p| store.keys.pseudonym_tag(p)).collect();
    let mut removed_tags = Vec::new();
    store.begin_file_changes()?;
    let report = store.transaction(|store| {
        let now = now_utc();
        let mut batches = BTreeSet::new();
        let mut patients = 0usize;
        for tag in &tags {
            store
                .conn
                .execute(
                    "INSERT OR IGNORE INTO tombstones (pseudonym_tag, withdrawn_at) VALUES (?1, ?2)",
                    params![tag, now],
                )
                .or_fail()?;
            let rows: Vec<(i64, i64, String)> = {
                let mut stmt = store
                    .conn
                    .prepare("SELECT id, batch_id, photo_tag FROM items WHERE pseudonym_tag = ?1")
                    .or_fail()?;
                let rows = stmt
                    .query_map([tag], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .or_fail()?
                    .collect::<Result<Vec<_>, _>>()
                    .or_fail()?;
                rows
            };
            if !rows.is_empty() {
                patients += 1;
            }
            for (id, batch, photo_tag) in rows {
                remove_item(store, id)?;
                batches.insert(batch);
                removed_tags.push(photo_tag);
            }
        }
        for &batch in &batches {
            recount_batch(store, batch)?;
        }
        let report = WithdrawReport {
            pseudonyms_listed: tags.len(),
            patients_with_photos: patients,
            photos_removed: removed_tags.len(),
            batches_touched: batches.into_iter().collect(),
        };
        Store::audit(
            &store.conn,
            "withdraw",
            &format!(
                "{} pseudonyms withdrawn; {} of them had photos; {} photos removed from batches {:?}",
                report.pseudonyms_listed, report.patients_with_photos, report.photos_removed, report.batches_touched
            ),
        )?;
        Ok(report)
    });
    // Committed or not, files without a row go now.
    store.finish_cleanup()?;
    report
}

/// Deletes one item row and the duplicate listings that point at it.
pub fn remove_item(store: &Store, id: i64) -> Result<(), Failure> {
    store
        .conn
        .execute("DELETE FROM duplicates WHERE held_item = ?1 OR new_item = ?1", [id])
        .or_fail()?;
    store.conn.execute("DELETE FROM items WHERE id = ?1", [id]).or_fail()?;
    Ok(())
}
