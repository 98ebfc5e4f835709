//! The core contribution API that `hifu contribute` and the contributor page both call:
//! `contribute::plan` (records + opt-out register + photo names) then `BundleWriter`. Driven
//! here directly, end to end to an opened bundle; the CLI (`contribute.rs`) and the page
//! (`tests/e2e/contribute_page.test.mjs`) tests check their adapters.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::contribute::{plan, BundleWriter};
use hifu::record::{OptOut, Policy, SiteKey};
use hifu::seal::{generate_hub_keypair, open_all, sha256_hex, Manifest, ScrubSummary};
use hifu::{scrub_without_faces, ScrubOptions};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;

#[test]
fn planned_photos_become_a_bundle_that_holds_exactly_them_and_no_identifier() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let site = SiteKey::generate(&mut rng);
    let hub = generate_hub_keypair(&mut rng);
    let records = "患者ID,氏名,年齢,性別,撮影日,最終診断名,ファイル名\n\
                   P01,山田 太郎,61,男,2024/3/5,悪性黒色腫 山田太郎,IMG_01.jpg\n\
                   P02,佐藤 花子,44,女,2024/4/1,色素性母斑,IMG_02.jpg\n\
                   P03,鈴木 一郎,35,男,2024/4/2,色素性母斑,IMG_03.jpg\n";
    let opt_out = OptOut::from_csv("患者ID\nP02\n".as_bytes()).unwrap();
    let photos: BTreeMap<String, Vec<u8>> = ["IMG_01.jpg", "IMG_02.jpg", "IMG_03.jpg", "P02_extra.jpg", "stray.jpg"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let image = common::asymmetric(64 + 8 * i as u32, 48);
            (name.to_string(), common::jpeg(&image, 90, common::Meta::default()))
        })
        .collect();
    let plan = plan(
        records.as_bytes(),
        &opt_out,
        photos.keys().cloned().collect(),
        &Policy::default(),
        &site,
    )
    .unwrap();
    assert_eq!(plan.photos_excluded_opt_out, 2, "P02's listed photo and the one named after P02");
    assert_eq!(plan.unmatched_photos, vec!["stray.jpg".to_owned()]);
    let planned: Vec<&str> = plan.links.iter().map(|l| l.photo.as_str()).collect();
    assert_eq!(planned, ["IMG_01.jpg", "IMG_03.jpg"]);

    let mut writer = BundleWriter::new(hub.public_key(), "TEST-DERM", Some("2024-Q2".into()), Policy::default(), 4096, &mut rng).unwrap();
    let mut sealed = writer.take_output();
    let mut sent = Vec::new();
    for link in &plan.links {
        let scrubbed = scrub_without_faces(&photos[&link.photo], &ScrubOptions::default()).unwrap();
        writer
            .add(&scrubbed.image, scrubbed.mime, link.record.clone(), ScrubSummary::from_report(&scrubbed.report))
            .unwrap();
        sealed.extend(writer.take_output());
        sent.push(sha256_hex(&scrubbed.image));
    }
    assert_eq!(writer.items(), 2);
    // A photo the gate withheld cannot be sealed, whatever the caller forgot to check.
    let withheld = ScrubSummary {
        removed: vec![],
        orientation_applied: None,
        output_kind: None,
        faces_redacted: Some(1),
        gate: Some(hifu::report::Gate { excluded: true, reason: Some(hifu::GateReason::FullFace) }),
        review: vec![],
        classifier: None,
    };
    let face = common::jpeg(&common::asymmetric(32, 32), 90, common::Meta::default());
    let refused = writer.add(&face, "image/jpeg", plan.links[0].record.clone(), withheld).unwrap_err();
    assert_eq!(refused.code(), "seal.withheld");
    assert_eq!(writer.items(), 2);
    sealed.extend(writer.finish().unwrap());

    let entries = open_all(&sealed, &hub).unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["images/00001.jpg", "images/00002.jpg", "manifest.json"], "images first, the manifest last");
    let manifest = Manifest::from_json(&entries[2].data).unwrap();
    let digests: BTreeMap<String, String> = entries[..2].iter().map(|e| (e.name.clone(), sha256_hex(&e.data))).collect();
    manifest.check_images(&digests).unwrap();
    assert_eq!(manifest.batch.as_deref(), Some("2024-Q2"));
    let got: Vec<&str> = manifest.items.iter().map(|i| i.sha256.as_str()).collect();
    assert_eq!(got, sent.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(manifest.items[0].record.pseudonym, site.pseudonym("P01"));
    let json = String::from_utf8(entries[2].data.to_vec()).unwrap();
    for identifier in ["P01", "P02", "P03", "山田", "太郎", "IMG_0"] {
        assert!(!json.contains(identifier), "{identifier} reached the manifest: {json}");
    }
}

#[test]
fn a_photo_with_a_flag_the_policy_excludes_cannot_be_sealed_and_others_keep_their_flags() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let hub = generate_hub_keypair(&mut rng);
    let policy: Policy = serde_json::from_str(r#"{"exclude_flagged": ["tattoo"]}"#).unwrap();
    let mut writer = BundleWriter::new(hub.public_key(), "TEST-DERM", None, policy, 4096, &mut rng).unwrap();
    let mut sealed = writer.take_output();
    let photo = common::jpeg(&common::asymmetric(32, 32), 90, common::Meta::default());
    let summary = |review: &[&str]| ScrubSummary {
        removed: vec![],
        orientation_applied: None,
        output_kind: None,
        faces_redacted: Some(0),
        gate: None,
        review: review.iter().map(|k| k.to_string()).collect(),
        classifier: None,
    };
    let record = || {
        serde_json::from_str::<hifu::record::DeidentifiedRecord>(r#"{"pseudonym": "p", "final_diagnosis": "nevus"}"#).unwrap()
    };
    let refused = writer.add(&photo, "image/jpeg", record(), summary(&["text", "tattoo"])).unwrap_err();
    assert_eq!(refused.code(), "seal.withheld");
    // Text was filled and a person approved the photo: it goes, and the manifest says so.
    writer.add(&photo, "image/jpeg", record(), summary(&["text"])).unwrap();
    sealed.extend(writer.take_output());
    sealed.extend(writer.finish().unwrap());
    let entries = open_all(&sealed, &hub).unwrap();
    let manifest = Manifest::from_json(&entries[1].data).unwrap();
    assert_eq!(manifest.items.len(), 1);
    assert_eq!(manifest.items[0].scrub.review, ["text"]);
    assert_eq!(manifest.policy.exclude_flagged, ["tattoo"]);
}
