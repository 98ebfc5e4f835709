//! Converts the upstream YuNet-n PyTorch checkpoint (`yunet_n.pth`, a zip-format torch file
//! holding `state_dict` and optimizer state) into the safetensors file hifu loads
//! (`models/face/yunet_n.safetensors`). Only the model's own tensors are kept; batch-norm
//! layers stay separate (hifu folds them into the convolutions when it loads the model).
//!
//! Usage: `cargo run -p hifu --example convert_yunet -- SRC.pth DST.safetensors`
//! (`scripts/convert-yunet` finds or downloads SRC and calls this).

use std::collections::HashMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: convert_yunet SRC.pth DST.safetensors");
        std::process::exit(2);
    }
    if let Err(e) = convert(&args[1], &args[2]) {
        eprintln!("convert_yunet: {e}");
        std::process::exit(1);
    }
}

fn convert(src: &str, dst: &str) -> Result<(), Box<dyn std::error::Error>> {
    let tensors = candle_core::pickle::read_all_with_key(src, Some("state_dict"))
        .map_err(|e| format!("{src} is not a YuNet PyTorch checkpoint with a state_dict: {e}"))?;
    let mut kept: HashMap<String, candle_core::Tensor> = HashMap::new();
    for (name, tensor) in tensors {
        // Training bookkeeping, not weights.
        if name.ends_with("num_batches_tracked") {
            continue;
        }
        kept.insert(name, tensor.to_dtype(candle_core::DType::F32)?);
    }
    let parameters: usize = kept
        .iter()
        .filter(|(n, _)| !n.ends_with("running_mean") && !n.ends_with("running_var"))
        .map(|(_, t)| t.elem_count())
        .sum();
    if !kept.contains_key("backbone.model0.conv1.weight") {
        return Err(
            format!("{src} does not look like YuNet (no backbone.model0.conv1.weight)").into(),
        );
    }
    let tmp = format!("{dst}.partial");
    candle_core::safetensors::save(&kept, &tmp)?;
    std::fs::rename(&tmp, dst)?;
    println!(
        "wrote {dst}: {} tensors, {parameters} parameters",
        kept.len()
    );
    Ok(())
}
