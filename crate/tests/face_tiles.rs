//! The face detector's passes give the same faces however they are run: one after another,
//! spread over native threads, or as tiles handed to another worker (what the page's helper
//! workers do through `scrubShared`), and a scrub whose passes ran elsewhere writes the same
//! bytes and report as one that ran them itself. Needs models/face/ and ../shared/faces.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use hifu::face::{FaceOptions, FaceStep, FaceWeights, TileFound};
use hifu::scrub::{finish, prepare, Prepared};
use hifu::{scrub_with, ScrubOptions};

/// A crowd (142 labelled faces): small enough to be enlarged, so its finest level is tiled.
const CROWD: &str = "faces/images/0_Parade_Parade_0_873.jpg";

#[test]
fn faces_are_the_same_on_one_thread_on_two_and_tile_by_tile() {
    let photo = image::open(common::shared().join(CROWD)).unwrap().to_rgb8();
    let one = common::face_detector().with_threads(1);
    let two = common::face_detector().with_threads(2);
    let alone = one.scan(&photo).unwrap();
    assert!(alone.faces.len() >= 100, "the crowd's faces are found: {}", alone.faces.len());
    let threaded = two.scan(&photo).unwrap();
    assert_eq!(threaded.faces, alone.faces, "two threads find exactly the same boxes");
    assert_eq!(threaded.features, alone.features);

    // Tile by tile, each tile's pixels copied out as for a helper worker.
    let (pyramid, jobs) = one.plan(&photo, false);
    assert!(jobs.len() > 4, "the enlarged crowd is cut into tiles: {} jobs", jobs.len());
    assert_eq!(jobs.iter().filter(|j| j.pooled).count(), 1, "one pass pools the face-part features");
    let found: Vec<TileFound> = jobs
        .iter()
        .map(|job| {
            let rgb = pyramid.tile_rgb(&photo, job).unwrap();
            assert_eq!(rgb.len(), job.window.width * job.window.height * 3);
            let (faces, features) = one
                .detect_tile(&rgb, job.window.width, job.window.height, job.pooled)
                .unwrap();
            TileFound {
                faces: pyramid.to_photo(job, faces),
                features,
            }
        })
        .collect();
    let elsewhere = one.merge(found, photo.width(), photo.height());
    assert_eq!(elsewhere.faces, alone.faces, "tiles run elsewhere find exactly the same boxes");
    assert_eq!(elsewhere.features, alone.features);
}

#[test]
fn a_scrub_whose_passes_ran_elsewhere_writes_the_same_photo_and_report() {
    let input = std::fs::read(common::shared().join(CROWD)).unwrap();
    let (yunet, centerface) = (common::yunet_weights(), common::centerface_weights());
    let weights = FaceWeights {
        yunet: &yunet,
        centerface: &centerface,
    };
    let options = ScrubOptions::default();
    let mut step = FaceStep::new(Some(weights), FaceOptions::default(), 7);
    let whole = scrub_with(&input, &options, &mut step).unwrap();
    assert!(whole.report.faces.len() >= 50, "faces redacted: {}", whole.report.faces.len());

    let mut step = FaceStep::new(Some(weights), FaceOptions::default(), 7);
    let Prepared::Decoded(decoded) = prepare(&input, &options, &step).unwrap() else {
        panic!("a photo with face detection on is decoded");
    };
    let plan = step.plan(decoded.pixels()).unwrap().unwrap();
    let detector = step.detector().unwrap();
    // The jobs read the decoded pixels in place (an RGB photo is not copied for them).
    let photo = plan.photo(decoded.pixels()).unwrap();
    assert_eq!(photo.as_raw().as_ptr(), decoded.pixels().samples().as_ptr());
    // In reverse order, as workers may answer: the merge puts them back in job order.
    let mut found: Vec<(usize, TileFound)> = plan
        .jobs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, job)| (i, detector.run_job(&photo, &plan.pyramid, job).unwrap()))
        .collect();
    found.sort_by_key(|(i, _)| *i);
    let scan = detector.merge(
        found.into_iter().map(|(_, f)| f).collect(),
        photo.width(),
        photo.height(),
    );
    drop(plan);
    step.use_scan(scan);
    let shared = finish(&input, decoded, &options, &mut step).unwrap();
    assert_eq!(shared.report, whole.report);
    assert!(shared.image == whole.image, "the same clean bytes");
}
