//! Face recall by size and precision on the labelled photos in ../shared/faces (boxes.csv),
//! plus the portrait and negative cases. Needs models/face/yunet_n.safetensors
//! (scripts/convert-yunet) and ../shared. The full numbers (and the skin-photo false-positive
//! rate over all of HAM10000) come from `cargo run --release -p hifu --example face_eval`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use hifu::face::eval::Tally;

#[test]
fn recall_by_face_size_on_labelled_photos() {
    let detector = common::face_detector();
    let mut truth: BTreeMap<String, Vec<[f32; 4]>> = BTreeMap::new();
    let mut csv = csv::Reader::from_path(common::shared().join("faces/boxes.csv")).unwrap();
    for row in csv.records() {
        let row = row.unwrap();
        let b = [1, 2, 3, 4].map(|i| row[i].parse::<f32>().unwrap());
        truth.entry(row[0].to_string()).or_default().push(b);
    }
    assert_eq!(truth.values().map(Vec::len).sum::<usize>(), 371);
    let mut tally = Tally::default();
    for (file, boxes) in &truth {
        let photo = image::open(common::shared().join("faces/images").join(file))
            .unwrap()
            .to_rgb8();
        tally.add(boxes, &detector.detect(&photo).unwrap(), 0.5);
    }
    println!("{}", tally.table());
    // The reference model cannot reach 0.95 here: onnxruntime on the same photos and protocol
    // (IoU ≥ 0.5) finds 0.861 of the faces ≥ 16 px in one pass at native size and 0.886 at
    // native + 2× (tests/parity/yunet/reference_recall.py). Most misses are 16–25 px WIDER
    // faces whose box overlaps the labelled one at IoU 0.44–0.49. hifu's pyramid measures 0.925
    // and its redaction covers 0.925 (floors leave two faces of slack for other CPUs' rounding).
    // The rest of the detections box faces the labels leave out, and hands; skin photos are
    // face_skin.rs's and face_clinical.rs's job.
    assert!(
        tally.recall_at_least(16.0) >= 0.915,
        "recall ≥16 px {}",
        tally.recall_at_least(16.0)
    );
    assert!(
        tally.recall_at_least(64.0) >= 0.99,
        "every face ≥ 64 px is found"
    );
    assert!(
        tally.coverage_at_least(16.0) >= 0.915,
        "redaction covers faces ≥16 px: {}",
        tally.coverage_at_least(16.0)
    );
    // Found or covered, what anonymisation needs: 0.960 measured.
    assert!(
        tally.redacted_at_least(16.0) >= 0.95,
        "faces ≥16 px redacted: {}",
        tally.redacted_at_least(16.0)
    );
    // CenterFace's second look drops YuNet's boxes on hands and clothes: 0.70 measured.
    assert!(tally.precision() >= 0.65, "precision {}", tally.precision());
}

#[test]
fn finds_no_face_in_flat_or_noisy_images() {
    // (dogs.jpg is no negative for YuNet: it boxes both dog faces at 0.84–0.90, like the
    // reference; over-redacting a dog is harmless.)
    let detector = common::face_detector();
    let grey = image::RgbImage::from_pixel(800, 600, image::Rgb([128, 128, 128]));
    assert!(detector.detect(&grey).unwrap().is_empty());
    let mut state = 0x2545_f491_u32;
    let noise = image::RgbImage::from_fn(640, 480, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    assert!(detector.detect(&noise).unwrap().is_empty());
}

#[test]
fn finds_the_face_in_every_sampled_portrait() {
    let detector = common::face_detector();
    let mut files: Vec<PathBuf> = std::fs::read_dir(common::shared().join("faces/lfw"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let sample: Vec<&PathBuf> = files.iter().step_by(40).collect();
    assert_eq!(sample.len(), 50);
    for f in sample {
        let photo = image::open(f).unwrap().to_rgb8();
        let faces = detector.detect(&photo).unwrap();
        assert!(!faces.is_empty(), "no face in {}", f.display());
        // A real face, not a speck: LFW crops show the subject's face at 40–110 px.
        assert!(
            faces.iter().any(|x| x.width() >= 35.0),
            "{}: {faces:?}",
            f.display()
        );
    }
}
