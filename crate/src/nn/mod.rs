//! Shared model plumbing: the fast kernels candle lacks on CPU and in wasm (depthwise 3×3,
//! dense 3×3 through a plain im2col or per-tap products (also of an upsampled map, from the map
//! before upsampling), 2×2 max pooling, fused bias + ReLU,
//! the pixel shuffle of a transposed convolution), 1×1 convolutions as
//! matrix products, batch-norm folding.

pub mod bias;
pub mod conv3x3;
pub mod conv3x3_taps;
pub mod conv3x3_up;
pub mod depthwise;
pub mod fold;
pub mod pointwise;
pub mod pool;
pub mod quant;
pub mod upsample;

use candle_core::{CpuStorage, Layout, Storage, Tensor};

/// Output length of a convolution along an axis of `len` values: ⌈len / stride⌉, for a 3×3
/// window with padding 1 as for TensorFlow's "SAME" padding of any window.
pub(crate) fn out_len(len: usize, stride: usize) -> usize {
    len.saturating_sub(1) / stride + 1
}

/// `max(v, 0)` as a comparison. `f32::max` keeps IEEE `maxNum`'s NaN rule, which wasm's
/// `f32.max` does not have, so in wasm it is a call to libm's `fmaxf` per value (a twelfth of
/// YuNet's time in a profile); a comparison is one instruction and vectorises. NaN gives 0.
#[inline(always)]
pub fn relu(v: f32) -> f32 {
    if v > 0.0 {
        v
    } else {
        0.0
    }
}

/// The larger of `a` and `b` as a comparison (see [`relu`]); NaN in `a` gives `b`.
#[inline(always)]
pub fn larger(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// What follows a convolution's bias.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Identity,
    Relu,
    /// `min(max(v, 0), 6)` (MobileNet, EfficientNet-Lite).
    Relu6,
    /// `scale · v · min(max(v + 3, 0), 6) / 6 + shift`: hard-swish followed by a learnable
    /// affine block (PP-LCNetV3, the PP-OCRv4 text detector's backbone).
    HardSwish { scale: f32, shift: f32 },
}

impl Activation {
    #[inline]
    pub fn apply(self, v: f32) -> f32 {
        match self {
            Activation::Identity => v,
            Activation::Relu => relu(v),
            Activation::Relu6 => v.clamp(0.0, 6.0),
            Activation::HardSwish { scale, shift } => scale * v * (v + 3.0).clamp(0.0, 6.0) / 6.0 + shift,
        }
    }
}

/// Where a k×k window's zero border goes. Both give ⌈len / stride⌉ outputs; they differ only
/// in how the border splits between the start and the end of the axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// (k − 1) / 2 before, as PyTorch's `padding = k // 2` (YuNet, CenterFace).
    Centred,
    /// TensorFlow's "SAME": the total border needed, half before and the rest (the larger
    /// half) after, so an even axis at stride 2 pads less at the top/left (EfficientNet-Lite).
    TfSame,
}

impl Padding {
    /// Zeros before the first value along an axis of `len` values.
    pub fn before(self, len: usize, kernel: usize, stride: usize) -> usize {
        match self {
            Padding::Centred => (kernel - 1) / 2,
            Padding::TfSame => {
                let total = ((out_len(len, stride) - 1) * stride + kernel).saturating_sub(len);
                total / 2
            }
        }
    }
}

/// The f32 values of a contiguous tensor, or an error naming the kernel that needed them.
pub(crate) fn contiguous_f32<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    op: &str,
) -> candle_core::Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        candle_core::bail!("{op}: input must be contiguous");
    };
    match storage.as_slice::<f32>()?.get(start..end) {
        Some(values) if values.len() == layout.shape().elem_count() => Ok(values),
        _ => candle_core::bail!("{op}: input storage is shorter than its shape"),
    }
}

/// Runs `f` on the f32 values of a contiguous CPU tensor, borrowed rather than copied out.
pub(crate) fn with_f32<R>(
    t: &Tensor,
    op: &str,
    f: impl FnOnce(&[f32]) -> candle_core::Result<R>,
) -> candle_core::Result<R> {
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(cpu) => f(contiguous_f32(cpu, layout, op)?),
        _ => candle_core::bail!("{op}: the tensor must be on the CPU"),
    }
}
