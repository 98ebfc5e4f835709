//! A fast depthwise convolution (3×3 or 5×5, stride 1 or 2) as a candle custom op.
//!
//! candle's CPU `conv2d` runs a grouped convolution as one convolution per group, which makes
//! the depthwise layers of small mobile networks (YuNet, CenterFace, EfficientNet-Lite) dominate
//! the forward time. This kernel walks each channel plane once, with an optional fused bias and
//! activation (batch norm folds into both) and the preceding 1×1 convolution's bias added while
//! padding. On `wasm32` with `simd128` the 3×3 stride-1 case computes four outputs per
//! instruction.

use candle_core::{CpuStorage, CustomOp2, Layout, Shape, Tensor};

use super::{out_len, Activation, Padding};

/// Depthwise 3×3 convolution, padding 1: `x` is (N, C, H, W) f32, `w` is (C, 1, 3, 3).
/// Same result as `x.conv2d(w, 1, stride, 1, C)`.
pub fn conv2d_dw3x3(x: &Tensor, w: &Tensor, stride: usize) -> candle_core::Result<Tensor> {
    conv2d_dw3x3_fused(x, w, None, false, stride)
}

/// [`conv2d_dw3x3`] with a per-channel bias added and, when `relu`, negatives clamped to 0.
pub fn conv2d_dw3x3_fused(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&[f32]>,
    relu: bool,
    stride: usize,
) -> candle_core::Result<Tensor> {
    conv2d_dw3x3_after_bias(x, None, w, bias, relu, stride)
}

/// [`conv2d_dw3x3_fused`] on `x + input_bias[c]`: the bias of the 1×1 convolution before it,
/// added while the plane is copied into its zero border rather than in a pass of its own (the
/// border stays zero, as it would after a separate add).
pub fn conv2d_dw3x3_after_bias(
    x: &Tensor,
    input_bias: Option<&[f32]>,
    w: &Tensor,
    bias: Option<&[f32]>,
    relu: bool,
    stride: usize,
) -> candle_core::Result<Tensor> {
    let act = if relu {
        Activation::Relu
    } else {
        Activation::Identity
    };
    conv2d_depthwise(x, input_bias, w, bias, act, stride, Padding::Centred)
}

/// The general form: `w` is (C, 1, k, k) with k = 3 or 5; the output is ⌈H/stride⌉ × ⌈W/stride⌉
/// with the border laid out by `padding`; `act` follows the bias.
pub fn conv2d_depthwise(
    x: &Tensor,
    input_bias: Option<&[f32]>,
    w: &Tensor,
    bias: Option<&[f32]>,
    act: Activation,
    stride: usize,
    padding: Padding,
) -> candle_core::Result<Tensor> {
    if stride != 1 && stride != 2 {
        candle_core::bail!("conv2d_depthwise: stride must be 1 or 2, got {stride}");
    }
    let kernel = w.dim(3)?;
    if kernel != 3 && kernel != 5 {
        candle_core::bail!("conv2d_depthwise: kernel must be 3×3 or 5×5, got {:?}", w.dims());
    }
    let op = DepthwiseOp {
        kernel,
        stride,
        padding,
        input_bias: input_bias.map(<[f32]>::to_vec),
        bias: bias.map(<[f32]>::to_vec),
        act,
    };
    x.contiguous()?.apply_op2_no_bwd(&w.contiguous()?, &op)
}

struct DepthwiseOp {
    kernel: usize,
    stride: usize,
    padding: Padding,
    input_bias: Option<Vec<f32>>,
    bias: Option<Vec<f32>>,
    act: Activation,
}

impl CustomOp2 for DepthwiseOp {
    fn name(&self) -> &'static str {
        "conv2d_depthwise"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = l1.shape().dims4()?;
        let (wc, one, kh, kw) = l2.shape().dims4()?;
        let k = self.kernel;
        if wc != c || one != 1 || kh != k || kw != k {
            candle_core::bail!(
                "conv2d_depthwise: weight must be ({c}, 1, {k}, {k}), got {:?}",
                l2.shape().dims()
            );
        }
        for b in [&self.bias, &self.input_bias].into_iter().flatten() {
            if b.len() != c {
                candle_core::bail!("conv2d_depthwise: bias has {} values for {c} channels", b.len());
            }
        }
        let (Some((x0, x1)), Some((w0, w1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            candle_core::bail!("conv2d_depthwise: inputs must be contiguous");
        };
        let input = s1.as_slice::<f32>()?.get(x0..x1).unwrap_or_default();
        let weights = s2.as_slice::<f32>()?.get(w0..w1).unwrap_or_default();
        let taps = k * k;
        if h == 0 || w == 0 || input.len() != n * c * h * w || weights.len() != c * taps {
            candle_core::bail!("conv2d_depthwise: empty or inconsistent input");
        }
        let s = self.stride;
        let (oh, ow) = (out_len(h, s), out_len(w, s));
        // The padded plane holds exactly the rows and columns the windows read.
        let (ph, pw) = ((oh - 1) * s + k, (ow - 1) * s + k);
        let at = (
            self.padding.before(h, k, s),
            self.padding.before(w, k, s),
        );
        // Rows are computed in a scratch row and appended, so the output is written once
        // (a zero-filled output cost a memset of every layer's output in wasm).
        let mut output = Vec::with_capacity(n * c * oh * ow);
        let mut out_row = vec![0f32; ow];
        let mut padded = vec![0f32; ph * pw];
        for (index, plane) in input.chunks_exact(h * w).enumerate() {
            let channel = index % c;
            let kern = weights
                .get(channel * taps..(channel + 1) * taps)
                .unwrap_or_default();
            let bias = self
                .bias
                .as_ref()
                .and_then(|b| b.get(channel).copied())
                .unwrap_or(0.0);
            let shift = self
                .input_bias
                .as_ref()
                .and_then(|b| b.get(channel).copied())
                .unwrap_or(0.0);
            pad_plane(plane, w, at, pw, shift, &mut padded);
            let rows: Vec<&[f32]> = padded.chunks_exact(pw).collect();
            for oy in 0..oh {
                let top = oy * s;
                let Some(window) = rows.get(top..top + k) else {
                    candle_core::bail!("conv2d_depthwise: internal row index out of range");
                };
                // The ReLU is applied in register by the stride-1 3×3 kernel.
                let mut act = self.act;
                match (window, <&[f32; 9]>::try_from(kern)) {
                    ([r0, r1, r2], Ok(k9)) if s == 1 => {
                        let relu = act == Activation::Relu;
                        row_stride1(r0, r1, r2, k9, bias, relu, &mut out_row);
                        if relu {
                            act = Activation::Identity;
                        }
                    }
                    ([r0, r1, r2], Ok(k9)) => row_stride2(r0, r1, r2, k9, bias, &mut out_row),
                    _ if s == 1 => row_stride1_taps(window, kern, k, bias, &mut out_row),
                    _ => row_any(window, kern, k, s, bias, &mut out_row),
                }
                if act != Activation::Identity {
                    out_row.iter_mut().for_each(|v| *v = act.apply(*v));
                }
                output.extend_from_slice(&out_row);
            }
        }
        if output.len() != n * c * oh * ow {
            candle_core::bail!("conv2d_depthwise: internal output size mismatch");
        }
        Ok((CpuStorage::F32(output), Shape::from((n, c, oh, ow))))
    }
}

/// Copies a `w`-wide plane, plus `shift`, into a plane `pw` wide at (row, column) `at`.
/// `padded` must start zeroed; the border is never written, and every call writes the same
/// positions, so one buffer serves every channel without clearing it again.
fn pad_plane(plane: &[f32], w: usize, at: (usize, usize), pw: usize, shift: f32, padded: &mut [f32]) {
    for (src, dst) in plane
        .chunks_exact(w)
        .zip(padded.chunks_exact_mut(pw).skip(at.0))
    {
        if let Some(inner) = dst.get_mut(at.1..at.1 + w) {
            if shift == 0.0 {
                inner.copy_from_slice(src);
            } else {
                inner.iter_mut().zip(src).for_each(|(d, v)| *d = v + shift);
            }
        }
    }
}

/// Any kernel size and stride: output x reads columns x·stride .. x·stride + k of each row.
fn row_any(rows: &[&[f32]], kern: &[f32], k: usize, stride: usize, bias: f32, out: &mut [f32]) {
    for (x, o) in out.iter_mut().enumerate() {
        let mut acc = bias;
        for (row, taps) in rows.iter().zip(kern.chunks_exact(k)) {
            if let Some(window) = row.get(x * stride..x * stride + k) {
                acc += window.iter().zip(taps).map(|(a, b)| a * b).sum::<f32>();
            }
        }
        *o = acc;
    }
}

/// Stride 1, any kernel: one multiply-add over the whole row per tap. The windowed form above
/// sums k·k products per output and does not vectorise; this one does (also in wasm).
fn row_stride1_taps(rows: &[&[f32]], kern: &[f32], k: usize, bias: f32, out: &mut [f32]) {
    out.fill(bias);
    let n = out.len();
    for (row, taps) in rows.iter().zip(kern.chunks_exact(k)) {
        for (c, &t) in taps.iter().enumerate() {
            if let Some(src) = row.get(c..c + n) {
                out.iter_mut().zip(src).for_each(|(o, v)| *o += t * v);
            }
        }
    }
}

#[inline]
fn dot3(a: &[f32], k: &[f32]) -> f32 {
    a.iter().zip(k).map(|(a, k)| a * k).sum()
}

fn row_stride1_scalar(
    r0: &[f32],
    r1: &[f32],
    r2: &[f32],
    k: &[f32; 9],
    bias: f32,
    out: &mut [f32],
) {
    let (k0, rest) = k.split_at(3);
    let (k1, k2) = rest.split_at(3);
    let windows = r0.windows(3).zip(r1.windows(3)).zip(r2.windows(3));
    for (o, ((a, b), c)) in out.iter_mut().zip(windows) {
        *o = bias + dot3(a, k0) + dot3(b, k1) + dot3(c, k2);
    }
}

fn row_stride2(r0: &[f32], r1: &[f32], r2: &[f32], k: &[f32; 9], bias: f32, out: &mut [f32]) {
    let (k0, rest) = k.split_at(3);
    let (k1, k2) = rest.split_at(3);
    let windows = r0
        .windows(3)
        .step_by(2)
        .zip(r1.windows(3).step_by(2))
        .zip(r2.windows(3).step_by(2));
    for (o, ((a, b), c)) in out.iter_mut().zip(windows) {
        *o = bias + dot3(a, k0) + dot3(b, k1) + dot3(c, k2);
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn row_stride1(
    r0: &[f32],
    r1: &[f32],
    r2: &[f32],
    k: &[f32; 9],
    bias: f32,
    relu: bool,
    out: &mut [f32],
) {
    row_stride1_scalar(r0, r1, r2, k, bias, out);
    if relu {
        out.iter_mut().for_each(|v| *v = super::relu(*v));
    }
}

/// Four outputs per step: output x reads padded columns x, x+1, x+2 of each row, so four
/// outputs are three overlapping unaligned loads per row, nine multiply-adds and a store, with
/// the ReLU applied in register. The taps are written out rather than looped over: V8 does not
/// unroll, and a loop over nine vectors kept spilling them to memory.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(unsafe_code)] // the crate's one unsafe block: unaligned simd128 loads and stores
fn row_stride1(
    r0: &[f32],
    r1: &[f32],
    r2: &[f32],
    k: &[f32; 9],
    bias: f32,
    relu: bool,
    out: &mut [f32],
) {
    use core::arch::wasm32::{
        f32x4_add, f32x4_max, f32x4_mul, f32x4_splat, v128, v128_load, v128_store,
    };
    let n = out.len();
    let full = if r0.len() >= n + 2 && r1.len() >= n + 2 && r2.len() >= n + 2 {
        n / 4 * 4
    } else {
        0 // never for rows from `pad_plane`; the scalar loop below handles any length safely
    };
    let [k0, k1, k2, k3, k4, k5, k6, k7, k8] = k.map(f32x4_splat_value);
    let (bv, zero) = (f32x4_splat(bias), f32x4_splat(0.0));
    let (p0, p1, p2, po) = (r0.as_ptr(), r1.as_ptr(), r2.as_ptr(), out.as_mut_ptr());
    let mut x = 0;
    while x < full {
        // SAFETY: x + 4 <= full <= n, so the loads at x, x+1 and x+2 read at most up to index
        // x + 5 <= n + 1 < len of each row (checked above), and the store writes out[x..x+4].
        unsafe {
            let load = |p: *const f32, at: usize| v128_load(p.add(at) as *const v128);
            let mut acc = bv;
            acc = f32x4_add(acc, f32x4_mul(load(p0, x), k0));
            acc = f32x4_add(acc, f32x4_mul(load(p0, x + 1), k1));
            acc = f32x4_add(acc, f32x4_mul(load(p0, x + 2), k2));
            acc = f32x4_add(acc, f32x4_mul(load(p1, x), k3));
            acc = f32x4_add(acc, f32x4_mul(load(p1, x + 1), k4));
            acc = f32x4_add(acc, f32x4_mul(load(p1, x + 2), k5));
            acc = f32x4_add(acc, f32x4_mul(load(p2, x), k6));
            acc = f32x4_add(acc, f32x4_mul(load(p2, x + 1), k7));
            acc = f32x4_add(acc, f32x4_mul(load(p2, x + 2), k8));
            if relu {
                acc = f32x4_max(acc, zero);
            }
            v128_store(po.add(x) as *mut v128, acc);
        }
        x += 4;
    }
    let tail = out.get_mut(full..).unwrap_or_default();
    row_stride1_scalar(
        r0.get(full..).unwrap_or_default(),
        r1.get(full..).unwrap_or_default(),
        r2.get(full..).unwrap_or_default(),
        k,
        bias,
        tail,
    );
    if relu {
        tail.iter_mut().for_each(|v| *v = super::relu(*v));
    }
}

/// `f32x4_splat` as a plain fn (target-feature intrinsics cannot be passed to `map` directly).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn f32x4_splat_value(v: f32) -> core::arch::wasm32::v128 {
    core::arch::wasm32::f32x4_splat(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    fn check(n: usize, c: usize, h: usize, w: usize, stride: usize) {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (n, c, h, w), &dev).unwrap();
        let k = Tensor::randn(0f32, 1.0, (c, 1, 3, 3), &dev).unwrap();
        let bias: Vec<f32> = (0..c).map(|i| i as f32 * 0.1 - 0.3).collect();
        let expected = x.conv2d(&k, 1, stride, 1, c).unwrap();
        let got = conv2d_dw3x3(&x, &k, stride).unwrap();
        assert_eq!(
            got.dims(),
            expected.dims(),
            "shape {n}x{c}x{h}x{w} stride {stride}"
        );
        let diff = (got - &expected).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);

        let b = Tensor::new(bias.as_slice(), &dev)
            .unwrap()
            .reshape((1, c, 1, 1))
            .unwrap();
        let expected = expected.broadcast_add(&b).unwrap().relu().unwrap();
        let got = conv2d_dw3x3_fused(&x, &k, Some(&bias), true, stride).unwrap();
        let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);
    }

    #[test]
    fn matches_candle_grouped_conv_stride1() {
        for (n, c, h, w) in [(1, 1, 1, 1), (1, 3, 5, 7), (2, 16, 20, 33), (1, 64, 9, 4)] {
            check(n, c, h, w, 1);
        }
    }

    #[test]
    fn matches_candle_grouped_conv_stride2() {
        for (n, c, h, w) in [(1, 1, 1, 1), (1, 3, 5, 7), (2, 16, 20, 33), (1, 8, 6, 6)] {
            check(n, c, h, w, 2);
        }
    }

    /// Reference: candle's grouped conv on an explicitly zero-padded input.
    fn reference(x: &Tensor, k: &Tensor, stride: usize, padding: Padding) -> Tensor {
        let (_, c, h, w) = x.dims4().unwrap();
        let ks = k.dim(3).unwrap();
        let (oh, ow) = (out_len(h, stride), out_len(w, stride));
        let (py, px) = (padding.before(h, ks, stride), padding.before(w, ks, stride));
        let (ay, ax) = ((oh - 1) * stride + ks - h - py, (ow - 1) * stride + ks - w - px);
        let padded = x.pad_with_zeros(2, py, ay).unwrap().pad_with_zeros(3, px, ax).unwrap();
        padded.conv2d(k, 0, stride, 1, c).unwrap()
    }

    #[test]
    fn five_by_five_and_tf_same_padding_match_candle() {
        let dev = Device::Cpu;
        for (ks, stride, padding, (h, w)) in [
            (5, 1, Padding::Centred, (9, 7)),
            (5, 2, Padding::TfSame, (14, 14)),
            (5, 2, Padding::TfSame, (7, 9)),
            (3, 2, Padding::TfSame, (16, 12)),
            (3, 2, Padding::TfSame, (5, 5)),
            (5, 1, Padding::TfSame, (6, 6)),
            (5, 1, Padding::Centred, (3, 41)),
            (5, 1, Padding::Centred, (1, 1)),
        ] {
            let x = Tensor::randn(0f32, 1.0, (2, 6, h, w), &dev).unwrap();
            let k = Tensor::randn(0f32, 1.0, (6, 1, ks, ks), &dev).unwrap();
            let bias: Vec<f32> = (0..6).map(|i| i as f32 * 0.7 - 2.0).collect();
            let b = Tensor::new(bias.as_slice(), &dev).unwrap().reshape((1, 6, 1, 1)).unwrap();
            let expected = reference(&x, &k, stride, padding)
                .broadcast_add(&b)
                .unwrap()
                .clamp(0f32, 6f32)
                .unwrap();
            let got = conv2d_depthwise(&x, None, &k, Some(&bias), Activation::Relu6, stride, padding)
                .unwrap();
            assert_eq!(got.dims(), expected.dims(), "{ks}x{ks} s{stride} {padding:?} {h}x{w}");
            let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
            assert!(diff.to_scalar::<f32>().unwrap() < 1e-4, "{ks}x{ks} s{stride} {padding:?}");
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        let dev = Device::Cpu;
        let x = Tensor::zeros((1, 4, 8, 8), DType::F32, &dev).unwrap();
        let k = Tensor::zeros((3, 1, 3, 3), DType::F32, &dev).unwrap();
        assert!(conv2d_dw3x3(&x, &k, 1).is_err());
        let k = Tensor::zeros((4, 1, 3, 3), DType::F32, &dev).unwrap();
        assert!(conv2d_dw3x3(&x, &k, 3).is_err());
        assert!(conv2d_dw3x3_fused(&x, &k, Some(&[0.0; 3]), false, 1).is_err());
        let k7 = Tensor::zeros((4, 1, 7, 7), DType::F32, &dev).unwrap();
        assert!(conv2d_depthwise(&x, None, &k7, None, Activation::Identity, 1, Padding::Centred).is_err());
    }
}
