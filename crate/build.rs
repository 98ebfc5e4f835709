//! `hifu serve` embeds web/ and models/ into the binary (rust-embed). The compiler tracks the
//! files that existed at the last build; this makes a file added to those folders (a new page,
//! a rebuilt web/pkg) also trigger a rebuild. Builds without the CLI (wasm) are unaffected.
//!
//! With the CLI it also makes the brotli copies that `hifu serve` sends to browsers that accept
//! them (`src/bin/hifu/serve/precompressed.rs`): brotli at its best setting shrinks the wasm a
//! quarter more than gzip, which is what keeps the page's first load under its budget, but it
//! takes seconds per megabyte, too slow for a request or a server start. Copies are cached in
//! OUT_DIR by content hash, so a build after a script edit recompresses that script alone.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_CLI").is_some() {
        println!("cargo:rerun-if-changed=../web");
        println!("cargo:rerun-if-changed=../models");
        #[cfg(feature = "cli")]
        if let Err(e) = brotli_copies::write() {
            // Without the copies the server still sends gzip; say why, do not fail the build.
            println!("cargo:warning=brotli copies not made ({e}); hifu serve will send gzip only");
            let _ = brotli_copies::write_empty();
        }
    }
}

#[cfg(feature = "cli")]
mod brotli_copies {
    use sha2::{Digest, Sha256};
    use std::collections::HashSet;
    use std::fmt::Write as _;
    use std::io::Write as _;
    use std::path::{Path, PathBuf};

    /// Below this the encoding header and the request work cost more than they save.
    const MIN_BYTES: usize = 1024;
    /// A copy is kept only when it saves at least this share (int8 weights shrink a little).
    const MIN_SAVING: f64 = 0.02;
    /// Already compressed formats: brotli cannot shrink them.
    const SKIP_EXTENSIONS: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "webp", "ico", "gz", "br", "zip", "whl", "woff", "woff2",
    ];
    const TABLE: &str = "brotli_copies.rs";

    fn out_dir() -> std::io::Result<PathBuf> {
        std::env::var_os("OUT_DIR")
            .map(PathBuf::from)
            .ok_or_else(|| std::io::Error::other("OUT_DIR not set"))
    }

    pub fn write_empty() -> std::io::Result<()> {
        std::fs::write(
            out_dir()?.join(TABLE),
            "pub static COPIES: &[(&str, [u8; 32], &[u8])] = &[];\n",
        )
    }

    pub fn write() -> std::io::Result<()> {
        let out = out_dir()?;
        let store = out.join("brotli");
        std::fs::create_dir_all(&store)?;
        let mut files = Vec::new();
        walk(Path::new("../web"), "web", &mut files)?;
        walk(Path::new("../models"), "models", &mut files)?;
        files.sort();
        let mut table = String::from(
            "/// (key as `serve::lookup` names it, SHA-256 of the original, brotli bytes)\n\
             pub static COPIES: &[(&str, [u8; 32], &[u8])] = &[\n",
        );
        let mut kept = HashSet::new();
        for (key, path) in files {
            let data = std::fs::read(&path)?;
            let sha: [u8; 32] = Sha256::digest(&data).into();
            let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
            let name = format!("{hex}.br");
            let copy = store.join(&name);
            let marker = store.join(format!("{hex}.none"));
            if !copy.exists() && !marker.exists() {
                let packed = compress(&data)?;
                if (packed.len() as f64) <= (1.0 - MIN_SAVING) * data.len() as f64 {
                    std::fs::write(&copy, packed)?;
                } else {
                    std::fs::write(&marker, b"")?;
                }
            }
            if copy.exists() {
                kept.insert(name.clone());
                let _ = writeln!(
                    table,
                    "    ({key:?}, {sha:?}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/brotli/{name}\"))),"
                );
            } else {
                kept.insert(format!("{hex}.none"));
            }
        }
        table.push_str("];\n");
        // Copies of files that changed since are dropped, so rebuilds do not pile them up.
        for entry in std::fs::read_dir(&store)? {
            let entry = entry?;
            if !kept.contains(&entry.file_name().to_string_lossy().into_owned()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        std::fs::write(out.join(TABLE), table)
    }

    /// Every file the server could send: hidden names (`.download/`) are refused by its lookup.
    fn walk(dir: &Path, key: &str, files: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
        if !dir.is_dir() {
            return Ok(());
        }
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let child = format!("{key}/{name}");
            if entry.file_type()?.is_dir() {
                walk(&path, &child, files)?;
            } else if entry.metadata()?.len() as usize >= MIN_BYTES
                && !SKIP_EXTENSIONS.iter().any(|ext| {
                    name.rsplit_once('.')
                        .is_some_and(|(_, e)| e.eq_ignore_ascii_case(ext))
                })
            {
                files.push((child, path));
            }
        }
        Ok(())
    }

    fn compress(data: &[u8]) -> std::io::Result<Vec<u8>> {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 24,
            size_hint: data.len(),
            ..Default::default()
        };
        let mut out = Vec::with_capacity(data.len() / 2);
        {
            let mut writer = brotli::CompressorWriter::with_params(&mut out, 1 << 16, &params);
            writer.write_all(data)?;
            writer.flush()?;
        }
        Ok(out)
    }
}
