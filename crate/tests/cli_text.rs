//! `hifu scrub` and burned-in text, as an operator meets it: the check is on by default, fills
//! each line of text it finds with the face fill, lists the boxes in the report and says on the
//! console that the photo must be checked; a missing text model refuses to start (fail
//! closed); only `--no-text-check` lets text through.
//!
//! Uses a DermNet photo with its burned-in logo from ../shared (read in place) and
//! models/text/ppocr_det.safetensors (scripts/convert-ppocr-det).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::Path;
use std::process::{Command, Output};

const HIFU: &str = env!("CARGO_BIN_EXE_hifu");

fn logo_photo() -> std::path::PathBuf {
    common::shared().join("data/clinical/dermnet/Discoid lupus erythematosus/discoid-lupus-12.jpg")
}

fn scrub(input: &Path, dir: &Path, extra: &[&str]) -> (Output, Option<serde_json::Value>) {
    let (out_dir, report) = (dir.join("out"), dir.join("report.jsonl"));
    let out = Command::new(HIFU)
        .arg("scrub")
        .arg(input)
        .arg("--out-dir")
        .arg(&out_dir)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .output()
        .unwrap();
    let line = std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| t.lines().next().and_then(|l| serde_json::from_str(l).ok()));
    (out, line)
}

fn text_flag(report: &serde_json::Value) -> Option<&serde_json::Value> {
    report["review"].as_array()?.iter().find(|f| f["kind"] == "text")
}

#[test]
fn burned_in_logo_text_is_filled_listed_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report) = scrub(&logo_photo(), dir.path(), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report.expect("a report line");
    let flag = text_flag(&report).unwrap_or_else(|| panic!("no text flag: {report}"));
    let regions = flag["regions"].as_array().unwrap();
    assert!(!regions.is_empty(), "{report}");
    let clean = image::open(report["output"].as_str().unwrap()).unwrap().to_rgb8();
    let (w, h) = clean.dimensions();
    for r in regions {
        let r: Vec<u32> = r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as u32).collect();
        // DermNet's logo words sit in the lower-left quarter.
        assert!(r[0] < w / 2 && r[1] + r[3] > h / 2, "{r:?} is not the logo");
        // Filled with the face fill (a JPEG again, so within its rounding), never blurred.
        let inner: Vec<[u8; 3]> = (r[1] + 2..r[1] + r[3] - 2)
            .flat_map(|y| (r[0] + 2..r[0] + r[2] - 2).map(move |x| (x, y)))
            .map(|(x, y)| clean.get_pixel(x, y).0)
            .collect();
        let off = inner
            .iter()
            .filter(|p| p.iter().zip(hifu::redact::FILL_RGB).any(|(a, b)| a.abs_diff(b) > 12))
            .count();
        assert!(off * 100 <= inner.len(), "{off} of {} pixels in {r:?} are not the fill", inner.len());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("check before sharing:") && stdout.contains("text"), "{stdout}");
}

#[test]
fn no_text_check_leaves_the_logo_and_says_nothing_about_text() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report) = scrub(&logo_photo(), dir.path(), &["--no-text-check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = report.expect("a report line");
    assert!(text_flag(&report).is_none(), "{report}");
}

#[test]
fn a_missing_text_model_stops_before_any_photo() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let (out, report) = scrub(&logo_photo(), dir.path(), &["--text-model", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(report.is_none(), "nothing may be scrubbed: {report:?}");
    assert!(!dir.path().join("out").exists() || std::fs::read_dir(dir.path().join("out")).unwrap().next().is_none());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ppocr_det.safetensors") && stderr.contains("--no-text-check"), "{stderr}");
}
