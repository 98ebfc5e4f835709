//! Measures the face stage: recall by face size on ../shared/faces (boxes.csv, IoU ≥ 0.5, or
//! covered by the redaction), what happens to the labelled clinical photos of
//! ../shared/data/clinical (models/face/clinical_faces.csv: none / partial / full face per
//! photo, split by folder), HAM10000 skin photos, LFW portraits, and the time per photo;
//! with the review flags: `partial_face` (from a box) and `face_part` (the whole-photo probe).
//! Prints Markdown for BENCHMARKS.md.
//!
//! Usage: `cargo run --release -p hifu --example face_eval -- [SHARED_DIR]`
//! Settings (environment):
//! - FACE_EVAL_SPLIT=test|tune (default test): which part of the clinical labels to survey;
//!   thresholds are chosen on `tune`, numbers are reported on `test`.
//! - FACE_EVAL_LONG_SIDE=N: also survey the clinical photos resized so that their long side is
//!   N px (4000: 12 megapixels); FACE_EVAL_STEP=k takes every k-th photo for that survey.
//! - FACE_EVAL_SKIP=faces,clinical,ham,lfw: sections to leave out.
//! - FACE_EVAL_SET="threshold=0.5,anchor=0.7,...": judge and detector settings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hifu::decode::Pixels;
use hifu::face::eval::Tally;
use hifu::face::face_part::FacePartProbe;
use hifu::face::judge::{Judge, JudgeConfig};
use hifu::face::step::{FACE_PART, PARTIAL_FACE};
use hifu::face::{gate, Detector, DetectorConfig, FaceOptions, FaceStep, FaceWeights};
use hifu::report::Redacted;
use hifu::PixelStep;

#[path = "common/allocator.rs"]
mod allocator;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn settings() -> Res<(DetectorConfig, JudgeConfig)> {
    let mut config = DetectorConfig::default();
    let mut judge = JudgeConfig::default();
    for kv in std::env::var("FACE_EVAL_SET")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
    {
        let (k, v) = kv.split_once('=').ok_or("FACE_EVAL_SET: key=value")?;
        let v: f32 = v.parse()?;
        match k {
            "score_threshold" => config.score_threshold = v,
            "nms_iou" => config.nms_iou = v,
            "containment" => config.containment = v,
            "max_megapixels" => config.max_megapixels = v,
            "tile" => config.tile = v as usize,
            "overlap" => config.overlap = v as usize,
            "context" => judge.context = v,
            "side" => judge.side = v as u32,
            "large_extent" => judge.large_extent = v,
            "threshold" => judge.threshold = v,
            "lenient_threshold" => judge.lenient_threshold = v,
            "confident_score" => judge.confident_score = v,
            "anchor" => judge.anchor = v,
            "crowd_threshold" => judge.crowd_threshold = v,
            "tiny_extent" => judge.tiny_extent = v,
            "tiny_pixels" => judge.tiny_pixels = v,
            "small_threshold" => judge.small_threshold = v,
            _ => return Err(format!("unknown setting {k}").into()),
        }
    }
    Ok((config, judge))
}

/// The detector and a face step (default options) built from the same settings.
struct Stage {
    detector: Detector,
    step: FaceStep,
}

fn stage(weights: FaceWeights<'_>) -> Res<Stage> {
    let (config, judge_config) = settings()?;
    let build = || -> Res<Detector> {
        let yunet = hifu::face::yunet::YuNet::from_safetensors(weights.yunet, Default::default())?;
        let cf = hifu::face::centerface::CenterFace::from_safetensors(
            weights.centerface,
            Default::default(),
        )?;
        Ok(Detector::new(yunet, config.clone())
            .with_judge(Judge::new(cf, judge_config.clone()))
            .with_face_part(FacePartProbe::embedded()?))
    };
    Ok(Stage {
        detector: build()?,
        step: FaceStep::with_detector(build()?, FaceOptions::default(), 0),
    })
}

fn pct(a: usize, b: usize) -> f32 {
    100.0 * a as f32 / b.max(1) as f32
}

fn resized(photo: image::RgbImage, long_side: Option<u32>) -> image::RgbImage {
    match long_side {
        Some(side) => {
            let s = side as f32 / photo.width().max(photo.height()) as f32;
            let (w, h) = (
                (photo.width() as f32 * s).round() as u32,
                (photo.height() as f32 * s).round() as u32,
            );
            hifu::face::resample::resize_rgb(&photo, w, h)
        }
        None => photo,
    }
}

/// What the face step did to one photo.
#[derive(Default, Clone, Copy)]
struct Outcome {
    excluded: bool,
    changed_share: f32,
    eyes_barred: bool,
    partial_face: bool,
    face_part: bool,
}

fn run_step(step: &mut FaceStep, photo: image::RgbImage) -> Res<Outcome> {
    let (w, h) = photo.dimensions();
    let before = photo.as_raw().clone();
    let mut pixels = Pixels::new(w, h, 3, zeroize::Zeroizing::new(photo.into_raw()))
        .ok_or("bad pixel buffer")?;
    let out = step.run(&mut pixels)?;
    let changed = before
        .chunks_exact(3)
        .zip(pixels.samples().chunks_exact(3))
        .filter(|(a, b)| a != b)
        .count();
    Ok(Outcome {
        excluded: out.gate.as_ref().is_some_and(|g| g.excluded),
        changed_share: changed as f32 / (w as f32 * h as f32).max(1.0),
        eyes_barred: out.faces.iter().any(|f| f.redacted == Redacted::Eyes),
        partial_face: out.review.iter().any(|r| r.kind == PARTIAL_FACE),
        face_part: out.review.iter().any(|r| r.kind == FACE_PART),
    })
}

fn recall_section(shared: &Path, s: &Stage) -> Res<()> {
    let mut truth: BTreeMap<String, Vec<[f32; 4]>> = BTreeMap::new();
    let mut csv = csv::Reader::from_path(shared.join("faces/boxes.csv"))?;
    for row in csv.records() {
        let row = row?;
        let b = [1, 2, 3, 4].map(|i| row.get(i).and_then(|v| v.parse().ok()).unwrap_or(0.0));
        truth
            .entry(row.get(0).unwrap_or_default().to_string())
            .or_default()
            .push(b);
    }
    let mut tally = Tally::default();
    let start = Instant::now();
    for (file, boxes) in &truth {
        let photo = image::open(shared.join("faces/images").join(file))?.to_rgb8();
        let faces = s.detector.detect(&photo)?;
        tally.add(boxes, &faces, 0.5);
    }
    println!(
        "## Faces: recall by size ({} photos, IoU ≥ 0.5)\n",
        truth.len()
    );
    println!("{}", tally.table());
    println!(
        "time: {:.1} s for {} photos\n",
        start.elapsed().as_secs_f32(),
        truth.len()
    );
    Ok(())
}

fn clinical_section(
    shared: &Path,
    s: &mut Stage,
    split: &str,
    long_side: Option<u32>,
    step_by: usize,
) -> Res<()> {
    let labels = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/face/clinical_faces.csv");
    let mut rows = Vec::new();
    for r in csv::Reader::from_path(labels)?.records() {
        let r = r?;
        if r.get(3) == Some(split) {
            let face = r.get(1).unwrap_or_default();
            let label = match (face, r.get(2)) {
                ("none", _) => face.to_string(),
                (_, Some(e)) if e != "0" => format!("{face}, eye visible"),
                _ => format!("{face}, no eye"),
            };
            rows.push((r.get(0).unwrap_or_default().to_string(), label));
        }
    }
    // Per label: photos, excluded, with any pixel changed, eyes barred, flagged partial_face,
    // flagged face_part, excluded or flagged, sum of changed share.
    let mut table: BTreeMap<String, (usize, usize, usize, usize, usize, usize, usize, f32)> =
        BTreeMap::new();
    let verbose = std::env::var_os("FACE_EVAL_VERBOSE").is_some();
    let start = Instant::now();
    let mut seen = 0;
    for (path, face) in rows.iter().step_by(step_by.max(1)) {
        let photo = resized(
            image::open(shared.join("data/clinical").join(path))?.to_rgb8(),
            long_side,
        );
        let o = run_step(&mut s.step, photo)?;
        seen += 1;
        let e = table.entry(face.clone()).or_default();
        e.0 += 1;
        e.1 += usize::from(o.excluded);
        e.2 += usize::from(o.excluded || o.changed_share > 0.0);
        e.3 += usize::from(o.eyes_barred);
        e.4 += usize::from(o.partial_face);
        e.5 += usize::from(o.face_part);
        e.6 += usize::from(o.excluded || o.partial_face || o.face_part);
        e.7 += if o.excluded { 1.0 } else { o.changed_share };
        if verbose && face == "none" && (o.excluded || o.changed_share > 0.0) {
            eprintln!(
                "  {path}: excluded={} changed {:.3}",
                o.excluded, o.changed_share
            );
        }
    }
    let size = long_side.map_or("native size".to_string(), |n| format!("long side {n} px"));
    println!("## Clinical photos ({split} split of models/face/clinical_faces.csv, {size}, {seen} photos)\n");
    println!("| labelled | photos | excluded (full face) | lose any pixel (or excluded) | eyes barred | flagged partial_face | flagged face_part | excluded or flagged | mean share of the photo lost |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (label, (n, ex, lost, eyes, partial, part, held, share)) in &table {
        println!(
            "| {label} | {n} | {ex} ({:.1} %) | {lost} ({:.1} %) | {eyes} | {partial} | {part} ({:.1} %) | {held} ({:.1} %) | {:.3} |",
            pct(*ex, *n),
            pct(*lost, *n),
            pct(*part, *n),
            pct(*held, *n),
            share / (*n).max(1) as f32
        );
    }
    println!(
        "\n({:.0} ms/photo)\n",
        start.elapsed().as_secs_f32() * 1e3 / seen.max(1) as f32
    );
    Ok(())
}

fn files(dir: PathBuf, keep: &dyn Fn(usize, &Path) -> bool) -> Res<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    Ok(files
        .into_iter()
        .enumerate()
        .filter(|(i, p)| keep(*i, p))
        .map(|(_, p)| p)
        .collect())
}

fn ham_section(shared: &Path, s: &Stage) -> Res<()> {
    let mut lesion: std::collections::HashMap<String, u32> = Default::default();
    for r in csv::Reader::from_path(shared.join("data/ham10000/metadata.csv"))?.records() {
        let r = r?;
        lesion.insert(
            r[1].to_string(),
            r[0].trim_start_matches("HAM_").parse().unwrap_or(0),
        );
    }
    let odd = |_: usize, p: &Path| {
        let id = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        lesion.get(id).is_some_and(|n| n % 2 == 1)
    };
    let all = files(shared.join("data/ham10000/images"), &odd)?;
    for (name, step, size) in [
        ("native size", 1, None),
        ("upscaled to 1600×1200", 10, Some((1600, 1200))),
    ] {
        let (mut flagged, mut face_part, mut seen) = (0, 0, 0);
        let probe = s.detector.face_part().ok_or("no face-part probe")?;
        for f in all.iter().step_by(step) {
            let mut photo = image::open(f)?.to_rgb8();
            if let Some((w, h)) = size {
                photo = hifu::face::resample::resize_rgb(&photo, w, h);
            }
            let look = s.detector.look(&photo)?;
            flagged += usize::from(!look.faces.is_empty());
            face_part += usize::from(look.face_part.is_some_and(|p| probe.flags(p)));
            seen += 1;
        }
        println!(
            "HAM10000 skin photos (odd-numbered lesions, {name}) with a face box: {flagged} / {seen} = {:.2} %; flagged face_part {face_part} = {:.2} %\n",
            pct(flagged, seen),
            pct(face_part, seen)
        );
    }
    Ok(())
}

fn lfw_section(shared: &Path, s: &Stage) -> Res<()> {
    let held_out = files(shared.join("faces/lfw"), &|i, _| i % 5 == 0)?;
    let views: [(&str, &dyn Fn(image::RgbImage) -> image::RgbImage); 2] = [
        ("LFW portraits (every 5th)", &|p| p),
        // The face fills the frame: the centre 96×112 of the 150×150 crop, upscaled 8×.
        (
            "LFW close-ups (centre 96×112 upscaled to 768×896)",
            &|p| {
                let crop = image::imageops::crop_imm(&p, 27, 19, 96, 112).to_image();
                hifu::face::resample::resize_rgb(&crop, 768, 896)
            },
        ),
    ];
    for (name, view) in views {
        let (mut found, mut gated) = (0, 0);
        for f in &held_out {
            let photo = view(image::open(f)?.to_rgb8());
            let faces = s.detector.detect(&photo)?;
            found += usize::from(!faces.is_empty());
            gated += usize::from(gate::is_full_face(
                &faces,
                photo.width(),
                photo.height(),
                &Default::default(),
            ));
        }
        let n = held_out.len();
        println!(
            "{name}: face found {found} / {n} = {:.2} %; excluded as full face {gated} = {:.2} %\n",
            pct(found, n),
            pct(gated, n)
        );
    }
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let shared = PathBuf::from(args.get(1).map(String::as_str).unwrap_or("../shared"));
    let yunet = std::fs::read("models/face/yunet_n.safetensors")?;
    let centerface = std::fs::read("models/face/centerface.safetensors")?;
    let mut s = stage(FaceWeights {
        yunet: &yunet,
        centerface: &centerface,
    })?;
    let skip = std::env::var("FACE_EVAL_SKIP").unwrap_or_default();
    let split = std::env::var("FACE_EVAL_SPLIT").unwrap_or_else(|_| "test".into());
    let long_side: Option<u32> = std::env::var("FACE_EVAL_LONG_SIDE")
        .ok()
        .map(|v| v.parse())
        .transpose()?;
    let step_by: usize = std::env::var("FACE_EVAL_STEP")
        .ok()
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(1);
    println!("Settings: {:?}\n", settings()?);
    if !skip.contains("faces") {
        recall_section(&shared, &s)?;
    }
    if !skip.contains("clinical") {
        clinical_section(&shared, &mut s, &split, None, 1)?;
        if long_side.is_some() {
            clinical_section(&shared, &mut s, &split, long_side, step_by)?;
        }
    }
    if !skip.contains("ham") {
        ham_section(&shared, &s)?;
    }
    if !skip.contains("lfw") {
        lfw_section(&shared, &s)?;
    }
    Ok(())
}
