//! Trains the second-stage face verifier (`crate/src/face/verifier.rs`) and writes
//! `models/face/verifier.safetensors`.
//!
//! Positives: YuNet's boxes (score ≥ 0.5) on LFW portraits, 4 of every 5 files (the 5th is
//! held out), each also flipped and jittered, and each again from a copy of the portrait
//! shrunk so the face is 8–30 px (the blurry crop of a face far back in a scene); plus
//! YuNet's confident boxes (score ≥ 0.8) on the unlabelled photos of ../shared/faces/images
//! (group photos; the labelled ones there are the recall test set and stay out).
//! Negatives: YuNet's boxes at score ≥ 0.3 on HAM10000 photos of lesions with an even HAM_
//! number (odd ones are held out), repeated with jitter and flipped (hard negatives), plus
//! one random large crop per training photo. The hard negatives come from each sampled photo
//! at its native 200×150 and also upscaled (bilinear) to 640×480 and 1600×1200: camera-sized
//! photos reach the detector's pyramid at ~3× their native scale, where YuNet puts large
//! boxes on skin that native photos never get. Only boxes the verifier judges (spanning ≥ 5 %
//! of the photo) are collected. AdamW with a cosine learning-rate decay, 16 epochs.
//! Deterministic: fixed seeds.
//!
//! Usage: `cargo run --release -p hifu --example train_face_verifier -- [SHARED_DIR] [HAM_SAMPLE]`

use std::collections::HashMap;
use std::path::PathBuf;

use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use hifu::face::verifier::{Verifier, VerifierConfig};
use hifu::face::{Detector, DetectorConfig, Face};
use image::imageops::FilterType;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

fn unit(rng: &mut ChaCha8Rng) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32
}

fn jitter(f: &Face, rng: &mut ChaCha8Rng) -> Face {
    let (w, h) = (f.width(), f.height());
    let (cx, cy) = ((f.bbox[0] + f.bbox[2]) / 2.0, (f.bbox[1] + f.bbox[3]) / 2.0);
    let s = 0.85 + 0.3 * unit(rng);
    let (cx, cy) = (
        cx + (unit(rng) - 0.5) * 0.2 * w,
        cy + (unit(rng) - 0.5) * 0.2 * h,
    );
    let (w, h) = (w * s, h * s);
    Face {
        bbox: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
        ..f.clone()
    }
}

fn flip(t: &Tensor) -> candle_core::Result<Tensor> {
    let w = t.dim(2)?;
    let idx: Vec<u32> = (0..w as u32).rev().collect();
    t.index_select(&Tensor::new(idx.as_slice(), t.device())?, 2)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let shared = PathBuf::from(args.get(1).map(String::as_str).unwrap_or("../shared"));
    let ham_sample: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(2500);
    let weights = std::fs::read("models/face/yunet_n.safetensors")?;
    let yunet = |threshold: f32| -> Result<Detector, Box<dyn std::error::Error>> {
        let model = hifu::face::yunet::YuNet::from_safetensors(&weights, Default::default())?;
        Ok(Detector::new(
            model,
            DetectorConfig {
                score_threshold: threshold,
                ..Default::default()
            },
        ))
    };
    let (det8, det5, det3) = (yunet(0.8)?, yunet(0.5)?, yunet(0.3)?);
    let dev = Device::Cpu;
    let shape_vm = VarMap::new();
    let cropper = Verifier::new(
        VarBuilder::from_varmap(&shape_vm, DType::F32, &dev),
        VerifierConfig::default(),
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(2023);
    // The crops take minutes to collect: cached between runs (HIFU_VERIFIER_CACHE=file).
    let cache = std::env::var("HIFU_VERIFIER_CACHE").ok();
    let cached = cache.as_ref().filter(|c| std::path::Path::new(c).exists());
    let (x, y, positives) = if let Some(c) = cached {
        let t = candle_core::safetensors::load(c, &dev)?;
        let y = t["y"].clone();
        let positives = y.sum_all()?.to_scalar::<f32>()? as usize;
        (t["x"].clone(), y, positives)
    } else {
        let (x, y, positives) = collect(
            &shared,
            ham_sample,
            [&det8, &det5, &det3],
            &cropper,
            &mut rng,
        )?;
        if let Some(c) = &cache {
            candle_core::safetensors::save(
                &HashMap::from([("x".to_string(), x.clone()), ("y".to_string(), y.clone())]),
                c,
            )?;
        }
        (x, y, positives)
    };
    let n = y.dim(0)?;
    let varmap = VarMap::new();
    let model = Verifier::new(
        VarBuilder::from_varmap(&varmap, DType::F32, &dev),
        VerifierConfig::default(),
    )?;
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: 3e-3,
            weight_decay: 1e-4,
            ..Default::default()
        },
    )?;
    let (batch, epochs) = (64, 16);
    for epoch in 0..epochs {
        // Cosine decay: at a constant 3e-3 the loss stopped falling and rose again late on.
        let progress = epoch as f64 / epochs as f64;
        opt.set_learning_rate(3e-3 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()));
        let mut order: Vec<u32> = (0..n as u32).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.next_u32() as usize % (i + 1));
        }
        let mut total = 0f32;
        for chunk in order.chunks(batch) {
            let idx = Tensor::new(chunk, &dev)?;
            let loss = stable_bce(
                &model.logits(&x.index_select(&idx, 0)?)?,
                &y.index_select(&idx, 0)?,
            )?;
            opt.backward_step(&loss)?;
            total += loss.to_scalar::<f32>()? * chunk.len() as f32;
        }
        eprintln!("epoch {epoch}: loss {:.4}", total / n as f32);
    }
    varmap.save("models/face/verifier.safetensors")?;
    println!(
        "wrote models/face/verifier.safetensors ({n} crops: {positives} face, {} not)",
        n - positives
    );
    Ok(())
}

/// (crops, labels, number of positives)
fn collect(
    shared: &std::path::Path,
    ham_sample: usize,
    [det8, det5, det3]: [&Detector; 3],
    cropper: &Verifier,
    rng: &mut ChaCha8Rng,
) -> Result<(Tensor, Tensor, usize), Box<dyn std::error::Error>> {
    let dev = Device::Cpu;
    let (mut xs, mut ys): (Vec<Tensor>, Vec<f32>) = (Vec::new(), Vec::new());

    let list = |dir: PathBuf| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        v.sort();
        v
    };
    let lfw = list(shared.join("faces/lfw"));
    for (i, f) in lfw.iter().enumerate() {
        if i % 5 == 0 {
            continue;
        }
        let photo = image::open(f)?.to_rgb8();
        for face in det5.detect(&photo)? {
            if !cropper.judges(&face, photo.width(), photo.height()) {
                continue;
            }
            for b in [face.clone(), jitter(&face, rng)] {
                push_flipped(cropper.crop(&photo, &b)?, 1.0, &mut xs, &mut ys)?;
            }
            let (small, b) = shrunk(&photo, &face, rng);
            push_flipped(cropper.crop(&small, &b)?, 1.0, &mut xs, &mut ys)?;
        }
    }
    let labelled: std::collections::HashSet<String> =
        csv::Reader::from_path(shared.join("faces/boxes.csv"))?
            .records()
            .filter_map(|r| r.ok().and_then(|r| r.get(0).map(str::to_string)))
            .collect();
    let mut scene = 0;
    for f in list(shared.join("faces/images")) {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        // dogs.jpg has dog faces only, which YuNet finds; they are no training data for humans.
        if labelled.contains(name) || name == "dogs.jpg" {
            continue;
        }
        let photo = image::open(&f)?.to_rgb8();
        for face in det8.detect(&photo)? {
            if !cropper.judges(&face, photo.width(), photo.height()) {
                continue;
            }
            scene += 1;
            for _ in 0..3 {
                push_flipped(
                    cropper.crop(&photo, &jitter(&face, rng))?,
                    1.0,
                    &mut xs,
                    &mut ys,
                )?;
            }
        }
    }
    eprintln!("scene faces: {scene}");
    let positives = ys.len();
    eprintln!("positives: {positives}");

    let mut lesion: HashMap<String, u32> = HashMap::new();
    let mut meta = csv::Reader::from_path(shared.join("data/ham10000/metadata.csv"))?;
    for r in meta.records() {
        let r = r?;
        let n: u32 = r[0].trim_start_matches("HAM_").parse().unwrap_or(1);
        lesion.insert(r[1].to_string(), n);
    }
    let ham: Vec<PathBuf> = list(shared.join("data/ham10000/images"))
        .into_iter()
        .filter(|p| {
            let id = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            lesion.get(id).is_some_and(|n| n % 2 == 0)
        })
        .collect();
    let step = (ham.len() / ham_sample.max(1)).max(1);
    let mut hard = 0;
    for (i, f) in ham.iter().enumerate() {
        let photo = image::open(f)?.to_rgb8();
        let (w, h) = (photo.width() as f32, photo.height() as f32);
        // A random large crop: the kind of box YuNet puts on skin.
        let (bw, bh) = (w * (0.3 + 0.7 * unit(rng)), h * (0.3 + 0.7 * unit(rng)));
        let (x0, y0) = ((w - bw) * unit(rng), (h - bh) * unit(rng));
        let random = Face {
            bbox: [x0, y0, x0 + bw, y0 + bh],
            score: 0.0,
            landmarks: [[0.0; 2]; 5],
        };
        if let Some(c) = cropper.crop(&photo, &random)? {
            xs.push(c);
            ys.push(0.0);
        }
        if i % step != 0 {
            continue;
        }
        if i % (step * 250) == 0 {
            eprintln!("  skin photo {i} / {}: {hard} boxes so far", ham.len());
        }
        hard += hard_negatives(&photo, det3, cropper, rng, &mut xs, &mut ys)?;
        for (cw, ch) in CAMERA_SIZES {
            let big = image::imageops::resize(&photo, cw, ch, FilterType::Triangle);
            hard += hard_negatives(&big, det3, cropper, rng, &mut xs, &mut ys)?;
        }
    }
    eprintln!(
        "negatives: {} ({hard} YuNet boxes on skin)",
        ys.len() - positives
    );

    let x = Tensor::stack(&xs, 0)?;
    let y = Tensor::new(ys.as_slice(), &dev)?;
    Ok((x, y, positives))
}

/// Sizes the sampled training skin photos are also upscaled to for hard negatives.
const CAMERA_SIZES: [(u32, u32); 2] = [(640, 480), (1600, 1200)];

/// Adds jittered (and flipped) crops of the boxes YuNet (`det3`) puts on `photo` that the
/// verifier would judge, as negatives; returns how many boxes.
fn hard_negatives(
    photo: &image::RgbImage,
    det3: &Detector,
    cropper: &Verifier,
    rng: &mut ChaCha8Rng,
    xs: &mut Vec<Tensor>,
    ys: &mut Vec<f32>,
) -> Result<usize, Box<dyn std::error::Error>> {
    let mut boxes = 0;
    for face in det3.detect(photo)? {
        if !cropper.judges(&face, photo.width(), photo.height()) {
            continue;
        }
        boxes += 1;
        for _ in 0..4 {
            push_flipped(cropper.crop(photo, &jitter(&face, rng))?, 0.0, xs, ys)?;
        }
    }
    Ok(boxes)
}

/// Adds a crop and its mirror image with label `y`.
fn push_flipped(
    crop: Option<Tensor>,
    y: f32,
    xs: &mut Vec<Tensor>,
    ys: &mut Vec<f32>,
) -> candle_core::Result<()> {
    if let Some(c) = crop {
        xs.push(flip(&c)?);
        xs.push(c);
        ys.extend([y, y]);
    }
    Ok(())
}

/// `photo` shrunk so that `face` is 8–30 px across, and the face's box in it.
fn shrunk(photo: &image::RgbImage, face: &Face, rng: &mut ChaCha8Rng) -> (image::RgbImage, Face) {
    let size = face.width().max(face.height()).max(1.0);
    let s = (8.0 + 22.0 * unit(rng)) / size;
    let (w, h) = (
        ((photo.width() as f32 * s).round() as u32).max(1),
        ((photo.height() as f32 * s).round() as u32).max(1),
    );
    let small = image::imageops::resize(photo, w, h, FilterType::Triangle);
    let b = Face {
        bbox: face.bbox.map(|v| v * s),
        ..face.clone()
    };
    (small, b)
}

/// Binary cross-entropy on logits, computed as max(z, 0) − z·y + log(1 + e^−|z|) so saturated
/// logits stay finite (candle's version takes the log of a sigmoid and overflows to NaN).
fn stable_bce(z: &Tensor, y: &Tensor) -> candle_core::Result<Tensor> {
    let softplus = (z.abs()?.neg()?.exp()? + 1.0)?.log()?;
    (z.relu()? - (z * y)?)?.add(&softplus)?.mean_all()
}
