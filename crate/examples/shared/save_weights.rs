//! Writing converted weights, shared by the ONNX converters (`convert_centerface`,
//! `convert_ppocr_det`): optionally int8 per output channel (`hifu::nn::quant`) for the
//! tensors `quantize` picks, everything else f32, written to `<dst>.partial` and renamed, so a
//! killed run never leaves a half-written file under the real name.

use std::collections::HashMap;

use candle_core::{DType, Tensor};

/// Saves `out` to `dst`; with `int8`, each tensor named `<name>` that `quantize` accepts is
/// stored as `<name>.q` (int8 as u8) and `<name>.scale`. Prints a one-line summary.
pub fn save_weights(
    mut out: HashMap<String, Tensor>,
    dst: &str,
    parameters: usize,
    int8: bool,
    quantize: impl Fn(&str) -> bool,
) -> Result<(), Box<dyn std::error::Error>> {
    if int8 {
        let weights: Vec<String> = out.keys().filter(|n| quantize(n)).cloned().collect();
        for name in weights {
            if let Some(w) = out.remove(&name) {
                let (q, scale) = hifu::nn::quant::quantize_per_channel(&w)?;
                out.insert(format!("{name}.q"), q);
                out.insert(format!("{name}.scale"), scale);
            }
        }
    }
    let out: HashMap<String, Tensor> = out
        .into_iter()
        .map(|(n, t)| {
            let t = if t.dtype() == DType::U8 { t } else { t.to_dtype(DType::F32)? };
            Ok((n, t.contiguous()?))
        })
        .collect::<Result<_, candle_core::Error>>()?;
    let tmp = format!("{dst}.partial");
    candle_core::safetensors::save(&out, &tmp)?;
    std::fs::rename(&tmp, dst)?;
    println!(
        "wrote {dst}: {} tensors, {parameters} parameters{}",
        out.len(),
        if int8 { ", int8 per-channel weights" } else { "" }
    );
    Ok(())
}
