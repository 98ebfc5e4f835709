//! `hifu contribute` holds every flagged photo (here: a tattoo, and burned-in text that it
//! filled) until a person approves it by name with `--approve`; nothing flagged is sealed
//! before that. Needs ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn hifu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hifu")).args(args).output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn bundle_images(root: &Path, bundle: &str) -> usize {
    let out = root.join(format!("{bundle}-open"));
    let opened = hifu(&["bundle", "open", p(&root.join(bundle)), "--key", p(&root.join("hub/hub.key")), "--out", p(&out)]);
    assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
    std::fs::read_dir(out.join("images")).unwrap().count()
}

#[test]
fn a_tattoo_photo_is_held_until_a_person_approves_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    assert!(hifu(&["hub", "keygen", "--out", p(&root.join("hub"))]).status.success());
    assert!(hifu(&["site", "keygen", "--out", p(&root.join("site.key"))]).status.success());
    let photos = root.join("photos");
    std::fs::create_dir(&photos).unwrap();
    std::fs::copy(common::shared().join("data/tattoo/images/100_1.jpg"), photos.join("T001_1.jpg")).unwrap();
    let mut naevi: Vec<_> = std::fs::read_dir(common::shared().join("data/clinical/mednode/naevus")).unwrap().map(|e| e.unwrap().path()).collect();
    naevi.sort();
    std::fs::copy(&naevi[0], photos.join("N001_1.jpg")).unwrap();
    // A psoriasis photo with DermNet's logo burned in.
    std::fs::copy(common::shared().join("data/clinical/dermnet/Psoriasis/2756.jpg"), photos.join("P001_1.jpg")).unwrap();
    std::fs::write(
        root.join("records.csv"),
        "患者ID,年齢,性別,撮影日,最終診断名,ファイル名\nT001,30,男,2024/5/1,刺青部の色素性母斑,T001_1.jpg\nN001,41,女,2024/5/2,色素性母斑,N001_1.jpg\nP001,52,男,2024/5/3,尋常性乾癬,P001_1.jpg\n",
    )
    .unwrap();
    let (records, site_key, hub_pub) = (root.join("records.csv"), root.join("site.key"), root.join("hub/hub.pub"));
    let contribute = |out: &str, report: &str, extra: &[&str]| {
        let mut args = vec![
            "contribute", "--records", p(&records), "--photos", p(&photos),
            "--site-key", p(&site_key), "--hub-key", p(&hub_pub),
        ];
        let (out, report) = (root.join(out), root.join(report));
        args.extend(["--out", p(&out), "--report", p(&report)]);
        args.extend_from_slice(extra);
        let result = hifu(&args);
        let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        (result, report)
    };

    let (result, report) = contribute("a.hifu", "a.json", &[]);
    assert_eq!(result.status.code(), Some(1), "held photos make the run incomplete");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("T001_1.jpg: held for review (") && stderr.contains("tattoo)"), "{stderr}");
    let held = report["photos_held_for_review"].as_array().unwrap();
    assert_eq!(held.len(), 2, "{report}");
    let kinds_of = |photo: &str| -> Vec<Value> {
        held.iter().find(|h| h["photo"] == photo).map(|h| h["kinds"].as_array().unwrap().clone()).unwrap_or_default()
    };
    assert!(kinds_of("T001_1.jpg").contains(&Value::from("tattoo")), "{report}");
    assert_eq!(kinds_of("P001_1.jpg"), vec![Value::from("text")], "{report}");
    assert_eq!(report["photos_contributed"], 1);
    assert_eq!(bundle_images(root, "a.hifu"), 1);

    std::fs::write(root.join("approved.txt"), "# looked at by Dr. A, 2026-12-06\nT001_1.jpg\nP001_1.jpg\n").unwrap();
    let (result, report) = contribute("b.hifu", "b.json", &["--approve", p(&root.join("approved.txt"))]);
    assert_eq!(result.status.code(), Some(0), "{}", String::from_utf8_lossy(&result.stderr));
    assert_eq!(report["photos_held_for_review"].as_array().unwrap().len(), 0);
    assert_eq!(bundle_images(root, "b.hifu"), 3);

    let (result, _) = contribute("c.hifu", "c.json", &["--tattoo-model", p(&root.join("nowhere"))]);
    assert_eq!(result.status.code(), Some(2), "a missing tattoo model stops the run");
    assert!(!root.join("c.hifu").exists());
    // A site that sends no tattoo photo and no photo with text at all says so in its policy:
    // those photos are excluded outright (approval cannot bring them back), nothing is held.
    std::fs::write(root.join("policy.json"), r#"{"exclude_flagged": ["tattoo", "text"]}"#).unwrap();
    let (result, report) = contribute(
        "e.hifu",
        "e.json",
        &["--policy", p(&root.join("policy.json")), "--approve", p(&root.join("approved.txt"))],
    );
    assert_eq!(result.status.code(), Some(0), "{}", String::from_utf8_lossy(&result.stderr));
    assert_eq!(report["photos_held_for_review"].as_array().unwrap().len(), 0, "{report}");
    let mut excluded: Vec<String> = report["photos_excluded_by_policy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["photo"].as_str().unwrap(), e["kinds"][0].as_str().unwrap()))
        .collect();
    excluded.sort();
    assert_eq!(excluded, ["P001_1.jpg text", "T001_1.jpg tattoo"], "{report}");
    assert_eq!(bundle_images(root, "e.hifu"), 1);
    std::fs::write(root.join("bad-policy.json"), r#"{"exclude_flagged": ["tatoo"]}"#).unwrap();
    let (result, _) = contribute("f.hifu", "f.json", &["--policy", p(&root.join("bad-policy.json"))]);
    assert_eq!(result.status.code(), Some(2), "a misspelt kind is refused");
    assert!(String::from_utf8_lossy(&result.stderr).contains("exclude_flagged"));

    let (result, _) = contribute("d.hifu", "d.json", &["--text-model", p(&root.join("nowhere"))]);
    assert_eq!(result.status.code(), Some(2), "a missing text model stops the run");
    assert!(String::from_utf8_lossy(&result.stderr).contains("ppocr_det.safetensors"));
    assert!(!root.join("d.hifu").exists());
}
