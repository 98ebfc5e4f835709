//! Network-only latency of YuNet-n at 640×640, the skin classifier, and the depthwise 3×3
//! kernel against candle's grouped `conv2d`, native candle on the CPU, batch 1.
//! `cargo run --release -p hifu --example bench_models [ITERATIONS]`; prints one JSON line.
//! Threads: candle's CPU ops use `RAYON_NUM_THREADS` (scripts/bench sets 1, like candle-wasm).
//! Inputs are deterministic (`pattern`), identical to `scripts/lib/bench_models_ort.py`'s.
//! Run by `scripts/bench` (`bench_models`).

use std::path::Path;

use candle_core::{Device, Tensor};
use hifu::face::yunet::{YuNet, YuNetConfig};
use hifu::nn::depthwise::conv2d_dw3x3;
use hifu::skin::model::{Lite0, Lite0Config};
use hifu::skin::SkinConfig;

#[path = "common/allocator.rs"]
mod allocator;
#[path = "common/timing.rs"]
mod timing;

/// The same values as `pattern()` in bench_models_ort.py and the wasm bench: (i·7919 mod 256)
/// scaled by `scale`.
fn pattern(len: usize, scale: f32) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * 7919) % 256) as f32 * scale)
        .collect()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let dev = Device::Cpu;
    let mut fields = vec![format!("\"iterations\":{n}")];

    let yunet_path = root.join("models/face/yunet_n.safetensors");
    if let Ok(bytes) = std::fs::read(&yunet_path) {
        let model = YuNet::from_safetensors(&bytes, YuNetConfig::default()).expect("yunet");
        let x = Tensor::from_vec(pattern(3 * 640 * 640, 1.0), (1, 3, 640, 640), &dev).unwrap();
        let ms = timing::median_ms(
            3,
            || {
                model.forward(&x).expect("forward");
            },
            n,
        );
        fields.push(format!("\"yunet_640_ms\":{ms:.3}"));
    }

    let dir = root.join("models/skin");
    let config = SkinConfig::from_json(
        &std::fs::read_to_string(dir.join("calibration.json")).expect("calibration"),
    )
    .expect("config");
    let size = config.preprocessing.size;
    let net = Lite0::from_safetensors(
        &std::fs::read(dir.join("skin.safetensors")).expect("weights"),
        &Lite0Config::default(),
        config.classes.len(),
        size,
    )
    .expect("skin");
    let input = pattern(3 * size * size, 1.0 / 128.0);
    let ms = timing::median_ms(
        3,
        || {
            net.forward(input.clone()).expect("forward");
        },
        n.max(100),
    );
    fields.push(format!("\"skin_{size}_ms\":{ms:.3}"));

    for (c, hw, stride) in [(64, 80, 1), (64, 40, 1), (64, 160, 1), (16, 320, 2)] {
        let x = Tensor::from_vec(pattern(c * hw * hw, 1.0 / 256.0), (1, c, hw, hw), &dev).unwrap();
        let w = Tensor::from_vec(pattern(c * 9, 1.0 / 256.0), (c, 1, 3, 3), &dev).unwrap();
        let ours = timing::median_ms(
            3,
            || {
                conv2d_dw3x3(&x, &w, stride).expect("dw");
            },
            n.max(50),
        );
        let grouped = timing::median_ms(
            3,
            || {
                x.conv2d(&w, 1, stride, 1, c).expect("conv2d");
            },
            n.max(20),
        );
        fields.push(format!(
            "\"dw_{c}x{hw}x{hw}_s{stride}\":{{\"hifu_ms\":{ours:.4},\"candle_grouped_ms\":{grouped:.4}}}"
        ));
    }
    println!("{{{}}}", fields.join(","));
}
