//! The tattoo flag on photos it never trained on: the BIVTatt subjects of the test split
//! (`scripts/train/tattoo.py` splits by a keyed hash of the subject label, reproduced here)
//! and the clinical photos held out whole from the classifier (models/skin/clinical_split.csv,
//! `test`). Figures: models/tattoo/README.md. Needs ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::decode::Limits;
use hifu::skin::{upright_pixels, SkinModel, TattooHead, TattooStep};
use sha2::{Digest, Sha256};

fn step() -> TattooStep {
    let dir = common::repo().join("models/skin");
    let model = SkinModel::from_bytes(
        &std::fs::read(dir.join("skin.safetensors")).unwrap(),
        &std::fs::read_to_string(dir.join("calibration.json")).unwrap(),
        &std::fs::read_to_string(dir.join("labels.json")).unwrap(),
    )
    .unwrap();
    let head = TattooHead::from_json(
        &std::fs::read_to_string(common::repo().join("models/tattoo/tattoo.json")).unwrap(),
        model.feature_len(),
    )
    .unwrap();
    TattooStep::new(model, head)
}

/// tattoo.py: int(sha256("tattoo-split:" + subject).hexdigest(), 16) % 100 ≥ 80 is `test`.
fn is_test_subject(subject: &str) -> bool {
    let digest = Sha256::digest(format!("tattoo-split:{subject}").as_bytes());
    digest.iter().fold(0u32, |r, &b| (r * 256 + u32::from(b)) % 100) >= 80
}

fn boxes(name: &str) -> Vec<[f32; 4]> {
    let stem = name.trim_end_matches(".jpg");
    let text = std::fs::read_to_string(common::shared().join(format!("data/tattoo/boxes/{stem}.txt"))).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let v: Vec<f32> = l.split_whitespace().filter_map(|x| x.parse().ok()).collect();
            (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
        })
        .collect()
}

#[test]
fn held_out_tattoo_subjects_are_flagged_with_a_region_on_the_tattoo() {
    let step = step();
    let dir = common::shared().join("data/tattoo/images");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| is_test_subject(n.split('_').next().unwrap()))
        .collect();
    names.sort();
    assert!(names.len() >= 25, "{} test photos", names.len());
    let (mut flagged, mut on_tattoo) = (0, 0);
    for name in &names {
        let pixels = upright_pixels(&std::fs::read(dir.join(name)).unwrap(), &Limits::default()).unwrap();
        let (score, region) = step.check(&pixels).unwrap();
        let Some([x, y, w, h]) = region else {
            println!("{name}: not flagged ({score:.2})");
            continue;
        };
        flagged += 1;
        // The boxes are in the stored image's pixels; these photos carry no EXIF rotation.
        if boxes(name).iter().any(|b| x < b[2] && b[0] < x + w && y < b[3] && b[1] < y + h) {
            on_tattoo += 1;
        }
    }
    let n = names.len();
    println!("tattoo test photos: {flagged} of {n} flagged, {on_tattoo} with the region on a tattoo box");
    assert!(flagged * 100 >= n * 95, "{flagged} of {n} flagged (goal ≥ 95 %)");
    assert!(on_tattoo * 100 >= flagged * 90, "{on_tattoo} of {flagged} regions touch a tattoo");
}

#[test]
fn clinical_photos_without_tattoos_are_rarely_flagged() {
    let step = step();
    let split = common::repo().join("models/skin/clinical_split.csv");
    let held_out: Vec<String> = csv::Reader::from_path(split)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[4] == "test")
        .map(|r| r[0].to_string())
        .collect();
    assert!(held_out.len() > 800);
    let mut flagged = Vec::new();
    for rel in &held_out {
        let bytes = std::fs::read(common::shared().join("data").join(rel)).unwrap();
        let Ok(pixels) = upright_pixels(&bytes, &Limits::default()) else { continue };
        if step.check(&pixels).unwrap().1.is_some() {
            flagged.push(rel.clone());
        }
    }
    println!("clinical test photos flagged as tattoo: {} of {}: {flagged:?}", flagged.len(), held_out.len());
    assert!(flagged.len() * 100 <= held_out.len() * 2, "{} of {} flagged (goal ≤ 2 %)", flagged.len(), held_out.len());
}
