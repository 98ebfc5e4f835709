//! The stable fuzz harness: every parser hostile input can reach gets seeded mutations of real
//! inputs (`fuzz/mutator.rs`), and each must give a result or a typed error, never a panic.
//! Targets: `scrub` and `inspect` on JPEG, PNG, WebP and TIFF files rich in metadata; the
//! records CSV import (and de-identification of what it accepts); the opt-out list; the policy;
//! the bundle manifest; a sealed bundle opened by the hub; the site and hub key files;
//! `classify_bytes`.
//!
//! CI runs a bounded number of mutations per target (15,500 in all). A longer run is one
//! command: `HIFU_FUZZ_SCALE=100 cargo test --release -p hifu --test fuzz_inputs`. Every input
//! that panics is written to `target/tmp/fuzz-failures/` and named in the failure; turn it into
//! a named test in `bad_images.rs`-style files (`bad_inputs.rs`, `truncated.rs`, …).
//! Needs exiftool (the rich metadata seeds, see metadata_fixtures); `scripts/test` installs it.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod metadata_fixtures;
#[path = "fuzz/mutator.rs"]
mod mutator;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use hifu::decode::Limits;
use hifu::record::{deidentify, import_records, OptOut, Policy, SiteKey};
use hifu::seal::{generate_hub_keypair, open_all, HubPrivateKey, HubPublicKey, Manifest, Sealer};
use hifu::{inspect, scrub_without_faces as scrub, ScrubOptions};
use metadata_fixtures::*;
use mutator::Mutator;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// Mutations for `target` in this run: `base` × HIFU_FUZZ_SCALE (default 1).
fn iterations(base: usize) -> usize {
    let scale: f64 = std::env::var("HIFU_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((base as f64) * scale).ceil() as usize
}

/// Small limits: the mutator often writes huge dimensions, and the check that refuses them is
/// what is under test, not the machine's memory.
fn limits() -> Limits {
    Limits {
        max_width: 4096,
        max_height: 4096,
        max_alloc: 64 << 20,
        max_input_bytes: 16 << 20,
    }
}

/// Runs `check` on `n` mutations of `seeds`; panics with every input that panicked (saved).
/// `check` says whether the input gave a result (`Ok(true)`) or a typed error (`Ok(false)`),
/// or why the answer is wrong without a panic (`Err`: an untyped error). Returns how many
/// inputs gave a result.
fn fuzz(
    target: &str,
    seed: u64,
    seeds: &[Vec<u8>],
    n: usize,
    check: impl Fn(&[u8]) -> Result<bool, String>,
) -> usize {
    let mut mutator = Mutator::new(seed);
    let mut failures = Vec::new();
    let mut unchanged = 0;
    let mut results = 0;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    for i in 0..n {
        let input = mutator.mutate(seeds);
        if seeds.contains(&input) {
            unchanged += 1; // a mutation that undid itself: nothing to test
            continue;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let problem = match outcome {
            Ok(Ok(gave_result)) => {
                results += usize::from(gave_result);
                continue;
            }
            Ok(Err(reason)) => reason,
            Err(_) => "panicked".to_string(),
        };
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{target}-{seed}-{i}.bin"));
        std::fs::write(&path, &input).unwrap();
        failures.push(format!("{}: {problem}", path.display()));
    }
    println!(
        "{target}: {n} mutations ({unchanged} equal to a seed), {results} results, {} failures",
        failures.len()
    );
    assert!(unchanged * 10 < n, "{target}: the mutator is not mutating");
    assert!(failures.is_empty(), "{target}: {failures:#?}");
    results
}

/// Both ways out were exercised: inputs the parser accepted and inputs it refused.
fn assert_both_ways(target: &str, results: usize, n: usize) {
    assert!(
        results > n / 100 && results < n - n / 100,
        "{target}: {results} of {n} mutations gave a result"
    );
}

fn typed(code: &str, message: String) -> Result<bool, String> {
    if code.contains('.') && message.len() >= 10 {
        Ok(false)
    } else {
        Err(format!("untyped error: code {code:?}, message {message:?}"))
    }
}

fn image_seeds() -> Vec<Vec<u8>> {
    require_tool("exiftool", "libimage-exiftool-perl");
    let work = Workdir::new();
    vec![
        rich_jpeg(&work, &base_jpeg(), true),
        rich_png(&work),
        rich_webp(&work),
        rich_tiff(&work),
        common::fixture("progressive.jpg"),
        common::fixture("cmyk.jpg"),
        common::fixture("lossy.webp"),
        common::fixture("animated.webp"),
        common::png_rgba(&image::RgbaImage::from_fn(24, 16, |x, y| {
            image::Rgba([x as u8 * 9, y as u8 * 13, 90, (x * y) as u8])
        })),
    ]
}

#[test]
fn scrub_and_inspect_survive_mutated_photos() {
    let seeds = image_seeds();
    let options = ScrubOptions {
        limits: limits(),
        ..ScrubOptions::default()
    };
    let n = iterations(4000);
    let results = fuzz("scrub", 1, &seeds, n, |input| {
        match scrub(input, &options) {
            Ok(out) if out.image.is_empty() => Err("Ok with no image and no gate".into()),
            Ok(_) => Ok(true),
            Err(e) => typed(e.code(), e.to_string()),
        }
    });
    assert_both_ways("scrub", results, n);
    let n = iterations(3000);
    let results = fuzz("inspect", 2, &seeds, n, |input| {
        match inspect(input, &limits()) {
            Ok(_) => Ok(true),
            Err(e) => typed(e.code(), e.to_string()),
        }
    });
    assert_both_ways("inspect", results, n);
}

#[test]
fn the_records_import_survives_mutated_csv() {
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(
        "患者ID,氏名,生年月日,年齢,性別,撮影日,初診時診断名,最終診断名,人種,病変部位,ファイル名,備考\n\
         A001,山田 太郎,昭和10年1月2日,89,男,2024/2/29,色素性母斑,悪性黒色腫（山田太郎様 2024/1/10 切除）,日本人,右前腕,IMG_0001.JPG,紹介\n\
         A002,佐藤 花子,1934-05-06,90,女性,令和6年3月5日,基底細胞癌,基底細胞癌,日本人,鼻,IMG_0002.JPG,\n",
    );
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(
        b"Patient ID,Name,Birth Date,Sex,Capture Date,Final Diagnosis,Lesion Site,File Name\n\
          P-77,Jane Roe,1950-07-08,female,2024-03-05,\"melanoma, Jane's left arm, seen 3/4\",left arm,a.jpg\n\
          P-78,John Doe,1990-02-30,male,2024-03-05,nevus,back,b.jpg\n",
    );
    let tsv = b"patient_id\tage\tsex\tcapture_date\tfinal_diagnosis\tfile_name\nB1\t50\tF\t2024-06-01\tpsoriasis\tx.png\n".to_vec();
    let seeds = vec![sjis.into_owned(), bom, tsv];
    let key = SiteKey::from_bytes(&[42u8; 32]).unwrap();
    let opt_out = OptOut::from_ids(["A002"]);
    let n = iterations(2500);
    let results = fuzz("records", 3, &seeds, n, |input| {
        match import_records(input, &opt_out) {
            Ok(import) => {
                for record in &import.records {
                    deidentify(record, &Policy::default(), &key);
                }
                Ok(true)
            }
            Err(e) => typed(e.code(), e.to_string()),
        }
    });
    assert_both_ways("records", results, n);
}

#[test]
fn the_opt_out_list_and_the_policy_survive_mutations() {
    let seeds = vec![
        b"patient_id\nA001\nA-002\n\xef\xbc\xa1003\n".to_vec(),
        "患者ID,理由\nA001,本人の申し出\nA002,遺族の申し出\n"
            .as_bytes()
            .to_vec(),
    ];
    let n = iterations(1000);
    let results = fuzz("optout", 4, &seeds, n, |input| {
        match OptOut::from_csv(input) {
            Ok(list) => {
                let _ = list.contains("A001");
                let _ = list.names_photo("A001_1.jpg");
                Ok(true)
            }
            Err(e) => typed(e.code(), e.to_string()),
        }
    });
    assert!(results > 0, "optout: no mutation was accepted");
    let policies = vec![
        br#"{"age_band_years": 10, "age_top_code": 80, "capture_date": "year", "keep_race": false}"#.to_vec(),
        serde_json::to_vec(&Policy::default()).unwrap(),
    ];
    fuzz("policy", 5, &policies, iterations(1000), |input| {
        match serde_json::from_slice::<Policy>(input) {
            Ok(policy) => match policy.validate() {
                Ok(()) => Ok(true),
                Err(e) => typed(e.code(), e.to_string()),
            },
            Err(_) => Ok(false), // serde_json's own error: line, column and what it expected
        }
    });
}

#[test]
fn the_hub_survives_mutated_manifests_and_bundles() {
    let manifest = Manifest::new("SITE01", Policy::default())
        .to_json()
        .unwrap();
    fuzz(
        "manifest",
        6,
        &[manifest],
        iterations(1000),
        |input| match Manifest::from_json(input) {
            Ok(_) => Ok(true),
            Err(e) => typed(e.code(), e.to_string()),
        },
    );

    let hub = generate_hub_keypair(&mut ChaCha20Rng::seed_from_u64(7));
    let mut sealer =
        Sealer::new(hub.public_key(), 1024, &mut ChaCha20Rng::seed_from_u64(8)).unwrap();
    sealer
        .push_entry("images/00001.jpg", &common::noise(1500, 3))
        .unwrap();
    sealer.push_entry("manifest.json", b"{}").unwrap();
    let mut bundle = sealer.take_output();
    bundle.extend(sealer.finish().unwrap());
    // Mutated bundles must be refused (authenticated encryption), with a typed error.
    fuzz(
        "bundle",
        7,
        &[bundle],
        iterations(1000),
        |input| match open_all(input, &hub) {
            Ok(_) => Err("a mutated bundle opened".into()),
            Err(e) => typed(e.code(), e.to_string()),
        },
    );
}

/// What the hub reads from an operator besides bundles: the late opt-out list and the split.
#[test]
fn the_hub_withdrawal_list_and_split_survive_mutations() {
    let seeds = vec![
        format!("# late opt-outs, 2026-11\n{}\n{}\r\n", "ab".repeat(32), "0F".repeat(32)).into_bytes(),
        format!("\u{feff}{}\n\n", "c4".repeat(32)).into_bytes(),
    ];
    let n = iterations(1500);
    let results = fuzz("withdrawals", 11, &seeds, n, |input| {
        let Ok(text) = std::str::from_utf8(input) else {
            return Ok(false); // the CLI refuses a file that is not UTF-8 before parsing
        };
        match hifu::hub::parse_pseudonym_list(text) {
            Ok(list) if list.iter().all(|p| p.len() == 64) => Ok(true),
            Ok(_) => Err("accepted a pseudonym that is not 64 characters".into()),
            Err(e) => typed(e.code(), e.to_string()),
        }
    });
    assert_both_ways("withdrawals", results, n);
    fuzz("split", 12, &[b"80,10,10".to_vec(), b"70, 15, 15".to_vec()], iterations(500), |input| {
        let Ok(text) = std::str::from_utf8(input) else {
            return Ok(false);
        };
        match hifu::hub::SplitFractions::parse(text) {
            Ok(f) if u16::from(f.train) + u16::from(f.validation) <= 100 => Ok(true),
            Ok(_) => Err("accepted fractions over 100".into()),
            Err(e) => typed(e.code(), e.to_string()),
        }
    });
}

/// The key files a site configuration carries (the page's `site.conf` and the CLI's
/// `--site-key` / `--hub-key` files hold these blocks).
#[test]
fn the_key_parsers_survive_mutated_key_files() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let hub = generate_hub_keypair(&mut rng);
    let site = SiteKey::generate(&mut rng);
    let seeds = vec![
        site.to_text().as_bytes().to_vec(),
        hub.public_key().to_text().into_bytes(),
        hub.to_text().as_bytes().to_vec(),
    ];
    let n = iterations(1500);
    let results = fuzz("keys", 10, &seeds, n, |input| {
        let Ok(text) = std::str::from_utf8(input) else {
            return Ok(false); // the callers take text: a file that is not UTF-8 never gets here
        };
        let outcomes = [
            SiteKey::from_text(text)
                .map(|_| ())
                .map_err(|e| (e.code(), e.to_string())),
            HubPublicKey::from_text(text)
                .map(|_| ())
                .map_err(|e| (e.code(), e.to_string())),
            HubPrivateKey::from_text(text)
                .map(|_| ())
                .map_err(|e| (e.code(), e.to_string())),
        ];
        let mut accepted = false;
        for outcome in outcomes {
            match outcome {
                Ok(()) => accepted = true,
                Err((code, message)) => {
                    typed(code, message)?;
                }
            }
        }
        Ok(accepted)
    });
    assert!(results > 0, "keys: no mutation was accepted");
}

#[test]
fn classify_survives_mutated_photos() {
    let dir = common::repo().join("models/skin");
    let model = hifu::skin::SkinModel::from_bytes(
        &std::fs::read(dir.join("skin.safetensors")).unwrap(),
        &std::fs::read_to_string(dir.join("calibration.json")).unwrap(),
        &std::fs::read_to_string(dir.join("labels.json")).unwrap(),
    )
    .unwrap();
    let seeds = vec![
        common::fixture("progressive.jpg"),
        common::fixture("lossy.webp"),
        common::png_rgb(&common::asymmetric(40, 30), common::Meta::default()),
    ];
    let n = iterations(500);
    let results = fuzz(
        "classify",
        8,
        &seeds,
        n,
        |input| match hifu::skin::classify_bytes(input, &model, &limits()) {
            Ok(c) if c.classes.is_empty() => Err("no classes".into()),
            Ok(c) if c.classes.iter().any(|k| !k.probability.is_finite()) => {
                Err("a probability that is not a number".into())
            }
            Ok(_) => Ok(true),
            Err(e) => typed(e.code(), e.to_string()),
        },
    );
    assert_both_ways("classify", results, n);
}
