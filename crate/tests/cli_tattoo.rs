//! `hifu scrub` runs the tattoo check too (as `hifu contribute` does): a photo of a BIVTatt
//! subject held out from the check's fitting (models/tattoo) gets a `tattoo` review flag and the
//! console says to check it; `--no-tattoo-check` turns it off. Needs ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::process::Command;

fn review_kinds(extra: &[&str]) -> (Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_hifu"))
        .arg("scrub")
        .arg(common::shared().join("data/tattoo/images/116_1.jpg"))
        .arg("--out-dir")
        .arg(dir.path().join("out"))
        .arg("--report")
        .arg(&report)
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&report).unwrap().lines().next().unwrap()).unwrap();
    let kinds = line["review"]
        .as_array()
        .map(|r| r.iter().filter_map(|f| f["kind"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    (kinds, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_tattoo_photo_is_flagged_by_hifu_scrub() {
    let (kinds, stdout) = review_kinds(&[]);
    assert!(kinds.iter().any(|k| k == "tattoo"), "{kinds:?}");
    assert!(stdout.contains("check before sharing:") && stdout.contains("tattoo"), "{stdout}");
}

#[test]
fn no_tattoo_check_turns_it_off() {
    let (kinds, _) = review_kinds(&["--no-tattoo-check"]);
    assert!(!kinds.iter().any(|k| k == "tattoo"), "{kinds:?}");
}
