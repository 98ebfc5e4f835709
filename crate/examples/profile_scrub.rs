//! Where a photo's scrub time goes, stage by stage (native, one thread): decode, orient and
//! colour, the face step (detection, second look, gate, redaction), each check, and the
//! re-encode. Prints one JSON object with each stage's median over `RUNS` runs.
//!
//! Usage (from the repository root, after the model converters):
//! `cargo run --release -p hifu --example profile_scrub -- PHOTO.jpg [RUNS]`

use std::time::Instant;

use hifu::container;
use hifu::decode::{identify, upright, Limits};
use hifu::face::{FaceOptions, FaceStep, FaceWeights};
use hifu::PixelStep;

#[path = "common/allocator.rs"]
mod allocator;

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(|a, b| a.total_cmp(b));
    t[t.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: profile_scrub PHOTO [RUNS]")?;
    let runs: usize = std::env::args().nth(2).map_or(Ok(3), |r| r.parse())?;
    let bytes = std::fs::read(&path)?;
    let limits = Limits::default();
    let yunet = std::fs::read("models/face/yunet_n.safetensors")?;
    let centerface = std::fs::read("models/face/centerface.safetensors")?;
    let weights = FaceWeights { yunet: &yunet, centerface: &centerface };
    let mut face = FaceStep::new(Some(weights), FaceOptions::default(), 1);
    let mut text = hifu::text::TextStep::from_safetensors(&std::fs::read("models/text/ppocr_det.safetensors")?)?;
    let model = hifu::skin::SkinModel::from_bytes(
        &std::fs::read("models/skin/skin.safetensors")?,
        &std::fs::read_to_string("models/skin/calibration.json")?,
        &std::fs::read_to_string("models/skin/labels.json")?,
    )?;
    let head = hifu::skin::TattooHead::from_json(&std::fs::read_to_string("models/tattoo/tattoo.json")?, model.feature_len())?;
    let mut tattoo = hifu::skin::TattooStep::new(model, head);
    let mut fingerprint = hifu::fingerprint::FingerprintStep::default();
    // YuNet's pass over the pyramid alone (the face step's first part), to split its time.
    let detector = hifu::face::Detector::from_safetensors(weights)?;

    let names = ["parse", "decode_upright", "faces_pyramid_yunet", "faces", "text", "tattoo", "fingerprint", "encode_jpeg"];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..runs {
        let mut lap = Instant::now();
        let mark = |i: usize, times: &mut Vec<Vec<f64>>, lap: &mut Instant| {
            times[i].push(lap.elapsed().as_secs_f64() * 1e3);
            *lap = Instant::now();
        };
        let format = identify(&bytes, &limits)?;
        let parsed = container::parse(&bytes, format)?;
        mark(0, &mut times, &mut lap);
        let (mut pixels, _, _) = upright(&bytes, format, parsed.orientation, parsed.icc_profile.as_deref(), &limits)?;
        mark(1, &mut times, &mut lap);
        let rgb = image::RgbImage::from_raw(pixels.width(), pixels.height(), pixels.samples().to_vec())
            .ok_or("profile_scrub: an RGB photo is expected")?;
        lap = Instant::now();
        detector.candidates(&rgb)?;
        mark(2, &mut times, &mut lap);
        face.run(&mut pixels)?;
        mark(3, &mut times, &mut lap);
        text.run(&mut pixels)?;
        mark(4, &mut times, &mut lap);
        tattoo.run(&mut pixels)?;
        mark(5, &mut times, &mut lap);
        fingerprint.run(&mut pixels)?;
        mark(6, &mut times, &mut lap);
        // As `hifu scrub` does: the source's chroma subsampling, turned with the photo.
        hifu::encode::jpeg_with_chroma(&pixels, 92, hifu::scrub::output_chroma(parsed.jpeg_frame, parsed.orientation))?;
        mark(7, &mut times, &mut lap);
    }
    let stages: serde_json::Map<String, serde_json::Value> =
        names.iter().zip(times).map(|(n, t)| (n.to_string(), serde_json::json!((median(t) * 10.0).round() / 10.0))).collect();
    println!("{}", serde_json::json!({ "photo": path, "runs": runs, "ms": stages }));
    Ok(())
}
