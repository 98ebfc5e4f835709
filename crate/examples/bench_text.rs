//! Network-only latency of the PP-OCRv4 text detector at the input a 12 MP photo gets
//! (960×736), native candle on the CPU, batch 1: min, median and max of the timed runs
//! (what the map holds is checked by `tests/text_parity.rs`).
//! `RAYON_NUM_THREADS=1 cargo run --release -p hifu --example bench_text [ITERATIONS]`.

use std::path::Path;

use candle_core::{Device, Tensor};
use hifu::text::{PpOcrDet, PpOcrDetConfig};

#[path = "common/allocator.rs"]
mod allocator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let bytes = std::fs::read(root.join("models/text/ppocr_det.safetensors"))?;
    let model = PpOcrDet::from_safetensors(&bytes, PpOcrDetConfig::default())?;
    let (w, h) = (960, 736);
    // A smooth pattern with edges, in the normalised input's range.
    let values: Vec<f32> = (0..3 * w * h).map(|i| (((i * 7919) % 256) as f32 / 64.0 - 2.0) * ((i / w) % 7) as f32 / 7.0).collect();
    let x = Tensor::from_vec(values, (1, 3, h, w), &Device::Cpu)?;
    model.forward(&x)?; // warm-up
    let mut times: Vec<f64> = (0..n.max(1))
        .map(|_| {
            let start = std::time::Instant::now();
            let _ = model.forward(&x);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let (min, med, max) = (times[0], times[times.len() / 2], times[times.len() - 1]);
    println!("{{\"iterations\":{n},\"min_ms\":{min:.1},\"median_ms\":{med:.1},\"max_ms\":{max:.1}}}");
    Ok(())
}
