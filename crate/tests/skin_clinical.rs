//! The classifier on clinical photographs held out whole from training (the SD-198 and
//! DermNet folders and the MED-NODE files marked `test` in models/skin/clinical_split.csv),
//! on the shipped model: photos of non-tumour conditions rarely get a confident tumour label,
//! skin photos pass the "not a skin photo" gate, portraits do not, and melanoma is told from
//! naevus. Full figures: models/skin/README.md (scripts/train/evaluate.py, run once).
//! Needs ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::decode::Limits;
use hifu::skin::{classify_bytes, Decision, SkinModel};

fn model() -> SkinModel {
    let dir = common::repo().join("models/skin");
    SkinModel::from_bytes(
        &std::fs::read(dir.join("skin.safetensors")).unwrap(),
        &std::fs::read_to_string(dir.join("calibration.json")).unwrap(),
        &std::fs::read_to_string(dir.join("labels.json")).unwrap(),
    )
    .unwrap()
}

/// (path under ../shared/data, class) of the held-out clinical photos.
fn held_out() -> Vec<(String, String)> {
    let split = common::repo().join("models/skin/clinical_split.csv");
    csv::Reader::from_path(split)
        .unwrap()
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[4] == "test")
        .map(|r| (r[0].to_string(), r[3].to_string()))
        .collect()
}

fn classify(model: &SkinModel, rel: &str) -> hifu::skin::Classification {
    let bytes = std::fs::read(common::shared().join("data").join(rel)).unwrap();
    classify_bytes(&bytes, model, &Limits::default()).unwrap()
}

#[test]
fn non_tumour_conditions_rarely_get_a_confident_tumour_label() {
    let model = model();
    let photos: Vec<_> = held_out().into_iter().filter(|(_, dx)| dx == "other").collect();
    assert!(photos.len() >= 400, "{} held-out non-tumour photos", photos.len());
    let sample: Vec<_> = photos.iter().step_by(2).collect();
    let mut confident_tumour = Vec::new();
    for (path, _) in &sample {
        let c = classify(&model, path);
        let top = &c.classes[0];
        if c.abstention.decision == Decision::Confident && top.code != "other" {
            confident_tumour.push(format!("{path}: {}", top.code));
        }
    }
    let share = confident_tumour.len() as f32 / sample.len() as f32;
    println!("{} of {} confident tumour labels: {confident_tumour:?}", confident_tumour.len(), sample.len());
    assert!(share <= 0.10, "{:.1} % of non-tumour photos got a confident tumour label", share * 100.0);
}

#[test]
fn held_out_clinical_skin_photos_pass_the_skin_gate() {
    let model = model();
    let photos = held_out();
    let sample: Vec<_> = photos.iter().step_by(3).collect();
    let rejected = sample
        .iter()
        .filter(|(path, _)| classify(&model, path).abstention.decision == Decision::NotSkin)
        .count();
    let accepted = 1.0 - rejected as f32 / sample.len() as f32;
    // The goal is 95 %, which the shipped model does not reach on every source yet
    // (models/skin/README.md): this limit keeps it from getting worse.
    assert!(accepted >= 0.90, "{:.1} % of held-out clinical photos accepted", accepted * 100.0);
}

#[test]
fn held_out_portraits_are_not_skin_photos() {
    let model = model();
    let mut files: Vec<_> = std::fs::read_dir(common::shared().join("faces/lfw"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    // Every 5th portrait: the ones calibrate.py never saw.
    let sample: Vec<_> = files.iter().step_by(5).step_by(2).collect();
    let accepted = sample
        .iter()
        .filter(|p| {
            let bytes = std::fs::read(p).unwrap();
            classify_bytes(&bytes, &model, &Limits::default()).unwrap().abstention.decision != Decision::NotSkin
        })
        .count();
    assert!(
        accepted as f32 <= 0.01 * sample.len() as f32,
        "{accepted} of {} portraits taken for skin photos",
        sample.len()
    );
}

#[test]
fn melanoma_is_told_from_naevus_on_held_out_med_node_photos() {
    let model = model();
    let mut scored: Vec<(f32, bool)> = held_out()
        .into_iter()
        .filter(|(p, _)| p.starts_with("clinical/mednode/"))
        .map(|(p, dx)| {
            let c = classify(&model, &p);
            let mel = c.classes.iter().find(|k| k.code == "mel").unwrap().probability;
            (mel, dx == "mel")
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    // AUC as the share of (melanoma, naevus) pairs ranked the right way round.
    let (mut pairs, mut right, mut naevi_below) = (0usize, 0usize, 0usize);
    for &(_, is_mel) in &scored {
        if is_mel {
            right += naevi_below;
        } else {
            naevi_below += 1;
        }
    }
    let mels = scored.iter().filter(|s| s.1).count();
    pairs += mels * (scored.len() - mels);
    let auc = right as f32 / pairs.max(1) as f32;
    assert!(scored.len() >= 60, "{} held-out MED-NODE photos", scored.len());
    assert!(auc >= 0.85, "melanoma vs naevus AUC {auc:.3}");
}
