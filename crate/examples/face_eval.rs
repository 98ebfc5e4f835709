//! Measures the face detector: recall by face size and precision on ../shared/faces
//! (boxes.csv, IoU ≥ 0.5), the share of HAM10000 skin photos that get a face box, the share of
//! LFW portraits found, and the forward time. Prints Markdown for BENCHMARKS.md.
//!
//! Usage: `cargo run --release -p hifu --example face_eval -- [SHARED_DIR] [HAM_SAMPLE] [LFW_SAMPLE]`
//! (SHARED_DIR defaults to ../shared; samples default to all photos).
//! FACE_EVAL_CAMERA=WxH (e.g. 1600x1200) upscales each held-out HAM10000 photo to that size
//! (bilinear) before the skin survey, as camera-sized clinical photos are.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use hifu::face::eval::Tally;
use hifu::face::{gate, Detector};

#[path = "common/allocator.rs"]
mod allocator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let shared = PathBuf::from(args.get(1).map(String::as_str).unwrap_or("../shared"));
    let ham_sample: usize = args
        .get(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(usize::MAX);
    let lfw_sample: usize = args
        .get(3)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(usize::MAX);
    let weights = std::fs::read("models/face/yunet_n.safetensors")?;
    let mut config = hifu::face::DetectorConfig::default();
    let mut verifier_config = hifu::face::verifier::VerifierConfig::default();
    // Overrides for tuning runs: FACE_EVAL_SET="nms_iou=0.45,containment=0.8,...".
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
            "max_upscale" => config.max_upscale = v,
            "max_megapixels" => config.max_megapixels = v,
            "coarse_side" => config.coarse_side = v as usize,
            "base_side" => config.base_side = v as usize,
            "overlap" => config.overlap = v as usize,
            "tile" => config.tile = v as usize,
            "min_extent" => verifier_config.min_extent = v,
            "verifier_threshold" => verifier_config.threshold = v,
            "large_extent" => verifier_config.large_extent = v,
            "small_threshold" => verifier_config.small_threshold = v,
            _ => return Err(format!("unknown setting {k}").into()),
        }
    }
    let model = hifu::face::yunet::YuNet::from_safetensors(&weights, Default::default())?;
    let mut detector = Detector::new(model, config);
    if std::env::var_os("FACE_EVAL_NO_VERIFIER").is_none() {
        let verifier = hifu::face::verifier::Verifier::embedded()?.with_config(verifier_config);
        detector = detector.with_verifier(verifier);
    }

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
    let verbose = std::env::var_os("FACE_EVAL_VERBOSE").is_some();
    let camera: Option<(u32, u32)> = match std::env::var("FACE_EVAL_CAMERA") {
        Ok(s) => {
            let (w, h) = s.split_once('x').ok_or("FACE_EVAL_CAMERA: WxH")?;
            Some((w.parse()?, h.parse()?))
        }
        Err(_) => None,
    };
    let mut tally = Tally::default();
    let start = Instant::now();
    let only = std::env::var("FACE_EVAL_ONLY").unwrap_or_default();
    for (file, boxes) in truth.iter().filter(|(f, _)| f.contains(&only)) {
        let photo = image::open(shared.join("faces/images").join(file))?.to_rgb8();
        let faces = detector.detect(&photo)?;
        if std::env::var_os("FACE_EVAL_VERBOSE").is_some() {
            for b in boxes {
                let t = hifu::face::Face {
                    bbox: *b,
                    score: 1.0,
                    landmarks: [[0.0; 2]; 5],
                };
                let size = (t.width() * t.height()).sqrt();
                let best = faces
                    .iter()
                    .map(|f| (hifu::face::boxes::iou(&t, f), f))
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                if let Some((v, f)) = best {
                    if v < 0.5 && size >= 16.0 {
                        eprintln!(
                            "  missed {size:.0}px {b:?}: best IoU {v:.2} with {:?} score {:.2}",
                            f.bbox, f.score
                        );
                    }
                }
            }
        }
        if gate::is_full_face(&faces, photo.width(), photo.height(), &Default::default()) {
            eprintln!("  {file}: the full-face gate would exclude it");
        }
        let mut one = Tally::default();
        one.add(boxes, &faces, 0.5);
        tally.add(boxes, &faces, 0.5);
        eprintln!(
            "{file}: {}x{} {} faces, {} found, recall≥16 {:.2}",
            photo.width(),
            photo.height(),
            boxes.len(),
            faces.len(),
            one.recall_at_least(16.0)
        );
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

    // (photos with any face box, photos the full-face gate excludes, photos seen, s/photo)
    let survey = |dir: PathBuf,
                  sample: usize,
                  keep: &dyn Fn(usize, &std::path::Path) -> bool,
                  view: &dyn Fn(image::RgbImage) -> image::RgbImage|
     -> Result<(usize, usize, usize, f32), Box<dyn std::error::Error>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        let files: Vec<PathBuf> = files
            .into_iter()
            .enumerate()
            .filter(|(i, p)| keep(*i, p))
            .map(|(_, p)| p)
            .collect();
        let step = (files.len() / sample.min(files.len()).max(1)).max(1);
        let (mut flagged, mut gated, mut seen) = (0, 0, 0);
        let start = Instant::now();
        for f in files.iter().step_by(step) {
            let photo = view(image::open(f)?.to_rgb8());
            let faces = detector.detect(&photo)?;
            let full =
                gate::is_full_face(&faces, photo.width(), photo.height(), &Default::default());
            flagged += usize::from(!faces.is_empty());
            gated += usize::from(full);
            seen += 1;
            if verbose && !faces.is_empty() {
                eprintln!(
                    "  {} gated={full} {:?}",
                    f.display(),
                    faces.first().map(|f| (f.bbox, f.score))
                );
            }
        }
        Ok((
            flagged,
            gated,
            seen,
            start.elapsed().as_secs_f32() / seen.max(1) as f32,
        ))
    };
    let pct = |a: usize, b: usize| 100.0 * a as f32 / b.max(1) as f32;
    // Held out from the verifier's training: HAM10000 lesions with an odd HAM_ number, every
    // 5th LFW file (see train_face_verifier.rs).
    let mut lesion: std::collections::HashMap<String, u32> = Default::default();
    let mut meta = csv::Reader::from_path(shared.join("data/ham10000/metadata.csv"))?;
    for r in meta.records() {
        let r = r?;
        lesion.insert(
            r[1].to_string(),
            r[0].trim_start_matches("HAM_").parse().unwrap_or(0),
        );
    }
    let odd_lesion = |_: usize, p: &std::path::Path| {
        let id = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        lesion.get(id).is_some_and(|n| n % 2 == 1)
    };
    let (flagged, gated, seen, t) = survey(
        shared.join("data/ham10000/images"),
        ham_sample,
        &odd_lesion,
        &|photo| match camera {
            Some((w, h)) => {
                image::imageops::resize(&photo, w, h, image::imageops::FilterType::Triangle)
            }
            None => photo,
        },
    )?;
    let size = camera.map_or("native size".to_string(), |(w, h)| {
        format!("upscaled to {w}×{h}")
    });
    println!(
        "HAM10000 skin photos (held-out lesions, {size}) with a face box (score ≥ {}): {flagged} / {seen} = {:.2} %; excluded as full face: {gated} ({:.2} %) ({:.0} ms/photo)\n",
        detector.config().score_threshold, pct(flagged, seen), pct(gated, seen), t * 1e3
    );
    let (found, gated, seen, t) = survey(
        shared.join("faces/lfw"),
        lfw_sample,
        &|i, _| i % 5 == 0,
        &|photo| photo,
    )?;
    println!(
        "LFW portraits (held out) with a face found: {found} / {seen} = {:.2} %; excluded as full face: {gated} = {:.2} % ({:.0} ms/photo)\n",
        pct(found, seen), pct(gated, seen), t * 1e3
    );
    // The close-up of a cheek lesion: the face fills the frame. LFW's 150×150 crops hold the
    // face in roughly the centre 70×90 px; the centre 96×112 upscaled 8× is a camera-sized
    // photo whose face spans ~75 % of it.
    let (found, gated, seen, t) = survey(
        shared.join("faces/lfw"),
        lfw_sample,
        &|i, _| i % 5 == 0,
        &|photo| {
            let crop = image::imageops::crop_imm(&photo, 27, 19, 96, 112).to_image();
            image::imageops::resize(&crop, 768, 896, image::imageops::FilterType::Triangle)
        },
    )?;
    println!(
        "LFW close-ups (held out; centre 96×112 upscaled to 768×896, the face fills the frame) with a face found: {found} / {seen} = {:.2} %; excluded as full face: {gated} = {:.2} % ({:.0} ms/photo)\n",
        pct(found, seen), pct(gated, seen), t * 1e3
    );

    let photo = image::RgbImage::new(640, 640);
    let _ = detector.detect_padded(photo.as_raw(), 640, 640)?;
    let runs = 10;
    let start = Instant::now();
    for _ in 0..runs {
        let _ = detector.detect_padded(photo.as_raw(), 640, 640)?;
    }
    println!(
        "YuNet-n forward + decode at 640×640, native: {:.1} ms",
        start.elapsed().as_secs_f32() * 1e3 / runs as f32
    );
    Ok(())
}
