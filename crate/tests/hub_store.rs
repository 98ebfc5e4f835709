//! The hub store end to end, through the real `hifu` binary: bundles sealed from real clinical
//! photos (MED-NODE, ../shared) become one dataset; duplicates are stored once; withdrawn
//! patients leave and never come back; exports split by patient and stay stable; erasure
//! shreds keys; bad input and a killed ingest change nothing.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::record::{DeidentifiedRecord, Policy, Sex};
use hifu::seal::{
    generate_hub_keypair, sha256_hex, HubPrivateKey, Manifest, ManifestItem, ScrubSummary, Sealer,
};
use image::codecs::jpeg::JpegEncoder;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn hifu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hifu")).args(args).output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "hifu failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Small JPEGs made from real MED-NODE photos (downscaled, as a hub test needs many).
fn photos(count: usize) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = ["melanoma", "naevus"]
        .iter()
        .flat_map(|d| std::fs::read_dir(common::shared().join("data/clinical/mednode").join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .iter()
        .take(count)
        .map(|path| {
            let image = image::open(path).unwrap().thumbnail(160, 160).to_rgb8();
            encode(&image, 90)
        })
        .collect()
}

fn encode(image: &image::RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .unwrap();
    out
}

fn pseudonym(patient: u32) -> String {
    format!("{:064x}", 0xabc0_0000u64 + u64::from(patient))
}

/// (patient, final diagnosis, image bytes)
type Item = (u32, &'static str, Vec<u8>);

fn bundle(hub: &HubPrivateKey, site: &str, label: &str, items: &[Item], seed: u64) -> Vec<u8> {
    let mut manifest = Manifest::new(site, Policy::default());
    manifest.batch = Some(label.to_owned());
    for (i, (patient, diagnosis, bytes)) in items.iter().enumerate() {
        manifest.items.push(ManifestItem {
            image: format!("images/{:05}.jpg", i + 1),
            sha256: sha256_hex(bytes),
            mime: "image/jpeg".into(),
            record: DeidentifiedRecord {
                pseudonym: pseudonym(*patient),
                age_band: Some("50-54".into()),
                sex: Some(if patient % 2 == 0 { Sex::Female } else { Sex::Male }),
                capture_period: Some("2024-05".into()),
                diagnosis_first_visit: Some("pigmented lesion".into()),
                final_diagnosis: Some((*diagnosis).into()),
                race: None,
                lesion_site: Some("back".into()),
            },
            scrub: ScrubSummary {
                removed: vec![],
                orientation_applied: None,
                output_kind: None,
                faces_redacted: Some(0),
                gate: None,
                review: vec![],
                classifier: None,
            },
        });
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut sealer = Sealer::new(hub.public_key(), 16 * 1024, &mut rng).unwrap();
    let mut out = sealer.take_output();
    sealer.push_entry("manifest.json", &manifest.to_json().unwrap()).unwrap();
    for (item, (_, _, bytes)) in manifest.items.iter().zip(items) {
        sealer.push_entry(&item.image, bytes).unwrap();
        out.extend(sealer.take_output());
    }
    out.extend(sealer.finish().unwrap());
    out
}

struct Hub {
    _dir: tempfile::TempDir,
    root: PathBuf,
    key: HubPrivateKey,
}

impl Hub {
    fn new() -> Hub {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        ok(hifu(&["hub", "keygen", "--out", p(&root.join("keys"))]));
        let text = std::fs::read_to_string(root.join("keys/hub.key")).unwrap();
        let key = HubPrivateKey::from_text(&text).unwrap();
        ok(hifu(&["hub", "init", p(&root.join("store")), "--key", p(&root.join("keys/hub.key"))]));
        Hub { _dir: dir, root, key }
    }

    fn run(&self, command: &str, extra: &[&str]) -> Output {
        let store = self.root.join("store");
        let key = self.root.join("keys/hub.key");
        let mut args = vec!["hub", command, "--store", p(&store), "--key", p(&key)];
        args.extend_from_slice(extra);
        hifu(&args)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.root.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn ingest(&self, bundle: &Path) -> Value {
        serde_json::from_str(&ok(self.run("ingest", &["--json", p(bundle)]))).unwrap()
    }

    fn status(&self) -> Value {
        serde_json::from_str(&ok(self.run("status", &["--json"]))).unwrap()
    }

    fn verify(&self) {
        ok(self.run("verify", &[]));
    }

    fn object_files(&self) -> usize {
        walk(&self.root.join("store/objects")).len()
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn bundles_from_two_sites_become_one_dataset_and_a_bundle_seen_before_changes_nothing() {
    let hub = Hub::new();
    let photos = photos(12);
    let a: Vec<Item> = (0..6).map(|i| (i, if i < 3 { "melanoma" } else { "naevus" }, photos[i as usize].clone())).collect();
    let b: Vec<Item> = (6..12).map(|i| (i, "naevus", photos[i as usize].clone())).collect();
    let bundle_a = hub.write("a.hifu", &bundle(&hub.key, "GUNMA-DERM", "2024-Q2", &a, 1));
    let bundle_b = hub.write("b.hifu", &bundle(&hub.key, "KYOTO-DERM", "2024-Q2", &b, 2));
    let report = hub.ingest(&bundle_a);
    assert_eq!(report["added"], 6);
    assert_eq!(report["site"], "GUNMA-DERM");
    hub.ingest(&bundle_b);
    let status = hub.status();
    assert_eq!(status["total_photos"], 12);
    assert_eq!(status["target_total"], 500_000);
    assert_eq!(status["sites"][0]["site"], "GUNMA-DERM");
    assert_eq!(status["sites"][0]["photos"], 6);
    assert_eq!(status["sites"][1]["photos"], 6);
    assert_eq!(status["final_diagnosis"]["melanoma"], 3);
    assert_eq!(status["final_diagnosis"]["naevus"], 9);
    assert_eq!(status["capture_year"]["2024"], 12);
    assert_eq!(status["batches"].as_array().unwrap().len(), 2);
    let files = hub.object_files();
    assert_eq!(files, 12);

    // The same bundle again, and the same manifest sealed a second time (other bytes).
    let again = hub.ingest(&bundle_a);
    assert_eq!(again["already_ingested"], true);
    let resealed = hub.write("a2.hifu", &bundle(&hub.key, "GUNMA-DERM", "2024-Q2", &a, 99));
    assert_ne!(std::fs::read(&resealed).unwrap(), std::fs::read(&bundle_a).unwrap());
    assert_eq!(hub.ingest(&resealed)["already_ingested"], true);
    assert_eq!(hub.status()["total_photos"], 12);
    assert_eq!(hub.object_files(), 12);
    hub.verify();

    // At rest: no pseudonym, diagnosis or JPEG in any file of the store.
    let jpeg_marker = &photos[0][..64];
    for file in walk(&hub.root.join("store")) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!contains(&bytes, pseudonym(1).as_bytes()), "{}", file.display());
        assert!(!contains(&bytes, b"melanoma"), "{}", file.display());
        assert!(!contains(&bytes, jpeg_marker), "{}", file.display());
    }
}

#[test]
fn the_same_photo_is_stored_once_and_near_copies_are_listed_for_a_person() {
    let hub = Hub::new();
    let photos = photos(5);
    let first: Vec<Item> = (0..4).map(|i| (i, "naevus", photos[i as usize].clone())).collect();
    hub.ingest(&hub.write("1.hifu", &bundle(&hub.key, "SITE-A", "1", &first, 1)));
    // Site B sends photo 0 byte for byte, photo 1 re-encoded at lower quality, and a new one.
    let image1 = image::load_from_memory(&photos[1]).unwrap().to_rgb8();
    let second: Vec<Item> = vec![
        (100, "naevus", photos[0].clone()),
        (101, "naevus", encode(&image1, 55)),
        (102, "melanoma", photos[4].clone()),
    ];
    let report = hub.ingest(&hub.write("2.hifu", &bundle(&hub.key, "SITE-B", "1", &second, 2)));
    assert_eq!(report["exact_duplicates"], 1);
    assert_eq!(report["near_duplicates"], 1);
    assert_eq!(report["added"], 2);
    let status = hub.status();
    assert_eq!(status["total_photos"], 6);
    assert_eq!(status["near_duplicates_to_decide"], 1);
    let pairs: Value = serde_json::from_str(&ok(hub.run("duplicates", &["--json"]))).unwrap();
    let near: Vec<&Value> = pairs.as_array().unwrap().iter().filter(|p| p["kind"] == "near").collect();
    assert_eq!(near.len(), 1);
    let id = near[0]["id"].to_string();
    let shown = hub.root.join("shown");
    ok(hub.run("duplicates", &["--show", &id, "--out", p(&shown)]));
    assert_eq!(walk(&shown).len(), 2);
    for file in walk(&shown) {
        assert!(image::load_from_memory(&std::fs::read(file).unwrap()).is_ok());
    }
    ok(hub.run("duplicates", &["--decide", &id, "--keep", "held"]));
    let status = hub.status();
    assert_eq!(status["total_photos"], 5);
    assert_eq!(status["near_duplicates_to_decide"], 0);
    assert_eq!(hub.object_files(), 5);
    hub.verify();
}

#[test]
fn withdrawn_patients_leave_the_store_and_a_later_bundle_cannot_bring_them_back() {
    let hub = Hub::new();
    let photos = photos(8);
    let items: Vec<Item> = (0..6).map(|i| (i / 2, "naevus", photos[i as usize].clone())).collect();
    hub.ingest(&hub.write("1.hifu", &bundle(&hub.key, "SITE-A", "1", &items, 1)));
    assert_eq!(hub.status()["total_photos"], 6);

    // A list with one bad line changes nothing.
    let bad = hub.write("bad.txt", format!("{}\nPATIENT 42\n", pseudonym(0)).as_bytes());
    let out = hub.run("withdraw", &["--pseudonyms", p(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Line 2"));
    assert_eq!(hub.status()["total_photos"], 6);

    let list = hub.write("optout.txt", format!("# late opt-outs\n{}\n{}\n", pseudonym(0), pseudonym(77)).as_bytes());
    ok(hub.run("withdraw", &["--pseudonyms", p(&list)]));
    let status = hub.status();
    assert_eq!(status["total_photos"], 4);
    assert_eq!(status["withdrawn_patients"], 2);
    assert_eq!(hub.object_files(), 4);

    // A later bundle re-sends patient 0 (two photos, one new) and patient 77: none added.
    let later: Vec<Item> = vec![
        (0, "naevus", photos[0].clone()),
        (0, "naevus", photos[6].clone()),
        (77, "naevus", photos[7].clone()),
    ];
    let report = hub.ingest(&hub.write("2.hifu", &bundle(&hub.key, "SITE-A", "2", &later, 2)));
    assert_eq!(report["withdrawn_skipped"], 3);
    assert_eq!(report["added"], 0);
    assert_eq!(hub.status()["total_photos"], 4);

    let export = hub.root.join("export");
    ok(hub.run("export", &["--out", p(&export)]));
    let labels = std::fs::read_to_string(export.join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 5);
    let audit = rusqlite_free_audit(&hub);
    assert!(audit.contains("withdraw"), "{audit}");
    hub.verify();
}

/// The audit log's actions, read through `sqlite3`-free means: the status and the log file are
/// not exposed, so read the database bytes (the audit log is plain text by design).
fn rusqlite_free_audit(hub: &Hub) -> String {
    let mut text = String::new();
    for file in walk(&hub.root.join("store")) {
        if file.file_name().unwrap().to_string_lossy().starts_with("hub.sqlite") {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(file).unwrap()));
        }
    }
    text
}

fn splits(export: &Path) -> BTreeMap<String, (String, String)> {
    let mut reader = csv::Reader::from_path(export.join("labels.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "image");
    assert_eq!(&headers[1], "split");
    assert_eq!(&headers[2], "patient");
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].rsplit('/').next().unwrap().to_owned(), (r[1].to_owned(), r[2].to_owned()))
        })
        .collect()
}

#[test]
fn exports_split_by_patient_and_keep_every_split_when_data_arrives() {
    let hub = Hub::new();
    let photos = photos(40);
    // 30 photos of 10 patients, three each.
    let first: Vec<Item> = (0..30).map(|i| (i / 3, "naevus", photos[i as usize].clone())).collect();
    hub.ingest(&hub.write("1.hifu", &bundle(&hub.key, "SITE-A", "1", &first, 1)));
    let one = hub.root.join("export1");
    ok(hub.run("export", &["--out", p(&one), "--split", "50,25,25"]));
    let before = splits(&one);
    assert_eq!(before.len(), 30);
    let mut split_of_patient: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (image, (split, patient)) in &before {
        assert!(one.join("images").join(split).join(image).is_file());
        split_of_patient.entry(patient.clone()).or_default().insert(split.clone());
    }
    assert_eq!(split_of_patient.len(), 10);
    assert!(split_of_patient.values().all(|s| s.len() == 1), "{split_of_patient:?}");
    let used: BTreeSet<&String> = before.values().map(|(s, _)| s).collect();
    assert!(used.len() >= 2, "10 patients at 50/25/25 should fill two splits at least");

    let second: Vec<Item> = (30..40).map(|i| (i / 3, "melanoma", photos[i as usize].clone())).collect();
    hub.ingest(&hub.write("2.hifu", &bundle(&hub.key, "SITE-B", "1", &second, 2)));
    let two = hub.root.join("export2");
    ok(hub.run("export", &["--out", p(&two), "--split", "50,25,25"]));
    let after = splits(&two);
    assert_eq!(after.len(), 40);
    for (image, split) in &before {
        assert_eq!(after.get(image), Some(split), "{image} moved");
    }
    // An exported image is the clean photo as the site sent it.
    let (name, (split, _)) = before.iter().next().unwrap();
    let bytes = std::fs::read(one.join("images").join(split).join(name)).unwrap();
    assert!(photos.iter().any(|p| p == &bytes));
    let out = hub.run("export", &["--out", p(&two)]);
    assert_eq!(out.status.code(), Some(2), "an existing folder is never overwritten");
}

#[test]
fn erasure_destroys_the_batch_keys_then_the_files_and_keeps_the_audit_log() {
    let hub = Hub::new();
    let photos = photos(6);
    let a: Vec<Item> = (0..3).map(|i| (i, "naevus", photos[i as usize].clone())).collect();
    let b: Vec<Item> = (3..6).map(|i| (i, "naevus", photos[i as usize].clone())).collect();
    hub.ingest(&hub.write("a.hifu", &bundle(&hub.key, "SITE-A", "1", &a, 1)));
    hub.ingest(&hub.write("b.hifu", &bundle(&hub.key, "SITE-B", "1", &b, 2)));
    ok(hub.run("erase", &["--batch", "1"]));
    let status = hub.status();
    assert_eq!(status["total_photos"], 3);
    assert!(status["batches"][0]["erased_at"].is_string());
    assert_eq!(hub.object_files(), 3);
    hub.verify();
    assert_eq!(hub.run("erase", &["--batch", "1"]).status.code(), Some(2));
    assert_eq!(hub.run("erase", &["--batch", "9"]).status.code(), Some(2));
    ok(hub.run("erase", &["--all"]));
    assert_eq!(hub.status()["total_photos"], 0);
    assert_eq!(hub.object_files(), 0);
    let audit = rusqlite_free_audit(&hub);
    assert!(audit.contains("erased (keys destroyed"), "the audit log is kept");
}

#[test]
fn bad_bundles_wrong_keys_and_foreign_folders_change_nothing() {
    let hub = Hub::new();
    let photos = photos(4);
    let items: Vec<Item> = (0..4).map(|i| (i, "naevus", photos[i as usize].clone())).collect();
    let good = bundle(&hub.key, "SITE-A", "1", &items, 1);
    let other_hub = generate_hub_keypair(&mut ChaCha20Rng::seed_from_u64(5));
    let foreign = bundle(&other_hub, "SITE-A", "1", &items, 1);
    let mut tampered = good.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x40;
    for (name, bytes) in [
        ("truncated.hifu", &good[..good.len() - 100]),
        ("foreign.hifu", &foreign[..]),
        ("tampered.hifu", &tampered[..]),
        ("empty.hifu", &[][..]),
    ] {
        let out = hub.run("ingest", &[p(&hub.write(name, bytes))]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("nothing changed"), "{name}");
        assert_eq!(hub.status()["total_photos"], 0, "{name}");
        assert_eq!(hub.object_files(), 0, "{name}");
    }
    // A store opened with another hub's key is refused before anything is read or written.
    let other_key = hub.write("other.key", other_hub.to_text().as_bytes());
    let out = hifu(&["hub", "status", "--store", p(&hub.root.join("store")), "--key", p(&other_key)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another hub key"));
    let out = hifu(&["hub", "status", "--store", p(&hub.root.join("keys")), "--key", p(&other_key)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a hub store"));
    hub.ingest(&hub.write("good.hifu", &good));
    assert_eq!(hub.status()["total_photos"], 4);
    hub.verify();
}

/// A disk that fills up mid-ingest: simulated with a file-size limit (`ulimit -f`), under which
/// writing the one large photo fails as a full disk does. The bundle is refused and the files
/// already written for it are removed.
#[test]
fn a_disk_that_fills_up_during_an_ingest_changes_nothing() {
    let hub = Hub::new();
    let mut items: Vec<Item> = photos(6).into_iter().enumerate().map(|(i, p)| (i as u32, "naevus", p)).collect();
    let path = std::fs::read_dir(common::shared().join("data/clinical/mednode/melanoma")).unwrap().next().unwrap().unwrap().path();
    let large = image::open(path).unwrap().to_rgb8();
    let large = image::imageops::resize(&large, 1400, 1050, image::imageops::FilterType::Triangle);
    let large = encode(&large, 97);
    assert!(large.len() > 150_000, "{}", large.len());
    items.insert(3, (9, "melanoma", large));
    let bundle = hub.write("big.hifu", &bundle(&hub.key, "SITE-A", "1", &items, 3));
    let store = hub.root.join("store");
    let key = hub.root.join("keys/hub.key");
    let script = format!(
        "trap '' XFSZ; ulimit -f 120; exec '{}' hub ingest --store '{}' --key '{}' '{}'",
        env!("CARGO_BIN_EXE_hifu"), p(&store), p(&key), p(&bundle)
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("disk is full") && stderr.contains("nothing changed"), "{stderr}");
    assert_eq!(hub.status()["total_photos"], 0);
    assert_eq!(hub.object_files(), 0, "the photos written before the failure are gone");
    hub.verify();
    hub.ingest(&bundle);
    assert_eq!(hub.status()["total_photos"], 7);
}

#[test]
fn killing_an_ingest_at_any_point_leaves_the_store_as_before_or_as_after() {
    let photos = photos(70);
    let base: Vec<Item> = (0..10).map(|i| (i, "naevus", photos[i as usize].clone())).collect();
    let items: Vec<Item> = (10..70).map(|i| (i, "naevus", photos[i as usize].clone())).collect();
    let prepare = |seed: u64| {
        let hub = Hub::new();
        hub.ingest(&hub.write("base.hifu", &bundle(&hub.key, "SITE-A", "0", &base, seed)));
        let big = hub.write("big.hifu", &bundle(&hub.key, "SITE-A", "1", &items, seed + 1));
        (hub, big)
    };
    // How long a whole ingest takes here.
    let (timing, big) = prepare(1);
    let start = Instant::now();
    timing.ingest(&big);
    let full = start.elapsed().max(Duration::from_millis(20));

    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    let mut outcomes: BTreeMap<u64, usize> = BTreeMap::new();
    let mut killed_mid_write = 0;
    for kill in 0..20u64 {
        let (hub, big) = prepare(10 + 2 * kill);
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        let delay = full.mul_f64((rng_state % 1000) as f64 / 1000.0);
        let (store, key) = (hub.root.join("store"), hub.root.join("keys/hub.key"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_hifu"))
            .args(["hub", "ingest", "--store", p(&store), "--key", p(&key), p(&big)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        if store.join("cleanup-pending").exists() {
            killed_mid_write += 1;
        }
        // Opening the store (verify) finishes any cleanup the killed command left.
        hub.verify();
        let total = hub.status()["total_photos"].as_u64().unwrap();
        assert!(total == 10 || total == 70, "kill {kill} after {delay:?}: {total} photos");
        assert_eq!(hub.object_files() as u64, total, "kill {kill}: files without rows");
        *outcomes.entry(total).or_default() += 1;
        // The interrupted bundle can always be sent again and then lands whole.
        let again = hub.ingest(&big);
        assert_eq!(hub.status()["total_photos"], 70, "kill {kill}: {again}");
        hub.verify();
    }
    eprintln!("kill outcomes (photos after the kill → rounds): {outcomes:?}, {killed_mid_write} while writing photos, full ingest {full:?}");
    assert!(killed_mid_write >= 3, "too few kills landed while photos were being written: {killed_mid_write}");
    assert!(outcomes.get(&10).copied().unwrap_or(0) >= 5, "too few kills landed mid-ingest: {outcomes:?}");
}

#[test]
fn a_bundle_made_by_hifu_contribute_is_ingested_with_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    ok(hifu(&["hub", "keygen", "--out", p(&root.join("hub"))]));
    ok(hifu(&["site", "keygen", "--out", p(&root.join("site.key"))]));
    let photos = root.join("photos");
    std::fs::create_dir(&photos).unwrap();
    let mednode = common::shared().join("data/clinical/mednode");
    for (name, source, nth) in [("A001_1.jpg", "melanoma", 0), ("A002_1.jpg", "naevus", 0), ("A003_1.jpg", "naevus", 1)] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(mednode.join(source)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        std::fs::copy(&files[nth], photos.join(name)).unwrap();
    }
    std::fs::write(
        root.join("records.csv"),
        "患者ID,氏名,年齢,性別,撮影日,初診時診断名,最終診断名,病変部位,ファイル名\n\
         A001,山田 太郎,73,男,2024/3/5,色素性母斑,悪性黒色腫,背部,A001_1.jpg\n\
         A002,佐藤 花子,41,女,2023/11/20,色素性母斑,色素性母斑,上腕,A002_1.jpg\n\
         A003,鈴木 一郎,35,男,2024/1/9,色素性母斑,色素性母斑,大腿,A003_1.jpg\n",
    )
    .unwrap();
    ok(hifu(&[
        "contribute", "--records", p(&root.join("records.csv")), "--photos", p(&photos),
        "--site-key", p(&root.join("site.key")), "--hub-key", p(&root.join("hub/hub.pub")),
        "--out", p(&root.join("batch.hifu")), "--site-code", "GUNMA-DERM", "--batch", "2024-Q2",
    ]));
    let store = root.join("store");
    let key = root.join("hub/hub.key");
    ok(hifu(&["hub", "init", p(&store), "--key", p(&key)]));
    let report: Value = serde_json::from_str(&ok(hifu(&[
        "hub", "ingest", "--json", "--store", p(&store), "--key", p(&key), p(&root.join("batch.hifu")),
    ])))
    .unwrap();
    assert_eq!(report["added"], 3, "{report}");
    let status: Value = serde_json::from_str(&ok(hifu(&["hub", "status", "--json", "--store", p(&store), "--key", p(&key)]))).unwrap();
    assert_eq!(status["total_photos"], 3);
    assert_eq!(status["sites"][0]["site"], "GUNMA-DERM");
    assert_eq!(status["final_diagnosis"]["悪性黒色腫"], 1);
    assert_eq!(status["final_diagnosis"]["色素性母斑"], 2);
    assert_eq!(status["capture_year"]["2024"], 2);
    assert_eq!(status["batches"][0]["label"], "2024-Q2");
    let export = root.join("export");
    ok(hifu(&["hub", "export", "--store", p(&store), "--key", p(&key), "--out", p(&export)]));
    let labels = std::fs::read_to_string(export.join("labels.csv")).unwrap();
    assert!(labels.contains("悪性黒色腫"), "{labels}");
    assert!(!labels.contains("山田") && !labels.contains("A001"), "{labels}");
}
