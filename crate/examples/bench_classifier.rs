//! Classifier latency, native candle (single photo, batch 1, CPU):
//! `cargo run -p hifu --example bench_classifier [PHOTO] [ITERATIONS]`.
//! Prints the median of: preprocessing alone, network forward alone, and `classify_bytes`
//! (decode + orient + preprocess + forward + calibration + OOD + CAM), as one JSON line.
//! Run by `scripts/bench` (`bench_classifier`).

use std::path::Path;

use hifu::skin::{classify_bytes, preprocess, SkinModel};
use hifu::Limits;

#[path = "common/allocator.rs"]
mod allocator;
#[path = "common/timing.rs"]
mod timing;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let args: Vec<String> = std::env::args().collect();
    let photo = args
        .get(1)
        .map(Into::into)
        .unwrap_or_else(|| root.join("../shared/data/ham10000/images/ISIC_0024306.jpg"));
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(50);
    let dir = root.join("models/skin");
    let model = SkinModel::from_bytes(
        &std::fs::read(dir.join("skin.safetensors")).expect("weights"),
        &std::fs::read_to_string(dir.join("calibration.json")).expect("calibration"),
        &std::fs::read_to_string(dir.join("labels.json")).expect("labels"),
    )
    .expect("model");
    let bytes = std::fs::read(&photo).expect("photo");
    let limits = Limits::default();
    let pixels = hifu::skin::upright_pixels(&bytes, &limits).expect("decode");
    let prep = timing::median_ms(
        1,
        || {
            preprocess::to_input(&pixels, &model.config.preprocessing).expect("prep");
        },
        n,
    );
    let fwd = timing::median_ms(
        1,
        || {
            model.forward(&pixels).expect("forward");
        },
        n,
    );
    let full = timing::median_ms(
        1,
        || {
            classify_bytes(&bytes, &model, &limits).expect("classify");
        },
        n,
    );
    println!(
        "{{\"width\":{},\"height\":{},\"runs\":{n},\"preprocess_ms\":{prep:.3},\"forward_ms\":{fwd:.3},\"classify_bytes_ms\":{full:.3}}}",
        pixels.width(),
        pixels.height()
    );
}
