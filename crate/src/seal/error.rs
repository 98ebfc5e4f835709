//! Errors of sealing and opening bundles, and of reading key files.

/// Everything that can go wrong with keys and bundles. Messages say what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("This is not a hifu bundle (the file does not start with the hifu magic bytes): check that you picked the .hifu file")]
    NotABundle,
    #[error("This bundle uses format version {0}, which this hifu does not read: update hifu at the hub")]
    UnsupportedVersion(u8),
    #[error("The bundle header is damaged ({0}): ask the site to send the bundle again")]
    BadHeader(&'static str),
    #[error("The bundle ends early (truncated {0}): the transfer was cut off; ask the site to send it again")]
    Truncated(&'static str),
    #[error("Chunk {index} of the bundle failed to open: it was changed, dropped, reordered, or the bundle was sealed to a different hub key")]
    ChunkRejected { index: u64 },
    #[error("Chunk {index} declares {len} bytes, more than this bundle's chunk size allows: the bundle is damaged")]
    ChunkTooLarge { index: u64, len: u64 },
    #[error("The bundle has {0} extra bytes after its last chunk: it was tampered with or two files were joined")]
    TrailingData(u64),
    #[error("The bundle's content is malformed ({0}) although it decrypted: it was produced by a faulty tool; do not trust it")]
    BadContent(&'static str),
    #[error("Entry {0:?} is larger than the limit for one entry: raise the limit only if you trust the site")]
    EntryTooLarge(String),
    #[error("Entry name {0:?} is not allowed (only letters, digits, '.', '_', '-', with an optional 'images/' folder)")]
    BadEntryName(String),
    #[error("The sealer was used out of order ({0}): this is a bug in the calling code")]
    Misuse(&'static str),
    #[error("The chunk size must be between 1 KiB and 16 MiB (got {0} bytes)")]
    BadChunkSize(u64),
    #[error("The key file is not a {expected} (its first line should be {expected:?}): pick the right file")]
    WrongKeyKind { expected: &'static str },
    #[error("The key file is damaged ({0}): restore it from your backup")]
    BadKey(&'static str),
    #[error("Sealing failed inside HPKE (too many chunks for one bundle): split the contribution")]
    SealFailed,
    #[error("The manifest could not be written as JSON: this is a bug in hifu")]
    Manifest,
    #[error("This photo was withheld by the identifiable-photo gate or the site's policy (or has no clean copy) and cannot be sealed: leave it out of the bundle")]
    Withheld,
}

impl SealError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SealError::NotABundle => "seal.not_a_bundle",
            SealError::UnsupportedVersion(_) => "seal.unsupported_version",
            SealError::BadHeader(_) => "seal.bad_header",
            SealError::Truncated(_) => "seal.truncated",
            SealError::ChunkRejected { .. } => "seal.chunk_rejected",
            SealError::ChunkTooLarge { .. } => "seal.chunk_too_large",
            SealError::TrailingData(_) => "seal.trailing_data",
            SealError::BadContent(_) => "seal.bad_content",
            SealError::EntryTooLarge(_) => "seal.entry_too_large",
            SealError::BadEntryName(_) => "seal.bad_entry_name",
            SealError::Misuse(_) => "seal.misuse",
            SealError::BadChunkSize(_) => "seal.bad_chunk_size",
            SealError::WrongKeyKind { .. } => "seal.wrong_key_kind",
            SealError::BadKey(_) => "seal.bad_key",
            SealError::SealFailed => "seal.seal_failed",
            SealError::Manifest => "seal.manifest",
            SealError::Withheld => "seal.withheld",
        }
    }
}
