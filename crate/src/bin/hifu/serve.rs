//! `hifu serve [--port 8080]`: the web app, embedded in this binary, on 127.0.0.1 only.
//!
//! Everything is served from memory (web/ at `/`, models/ at `/models/`), so no request can
//! reach the file system. Every response carries the strict headers below; files carry a
//! content-hash `ETag` (a reload answers 304) and go compressed to browsers that accept it:
//! brotli copies made at build time (`precompressed.rs`), else gzip (`transfer.rs`).
mod precompressed;
mod transfer;

use rust_embed::RustEmbed;
use std::borrow::Cow;
use std::io::Write;
use std::process::ExitCode;
use tiny_http::{Header, Method, Response, Server};

#[derive(clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (0 picks a free one; the URL is printed on start).
    #[arg(long, default_value_t = 8080)]
    port: u16,
}

#[derive(RustEmbed)]
#[folder = "../web/"]
struct Web;

/// Hidden files are never served (`lookup`), so they are not embedded either: the converters
/// keep the downloaded wheels and ONNX files in `models/*/.download/` (18 MB).
#[derive(RustEmbed)]
#[folder = "../models/"]
#[allow_missing = true]
#[exclude = ".*"]
#[exclude = "*/.*"]
struct Models;

pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";

const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    // Rebuilds change files under the same names; always revalidate (the ETag makes it cheap).
    ("Cache-Control", "no-cache"),
];

/// An embedded file, found for a request URL.
pub struct Found {
    /// The key the file is known by (`web/…` or `models/…`): the gzip cache's key.
    pub key: String,
    pub data: Cow<'static, [u8]>,
    pub mime: String,
    pub sha256: [u8; 32],
}

pub fn run(args: Args) -> ExitCode {
    let server = match Server::http(("127.0.0.1", args.port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hifu serve: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::from(2);
        }
    };
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .unwrap_or(args.port);
    if Web::get("index.html").is_none() {
        eprintln!("hifu serve: warning: this binary was built without web/index.html");
    }
    if Web::get("pkg/hifu_bg.wasm").is_none() {
        eprintln!("hifu serve: warning: built without web/pkg (run ./scripts/serve to build the wasm first)");
    }
    transfer::warm(
        Web::iter()
            .filter_map(|p| Some((format!("web/{p}"), Web::get(&p)?.data)))
            .chain(
                Models::iter().filter_map(|p| Some((format!("models/{p}"), Models::get(&p)?.data))),
            )
            .collect::<Vec<_>>(),
    );
    say!("hifu: serving on http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    let _ = std::io::stdout().flush();

    for request in server.incoming_requests() {
        // One thread per request: writing a response blocks until the client reads it, and a
        // page that stops reading (navigated away mid-download of the wasm or a model) must
        // not hold up every other request.
        std::thread::spawn(move || {
            // tiny_http leaves the body out of HEAD responses itself.
            let response = match request.method() {
                Method::Get | Method::Head => match lookup(request.url()) {
                    Some(found) => respond_file(&request, found),
                    None => respond(404, b"not found\n".to_vec(), "text/plain; charset=utf-8"),
                },
                _ => respond(
                    405,
                    b"method not allowed\n".to_vec(),
                    "text/plain; charset=utf-8",
                ),
            };
            let _ = request.respond(response);
        });
    }
    ExitCode::SUCCESS
}

fn request_header<'a>(request: &'a tiny_http::Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// A file: 304 when the browser already has these bytes, else the bytes, compressed when the
/// browser accepts it and it pays: the build's brotli copy first (smaller), else gzip.
pub(crate) fn respond_file(request: &tiny_http::Request, found: Found) -> Response<std::io::Cursor<Vec<u8>>> {
    let accepted = request_header(request, "Accept-Encoding").unwrap_or("");
    let encoded = transfer::accepts(accepted, "br")
        .then(|| precompressed::brotli(&found.key, &found.sha256))
        .flatten()
        .map(|br| (transfer::Encoding::Brotli, std::borrow::Cow::Borrowed(br)))
        .or_else(|| {
            transfer::accepts(accepted, "gzip")
                .then(|| transfer::gzipped(&found.key, &found.data))
                .flatten()
                .map(|gz| (transfer::Encoding::Gzip, std::borrow::Cow::Owned(gz.as_ref().clone())))
        });
    let tag = transfer::etag(&found.sha256, encoded.as_ref().map(|(e, _)| *e));
    let mut extra = vec![("ETag", tag.as_str()), ("Vary", "Accept-Encoding")];
    if request_header(request, "If-None-Match").is_some_and(|v| transfer::none_match_hits(v, &tag))
    {
        return respond_with(304, Vec::new(), &found.mime, &extra);
    }
    match encoded {
        Some((encoding, bytes)) => {
            extra.push(("Content-Encoding", encoding.token()));
            respond_with(200, bytes.into_owned(), &found.mime, &extra)
        }
        None => respond_with(200, found.data.into_owned(), &found.mime, &extra),
    }
}

pub(crate) fn respond(status: u16, body: Vec<u8>, mime: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    respond_with(status, body, mime, &[])
}

pub(crate) fn respond_with(
    status: u16,
    body: Vec<u8>,
    mime: &str,
    extra: &[(&str, &str)],
) -> Response<std::io::Cursor<Vec<u8>>> {
    let mut response = Response::from_data(body).with_status_code(status);
    let content_type = [("Content-Type", mime)];
    for (name, value) in SECURITY_HEADERS.iter().chain(&content_type).chain(extra) {
        if let Ok(h) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    response
}

/// The embedded file for a request URL and its MIME type. `None` (→ 404) for anything unknown
/// and for any path that tries to climb (`..`), hides (`.name`) or smuggles separators.
pub fn lookup(url: &str) -> Option<Found> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(path)?;
    let path = path.strip_prefix('/')?;
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    if path
        .split('/')
        .any(|seg| seg.is_empty() || seg.starts_with('.'))
        || path.contains(['\\', '\0'])
    {
        return None;
    }
    let (key, file) = match path.strip_prefix("models/") {
        Some(model) => (path.clone(), Models::get(model)?),
        None => (format!("web/{path}"), Web::get(&path)?),
    };
    Some(Found {
        key,
        sha256: file.metadata.sha256_hash(),
        data: file.data,
        mime: mime_for(&path),
    })
}

pub fn mime_for(path: &str) -> String {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let mime = match ext.as_str() {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "ts" => "text/plain; charset=utf-8",
        "safetensors" | "bin" => "application/octet-stream",
        _ => {
            return mime_guess::from_ext(&ext)
                .first_or_octet_stream()
                .essence_str()
                .to_string()
        }
    };
    mime.to_string()
}

/// `%XX` decoding; `None` for malformed escapes or non-UTF-8 results.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_for_the_web_app() {
        assert_eq!(mime_for("pkg/hifu_bg.wasm"), "application/wasm");
        assert_eq!(mime_for("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(mime_for("index.html"), "text/html; charset=utf-8");
        assert_eq!(mime_for("style.css"), "text/css; charset=utf-8");
        assert_eq!(
            mime_for("face/yunet.safetensors"),
            "application/octet-stream"
        );
        assert_eq!(mime_for("icon.png"), "image/png");
    }

    #[test]
    fn climbing_hidden_and_malformed_paths_are_refused() {
        for url in [
            "/../Cargo.toml",
            "/%2e%2e/Cargo.toml",
            "/models/../index.html",
            "/.git/config",
            "//etc/passwd",
            "/a\\..\\b",
            "/%zz",
            "/%00",
        ] {
            assert!(lookup(url).is_none(), "{url} should be refused");
        }
    }

    #[test]
    fn root_and_query_strings_map_to_index() {
        let index = lookup("/").expect("web/index.html is embedded");
        assert!(String::from_utf8_lossy(&index.data).contains("<html"));
        assert_eq!(index.mime, "text/html; charset=utf-8");
        assert_eq!(lookup("/index.html?x=1").map(|f| f.data), Some(index.data));
    }
}
