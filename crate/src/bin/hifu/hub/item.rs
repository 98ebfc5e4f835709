//! One stored photo's record, as sealed in `items.sealed_record`, and the per-batch counts
//! derived from the records.

use super::store::{OrFail, Store};
use super::Failure;
use hifu::hub::{Counts, ItemFacts};
use hifu::record::DeidentifiedRecord;
use hifu::seal::ScrubSummary;
use rusqlite::params;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredItem {
    pub record: DeidentifiedRecord,
    pub mime: String,
    /// SHA-256 of the image bytes as the site sent them.
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub scrub: ScrubSummary,
}

/// A row of `items` with its record opened.
pub struct OpenedItem {
    pub id: i64,
    pub batch_id: i64,
    pub photo_tag: String,
    pub item: StoredItem,
}

pub fn seal_item(store: &mut Store, batch_id: i64, photo_tag: &str, item: &StoredItem) -> Result<Vec<u8>, Failure> {
    let json = serde_json::to_vec(item)
        .map_err(|e| Failure::Data(format!("cannot encode a record: {e}")))?;
    let json = zeroize::Zeroizing::new(json);
    store.seal_for_batch(batch_id, photo_tag.as_bytes(), &json)
}

pub fn open_record(store: &mut Store, batch_id: i64, photo_tag: &str, sealed: &[u8]) -> Result<StoredItem, Failure> {
    let plain = store
        .data_key(batch_id)?
        .open(sealed, photo_tag.as_bytes(), "a record")
        .map_err(|e| Failure::Data(format!("{}: {e}", e.code())))?;
    serde_json::from_slice(&plain).map_err(|_| Failure::Data("a stored record is not readable".into()))
}

/// Every item of the store, or of one batch, with its record opened.
pub fn opened_items(store: &mut Store, batch: Option<i64>) -> Result<Vec<OpenedItem>, Failure> {
    let rows: Vec<(i64, i64, String, Vec<u8>)> = {
        let mut stmt = store
            .conn
            .prepare(
                "SELECT id, batch_id, photo_tag, sealed_record FROM items \
                 WHERE ?1 IS NULL OR batch_id = ?1 ORDER BY id",
            )
            .or_fail()?;
        let rows = stmt
            .query_map(params![batch], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .or_fail()?
            .collect::<Result<Vec<_>, _>>()
            .or_fail()?;
        rows
    };
    rows.into_iter()
        .map(|(id, batch_id, photo_tag, sealed)| {
            let item = open_record(store, batch_id, &photo_tag, &sealed)?;
            Ok(OpenedItem { id, batch_id, photo_tag, item })
        })
        .collect()
}

/// Recounts one batch from its items and stores the sealed counts.
pub fn recount_batch(store: &mut Store, batch_id: i64) -> Result<Counts, Failure> {
    let mut counts = Counts::default();
    for opened in opened_items(store, Some(batch_id))? {
        counts.add(&ItemFacts::of(&opened.item.record));
    }
    store_counts(store, batch_id, &counts)?;
    Ok(counts)
}

pub fn store_counts(store: &mut Store, batch_id: i64, counts: &Counts) -> Result<(), Failure> {
    let json = serde_json::to_vec(counts)
        .map_err(|e| Failure::Data(format!("cannot encode counts: {e}")))?;
    let sealed = store
        .keys
        .seal_meta(&mut store.rng, &batch_id.to_be_bytes(), &json);
    store
        .conn
        .execute(
            "UPDATE batches SET sealed_counts = ?1, photos_added = ?2 WHERE id = ?3",
            params![sealed, i64::try_from(counts.photos).unwrap_or(i64::MAX), batch_id],
        )
        .or_fail()?;
    Ok(())
}

pub fn open_counts(store: &Store, batch_id: i64, sealed: &[u8]) -> Result<Counts, Failure> {
    let plain = store
        .keys
        .open_meta(sealed, &batch_id.to_be_bytes())
        .map_err(|e| Failure::Data(format!("{}: {e}", e.code())))?;
    serde_json::from_slice(&plain).map_err(|_| Failure::Data("stored counts are not readable".into()))
}
