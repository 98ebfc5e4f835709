//! Runs hifu's text detector on a list of photos and prints one JSON line per photo: every
//! blob it marks, before the line rule (`region`, the grown box, and `core`, the blob's own box,
//! as `[x, y, width, height]` in photo pixels; `fill`; `score`; `map_size`, the blob's box in
//! the detector's map pixels), and the time taken.
//! `scripts/train/text_rule.py` chooses the text rule from the lines and reports it
//! (models/text/README.md).
//!
//! Usage: `cargo run --release -p hifu --example text_eval -- WEIGHTS.safetensors [MAX_SIDE] < PATHS`
//! (one photo path per line on stdin; MAX_SIDE, the detector's long side, defaults to the one
//! hifu uses, so that another input size can be tried and its rule chosen).

use std::io::BufRead;
use std::time::Instant;

use hifu::decode::{decode, identify, Limits};
use hifu::text::TextStep;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let weights = std::env::args().nth(1).ok_or("usage: text_eval WEIGHTS [MAX_SIDE] < PATHS")?;
    let max_side = match std::env::args().nth(2) {
        Some(side) => side.parse()?,
        None => hifu::text::step::MAX_SIDE,
    };
    // Every blob the map holds (mean probability ≥ 0.5), with its shape, so that the rule that
    // tells text from lesions can be chosen offline.
    let detector = hifu::text::PpOcrDet::from_safetensors(&std::fs::read(weights)?, Default::default())?;
    let params = hifu::text::RegionParams { box_threshold: 0.5, ..Default::default() };
    let step = TextStep::new(detector, params, Default::default(), max_side);
    let limits = Limits::default();
    for line in std::io::stdin().lock().lines() {
        let path = line?;
        let bytes = std::fs::read(&path)?;
        let pixels = decode(&bytes, identify(&bytes, &limits)?, &limits)?;
        let start = Instant::now();
        let found = step.blobs(&pixels)?;
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let boxes: Vec<serde_json::Value> = found
            .iter()
            .map(|t| serde_json::json!({"region": t.region, "score": t.score, "core": t.core, "fill": t.fill, "map_size": t.map_size}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"path": path, "width": pixels.width(), "height": pixels.height(), "ms": ms, "boxes": boxes})
        );
    }
    Ok(())
}
