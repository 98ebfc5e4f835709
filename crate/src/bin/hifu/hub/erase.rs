//! `hifu hub erase --batch ID | --all`: crypto-shredding. The batch's wrapped data key is
//! destroyed first (with SQLite's secure delete and a WAL checkpoint, so the old page does not
//! linger in the database files), then its rows and files. Any copy of the photo files that
//! survives (a backup, a block the disk remapped) can no longer be decrypted. The audit log is
//! kept.

use super::clock::now_utc;
use super::store::{OrFail, Store};
use super::withdraw::remove_item;
use super::Failure;
use rusqlite::params;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct EraseReport {
    pub batches: Vec<i64>,
    pub photos_erased: usize,
}

pub fn erase(store: &mut Store, batch: Option<i64>) -> Result<EraseReport, Failure> {
    let batches: Vec<i64> = {
        let mut stmt = store
            .conn
            .prepare("SELECT id FROM batches WHERE erased_at IS NULL AND (?1 IS NULL OR id = ?1) ORDER BY id")
            .or_fail()?;
        let ids = stmt
            .query_map(params![batch], |r| r.get(0))
            .or_fail()?
            .collect::<Result<Vec<_>, _>>()
            .or_fail()?;
        ids
    };
    if let (Some(id), true) = (batch, batches.is_empty()) {
        let exists: i64 = store
            .conn
            .query_row("SELECT COUNT(*) FROM batches WHERE id = ?1", [id], |r| r.get(0))
            .or_fail()?;
        return Err(Failure::Usage(if exists > 0 {
            format!("batch {id} was already erased")
        } else {
            format!("there is no batch {id} in this store (see `hifu hub status`)")
        }));
    }
    store.begin_file_changes()?;
    let result = store.transaction(|store| {
        let now = now_utc();
        let mut photos = 0usize;
        for &id in &batches {
            let items: Vec<i64> = {
                let mut stmt = store.conn.prepare("SELECT id FROM items WHERE batch_id = ?1").or_fail()?;
                let ids = stmt
                    .query_map([id], |r| r.get(0))
                    .or_fail()?
                    .collect::<Result<Vec<_>, _>>()
                    .or_fail()?;
                ids
            };
            for &item in &items {
                remove_item(store, item)?;
            }
            store
                .conn
                .execute("DELETE FROM duplicates WHERE batch_id = ?1", [id])
                .or_fail()?;
            store
                .conn
                .execute(
                    "UPDATE batches SET wrapped_key = NULL, sealed_counts = NULL, photos_added = 0, erased_at = ?1 WHERE id = ?2",
                    params![now, id],
                )
                .or_fail()?;
            photos += items.len();
        }
        Store::audit(
            &store.conn,
            "erase",
            &format!("batches {batches:?} erased (keys destroyed, {photos} photos deleted)"),
        )?;
        Ok(EraseReport { batches: batches.clone(), photos_erased: photos })
    });
    for &id in &batches {
        store.forget_data_key(id);
    }
    // Push the freed (zeroed) pages out of the write-ahead log into the main file.
    store
        .conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .or_fail()?;
    store.finish_cleanup()?;
    result
}
