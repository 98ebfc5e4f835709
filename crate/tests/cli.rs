//! The `hifu` binary as an operator uses it: exit codes, the JSONL report, batches with a bad
//! file, output naming, `inspect`, and `serve`'s headers and path handling.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const HIFU: &str = env!("CARGO_BIN_EXE_hifu");

fn hifu(args: &[&str]) -> Output {
    Command::new(HIFU).args(args).output().unwrap()
}

fn exit_code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

/// A 16×8 JPEG with an EXIF block (orientation `orientation`, a GPS IFD) and a comment.
fn jpeg_with_metadata(orientation: u16) -> Vec<u8> {
    let img = image::RgbImage::from_fn(16, 8, |x, _| {
        if x < 8 {
            image::Rgb([20, 30, 40])
        } else {
            image::Rgb([230, 220, 210])
        }
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95)
        .encode_image(&img)
        .unwrap();

    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
    tiff.extend_from_slice(&(8u32 + 2 + 24 + 4).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x01, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&tiff);

    let comment = b"patient Yamada Taro";
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(comment);
    out.extend_from_slice(&plain[2..]);
    out
}

fn png_12x6() -> Vec<u8> {
    let img = image::RgbImage::from_fn(12, 6, |x, y| {
        image::Rgb([(x * 20) as u8, (y * 40) as u8, 99])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn report_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn line_for<'a>(lines: &'a [serde_json::Value], input_suffix: &str) -> &'a serde_json::Value {
    lines
        .iter()
        .find(|l| l["input"].as_str().unwrap().ends_with(input_suffix))
        .unwrap_or_else(|| panic!("no report line for {input_suffix}: {lines:?}"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("a.jpg");
    write(&photo, &jpeg_with_metadata(1));
    let p = photo.to_str().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    for args in [
        vec!["scrub"],
        vec!["scrub", p],
        vec!["scrub", p, "--out-dir", o, "--quality", "0"],
        vec!["scrub", p, "--out-dir", o, "--format", "gif"],
        vec!["scrub", "/no/such/photo.jpg", "--out-dir", o],
        vec![
            "scrub",
            dir.path().to_str().unwrap(),
            "--out-dir",
            dir.path().to_str().unwrap(),
        ],
        vec!["inspect"],
        vec!["no-such-command"],
    ] {
        let result = hifu(&args);
        assert_eq!(
            exit_code(&result),
            2,
            "{args:?}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
}

#[test]
fn a_bad_file_gets_an_error_line_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    write(&photos.join("1-good.jpg"), &jpeg_with_metadata(6));
    write(
        &photos.join("2-bad.jpg"),
        b"this is not a photo at all, just text",
    );
    write(&photos.join("sub/3-good.png"), &png_12x6());
    write(&photos.join("notes.txt"), b"skipped: not a photo extension");
    let out = dir.path().join("clean");
    let report = dir.path().join("report.jsonl");

    let result = hifu(&[
        "scrub",
        photos.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(exit_code(&result), 1, "stderr: {stderr}");
    assert!(
        stderr.contains("2-bad.jpg"),
        "the error line names the file: {stderr}"
    );

    let lines = report_lines(&report);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let bad = line_for(&lines, "2-bad.jpg");
    assert_eq!(bad["status"], "error");
    assert!(bad["output"].is_null());
    assert_eq!(bad["error"]["code"], "decode.unknown_format");
    assert!(!bad["error"]["message"].as_str().unwrap().is_empty());
    assert!(stderr.contains("decode.unknown_format"));
    assert!(!out.join("2-bad.jpg").exists());

    let good = line_for(&lines, "1-good.jpg");
    assert_eq!(good["status"], "ok");
    assert_eq!(good["orientation_applied"], 6);
    assert_eq!(good["output_kind"], "re_encoded");
    for category in ["exif", "exif_gps", "comment"] {
        assert!(
            good["removed"]
                .as_array()
                .unwrap()
                .contains(&category.into()),
            "{category}: {good}"
        );
    }
    let cleaned = std::fs::read(good["output"].as_str().unwrap()).unwrap();
    assert!(!contains(&cleaned, b"Exif\0\0") && !contains(&cleaned, b"Yamada"));
    assert_eq!(
        image::load_from_memory(&cleaned)
            .unwrap()
            .to_rgb8()
            .dimensions(),
        (8, 16)
    );

    let png = line_for(&lines, "3-good.png");
    assert_eq!(png["status"], "ok");
    assert_eq!(
        PathBuf::from(png["output"].as_str().unwrap()),
        out.canonicalize().unwrap().join("sub/3-good.png")
    );
}

#[test]
fn all_good_exits_0_and_outputs_never_overwrite_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let a_jpg = dir.path().join("a.jpg");
    let a_png = dir.path().join("a.png");
    write(&a_jpg, &jpeg_with_metadata(1));
    write(&a_png, &png_12x6());
    let report = dir.path().join("r.jsonl");

    // Out-dir is the inputs' own folder and both become PNGs named `a`: the input a.png must
    // survive untouched and the two outputs must get distinct names.
    let result = hifu(&[
        "scrub",
        a_jpg.to_str().unwrap(),
        a_png.to_str().unwrap(),
        "--out-dir",
        dir.path().to_str().unwrap(),
        "--format",
        "png",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(
        exit_code(&result),
        0,
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(std::fs::read(&a_png).unwrap(), png_12x6());
    assert_eq!(std::fs::read(&a_jpg).unwrap(), jpeg_with_metadata(1));
    let outputs: Vec<String> = report_lines(&report)
        .iter()
        .map(|l| l["output"].as_str().unwrap().to_string())
        .collect();
    let names: Vec<&str> = outputs
        .iter()
        .map(|o| Path::new(o).file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["a-2.png", "a-3.png"]);
    for o in &outputs {
        assert_eq!(&std::fs::read(o).unwrap()[1..4], b"PNG");
    }
}

#[test]
fn a_previous_runs_output_inside_the_input_folder_is_not_scrubbed_again() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("x.jpg"), &jpeg_with_metadata(1));
    let out = dir.path().join("clean");
    let report = dir.path().join(".report.jsonl");
    let args = [
        "scrub",
        dir.path().to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    assert_eq!(exit_code(&hifu(&args)), 0);
    assert_eq!(exit_code(&hifu(&args)), 0);
    assert_eq!(report_lines(&report).len(), 1);
    assert!(out.join("x.jpg").exists() && !out.join("clean").exists());
}

#[test]
fn inspect_prints_categories_for_people_and_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("p.jpg");
    write(&photo, &jpeg_with_metadata(1));

    let human = hifu(&["inspect", photo.to_str().unwrap()]);
    assert_eq!(
        exit_code(&human),
        0,
        "{}",
        String::from_utf8_lossy(&human.stderr)
    );
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.contains("EXIF") && text.contains("(exif)"), "{text}");
    assert!(!text.contains("Yamada"));

    let json = hifu(&["inspect", photo.to_str().unwrap(), "--json"]);
    assert_eq!(exit_code(&json), 0);
    let inventory: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        inventory["categories"]
            .as_array()
            .unwrap()
            .contains(&"exif".into()),
        "{inventory}"
    );

    let garbage = dir.path().join("g.jpg");
    write(&garbage, b"\xFF\xD8\xFF garbage");
    let failed = hifu(&["inspect", garbage.to_str().unwrap()]);
    assert_eq!(exit_code(&failed), 1);
    assert!(String::from_utf8_lossy(&failed.stderr).contains("g.jpg"));
}

#[test]
fn a_closed_stdout_stops_quietly_instead_of_panicking() {
    // `hifu scrub DIR | head -1`: the reader is gone before hifu has printed everything.
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    for i in 0..3 {
        write(&inputs.join(format!("p{i}.jpg")), &jpeg_with_metadata(1));
    }
    let out_dir = dir.path().join("out");
    for args in [
        vec![
            "inspect".to_owned(),
            inputs.join("p0.jpg").to_str().unwrap().to_owned(),
        ],
        vec![
            "scrub".to_owned(),
            inputs.to_str().unwrap().to_owned(),
            "--no-face-detection".to_owned(),
            "--out-dir".to_owned(),
            out_dir.to_str().unwrap().to_owned(),
        ],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(HIFU)
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(
            exit_code(&out),
            1,
            "{args:?}: not everything was reported: {stderr}"
        );
    }
    // The photo whose line could not be printed was written whole before the line.
    let written: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert_eq!(written.len(), 1);
}

/// A running `hifu serve --port 0`, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(HIFU)
            .args(["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split("127.0.0.1:")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap()
            .parse()
            .unwrap();
        Server { child, port }
    }

    /// Sends `path` verbatim (no client-side normalisation of `..`) and returns status,
    /// lower-cased headers and body. HTTP/1.0, so large bodies come unchunked.
    fn get(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        self.get_with(path, &[])
    }

    /// `get` with extra request headers.
    fn get_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{extra}\r\n"
        )
        .unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        (status, headers, raw[split + 4..].to_vec())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn assert_strict_headers(headers: &[(String, String)]) {
    assert_eq!(
        header(headers, "content-security-policy"),
        Some("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'")
    );
    assert_eq!(header(headers, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(headers, "referrer-policy"), Some("no-referrer"));
    assert_eq!(
        header(headers, "cross-origin-opener-policy"),
        Some("same-origin")
    );
}

#[test]
fn serve_ships_the_page_with_strict_headers() {
    let server = Server::start();

    let (status, headers, body) = server.get("/");
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_strict_headers(&headers);
    assert_eq!(
        body,
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../web/index.html")).unwrap()
    );

    let (status, headers, _) = server.get("/app.js");
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/javascript; charset=utf-8")
    );

    let (status, headers, _) = server.get("/no-such-page.html");
    assert_eq!(status, 404);
    assert_strict_headers(&headers);
}

/// A browser that accepts gzip or brotli gets the page compressed (the bytes inflate to the
/// file), and a reload that presents the ETag costs a 304 with no body; a changed file would
/// not match.
#[test]
fn serve_compresses_for_browsers_and_answers_reloads_with_304() {
    let server = Server::start();
    let script = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../web/i18n.js")).unwrap();

    let (status, headers, plain) = server.get("/i18n.js");
    assert_eq!(status, 200);
    assert_eq!(plain, script);
    assert_eq!(header(&headers, "content-encoding"), None);
    let plain_tag = header(&headers, "etag").unwrap().to_string();

    let (status, headers, body) =
        server.get_with("/i18n.js", &[("Accept-Encoding", "gzip, deflate")]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(header(&headers, "vary"), Some("Accept-Encoding"));
    assert_strict_headers(&headers);
    assert!(
        body.len() * 2 < script.len(),
        "gzip: {} of {} bytes",
        body.len(),
        script.len()
    );
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated, script);
    let gzip_tag = header(&headers, "etag").unwrap().to_string();
    assert_ne!(gzip_tag, plain_tag, "two encodings, one tag");
    let gzip_len = body.len();

    let (status, headers, body) = server.get_with(
        "/i18n.js",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gzip_tag)],
    );
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(header(&headers, "etag"), Some(gzip_tag.as_str()));
    assert_strict_headers(&headers);

    // Brotli, when the browser takes it: the build's copy, smaller than gzip's, its own tag.
    let (status, headers, packed) =
        server.get_with("/i18n.js", &[("Accept-Encoding", "gzip, deflate, br, zstd")]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), Some("br"));
    assert_eq!(header(&headers, "vary"), Some("Accept-Encoding"));
    assert_strict_headers(&headers);
    assert!(
        packed.len() < gzip_len,
        "brotli {} bytes, gzip {gzip_len}",
        packed.len()
    );
    let mut unpacked = Vec::new();
    brotli::Decompressor::new(&packed[..], 4096)
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, script);
    let brotli_tag = header(&headers, "etag").unwrap().to_string();
    assert_ne!(brotli_tag, gzip_tag);
    assert_ne!(brotli_tag, plain_tag);
    let (status, _, body) = server.get_with(
        "/i18n.js",
        &[("Accept-Encoding", "br"), ("If-None-Match", &brotli_tag)],
    );
    assert_eq!(status, 304);
    assert!(body.is_empty());

    let (status, _, body) = server.get_with("/i18n.js", &[("If-None-Match", &plain_tag)]);
    assert_eq!(status, 304);
    assert!(body.is_empty());

    let (status, _, body) = server.get_with("/i18n.js", &[("If-None-Match", "\"stale\"")]);
    assert_eq!(status, 200);
    assert_eq!(body, script);
}

#[test]
fn serve_refuses_to_climb_out_of_the_embedded_files() {
    let server = Server::start();
    for path in [
        "/../Cargo.toml",
        "/../../etc/passwd",
        "/%2e%2e/Cargo.toml",
        "/models/../../Cargo.toml",
        "/..%2fCargo.toml",
    ] {
        let (status, _, body) = server.get(path);
        assert_eq!(status, 404, "{path}");
        assert!(
            !contains(&body, b"[workspace]") && !contains(&body, b"root:"),
            "{path} leaked a file"
        );
    }
}

/// The wasm comes from `scripts/test`'s web build (web/pkg/). A plain `cargo test` without it
/// skips this check; scripts/test sets HIFU_REQUIRE_WEB_PKG=1 so there it cannot be skipped.
#[test]
fn serve_gives_wasm_its_mime_type() {
    let built = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../web/pkg/hifu_bg.wasm"
    ))
    .exists();
    if !built && std::env::var_os("HIFU_REQUIRE_WEB_PKG").is_none() {
        eprintln!("web/pkg not built: skipping the wasm MIME check (run scripts/test)");
        return;
    }
    let server = Server::start();
    let (status, headers, body) = server.get("/pkg/hifu_bg.wasm");
    assert_eq!(
        status, 200,
        "web/pkg was not embedded: rebuild after build_web"
    );
    assert_eq!(header(&headers, "content-type"), Some("application/wasm"));
    assert_eq!(&body[..4], b"\0asm");
}
