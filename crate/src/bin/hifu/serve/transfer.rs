//! What goes over the wire for an embedded file: a validator so that a reload costs a few
//! hundred bytes (`ETag`, `If-None-Match` → 304), and a gzip copy for clients that accept it
//! (brotli copies are made at build time: `precompressed.rs`).
//!
//! Why: the page is megabytes of wasm, scripts and models, and the hospital's browsers reload
//! it every time (`Cache-Control: no-cache`, because a rebuild keeps the file names). A content
//! hash as the validator makes those reloads nearly free, and gzip shrinks the first load
//! (BENCHMARKS.md, "Bytes on the wire").
//! The gzip copies are made once per file, on a background thread when the server starts
//! (`warm`), and kept for the life of the process.
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use flate2::write::GzEncoder;
use flate2::Compression;

/// Below this, gzip's header and the extra request work cost more than they save.
const MIN_GZIP_BYTES: usize = 1024;
/// A gzip copy is only served when it saves at least this share of the bytes: PNG and JPEG do
/// not shrink, but the int8 model weights do, a little, and they are most of the page.
const MIN_SAVING: f64 = 0.02;

/// A content coding the server sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }
}

/// A strong validator from the file's SHA-256 (rust-embed computes it at build time).
/// Each encoding has its own tag: they are different bytes.
pub fn etag(sha256: &[u8; 32], encoding: Option<Encoding>) -> String {
    let hex: String = sha256.iter().take(16).map(|b| format!("{b:02x}")).collect();
    match encoding {
        Some(Encoding::Gzip) => format!("\"{hex}-gz\""),
        Some(Encoding::Brotli) => format!("\"{hex}-br\""),
        None => format!("\"{hex}\""),
    }
}

/// Whether an `If-None-Match` header value names `tag` (or is `*`). Weak tags (`W/"…"`)
/// match too: the comparison for GET is the weak one (RFC 9110, 13.1.2).
pub fn none_match_hits(header: &str, tag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag
    })
}

/// Whether an `Accept-Encoding` header value accepts `coding` (by name or `*`, not with `q=0`).
pub fn accepts(header: &str, coding: &str) -> bool {
    header.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let named = parts.next().unwrap_or("").to_ascii_lowercase();
        if named != coding && named != "*" {
            return false;
        }
        !parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        })
    })
}

type Cache = Mutex<HashMap<String, Option<Arc<Vec<u8>>>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The gzip copy of the file at `key`, or `None` when gzip would not pay (small or already
/// compressed content). Made on first use and kept.
pub fn gzipped(key: &str, data: &[u8]) -> Option<Arc<Vec<u8>>> {
    if data.len() < MIN_GZIP_BYTES {
        return None;
    }
    if let Some(known) = cache().lock().ok()?.get(key) {
        return known.clone();
    }
    // Compressed outside the lock: a first request for the wasm must not wait for a model.
    let made =
        compress(data).filter(|gz| (gz.len() as f64) <= (1.0 - MIN_SAVING) * data.len() as f64);
    let made = made.map(Arc::new);
    if let Ok(mut map) = cache().lock() {
        map.insert(key.to_string(), made.clone());
    }
    made
}

fn compress(data: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 2), Compression::best());
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

/// Makes the gzip copies of `files` ((key, bytes) pairs) on a background thread, so that the
/// first page load does not wait for them.
pub fn warm<I>(files: I)
where
    I: IntoIterator<Item = (String, std::borrow::Cow<'static, [u8]>)> + Send + 'static,
{
    std::thread::spawn(move || {
        for (key, data) in files {
            let _ = gzipped(&key, &data);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_differ_by_content_and_by_encoding() {
        let a = etag(&[1; 32], None);
        assert_eq!(a, format!("\"{}\"", "01".repeat(16)));
        let gz = etag(&[1; 32], Some(Encoding::Gzip));
        let br = etag(&[1; 32], Some(Encoding::Brotli));
        assert_ne!(a, etag(&[2; 32], None));
        assert_ne!(a, gz);
        assert_ne!(a, br);
        assert_ne!(gz, br);
    }

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        assert!(none_match_hits("\"a\"", "\"a\""));
        assert!(none_match_hits("\"x\", W/\"a\"", "\"a\""));
        assert!(none_match_hits("*", "\"a\""));
        assert!(!none_match_hits("\"b\"", "\"a\""));
        assert!(!none_match_hits("", "\"a\""));
    }

    #[test]
    fn accept_encoding_with_quality_values() {
        assert!(accepts("gzip, deflate, br, zstd", "gzip"));
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5", "gzip"));
        assert!(accepts("*", "gzip"));
        assert!(!accepts("gzip;q=0", "gzip"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("br, deflate", "gzip"));
        assert!(!accepts("gzip, deflate", "br"));
        assert!(!accepts("", "gzip"));
    }

    #[test]
    fn gzip_copies_only_when_they_pay() {
        let text = "body { margin: 0 }\n".repeat(200).into_bytes();
        let gz = gzipped("test/text", &text).expect("repetitive text shrinks");
        assert!(gz.len() < text.len() / 10);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).ok();
        assert_eq!(back, text);

        assert!(gzipped("test/small", b"tiny").is_none());
        let mut state = 0x9e37_79b9_u32;
        let noise: Vec<u8> = (0..8192)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect();
        assert!(gzipped("test/noise", &noise).is_none());
    }
}
