-- The hub store (schema 1). Patient data is only ever in the *sealed* columns (encrypted with
-- the batch's data key or the store's key-encryption key); tags are keyed HMACs.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE batches (
    id            INTEGER PRIMARY KEY,
    batch_tag     TEXT NOT NULL UNIQUE,
    site_code     TEXT NOT NULL,
    label         TEXT,
    tool_version  TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    photos_sent   INTEGER NOT NULL,
    photos_added  INTEGER NOT NULL,
    wrapped_key   BLOB,              -- NULL once erased: its photos can never be decrypted again
    sealed_counts BLOB,
    erased_at     TEXT
);
CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    batch_id      INTEGER NOT NULL REFERENCES batches(id),
    photo_tag     TEXT NOT NULL UNIQUE,
    pseudonym_tag TEXT NOT NULL,
    sealed_record BLOB NOT NULL,
    sealed_phash  BLOB NOT NULL
);
CREATE INDEX items_by_pseudonym ON items(pseudonym_tag);
CREATE INDEX items_by_batch ON items(batch_id);
CREATE TABLE duplicates (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('exact', 'near')),
    batch_id   INTEGER NOT NULL REFERENCES batches(id),
    held_item  INTEGER NOT NULL,     -- the photo already in the store
    new_item   INTEGER,              -- near: the new photo (stored); exact: NULL (not stored)
    distance   INTEGER NOT NULL,
    decision   TEXT,                 -- near: NULL until a person decides
    decided_at TEXT
);
CREATE TABLE tombstones (
    pseudonym_tag TEXT PRIMARY KEY,
    withdrawn_at  TEXT NOT NULL
);
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
