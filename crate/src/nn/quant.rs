//! Per-output-channel int8 weights: how hifu ships its larger networks in a quarter of the
//! bytes (the page downloads every model on first load). A weight `NAME` (Cout, …) is stored as
//! `NAME.q`, u8 holding `q + 128` with `q = round(w / scale)` in −127..=127, and `NAME.scale`,
//! f32 (Cout) = max |w| of the channel / 127; loading multiplies back to f32, so inference runs
//! the same kernels as for float weights. `scripts/train/export.py` writes the same format.

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor};

/// Splits `w` (Cout, …) into its u8 codes and per-channel scales.
pub fn quantize_per_channel(w: &Tensor) -> Result<(Tensor, Tensor)> {
    let cout = w.dim(0)?;
    let values = w.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    let per = values.len() / cout.max(1);
    let mut codes = Vec::with_capacity(values.len());
    let mut scales = Vec::with_capacity(cout);
    for channel in values.chunks(per.max(1)) {
        let max = channel.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = max / 127.0;
        scales.push(scale);
        codes.extend(channel.iter().map(|v| {
            let q = if scale > 0.0 { (v / scale).round().clamp(-127.0, 127.0) } else { 0.0 };
            (q as i16 + 128) as u8
        }));
    }
    Ok((
        Tensor::from_vec(codes, w.shape(), &Device::Cpu)?,
        Tensor::from_vec(scales, cout, &Device::Cpu)?,
    ))
}

/// The f32 weight back from its codes (Cout, …) and scales (Cout).
pub fn dequantize(codes: &Tensor, scales: &Tensor) -> Result<Tensor> {
    let cout = codes.dim(0)?;
    if scales.dims() != [cout] {
        candle_core::bail!(
            "int8 weight: {} scales for {cout} output channels",
            scales.elem_count()
        );
    }
    // One pass over the codes (the network loads millions of them on every page start).
    let scales = scales.to_dtype(DType::F32)?.to_vec1::<f32>()?;
    let codes_flat = codes.flatten_all()?.to_vec1::<u8>()?;
    let per = codes_flat.len() / cout.max(1);
    let mut values = Vec::with_capacity(codes_flat.len());
    for (channel, scale) in codes_flat.chunks(per.max(1)).zip(&scales) {
        values.extend(channel.iter().map(|&q| (f32::from(q) - 128.0) * scale));
    }
    Tensor::from_vec(values, codes.shape(), &Device::Cpu)
}

/// A weight by name from a loaded safetensors file: stored as f32 (or f16/bf16) under `name`,
/// or as int8 under `name.q` and `name.scale`.
pub fn weight(tensors: &HashMap<String, Tensor>, name: &str) -> Result<Tensor> {
    if let Some(t) = tensors.get(name) {
        return t.to_dtype(DType::F32);
    }
    match (
        tensors.get(&format!("{name}.q")),
        tensors.get(&format!("{name}.scale")),
    ) {
        (Some(q), Some(s)) if q.dtype() == DType::U8 => dequantize(q, s),
        (Some(_), Some(_)) => candle_core::bail!("{name}.q must be u8"),
        _ => candle_core::bail!("the weights have no tensor {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_error_is_at_most_half_a_step_per_channel() {
        let w = Tensor::randn(0f32, 1.0, (6, 4, 3, 3), &Device::Cpu).unwrap();
        let w = w.broadcast_mul(&Tensor::new(&[1e-3f32, 0.1, 1.0, 10.0, 0.0, 2.0], &Device::Cpu).unwrap().reshape((6, 1, 1, 1)).unwrap()).unwrap();
        let (q, s) = quantize_per_channel(&w).unwrap();
        assert_eq!(q.dtype(), DType::U8);
        let back = dequantize(&q, &s).unwrap();
        let scales = s.to_vec1::<f32>().unwrap();
        let err = (back - &w).unwrap().abs().unwrap().flatten_from(1).unwrap().max(1).unwrap();
        for (e, s) in err.to_vec1::<f32>().unwrap().iter().zip(&scales) {
            assert!(*e <= s * 0.5 + 1e-7, "error {e} for scale {s}");
        }
        // The all-zero channel stays exactly zero.
        assert_eq!(scales[4], 0.0);
    }

    #[test]
    fn weight_reads_either_form_and_names_what_is_missing() {
        let w = Tensor::new(&[[0.5f32, -1.0], [2.0, 0.25]], &Device::Cpu).unwrap();
        let (q, s) = quantize_per_channel(&w).unwrap();
        let mut t = HashMap::new();
        t.insert("a".to_string(), w.clone());
        t.insert("b.q".to_string(), q);
        t.insert("b.scale".to_string(), s);
        assert_eq!(weight(&t, "a").unwrap().to_vec2::<f32>().unwrap(), w.to_vec2::<f32>().unwrap());
        let b = weight(&t, "b").unwrap().to_vec2::<f32>().unwrap();
        assert!((b[0][1] + 1.0).abs() < 1e-6 && (b[1][0] - 2.0).abs() < 1e-6);
        let e = weight(&t, "c").unwrap_err().to_string();
        assert!(e.contains("no tensor c"), "{e}");
    }
}
