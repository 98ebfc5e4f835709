//! `hifu scrub` and `hifu contribute` run the fingerprint check: a hand photo from ../shared
//! with a fingertip pad carved with hifu's own ridge pattern (tests/fixtures/ridges) gets a
//! `fingerprint` review flag and the console says to check it; `--no-fingerprint-check`
//! turns it off. Needs ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::Path;
use std::process::Command;

fn ridged_photo(dir: &Path) -> std::path::PathBuf {
    let host = common::shared().join("data/clinical/dermnet/Hand dermatitis/2811.jpg");
    let photo = image::open(host).unwrap().to_rgb8();
    let (composite, _) = common::with_ridge_pad(&photo, &common::ridge_pattern("loop"), 7.0, 0.5);
    let path = dir.join("finger.jpg");
    std::fs::write(&path, common::jpeg(&composite, 90, Default::default())).unwrap();
    path
}

fn review_kinds(extra: &[&str]) -> (Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_hifu"))
        .arg("scrub")
        .arg(ridged_photo(dir.path()))
        .arg("--out-dir")
        .arg(dir.path().join("out"))
        .arg("--report")
        .arg(&report)
        .args(["--no-text-check", "--no-tattoo-check"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&report)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let kinds = line["review"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|f| f["kind"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (kinds, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_photo_with_a_fingerprint_is_flagged_by_hifu_scrub() {
    let (kinds, stdout) = review_kinds(&[]);
    assert!(kinds.iter().any(|k| k == "fingerprint"), "{kinds:?}");
    assert!(
        stdout.contains("check before sharing:") && stdout.contains("fingerprint"),
        "{stdout}"
    );
}

#[test]
fn no_fingerprint_check_turns_it_off() {
    let (kinds, _) = review_kinds(&["--no-fingerprint-check"]);
    assert!(!kinds.iter().any(|k| k == "fingerprint"), "{kinds:?}");
}
