//! `hifu hub ingest BUNDLE...`: open each bundle, check it whole, and add its photos in one
//! transaction. Photos already held (same decoded pixels) are not stored twice; near-duplicates
//! (perceptual hash) are stored and listed for a person; photos of withdrawn patients are not
//! added.

use super::clock::now_utc;
use super::item::{seal_item, store_counts, StoredItem};
use super::store::{OrFail, Store};
use super::Failure;
use hifu::hub::fingerprint::{distance, fingerprint, Fingerprint, NEAR_DUPLICATE_BITS};
use hifu::hub::{Counts, ItemFacts, StoreKeys};
use hifu::seal::{sha256_hex, Manifest, Opener, OpenerLimits, MANIFEST_ENTRY};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::Path;

#[derive(Debug, Default, Serialize)]
pub struct IngestReport {
    pub bundle: String,
    /// The batch number in this store (new or, for a bundle seen before, the earlier one).
    pub batch: i64,
    pub site: String,
    pub already_ingested: bool,
    pub photos_in_bundle: usize,
    pub added: usize,
    /// Photos whose pixels the store already held (not stored again).
    pub exact_duplicates: usize,
    /// Photos stored but close to one already held: listed by `hifu hub duplicates`.
    pub near_duplicates: usize,
    /// Photos of patients withdrawn earlier: not added.
    pub withdrawn_skipped: usize,
}

/// A photo written to disk, waiting for the transaction.
struct Staged {
    photo_tag: String,
    pseudonym_tag: String,
    item: StoredItem,
    perceptual: u64,
}

enum Outcome {
    Known(i64),
    Staged(Vec<Staged>, Vec<(String, String)>),
}

pub fn ingest(store: &mut Store, bundle: &Path) -> Result<IngestReport, Failure> {
    let mut report = IngestReport {
        bundle: bundle.display().to_string(),
        ..IngestReport::default()
    };
    let mut written = Vec::new();
    let data_key = StoreKeys::new_data_key(&mut store.rng);
    let read = read_bundle(store, bundle, &data_key, &mut written, &mut report);
    let mut all_committed = false;
    let result = match read {
        Ok((manifest, manifest_digest, Outcome::Staged(staged, exact))) => {
            all_committed = staged.len() == written.len();
            commit(store, &manifest, &manifest_digest, data_key, staged, exact, &mut report)
        }
        Ok((_, _, Outcome::Known(batch))) => {
            report.already_ingested = true;
            report.batch = batch;
            Ok(())
        }
        Err(e) => Err(e),
    };
    if !written.is_empty() {
        if result.is_ok() && all_committed {
            // Every file written belongs to a committed row.
            store.end_file_changes()?;
        } else {
            // Files of a refused or known bundle, or of withdrawn patients, have no row.
            store.finish_cleanup()?;
        }
    }
    result.map(|()| report)
}

type Read3 = (Manifest, [u8; 32], Outcome);

/// An image entry read, fingerprinted and (unless its pixels are held already) written.
struct Arrived {
    photo_tag: String,
    width: u32,
    height: u32,
    perceptual: u64,
}

fn read_bundle(
    store: &mut Store,
    bundle: &Path,
    data_key: &hifu::hub::DataKey,
    written: &mut Vec<String>,
    report: &mut IngestReport,
) -> Result<Read3, Failure> {
    let mut file = std::fs::File::open(bundle)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", bundle.display())))?;
    let fail = |e: hifu::seal::SealError| Failure::Data(format!("{}: {e}", e.code()));
    let mut opener = Opener::new(&store.hub, OpenerLimits::default());
    let mut buffer = vec![0u8; 1 << 16];
    let mut manifest: Option<(Manifest, [u8; 32])> = None;
    let mut digests = BTreeMap::new();
    // Sites write the manifest last (it is complete only when every photo is done), so photos
    // are fingerprinted and written as they arrive and matched to their records at the end.
    let mut arrived: BTreeMap<String, Arrived> = BTreeMap::new();
    let mut written_tags: BTreeSet<String> = BTreeSet::new();
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", bundle.display())))?;
        if n == 0 {
            break;
        }
        opener.push(buffer.get(..n).unwrap_or_default()).map_err(fail)?;
        while let Some(entry) = opener.next_entry() {
            if entry.name == MANIFEST_ENTRY {
                if manifest.is_some() {
                    return Err(Failure::Data("the bundle has two manifests".into()));
                }
                let parsed = Manifest::from_json(&entry.data).map_err(fail)?;
                let digest: [u8; 32] = Sha256::digest(&entry.data).into();
                manifest = Some((parsed, digest));
            } else if entry.name.starts_with("images/") {
                if digests.insert(entry.name.clone(), sha256_hex(&entry.data)).is_some() {
                    return Err(Failure::Data(format!("the bundle holds {} twice", entry.name)));
                }
                let print: Fingerprint = fingerprint(&entry.data)
                    .map_err(|e| Failure::Data(format!("{} ({}): {e}", e.code(), entry.name)))?;
                let photo_tag = store.keys.photo_tag(&print.pixels);
                let held: Option<i64> = store
                    .conn
                    .query_row("SELECT id FROM items WHERE photo_tag = ?1", [&photo_tag], |r| r.get(0))
                    .optional()
                    .or_fail()?;
                if held.is_none() && !written_tags.contains(&photo_tag) {
                    if written.is_empty() {
                        store.begin_file_changes()?;
                    }
                    let sealed = data_key.seal(&mut store.rng, photo_tag.as_bytes(), &entry.data);
                    store.write_object(&photo_tag, &sealed)?;
                    written.push(photo_tag.clone());
                    written_tags.insert(photo_tag.clone());
                }
                arrived.insert(
                    entry.name.clone(),
                    Arrived {
                        photo_tag,
                        width: print.width,
                        height: print.height,
                        perceptual: print.perceptual,
                    },
                );
            } else {
                return Err(Failure::Data(format!("unexpected entry {:?} in the bundle", entry.name)));
            }
        }
    }
    opener.finish().map_err(fail)?;
    let (manifest, digest) =
        manifest.ok_or_else(|| Failure::Data("the bundle has no manifest.json".into()))?;
    manifest.check_images(&digests).map_err(fail)?;
    report.site = manifest.site_code.clone();
    report.photos_in_bundle = manifest.items.len();
    let batch_tag = store.keys.batch_tag(&digest);
    let known: Option<i64> = store
        .conn
        .query_row("SELECT id FROM batches WHERE batch_tag = ?1", [&batch_tag], |r| r.get(0))
        .optional()
        .or_fail()?;
    if let Some(batch) = known {
        // Same manifest, same photos: nothing to add.
        return Ok((manifest, digest, Outcome::Known(batch)));
    }

    let mut staged: Vec<Staged> = Vec::new();
    let mut staged_tags: BTreeSet<String> = BTreeSet::new();
    // (photo tag, image entry) of photos whose pixels are already held.
    let mut exact: Vec<(String, String)> = Vec::new();
    for listed in &manifest.items {
        let arrived = arrived
            .get(&listed.image)
            .ok_or_else(|| Failure::Data("an image listed in the manifest is missing".into()))?;
        let pseudonym_tag = store.keys.pseudonym_tag(&listed.record.pseudonym);
        let withdrawn: Option<String> = store
            .conn
            .query_row("SELECT pseudonym_tag FROM tombstones WHERE pseudonym_tag = ?1", [&pseudonym_tag], |r| r.get(0))
            .optional()
            .or_fail()?;
        if withdrawn.is_some() {
            report.withdrawn_skipped += 1;
            continue;
        }
        if !written_tags.contains(&arrived.photo_tag) || staged_tags.contains(&arrived.photo_tag) {
            exact.push((arrived.photo_tag.clone(), listed.image.clone()));
            continue;
        }
        staged_tags.insert(arrived.photo_tag.clone());
        staged.push(Staged {
            pseudonym_tag,
            item: StoredItem {
                record: listed.record.clone(),
                mime: listed.mime.clone(),
                sha256: listed.sha256.clone(),
                width: arrived.width,
                height: arrived.height,
                scrub: listed.scrub.clone(),
            },
            perceptual: arrived.perceptual,
            photo_tag: arrived.photo_tag.clone(),
        });
    }
    Ok((manifest, digest, Outcome::Staged(staged, exact)))
}

fn commit(
    store: &mut Store,
    manifest: &Manifest,
    manifest_digest: &[u8; 32],
    data_key: hifu::hub::DataKey,
    staged: Vec<Staged>,
    exact: Vec<(String, String)>,
    report: &mut IngestReport,
) -> Result<(), Failure> {
    let batch_tag = store.keys.batch_tag(manifest_digest);
    let wrapped = store.keys.wrap(&data_key, &batch_tag, &mut store.rng);
    let existing = existing_hashes(store)?;
    store.transaction(|store| {
        store
            .conn
            .execute(
                "INSERT INTO batches (batch_tag, site_code, label, tool_version, received_at, \
                 photos_sent, photos_added, wrapped_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
                params![
                    batch_tag,
                    manifest.site_code,
                    manifest.batch,
                    manifest.tool_version,
                    now_utc(),
                    manifest.items.len() as i64,
                    wrapped
                ],
            )
            .or_fail()?;
        let batch_id = store.conn.last_insert_rowid();
        store.remember_data_key(batch_id, data_key);
        report.batch = batch_id;
        let mut counts = Counts::default();
        let mut ids: HashMap<String, i64> = HashMap::new();
        let mut new_hashes: Vec<(i64, u64)> = Vec::new();
        for staged in &staged {
            let record = seal_item(store, batch_id, &staged.photo_tag, &staged.item)?;
            let phash = store.seal_for_batch(batch_id, staged.photo_tag.as_bytes(), &staged.perceptual.to_be_bytes())?;
            store
                .conn
                .execute(
                    "INSERT INTO items (batch_id, photo_tag, pseudonym_tag, sealed_record, sealed_phash) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![batch_id, staged.photo_tag, staged.pseudonym_tag, record, phash],
                )
                .or_fail()?;
            let id = store.conn.last_insert_rowid();
            ids.insert(staged.photo_tag.clone(), id);
            counts.add(&ItemFacts::of(&staged.item.record));
            // Near-duplicates: against every photo held before and every earlier one of this bundle.
            let close = existing
                .iter()
                .chain(new_hashes.iter())
                .map(|&(held, hash)| (held, distance(hash, staged.perceptual)))
                .filter(|&(_, d)| d <= NEAR_DUPLICATE_BITS)
                .min_by_key(|&(_, d)| d);
            if let Some((held, d)) = close {
                store
                    .conn
                    .execute(
                        "INSERT INTO duplicates (kind, batch_id, held_item, new_item, distance) VALUES ('near', ?1, ?2, ?3, ?4)",
                        params![batch_id, held, id, d],
                    )
                    .or_fail()?;
                report.near_duplicates += 1;
            }
            new_hashes.push((id, staged.perceptual));
        }
        for (photo_tag, _) in &exact {
            let held: i64 = match ids.get(photo_tag) {
                Some(id) => *id,
                None => store
                    .conn
                    .query_row("SELECT id FROM items WHERE photo_tag = ?1", [photo_tag], |r| r.get(0))
                    .or_fail()?,
            };
            store
                .conn
                .execute(
                    "INSERT INTO duplicates (kind, batch_id, held_item, distance, decision) VALUES ('exact', ?1, ?2, 0, 'not stored')",
                    params![batch_id, held],
                )
                .or_fail()?;
        }
        store_counts(store, batch_id, &counts)?;
        report.added = staged.len();
        report.exact_duplicates = exact.len();
        Store::audit(
            &store.conn,
            "ingest",
            &format!(
                "batch {batch_id} from site {:?} ({}): {} photos sent, {} added, {} already held, {} near-duplicates listed, {} of withdrawn patients not added",
                manifest.site_code,
                manifest.batch.as_deref().unwrap_or("no label"),
                manifest.items.len(),
                report.added,
                report.exact_duplicates,
                report.near_duplicates,
                report.withdrawn_skipped
            ),
        )
    })
}

/// (item id, perceptual hash) of every photo held.
fn existing_hashes(store: &mut Store) -> Result<Vec<(i64, u64)>, Failure> {
    let rows: Vec<(i64, i64, String, Vec<u8>)> = {
        let mut stmt = store
            .conn
            .prepare("SELECT id, batch_id, photo_tag, sealed_phash FROM items")
            .or_fail()?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .or_fail()?
            .collect::<Result<Vec<_>, _>>()
            .or_fail()?;
        rows
    };
    let mut out = Vec::with_capacity(rows.len());
    for (id, batch, tag, sealed) in rows {
        let plain = store
            .data_key(batch)?
            .open(&sealed, tag.as_bytes(), "a perceptual hash")
            .map_err(|e| Failure::Data(format!("{}: {e}", e.code())))?;
        let bytes: [u8; 8] = plain
            .as_slice()
            .try_into()
            .map_err(|_| Failure::Data("a stored perceptual hash is damaged".into()))?;
        out.push((id, u64::from_be_bytes(bytes)));
    }
    Ok(out)
}
