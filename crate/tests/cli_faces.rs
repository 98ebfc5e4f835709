//! `hifu scrub` and faces, as an operator meets them: redaction is on by default, the report
//! lists each face, a missing face model refuses every photo (fail closed), and only the
//! explicit `--no-face-detection` lets a photo through undetected.
//!
//! Uses a group photo from `../shared/faces/images` (read in place, never copied into the repo)
//! and the converted weights `models/face/yunet_n.safetensors` (scripts/convert-yunet).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HIFU: &str = env!("CARGO_BIN_EXE_hifu");
const GROUP_PHOTO: &str = "2008_002470.jpg";

fn shared_photo() -> PathBuf {
    let path = common::shared().join("faces/images").join(GROUP_PHOTO);
    assert!(
        path.is_file(),
        "{} missing: ../shared must sit beside the checkout",
        path.display()
    );
    path
}

fn scrub(input: &Path, out_dir: &Path, report: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "scrub".as_ref(),
        input.as_os_str(),
        "--out-dir".as_ref(),
        out_dir.as_os_str(),
        "--report".as_ref(),
        report.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    Command::new(HIFU).args(args).output().unwrap()
}

fn report_line(report: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(report).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

/// Mean and standard deviation of the luma inside `[x0, x1) × [y0, y1)`.
fn luma_stats(img: &image::RgbImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> (f64, f64) {
    let values: Vec<f64> = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .map(|(x, y)| {
            let p = img.get_pixel(x, y);
            0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
        })
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
    (mean, var.sqrt())
}

#[test]
fn faces_are_found_listed_and_filled_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report) = (dir.path().join("out"), dir.path().join("r.jsonl"));
    let input = shared_photo();
    let result = scrub(&input, &out, &report, &[]);
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );

    let line = report_line(&report);
    assert_eq!(line["status"], "ok");
    assert_eq!(
        line["output_kind"], "re_encoded",
        "redacted pixels close the lossless path"
    );
    let faces = line["faces"].as_array().unwrap();
    // boxes.csv lists 6 faces in this photo; a small background face may be missed.
    assert!(faces.len() >= 5, "only {} faces found", faces.len());

    let original = image::open(&input).unwrap().to_rgb8();
    let clean = image::open(line["output"].as_str().unwrap())
        .unwrap()
        .to_rgb8();
    assert_eq!(original.dimensions(), clean.dimensions());
    for face in faces {
        let b = |k: &str| face[k].as_f64().unwrap();
        assert!(face["score"].as_f64().unwrap() >= 0.4);
        assert_eq!(face["landmarks"].as_array().unwrap().len(), 5);
        // The inner half of the box: well inside the filled region (box grown by ≥ 20 %).
        let (cx, cy, w, h) = (
            b("x") + b("width") / 2.0,
            b("y") + b("height") / 2.0,
            b("width"),
            b("height"),
        );
        let region = (
            (cx - w / 4.0) as u32,
            (cy - h / 4.0) as u32,
            (cx + w / 4.0) as u32,
            (cy + h / 4.0) as u32,
        );
        let (_, before_sd) = luma_stats(&original, region);
        let (after_mean, after_sd) = luma_stats(&clean, region);
        assert!(
            before_sd > 5.0,
            "the original face region has texture ({before_sd})"
        );
        assert!(
            after_sd < 2.0,
            "the redacted region is one flat fill, no trace left ({after_sd})"
        );
        assert!(
            (after_mean - 128.0).abs() < 3.0,
            "filled with the documented grey ({after_mean})"
        );
    }
}

#[test]
fn a_missing_face_model_refuses_every_photo() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report) = (dir.path().join("out"), dir.path().join("r.jsonl"));
    let missing = dir.path().join("no-such-models");
    let result = scrub(
        &shared_photo(),
        &out,
        &report,
        &["--face-models", missing.to_str().unwrap()],
    );
    assert_eq!(result.status.code(), Some(1));
    let line = report_line(&report);
    assert_eq!(line["status"], "error");
    assert_eq!(line["error"]["code"], "face.weights_missing");
    let written = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "fail closed: nothing is written");
}

#[test]
fn only_an_explicit_opt_out_skips_detection() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report) = (dir.path().join("out"), dir.path().join("r.jsonl"));
    let result = scrub(&shared_photo(), &out, &report, &["--no-face-detection"]);
    assert_eq!(result.status.code(), Some(0));
    let line = report_line(&report);
    assert_eq!(line["status"], "ok");
    assert!(line["faces"].as_array().is_none_or(|f| f.is_empty()));
}

#[test]
fn pixelate_and_blur_are_chosen_explicitly() {
    for mode in ["pixelate", "blur"] {
        let dir = tempfile::tempdir().unwrap();
        let (out, report) = (dir.path().join("out"), dir.path().join("r.jsonl"));
        let result = scrub(&shared_photo(), &out, &report, &["--redact", mode]);
        assert_eq!(result.status.code(), Some(0), "{mode}");
        assert!(
            !report_line(&report)["faces"].as_array().unwrap().is_empty(),
            "{mode}"
        );
    }
}

/// A discoid-lupus close-up of a face in which neither detector boxes a face: nothing is
/// painted, the report holds a `face_part` flag over the whole photo, and the console line says
/// the photo must be checked. (The text check is off: it would fill DermNet's logo, see
/// cli_text.rs.)
#[test]
fn a_face_close_up_without_a_box_is_flagged_not_painted() {
    let input = common::shared()
        .join("data/clinical/dermnet/Discoid lupus erythematosus/discoid-lupus-12.jpg");
    let dir = tempfile::tempdir().unwrap();
    let (out_dir, report) = (dir.path().join("out"), dir.path().join("report.jsonl"));
    let out = scrub(&input, &out_dir, &report, &["--no-text-check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report_line(&report);
    assert_eq!(r["faces"].as_array().map_or(0, Vec::len), 0, "{r}");
    let review = r["review"].as_array().expect("a review flag");
    assert_eq!(review.len(), 1, "{r}");
    assert_eq!(review[0]["kind"], "face_part");
    let photo = image::open(&input).unwrap();
    assert_eq!(
        review[0]["regions"][0],
        serde_json::json!([0.0, 0.0, photo.width() as f32, photo.height() as f32])
    );
    assert!(review[0]["score"].as_f64().unwrap() >= 0.5, "{r}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("check before sharing: face_part"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Nothing painted: the JPEG is kept as it was coded (no pixel change needed).
    assert_eq!(r["output_kind"], "lossless", "{r}");
}
