//! The hub store on disk: `hub.sqlite` (SQLite, WAL, full sync, freed pages zeroed) and
//! `objects/xx/<photo tag>`, each photo encrypted with its batch's data key.
//!
//! Crash safety: photo files are written and synced *before* the transaction that records them
//! commits, and deleted only *after* the transaction that forgets them commits. A marker file
//! (`cleanup-pending`) is created before either; if a command dies in between, the next one
//! finds the marker and deletes the files no row refers to. So at every instant each item row
//! has its photo, and a kill leaves the store as before or as after.

use super::clock::now_utc;
use super::Failure;
use hifu::hub::{DataKey, StoreKeys, STORE_ID_LEN};
use hifu::seal::HubPrivateKey;
use rand_chacha::ChaCha20Rng;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const DATABASE: &str = "hub.sqlite";
const OBJECTS: &str = "objects";
const CLEANUP_MARKER: &str = "cleanup-pending";
const LOCK: &str = "lock";
const SCHEMA_VERSION: &str = "1";

/// Targets shown by `hifu hub status`.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    pub total: u64,
    pub per_site: u64,
}

pub struct Store {
    pub dir: PathBuf,
    pub conn: Connection,
    pub keys: StoreKeys,
    pub hub: HubPrivateKey,
    pub rng: ChaCha20Rng,
    data_keys: HashMap<i64, DataKey>,
    // Held for the store's lifetime: one hifu command per store at a time.
    _lock: File,
}

fn db_error(e: rusqlite::Error) -> Failure {
    Failure::Data(format!("the hub database failed: {e}"))
}

pub trait OrFail<T> {
    fn or_fail(self) -> Result<T, Failure>;
}

impl<T> OrFail<T> for Result<T, rusqlite::Error> {
    fn or_fail(self) -> Result<T, Failure> {
        self.map_err(db_error)
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Failure {
    // ENOSPC, EFBIG (a file-size limit), EDQUOT: no room for this write.
    if matches!(e.raw_os_error(), Some(28 | 27 | 122)) {
        return Failure::Data(format!(
            "the disk is full (or a size quota was reached) while writing {}: free space and run the command again",
            path.display()
        ));
    }
    Failure::Data(format!("cannot {what} {}: {e}", path.display()))
}

fn lock(dir: &Path) -> Result<File, Failure> {
    let path = dir.join(LOCK);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_error("open", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::Usage(format!(
            "another hifu hub command is using {} right now: wait for it to finish",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(io_error("lock", &path, e)),
    }
}

fn pragmas(conn: &Connection) -> Result<(), Failure> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; \
         PRAGMA foreign_keys = ON;",
    )
    .or_fail()
}

impl Store {
    /// Creates a new store in `dir` (which must not exist, or be empty).
    pub fn init(dir: &Path, hub: &HubPrivateKey, targets: Targets, mut rng: ChaCha20Rng) -> Result<(), Failure> {
        if dir.exists() {
            let empty = std::fs::read_dir(dir)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !empty {
                return Err(Failure::Usage(format!(
                    "{} exists and is not empty: pick a new folder for the hub store",
                    dir.display()
                )));
            }
        }
        std::fs::create_dir_all(dir.join(OBJECTS)).map_err(|e| io_error("create", dir, e))?;
        let _lock = lock(dir)?;
        let mut store_id = [0u8; STORE_ID_LEN];
        rand_core::RngCore::fill_bytes(&mut rng, &mut store_id);
        let keys = StoreKeys::derive(hub, &store_id);
        let mut conn = Connection::open(dir.join(DATABASE)).or_fail()?;
        pragmas(&conn)?;
        let tx = conn.transaction().or_fail()?;
        tx.execute_batch(include_str!("schema.sql")).or_fail()?;
        let now = now_utc();
        let meta: [(&str, Vec<u8>); 6] = [
            ("schema_version", SCHEMA_VERSION.as_bytes().to_vec()),
            ("store_id", store_id.to_vec()),
            ("key_check", keys.check_value().to_vec()),
            ("target_total", targets.total.to_string().into_bytes()),
            ("target_per_site", targets.per_site.to_string().into_bytes()),
            ("created_at", now.clone().into_bytes()),
        ];
        for (key, value) in meta {
            tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])
                .or_fail()?;
        }
        tx.execute(
            "INSERT INTO audit (at, action, detail) VALUES (?1, 'init', ?2)",
            params![now, format!("store created; targets {} in all, {} per site", targets.total, targets.per_site)],
        )
        .or_fail()?;
        tx.commit().or_fail()
    }

    /// Opens an existing store with the hub's key; refuses another key before touching anything.
    pub fn open(dir: &Path, hub: HubPrivateKey, rng: ChaCha20Rng) -> Result<Store, Failure> {
        let db = dir.join(DATABASE);
        if !db.is_file() {
            return Err(Failure::Usage(format!(
                "{} is not a hub store (no {DATABASE}): create one with `hifu hub init`",
                dir.display()
            )));
        }
        let lock = lock(dir)?;
        let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .or_fail()?;
        pragmas(&conn)?;
        let meta = |key: &str| -> Result<Vec<u8>, Failure> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .or_fail()?
                .ok_or_else(|| Failure::Data(format!("the hub store lacks its {key}: it is damaged")))
        };
        if meta("schema_version")? != SCHEMA_VERSION.as_bytes() {
            return Err(Failure::Usage(
                "this hub store was made by another hifu version: use that version".into(),
            ));
        }
        let store_id: [u8; STORE_ID_LEN] = meta("store_id")?
            .try_into()
            .map_err(|_| Failure::Data("the hub store's id is damaged".into()))?;
        let keys = StoreKeys::derive(&hub, &store_id);
        keys.verify(&meta("key_check")?)
            .map_err(|e| Failure::Usage(format!("{}: {e}", e.code())))?;
        let store = Store {
            dir: dir.to_owned(),
            conn,
            keys,
            hub,
            rng,
            data_keys: HashMap::new(),
            _lock: lock,
        };
        store.finish_cleanup()?;
        Ok(store)
    }

    pub fn targets(&self) -> Result<Targets, Failure> {
        let read = |key: &str, default: u64| -> Result<u64, Failure> {
            let value: Option<Vec<u8>> = self
                .conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .or_fail()?;
            Ok(value
                .and_then(|v| String::from_utf8(v).ok())
                .and_then(|s| s.parse().ok())
                .unwrap_or(default))
        };
        Ok(Targets {
            total: read("target_total", 500_000)?,
            per_site: read("target_per_site", 12_000)?,
        })
    }

    /// The data key of a batch (cached). An erased batch has none.
    pub fn data_key(&mut self, batch_id: i64) -> Result<&DataKey, Failure> {
        if !self.data_keys.contains_key(&batch_id) {
            let (tag, wrapped): (String, Option<Vec<u8>>) = self
                .conn
                .query_row(
                    "SELECT batch_tag, wrapped_key FROM batches WHERE id = ?1",
                    [batch_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .or_fail()?;
            let wrapped = wrapped.ok_or_else(|| {
                Failure::Data(format!("batch {batch_id} was erased: its photos are gone"))
            })?;
            let key = self
                .keys
                .unwrap_key(&wrapped, &tag)
                .map_err(|e| Failure::Data(format!("{}: {e}", e.code())))?;
            self.data_keys.insert(batch_id, key);
        }
        self.data_keys
            .get(&batch_id)
            .ok_or_else(|| Failure::Data("a batch key went missing".into()))
    }

    /// Encrypts with a batch's data key (records, perceptual hashes, photos).
    pub fn seal_for_batch(&mut self, batch_id: i64, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, Failure> {
        self.data_key(batch_id)?;
        let key = self
            .data_keys
            .get(&batch_id)
            .ok_or_else(|| Failure::Data("a batch key went missing".into()))?;
        Ok(key.seal(&mut self.rng, aad, plain))
    }

    /// Runs `f` in one SQLite transaction: everything it wrote is committed, or nothing.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T, Failure>) -> Result<T, Failure> {
        self.conn.execute_batch("BEGIN IMMEDIATE").or_fail()?;
        let result = f(self).and_then(|value| self.conn.execute_batch("COMMIT").or_fail().map(|()| value));
        if result.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
            // A key cached for a batch row that was rolled back must not be reused.
            self.data_keys.clear();
        }
        result
    }

    pub fn remember_data_key(&mut self, batch_id: i64, key: DataKey) {
        self.data_keys.insert(batch_id, key);
    }

    pub fn forget_data_key(&mut self, batch_id: i64) {
        self.data_keys.remove(&batch_id);
    }

    pub fn object_path(&self, photo_tag: &str) -> PathBuf {
        let shard = photo_tag.get(..2).unwrap_or("00");
        self.dir.join(OBJECTS).join(shard).join(photo_tag)
    }

    /// Writes an encrypted photo: a temporary file, synced, renamed into place.
    pub fn write_object(&self, photo_tag: &str, sealed: &[u8]) -> Result<(), Failure> {
        let path = self.object_path(photo_tag);
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(|e| io_error("create", parent, e))?;
        let tmp = path.with_extension("tmp");
        let mut file = File::create(&tmp).map_err(|e| io_error("create", &tmp, e))?;
        file.write_all(sealed)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_error("write", &path, e))?;
        File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("sync", parent, e))
    }

    pub fn read_object(&mut self, batch_id: i64, photo_tag: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, Failure> {
        let path = self.object_path(photo_tag);
        let sealed = std::fs::read(&path).map_err(|e| io_error("read", &path, e))?;
        let key = self.data_key(batch_id)?;
        key.open(&sealed, photo_tag.as_bytes(), "a photo")
            .map_err(|e| Failure::Data(format!("{}: {e}", e.code())))
    }

    /// Must be called before writing or deleting photo files.
    pub fn begin_file_changes(&self) -> Result<(), Failure> {
        let path = self.dir.join(CLEANUP_MARKER);
        File::create(&path)
            .and_then(|f| f.sync_all())
            .map_err(|e| io_error("create", &path, e))
    }

    /// Removes the marker when every file written belongs to a committed row.
    pub fn end_file_changes(&self) -> Result<(), Failure> {
        let marker = self.dir.join(CLEANUP_MARKER);
        std::fs::remove_file(&marker).map_err(|e| io_error("delete", &marker, e))
    }

    /// Deletes the photo files no item refers to, then the marker. Runs after every change
    /// and, after a crash, when the store is next opened.
    pub fn finish_cleanup(&self) -> Result<(), Failure> {
        let marker = self.dir.join(CLEANUP_MARKER);
        if !marker.exists() {
            return Ok(());
        }
        let held = self.photo_tags()?;
        for (name, path) in self.object_files()? {
            if !held.contains(&name) {
                std::fs::remove_file(&path).map_err(|e| io_error("delete", &path, e))?;
            }
        }
        std::fs::remove_file(&marker).map_err(|e| io_error("delete", &marker, e))
    }

    pub fn photo_tags(&self) -> Result<BTreeSet<String>, Failure> {
        let mut stmt = self.conn.prepare("SELECT photo_tag FROM items").or_fail()?;
        let tags = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .or_fail()?
            .collect::<Result<BTreeSet<_>, _>>()
            .or_fail()?;
        Ok(tags)
    }

    /// Files under objects/ (for `verify`): photo tag → path.
    pub fn object_files(&self) -> Result<BTreeMap<String, PathBuf>, Failure> {
        let mut out = BTreeMap::new();
        let objects = self.dir.join(OBJECTS);
        let shards = std::fs::read_dir(&objects).map_err(|e| io_error("read", &objects, e))?;
        for shard in shards.flatten() {
            if let Ok(files) = std::fs::read_dir(shard.path()) {
                for file in files.flatten() {
                    out.insert(file.file_name().to_string_lossy().into_owned(), file.path());
                }
            }
        }
        Ok(out)
    }

    pub fn audit(conn: &Connection, action: &str, detail: &str) -> Result<(), Failure> {
        conn.execute(
            "INSERT INTO audit (at, action, detail) VALUES (?1, ?2, ?3)",
            params![now_utc(), action, detail],
        )
        .map(|_| ())
        .or_fail()
    }
}
