//! The brotli copies made at build time (`build.rs`), looked up by the key `serve::lookup`
//! gives a file. A copy is only used when it was made from the very bytes being served (same
//! SHA-256), so a stale build cannot send another version of a file.
use std::collections::HashMap;
use std::sync::OnceLock;

mod table {
    include!(concat!(env!("OUT_DIR"), "/brotli_copies.rs"));
}

/// Key → (SHA-256 of the original, brotli bytes).
type Index = HashMap<&'static str, ([u8; 32], &'static [u8])>;

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        table::COPIES
            .iter()
            .map(|(key, sha, data)| (*key, (*sha, *data)))
            .collect()
    })
}

/// The brotli copy of the file at `key` whose content hash is `sha256`, if the build made one.
pub fn brotli(key: &str, sha256: &[u8; 32]) -> Option<&'static [u8]> {
    index()
        .get(key)
        .filter(|(sha, _)| sha == sha256)
        .map(|(_, data)| *data)
}
