//! The classifier on clinical photographs held out whole from training (the SD-198 and
//! DermNet folders and the MED-NODE files marked `test` in models/skin/clinical_split.csv),
//! on the shipped model: photos of non-tumour conditions rarely get a confident tumour label,
//! skin photos of every source pass the "not a skin photo" gate, portraits and non-photos do
//! not, and melanoma is told from naevus. Full figures: models/skin/README.md
//! (scripts/train/evaluate.py, run once; the gate's: scripts/train/gate.py).
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
    let photos: Vec<_> = held_out()
        .into_iter()
        .filter(|(_, dx)| dx == "other")
        .collect();
    assert!(
        photos.len() >= 400,
        "{} held-out non-tumour photos",
        photos.len()
    );
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
    println!(
        "{} of {} confident tumour labels: {confident_tumour:?}",
        confident_tumour.len(),
        sample.len()
    );
    assert!(
        share <= 0.10,
        "{:.1} % of non-tumour photos got a confident tumour label",
        share * 100.0
    );
}

#[test]
fn held_out_clinical_skin_photos_of_every_source_pass_the_skin_gate() {
    let model = model();
    let photos = held_out();
    let sample: Vec<_> = photos.iter().step_by(3).collect();
    for source in ["mednode", "sd198", "dermnet"] {
        let of_source: Vec<_> = sample
            .iter()
            .filter(|(path, _)| path.starts_with(&format!("clinical/{source}/")))
            .collect();
        assert!(
            of_source.len() >= 20,
            "{source}: {} photos",
            of_source.len()
        );
        let rejected: Vec<_> = of_source
            .iter()
            .filter(|(path, _)| classify(&model, path).abstention.decision == Decision::NotSkin)
            .map(|(path, _)| path.clone())
            .collect();
        let accepted = 1.0 - rejected.len() as f32 / of_source.len() as f32;
        assert!(
            accepted >= 0.95,
            "{source}: {:.1} % of held-out photos accepted; rejected {rejected:?}",
            accepted * 100.0
        );
    }
}

/// Photos from a source the gate never saw, in training or in a choice of threshold: tattoos
/// on arms, legs and backs, shot with phones in all kinds of light and framing, as the clinics'
/// own clinical photos will be. The first gates accepted 14 % and 77 % of them; a gate that
/// only knows its four training sources falls back below the floor.
#[test]
fn skin_photos_from_a_source_never_seen_pass_the_skin_gate() {
    let model = model();
    let mut files: Vec<_> = jpegs_under(&common::shared().join("data/tattoo/images"));
    files.sort();
    let sample: Vec<_> = files.iter().step_by(2).collect();
    assert!(sample.len() >= 70, "{} tattoo photos", sample.len());
    let rejected: Vec<_> = sample
        .iter()
        .filter(|p| answered_not_skin(&model, p))
        .collect();
    let accepted = 1.0 - rejected.len() as f32 / sample.len() as f32;
    assert!(
        accepted >= 0.85,
        "{:.1} % of tattoo photos accepted as skin; rejected {rejected:?}",
        accepted * 100.0
    );
}

/// Whether the photo file at `path` is answered "not a skin photo".
fn answered_not_skin(model: &SkinModel, path: &std::path::Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    classify_bytes(&bytes, model, &Limits::default())
        .unwrap()
        .abstention
        .decision
        == Decision::NotSkin
}

/// Every JPEG under `dir`, at any depth.
fn jpegs_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(jpegs_under(&path));
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
        {
            out.push(path);
        }
    }
    out
}

/// What a clinician might drop by mistake: a blank or scanned page, a colour swatch, a
/// gradient, sensor noise, a chart. None is a skin photo (the discriminator is trained on
/// other, seeded, synthetic non-photos by scripts/train/gate.py).
#[test]
fn non_photos_are_not_skin_photos() {
    let model = model();
    let (w, h) = (480u32, 360u32);
    let mut state = 0x2545_f491_u32;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state >> 24) as u8
    };
    let pages: Vec<(&str, image::RgbImage)> = vec![
        (
            "white page",
            image::RgbImage::from_pixel(w, h, image::Rgb([250, 250, 248])),
        ),
        (
            "skin-coloured swatch",
            image::RgbImage::from_pixel(w, h, image::Rgb([224, 172, 140])),
        ),
        (
            "grey card",
            image::RgbImage::from_pixel(w, h, image::Rgb([128, 128, 128])),
        ),
        (
            "gradient",
            image::RgbImage::from_fn(w, h, |x, _| {
                let v = (x * 255 / w) as u8;
                image::Rgb([v, v / 2, 255 - v])
            }),
        ),
        (
            "noise",
            image::RgbImage::from_fn(w, h, |_, _| image::Rgb([noise(), noise(), noise()])),
        ),
        (
            "checkerboard",
            image::RgbImage::from_fn(w, h, |x, y| {
                if (x / 40 + y / 40) % 2 == 0 {
                    image::Rgb([20, 20, 20])
                } else {
                    image::Rgb([235, 235, 235])
                }
            }),
        ),
        (
            "ruled page",
            image::RgbImage::from_fn(w, h, |x, y| {
                if y % 24 < 2 || (y % 24 > 8 && y % 24 < 18 && (x / 7) % 3 != 0 && x > 30) {
                    image::Rgb([30, 30, 60])
                } else {
                    image::Rgb([252, 252, 250])
                }
            }),
        ),
    ];
    for (name, page) in pages {
        let mut png = Vec::new();
        page.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let c = classify_bytes(&png, &model, &Limits::default()).unwrap();
        assert_eq!(
            c.abstention.decision,
            Decision::NotSkin,
            "{name}: {:?}",
            c.abstention
        );
    }
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
        .filter(|p| !answered_not_skin(&model, p))
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
            let mel = c
                .classes
                .iter()
                .find(|k| k.code == "mel")
                .unwrap()
                .probability;
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
    assert!(
        scored.len() >= 60,
        "{} held-out MED-NODE photos",
        scored.len()
    );
    assert!(auc >= 0.85, "melanoma vs naevus AUC {auc:.3}");
}
