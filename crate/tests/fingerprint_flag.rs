//! The fingerprint check on photos of the half that did not choose its rule
//! (`scripts/train/fingerprint_rule.py`: sha256("fingerprint-split:" + photo) mod 2 = 1,
//! reproduced here): hand, finger, palm and sole photos labelled without resolved ridges
//! (models/fingerprint/labels.csv) and other clinical photos are rarely flagged, and fingertip
//! pads carved with hifu's own ridge patterns (tests/fixtures/ridges, made by
//! scripts/train/fingerprint_composites.py --patterns) laid over hand photos are found where
//! they are. Figures on every photo of the half: models/fingerprint/README.md. Needs ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};

use hifu::decode::{decode, identify, Limits, Pixels};
use hifu::fingerprint::{FingerprintStep, FINGERPRINT};
use hifu::scrub::PixelStep;
use image::GrayImage;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

fn in_report_half(key: &str) -> bool {
    Sha256::digest(format!("fingerprint-split:{key}").as_bytes())
        .last()
        .is_some_and(|b| b % 2 == 1)
}

fn clinical() -> PathBuf {
    common::shared().join("data/clinical")
}

/// `labels.csv`: (path under data/clinical, ridges yes / no / unclear).
fn labels() -> Vec<(String, String)> {
    let mut reader =
        csv::Reader::from_path(common::repo().join("models/fingerprint/labels.csv")).unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .collect()
}

fn load(path: &Path) -> Pixels {
    let bytes = std::fs::read(path).unwrap();
    let limits = Limits::default();
    decode(&bytes, identify(&bytes, &limits).unwrap(), &limits).unwrap()
}

fn flagged(pixels: &Pixels) -> Option<Vec<[f32; 4]>> {
    let mut copy = Pixels::new(
        pixels.width(),
        pixels.height(),
        pixels.channels(),
        Zeroizing::new(pixels.samples().to_vec()),
    )
    .unwrap();
    let outcome = FingerprintStep::default().run(&mut copy).unwrap();
    assert_eq!(
        copy.samples(),
        pixels.samples(),
        "the check must not change the photo"
    );
    outcome
        .review
        .into_iter()
        .find(|f| f.kind == FINGERPRINT)
        .map(|f| f.regions)
}

fn share_flagged(paths: &[PathBuf]) -> (usize, Vec<String>) {
    let hits: Vec<String> = paths
        .iter()
        .filter(|p| flagged(&load(p)).is_some())
        .map(|p| p.display().to_string())
        .collect();
    (hits.len(), hits)
}

#[test]
fn hand_photos_without_resolved_ridges_are_rarely_flagged() {
    let paths: Vec<PathBuf> = labels()
        .into_iter()
        .filter(|(k, v)| v == "no" && in_report_half(k))
        .map(|(k, _)| clinical().join(k))
        .collect();
    assert!(paths.len() >= 50, "{} photos", paths.len());
    let (hits, which) = share_flagged(&paths);
    println!(
        "hand photos without ridges: {hits} of {} flagged {which:?}",
        paths.len()
    );
    // Goal: ≤ 5 % of other hand photos.
    assert!(
        hits as f32 <= 0.05 * paths.len() as f32,
        "{hits} of {} flagged: {which:?}",
        paths.len()
    );
}

#[test]
fn other_clinical_photos_are_rarely_flagged() {
    let labelled: Vec<String> = labels().into_iter().map(|(k, _)| k).collect();
    let mut keys: Vec<String> = walk(&clinical())
        .into_iter()
        .filter_map(|p| {
            p.strip_prefix(clinical())
                .ok()
                .map(|k| k.to_string_lossy().into_owned())
        })
        .filter(|k| in_report_half(k) && !labelled.contains(k))
        .collect();
    keys.sort();
    let paths: Vec<PathBuf> = keys.iter().step_by(3).map(|k| clinical().join(k)).collect();
    assert!(paths.len() >= 400, "{} photos", paths.len());
    let (hits, which) = share_flagged(&paths);
    println!(
        "other clinical photos: {hits} of {} flagged {which:?}",
        paths.len()
    );
    assert!(
        hits as f32 <= 0.015 * paths.len() as f32,
        "{hits} of {} flagged: {which:?}",
        paths.len()
    );
}

#[test]
fn fingertip_pads_with_ridges_are_found_where_they_are() {
    let kinds = ["whorl", "loop", "arch", "palm"];
    let patterns: Vec<GrayImage> = kinds.iter().map(|k| common::ridge_pattern(k)).collect();
    let hosts: Vec<PathBuf> = labels()
        .into_iter()
        .filter(|(k, v)| v == "no" && in_report_half(k))
        .map(|(k, _)| clinical().join(k))
        .take(24)
        .collect();
    let (mut found, mut tried, mut missed) = (0, 0, Vec::new());
    for (n, host) in hosts.iter().enumerate() {
        let photo = image::open(host).unwrap().to_rgb8();
        // Spacing from 4 to 14 px and pads from a third to two thirds of the short side.
        let spacing = 4.0 + (n % 6) as f32 * 2.0;
        let share = 0.35 + (n % 4) as f32 * 0.1;
        let (composite, pad) =
            common::with_ridge_pad(&photo, &patterns[n % kinds.len()], spacing, share);
        let (w, h) = composite.dimensions();
        let pixels = Pixels::new(w, h, 3, Zeroizing::new(composite.into_raw())).unwrap();
        tried += 1;
        match flagged(&pixels) {
            Some(regions) if regions.iter().any(|r| overlap(r, &pad) > 0.0) => found += 1,
            other => missed.push(format!(
                "{} (spacing {spacing}, pad {share}): {other:?}",
                host.display()
            )),
        }
    }
    println!("ridge pads: {found} of {tried} found");
    assert!(
        found as f32 >= 0.9 * tried as f32,
        "{found} of {tried} found; missed {missed:#?}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| {
            ["jpg", "jpeg", "png"].contains(&e.to_ascii_lowercase().to_str().unwrap_or(""))
        }) {
            out.push(path);
        }
    }
    out
}

fn overlap(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let h = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    w.max(0.0) * h.max(0.0)
}

/// A whole hand photographed with a 12 MP camera shows its fingertips' ridges 8–12 px apart:
/// the scan's first scale must be large enough to keep them (`scan::MAX_SIDE`; at a long side of
/// 1024 only 4 of 30 such pads were found, models/fingerprint/README.md).
#[test]
fn fingertip_ridges_in_a_camera_sized_photo_are_found() {
    let kinds = ["whorl", "loop", "arch", "palm"];
    let hosts: Vec<PathBuf> = labels()
        .into_iter()
        .filter(|(k, v)| v == "no" && in_report_half(k))
        .map(|(k, _)| clinical().join(k))
        .take(6)
        .collect();
    let (mut found, mut missed) = (0, Vec::new());
    for (n, host) in hosts.iter().enumerate() {
        let photo = image::open(host).unwrap().to_rgb8();
        // A fingertip pad 30 ridges across, ridges 8, 10 or 12 px apart.
        let pattern = common::ridge_pattern(kinds[n % kinds.len()]);
        let (_, composite, pad, spacing) = common::camera_sized_ridge_pad(&photo, &pattern, n);
        let (w, h) = composite.dimensions();
        let pixels = Pixels::new(w, h, 3, Zeroizing::new(composite.into_raw())).unwrap();
        match flagged(&pixels) {
            Some(regions) if regions.iter().any(|r| overlap(r, &pad) > 0.0) => found += 1,
            other => missed.push(format!("{} (spacing {spacing}): {other:?}", host.display())),
        }
    }
    println!("12 MP ridge pads: {found} of {} found", hosts.len());
    assert!(
        found + 1 >= hosts.len(),
        "{found} of {} found; missed {missed:#?}",
        hosts.len()
    );
}
