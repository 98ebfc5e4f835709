//! Converts PP-OCRv4's mobile text detector (`ch_PP-OCRv4_det_infer.onnx` from the PyPI wheel
//! `rapidocr-onnxruntime` 1.4.4, Apache-2.0 PaddleOCR weights) into the safetensors file hifu
//! loads (`models/text/ppocr_det.safetensors`).
//!
//! The export keeps every weight as a `Constant` node and spells each learnable affine block
//! (`a·x + b`) and hard-swish as separate `Mul`/`Add`/`Clip`/`Div` nodes. This walks the graph
//! in order and names tensors by their place in the network (see `crate/src/text/ppocr.rs`):
//! `stem`, `block.{i}.{dw,pw}` with their affine blocks folded in (the first `a·x + b` after a
//! convolution scales its weights and bias; the one after the hard-swish is kept as
//! `….act` = [c, d]), `block.{i}.se.{0,1}`, `tap.{level}`, `neck.{ins,inp}.{level}` and their
//! `.se.{0,1}`, `head.conv` (batch norm folded), `head.up.{0,1}` (the 2×2 stride-2 transposed
//! convolutions as (Cout·4, Cin) matrices, rows ordered (cout, dy, dx), batch norm folded).
//! With `--int8`, every convolution weight is stored as `NAME.q` + `NAME.scale` (per output
//! row, `crate/src/nn/quant.rs`).
//!
//! Usage: `cargo run -p hifu --example convert_ppocr_det -- SRC.onnx DST.safetensors [--int8]`
//! (`scripts/convert-ppocr-det` finds or downloads SRC and calls this).

use std::collections::HashMap;

#[path = "shared/save_weights.rs"]
mod save_weights;
use save_weights::save_weights;

use candle_core::{DType, Device, Tensor};
use onnx_rs::ast::{Node, OpType, TensorProto};

type Error = Box<dyn std::error::Error>;

const BN_EPS: f32 = 1e-5;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let int8 = args.iter().any(|a| a == "--int8");
    let paths: Vec<&String> = args.iter().skip(1).filter(|a| !a.starts_with("--")).collect();
    let [src, dst] = paths.as_slice() else {
        eprintln!("usage: convert_ppocr_det SRC.onnx DST.safetensors [--int8]");
        std::process::exit(2);
    };
    if let Err(e) = convert(src, dst, int8) {
        eprintln!("convert_ppocr_det: {e}");
        std::process::exit(1);
    }
}

fn tensor(t: &TensorProto) -> Result<Tensor, Error> {
    let dims: Vec<usize> = t.dims().iter().map(|&d| d as usize).collect();
    let values = t
        .as_f32()
        .ok_or_else(|| format!("constant {} is not float32", t.name()))?;
    Ok(Tensor::from_vec(values.to_vec(), dims, &Device::Cpu)?)
}

/// The graph as lookups: constants by name, the nodes that read each value.
struct Graph<'g, 'a> {
    constants: HashMap<&'a str, Tensor>,
    readers: HashMap<&'a str, Vec<&'g Node<'a>>>,
}

impl<'g, 'a> Graph<'g, 'a> {
    fn constant(&self, name: &str) -> Result<&Tensor, Error> {
        self.constants
            .get(name)
            .ok_or_else(|| format!("{name} is not a constant").into())
    }

    fn scalar(&self, name: &str) -> Result<f32, Error> {
        let v = self.constant(name)?.flatten_all()?.to_vec1::<f32>()?;
        match v.as_slice() {
            [x] => Ok(*x),
            _ => Err(format!("{name} is not a scalar").into()),
        }
    }

    /// The one node reading `value`, which must be an `op`.
    fn only_reader(&self, value: &str, op: &OpType) -> Result<&'g Node<'a>, Error> {
        match self.readers.get(value).map(Vec::as_slice) {
            Some([node]) if &node.op_type == op => Ok(node),
            _ => Err(format!("{value}: expected one {} reading it", op.as_str()).into()),
        }
    }

    /// `a·value + b` (Mul by a constant, then Add a constant): (a, b, output).
    fn affine_after(&self, value: &str) -> Result<(f32, f32, &'a str), Error> {
        let mul = self.only_reader(value, &OpType::Mul)?;
        let a = mul.input.iter().find(|i| **i != value).ok_or("Mul without a factor")?;
        let add = self.only_reader(mul.output[0], &OpType::Add)?;
        let b = add.input[1];
        Ok((self.scalar(a)?, self.scalar(b)?, add.output[0]))
    }

    /// The hard-swish written as Add 3, Clip, Mul, Div 6 after `value`: its output.
    fn hardswish_after(&self, value: &str) -> Result<&'a str, Error> {
        let readers = self.readers.get(value).ok_or("hard-swish input unread")?;
        let div = readers
            .iter()
            .find(|n| n.op_type == OpType::Mul)
            .and_then(|mul| self.readers.get(mul.output[0]))
            .and_then(|r| r.first())
            .filter(|n| n.op_type == OpType::Div)
            .ok_or_else(|| format!("{value}: no hard-swish after it"))?;
        Ok(div.output[0])
    }
}

fn conv_attr(node: &Node, name: &str) -> Vec<i64> {
    node.attribute
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.ints.clone())
        .unwrap_or_default()
}

/// Folds `a·(conv + bias) + b` into the convolution.
fn fold_affine(w: &Tensor, bias: &Tensor, a: f32, b: f32) -> Result<(Tensor, Tensor), Error> {
    Ok(((w * a as f64)?, ((bias * a as f64)? + b as f64)?))
}

/// Folds a batch norm (gamma, beta, mean, var) after a convolution with `bias` into it.
fn fold_bn(w: &Tensor, bias: &Tensor, bn: [&Tensor; 4]) -> Result<(Tensor, Tensor), Error> {
    let [gamma, beta, mean, var] = bn;
    let scale = (gamma / (var + BN_EPS as f64)?.sqrt()?)?;
    let cout = scale.dim(0)?;
    let mut shape = vec![1; w.rank()];
    shape[0] = cout;
    let w = w.broadcast_mul(&scale.reshape(shape)?)?;
    let bias = ((bias - mean)? * &scale)?.add(beta)?;
    Ok((w, bias))
}

pub fn convert(src: &str, dst: &str, int8: bool) -> Result<(), Error> {
    let bytes = std::fs::read(src)?;
    let model = onnx_rs::parse(&bytes).map_err(|e| format!("{src} is not an ONNX model: {e}"))?;
    let onnx = model.graph.as_ref().ok_or("no graph")?;
    let mut constants = HashMap::new();
    let mut readers: HashMap<&str, Vec<&Node>> = HashMap::new();
    for node in &onnx.node {
        if node.op_type == OpType::Constant {
            let t = node
                .attribute
                .iter()
                .find_map(|a| a.t.as_ref())
                .ok_or("a Constant without a tensor")?;
            // Integer constants (Resize's empty roi and the like) are not weights.
            if t.as_f32().is_some() {
                constants.insert(node.output[0], tensor(t)?);
            }
        } else {
            for input in &node.input {
                readers.entry(*input).or_default().push(node);
            }
        }
    }
    let g = Graph { constants, readers };
    let convs: Vec<&Node> = onnx.node.iter().filter(|n| n.op_type == OpType::Conv).collect();
    if convs.len() != 62 {
        return Err(format!("{src}: {} convolutions, not PP-OCRv4 det's 62", convs.len()).into());
    }
    let zeros = |n: usize| Tensor::zeros(n, DType::F32, &Device::Cpu);
    let weight_bias = |node: &Node| -> Result<(Tensor, Tensor), Error> {
        let w = g.constant(node.input[1])?.clone();
        let b = match node.input.get(2) {
            Some(name) => g.constant(name)?.clone(),
            None => zeros(w.dim(0)?)?,
        };
        Ok((w, b))
    };
    let mut out: HashMap<String, Tensor> = HashMap::new();
    let mut put = |name: String, w: Tensor, b: Tensor| {
        out.insert(format!("{name}.weight"), w);
        out.insert(format!("{name}.bias"), b);
    };
    let mut next = convs.iter();
    let mut take = |what: &str| next.next().copied().ok_or_else(|| format!("missing {what}"));

    // Stem: 3×3 stride 2 and its batch norm.
    let stem = take("stem")?;
    let bn = g.only_reader(stem.output[0], &OpType::BatchNormalization)?;
    let (w, b) = weight_bias(stem)?;
    let (w, b) = fold_bn(&w, &b, [1, 2, 3, 4].map(|i| &g.constants[bn.input[i]]))?;
    put("stem".into(), w, b);

    let mut extra: Vec<(String, Tensor)> = Vec::new();
    // The backbone's layout is the one hifu's port is built for.
    let blocks = hifu::text::PpOcrDetConfig::default().blocks;
    for (i, &(kernel, stride, se)) in blocks.iter().enumerate() {
        let dw = take("a depthwise convolution")?;
        let ks = conv_attr(dw, "kernel_shape");
        let st = conv_attr(dw, "strides");
        if ks != [kernel as i64; 2] || st != [stride as i64; 2] {
            return Err(format!("block {i}: kernel {ks:?} stride {st:?}, expected {kernel}/{stride}").into());
        }
        let (w, b) = weight_bias(dw)?;
        let (a, bb, after) = g.affine_after(dw.output[0])?;
        let (w, b) = fold_affine(&w, &b, a, bb)?;
        put(format!("block.{i}.dw"), w, b);
        if stride == 1 {
            let hs = g.hardswish_after(after)?;
            let (c, d, _) = g.affine_after(hs)?;
            extra.push((format!("block.{i}.dw.act"), Tensor::new(&[c, d], &Device::Cpu)?));
        }
        if se {
            for k in 0..2 {
                let (w, b) = weight_bias(take("an SE convolution")?)?;
                put(format!("block.{i}.se.{k}"), w, b);
            }
        }
        let pw = take("a pointwise convolution")?;
        let (w, b) = weight_bias(pw)?;
        let (a, bb, after) = g.affine_after(pw.output[0])?;
        let (w, b) = fold_affine(&w, &b, a, bb)?;
        put(format!("block.{i}.pw"), w, b);
        let hs = g.hardswish_after(after)?;
        let (c, d, _) = g.affine_after(hs)?;
        extra.push((format!("block.{i}.pw.act"), Tensor::new(&[c, d], &Device::Cpu)?));
    }
    // The backbone's 1×1 taps at strides 4, 8, 16, 32.
    for level in 0..4 {
        let (w, b) = weight_bias(take("a tap")?)?;
        put(format!("tap.{level}"), w, b);
    }
    // Neck: the lateral (ins) layers, coarsest first, then the output (inp) layers, coarsest
    // first; each a convolution without bias and its SE.
    for part in ["ins", "inp"] {
        for level in (0..4).rev() {
            let (w, b) = weight_bias(take("a neck convolution")?)?;
            put(format!("neck.{part}.{level}"), w, b);
            for k in 0..2 {
                let (w, b) = weight_bias(take("a neck SE convolution")?)?;
                put(format!("neck.{part}.{level}.se.{k}"), w, b);
            }
        }
    }
    // Head: 3×3 with its batch norm, then two transposed convolutions.
    let conv = take("the head convolution")?;
    let bn = g.only_reader(conv.output[0], &OpType::BatchNormalization)?;
    let (w, b) = weight_bias(conv)?;
    let (w, b) = fold_bn(&w, &b, [1, 2, 3, 4].map(|i| &g.constants[bn.input[i]]))?;
    put("head.conv".into(), w, b);
    let ups: Vec<&Node> = onnx
        .node
        .iter()
        .filter(|n| n.op_type == OpType::ConvTranspose)
        .collect();
    if ups.len() != 2 {
        return Err(format!("{src}: {} transposed convolutions, expected 2", ups.len()).into());
    }
    for (k, up) in ups.iter().enumerate() {
        let w = g.constant(up.input[1])?; // (Cin, Cout, 2, 2)
        let (cin, cout) = (w.dim(0)?, w.dim(1)?);
        let add = g.only_reader(up.output[0], &OpType::Add)?;
        let bias = g.constant(add.input[1])?.flatten_all()?;
        let bias = if bias.dim(0)? == 1 { bias.broadcast_as(cout)?.contiguous()? } else { bias };
        // Rows (cout, dy, dx): one 1×1 convolution, then a pixel shuffle.
        let rows = w.permute((1, 2, 3, 0))?.reshape((cout * 4, cin))?.contiguous()?;
        let row_bias = bias.reshape((cout, 1))?.broadcast_as((cout, 4))?.reshape(cout * 4)?;
        let (rows, row_bias) = match g.only_reader(add.output[0], &OpType::BatchNormalization) {
            Ok(bn) => {
                let [gamma, beta, mean, var] = [1, 2, 3, 4].map(|i| &g.constants[bn.input[i]]);
                let spread = |t: &Tensor| -> candle_core::Result<Tensor> {
                    t.reshape((cout, 1))?.broadcast_as((cout, 4))?.reshape(cout * 4)
                };
                fold_bn(&rows, &row_bias, [&spread(gamma)?, &spread(beta)?, &spread(mean)?, &spread(var)?])?
            }
            Err(_) => (rows, row_bias),
        };
        put(format!("head.up.{k}"), rows.reshape((cout * 4, cin, 1, 1))?, row_bias);
    }
    if next.next().is_some() {
        return Err(format!("{src}: convolutions left over").into());
    }
    for (name, t) in extra {
        out.insert(name, t);
    }
    let parameters: usize = out.values().map(|t| t.elem_count()).sum();
    save_weights(out, dst, parameters, int8, |n| n.ends_with(".weight"))
}
