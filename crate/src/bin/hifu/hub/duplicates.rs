//! `hifu hub duplicates`: the near-duplicates a person must decide on (the same lesion photographed
//! twice is fine; the same photo re-encoded is not), and the exact duplicates that were not
//! stored. `--show ID --out DIR` writes the pair for viewing; `--decide ID --keep both|held`.

use super::clock::now_utc;
use super::item::recount_batch;
use super::store::{OrFail, Store};
use super::withdraw::remove_item;
use super::Failure;
use rusqlite::params;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Pair {
    pub id: i64,
    pub kind: String,
    pub batch: i64,
    pub held_item: i64,
    pub new_item: Option<i64>,
    pub distance: i64,
    pub decision: Option<String>,
}

pub fn list(store: &Store) -> Result<Vec<Pair>, Failure> {
    let mut stmt = store
        .conn
        .prepare("SELECT id, kind, batch_id, held_item, new_item, distance, decision FROM duplicates ORDER BY id")
        .or_fail()?;
    let pairs = stmt
        .query_map([], |r| {
            Ok(Pair {
                id: r.get(0)?,
                kind: r.get(1)?,
                batch: r.get(2)?,
                held_item: r.get(3)?,
                new_item: r.get(4)?,
                distance: r.get(5)?,
                decision: r.get(6)?,
            })
        })
        .or_fail()?
        .collect::<Result<Vec<_>, _>>()
        .or_fail()?;
    Ok(pairs)
}

fn near_pair(store: &Store, id: i64) -> Result<Pair, Failure> {
    list(store)?
        .into_iter()
        .find(|p| p.id == id && p.kind == "near")
        .ok_or_else(|| Failure::Usage(format!("there is no near-duplicate {id} (see `hifu hub duplicates`)")))
}

fn item_location(store: &Store, item: i64) -> Result<(i64, String), Failure> {
    store
        .conn
        .query_row("SELECT batch_id, photo_tag FROM items WHERE id = ?1", [item], |r| Ok((r.get(0)?, r.get(1)?)))
        .or_fail()
}

/// Writes both photos of a pair into `out` (created) for a person to look at.
pub fn show(store: &mut Store, id: i64, out: &std::path::Path) -> Result<(), Failure> {
    let pair = near_pair(store, id)?;
    std::fs::create_dir_all(out).map_err(|e| Failure::Usage(format!("cannot create {}: {e}", out.display())))?;
    for (label, item) in [("held", Some(pair.held_item)), ("new", pair.new_item)] {
        let Some(item) = item else { continue };
        let (batch, tag) = item_location(store, item)?;
        let bytes = store.read_object(batch, &tag)?;
        let path = out.join(format!("pair{id}-{label}-item{item}"));
        std::fs::write(&path, bytes.as_slice())
            .map_err(|e| Failure::Data(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Records a decision: keep both photos, or keep the one held before and remove the new one.
pub fn decide(store: &mut Store, id: i64, keep_both: bool) -> Result<(), Failure> {
    let pair = near_pair(store, id)?;
    if pair.decision.is_some() {
        return Err(Failure::Usage(format!("near-duplicate {id} was already decided")));
    }
    if keep_both {
        store
            .conn
            .execute(
                "UPDATE duplicates SET decision = 'kept both', decided_at = ?1 WHERE id = ?2",
                params![now_utc(), id],
            )
            .or_fail()?;
        return Store::audit(&store.conn, "duplicate", &format!("near-duplicate {id}: both kept"));
    }
    let new_item = pair
        .new_item
        .ok_or_else(|| Failure::Data("this pair has no new photo".into()))?;
    let (batch, _) = item_location(store, new_item)?;
    store.begin_file_changes()?;
    let result = store.transaction(|store| {
        remove_item(store, new_item)?;
        recount_batch(store, batch)?;
        Store::audit(
            &store.conn,
            "duplicate",
            &format!("near-duplicate {id}: item {new_item} of batch {batch} removed, item {} kept", pair.held_item),
        )
    });
    store.finish_cleanup()?;
    result
}
