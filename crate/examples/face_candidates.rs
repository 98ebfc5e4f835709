//! Dumps YuNet's candidate boxes (the whole pyramid, merged, before any second look) with
//! CenterFace's answer for each (`face::judge`: its score, box and landmarks), one JSON line
//! per photo, for designing and tuning the face stage offline.
//!
//! Usage: `cargo run --release -p hifu --example face_candidates -- LIST.txt OUT.jsonl [LONG_SIDE]`
//! LIST.txt holds one photo path per line. With LONG_SIDE each photo is first resized
//! so that its long side is that many pixels, as camera-sized photos are.

use std::io::{BufRead, Write};

#[path = "common/allocator.rs"]
mod allocator;
#[path = "common/face_detector.rs"]
mod face_detector;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (list, out) = match (args.get(1), args.get(2)) {
        (Some(l), Some(o)) => (l, o),
        _ => return Err("usage: face_candidates LIST.txt OUT.jsonl [LONG_SIDE]".into()),
    };
    let long_side: Option<u32> = args.get(3).map(|s| s.parse()).transpose()?;
    let detector = face_detector::shipped()?;
    let judge = detector.judge().ok_or("no judge")?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(out)?);
    for line in std::io::BufReader::new(std::fs::File::open(list)?).lines() {
        let path = line?;
        if path.trim().is_empty() {
            continue;
        }
        let mut photo = image::open(&path)?.to_rgb8();
        if let Some(side) = long_side {
            let s = side as f32 / photo.width().max(photo.height()) as f32;
            let (w, h) = (
                (photo.width() as f32 * s).round() as u32,
                (photo.height() as f32 * s).round() as u32,
            );
            // SIMD resampling: the `image` filter takes seconds to make a 12-megapixel photo.
            photo = hifu::face::resample::resize_rgb(&photo, w, h);
        }
        let mut boxes = Vec::new();
        for f in detector.candidates(&photo)? {
            let seen = judge.look(&photo, &f)?;
            let cf = seen.as_ref().map_or(0.0, |s| s.score);
            boxes.push(serde_json::json!({
                "bbox": f.bbox, "score": f.score, "landmarks": f.landmarks, "cf": cf,
                "cf_bbox": seen.as_ref().map(|s| s.bbox),
                "cf_landmarks": seen.as_ref().map(|s| s.landmarks),
            }));
        }
        let row = serde_json::json!({
            "path": path, "width": photo.width(), "height": photo.height(), "boxes": boxes,
        });
        writeln!(out, "{row}")?;
    }
    Ok(())
}
