//! The face step on clinical photographs: skin photos keep their lesion, facial close-ups lose
//! only their eyes and are flagged, whole faces are excluded. Photos and labels:
//! ../shared/data/clinical with models/face/clinical_faces.csv (none / partial / full face per
//! photo, labelled by hand; `test` = the folders held out from every choice of threshold, see
//! models/face/README.md). The whole-split figures are in BENCHMARKS.md
//! (`cargo run --release -p hifu --example face_eval`).
//! Needs models/face/{yunet_n,centerface}.safetensors and ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::decode::Pixels;
use hifu::face::{FaceOptions, FaceStep, FaceWeights};
use hifu::report::Redacted;
use hifu::PixelStep;

struct Labelled {
    path: String,
    face: String,
    eyes: u32,
}

fn held_out() -> Vec<Labelled> {
    let mut out = Vec::new();
    let labels = common::repo().join("models/face/clinical_faces.csv");
    for r in csv::Reader::from_path(labels).unwrap().records() {
        let r = r.unwrap();
        if &r[3] == "test" {
            out.push(Labelled {
                path: r[0].to_string(),
                face: r[1].to_string(),
                eyes: r[2].parse().unwrap(),
            });
        }
    }
    out
}

fn step() -> FaceStep {
    let (yunet, centerface) = (common::yunet_weights(), common::centerface_weights());
    FaceStep::new(
        Some(FaceWeights {
            yunet: &yunet,
            centerface: &centerface,
        }),
        FaceOptions::default(),
        7,
    )
}

/// What the step did: excluded, share of pixels changed, eyes barred, flagged for review.
fn run(step: &mut FaceStep, photo: image::RgbImage) -> (bool, f32, bool, bool) {
    let (w, h) = photo.dimensions();
    let before = photo.as_raw().clone();
    let mut pixels = Pixels::new(w, h, 3, zeroize::Zeroizing::new(photo.into_raw())).unwrap();
    let out = step.run(&mut pixels).unwrap();
    let changed = before
        .chunks_exact(3)
        .zip(pixels.samples().chunks_exact(3))
        .filter(|(a, b)| a != b)
        .count();
    (
        out.gate.as_ref().is_some_and(|g| g.excluded),
        changed as f32 / (w * h) as f32,
        out.faces.iter().any(|f| f.redacted == Redacted::Eyes),
        !out.review.is_empty(),
    )
}

fn open(rel: &str) -> image::RgbImage {
    image::open(common::shared().join("data/clinical").join(rel))
        .unwrap()
        .to_rgb8()
}

fn camera_size(photo: image::RgbImage, long: u32) -> image::RgbImage {
    let s = long as f32 / photo.width().max(photo.height()) as f32;
    let (w, h) = (
        (photo.width() as f32 * s).round() as u32,
        (photo.height() as f32 * s).round() as u32,
    );
    hifu::face::resample::resize_rgb(&photo, w, h)
}

#[test]
fn at_most_one_percent_of_held_out_skin_photos_lose_a_pixel() {
    let photos: Vec<Labelled> = held_out().into_iter().filter(|p| p.face == "none").collect();
    assert!(photos.len() >= 600, "{} held-out photos without a face", photos.len());
    let sample: Vec<&Labelled> = photos.iter().step_by(3).collect();
    let mut step = step();
    let mut lost = Vec::new();
    for p in &sample {
        let (excluded, changed, _, _) = run(&mut step, open(&p.path));
        if excluded || changed > 0.0 {
            lost.push(format!("{} (excluded {excluded}, {:.1} % changed)", p.path, changed * 100.0));
        }
    }
    println!("{} of {} lose pixels: {lost:?}", lost.len(), sample.len());
    assert!(
        lost.len() as f32 <= 0.01 * sample.len() as f32,
        "{} of {} held-out skin photos lose pixels: {lost:?}",
        lost.len(),
        sample.len()
    );
}

/// Camera and phone photos are megapixel: the same photos upscaled to a 3000-px long side
/// reach the detector's pyramid at 4–5× their native scale, where YuNet boxes skin texture.
#[test]
fn camera_sized_held_out_skin_photos_rarely_lose_a_pixel() {
    let photos: Vec<Labelled> = held_out().into_iter().filter(|p| p.face == "none").collect();
    let sample: Vec<&Labelled> = photos.iter().step_by(25).collect();
    let mut step = step();
    let mut lost = Vec::new();
    for p in &sample {
        let (excluded, changed, _, _) = run(&mut step, camera_size(open(&p.path), 3000));
        if excluded || changed > 0.0 {
            lost.push(p.path.clone());
        }
    }
    println!("{} of {} camera-sized photos lose pixels: {lost:?}", lost.len(), sample.len());
    // One photo of the sample may lose pixels (the rate on a larger sample is in
    // BENCHMARKS.md; a larger sample here costs minutes of CI).
    assert!(
        lost.len() <= 1,
        "{} of {}: {lost:?}",
        lost.len(),
        sample.len()
    );
}

/// Facial close-ups (a lesion on a cheek, a nose, lips): the photo is kept, at most the eyes
/// are barred; when barred, the photo is flagged and most of it survives.
#[test]
fn facial_close_ups_keep_their_lesion_and_lose_only_the_eyes() {
    let photos: Vec<Labelled> = held_out().into_iter().filter(|p| p.face == "partial").collect();
    assert!(photos.len() >= 100, "{} held-out partial faces", photos.len());
    let mut step = step();
    let (mut excluded, mut barred, mut barred_with_eyes) = (0, 0, 0);
    let mut lost_when_barred: Vec<(f32, String)> = Vec::new();
    for p in &photos {
        let (ex, changed, eyes, flagged) = run(&mut step, open(&p.path));
        excluded += usize::from(ex);
        if eyes {
            barred += 1;
            barred_with_eyes += usize::from(p.eyes > 0);
            assert!(flagged, "{}: eyes barred but not flagged for review", p.path);
            lost_when_barred.push((changed, p.path.clone()));
        }
    }
    println!(
        "{} partial faces: {excluded} excluded, {barred} with the eyes barred ({barred_with_eyes} labelled with eyes visible)",
        photos.len()
    );
    assert!(
        excluded as f32 <= 0.05 * photos.len() as f32,
        "{excluded} of {} facial close-ups excluded as full faces",
        photos.len()
    );
    assert!(barred >= 10, "only {barred} close-ups had their eyes barred");
    // The band spans the face's width and the brows, so on a frame-filling face it is a large
    // share of the photo. Known defect (issue 12, left open): most barred close-ups have no
    // visible eye, and their band falls on skin; the reviewer sees them flagged. This limit
    // keeps that from getting worse; the goal is a band only where eyes are.
    let mean = lost_when_barred.iter().map(|(c, _)| c).sum::<f32>() / lost_when_barred.len().max(1) as f32;
    lost_when_barred.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("most lost: {:?}", lost_when_barred.iter().take(3).collect::<Vec<_>>());
    assert!(mean <= 0.30, "barred close-ups lose {:.0} % of the photo on average", mean * 100.0);
}

/// A whole, identifiable face: excluded, or (turned heads the landmarks do not call frontal)
/// its eyes barred and the photo flagged for the reviewer. Never let through untouched.
#[test]
fn whole_faces_are_excluded_or_barred_and_flagged() {
    let photos: Vec<Labelled> = held_out().into_iter().filter(|p| p.face == "full").collect();
    assert!(!photos.is_empty());
    let mut step = step();
    for p in &photos {
        let (excluded, _, eyes, flagged) = run(&mut step, open(&p.path));
        assert!(excluded || (eyes && flagged), "{}: whole face neither excluded nor barred", p.path);
    }
}
