#![cfg(not(target_arch = "wasm32"))]
//! `hifu classify` end to end: JSON shape, abstention on a non-skin photo, exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn hifu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hifu"))
}

fn model_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/skin")
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(rel);
    p.exists().then_some(p)
}

#[test]
fn json_lists_every_class_sorted_with_the_abstention() {
    let Some(lesion) = shared("data/ham10000/images/ISIC_0024306.jpg") else {
        eprintln!("skipping: ../shared not present");
        return;
    };
    let out = hifu()
        .args(["classify", "--json", "--model"])
        .arg(model_dir())
        .arg(&lesion)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let classes = v["classification"]["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 8, "seven lesion types and `other`");
    let alerts = v["classification"]["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    for a in alerts {
        // One flat object per alert, as hifu.d.ts declares it.
        for field in ["name", "en", "ja", "threshold", "sensitivity", "specificity", "probability"] {
            assert!(!a[field].is_null(), "alert without {field}: {a}");
        }
        assert!(a["raised"].is_boolean());
    }
    let probs: Vec<f64> = classes
        .iter()
        .map(|c| c["probability"].as_f64().unwrap())
        .collect();
    assert!(probs.windows(2).all(|w| w[0] >= w[1]), "sorted: {probs:?}");
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-4);
    let decision = v["classification"]["abstention"]["decision"]
        .as_str()
        .unwrap();
    assert!(["confident", "not_sure", "not_skin"].contains(&decision));
    let map = &v["classification"]["heat_map"];
    assert_eq!(
        map["values"].as_array().unwrap().len() as u64,
        map["width"].as_u64().unwrap() * map["height"].as_u64().unwrap()
    );
}

#[test]
fn a_portrait_is_not_a_skin_photo() {
    let Some(face) = shared("faces/lfw/Aaron_Guiel_0001.jpg") else {
        eprintln!("skipping: ../shared not present");
        return;
    };
    let out = hifu()
        .args(["classify", "--json", "--model"])
        .arg(model_dir())
        .arg(&face)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["classification"]["abstention"]["decision"], "not_skin");
}

#[test]
fn a_file_that_is_not_a_photo_fails_with_its_code_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.jpg");
    std::fs::write(&bad, b"patient notes, not a photo").unwrap();
    let out = hifu()
        .args(["classify", "--json", "--model"])
        .arg(model_dir())
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["error"]["code"], "decode.unknown_format");
}

#[test]
fn a_missing_model_is_a_configuration_error_exit_2() {
    let empty = tempfile::tempdir().unwrap();
    let out = hifu()
        .args(["classify", "--model"])
        .arg(empty.path())
        .arg("photo.jpg")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--model"), "{stderr}");
}
