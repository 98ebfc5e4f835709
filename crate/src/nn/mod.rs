//! Shared model plumbing: the fast kernels candle lacks on CPU and in wasm (depthwise 3×3,
//! dense 3×3 through a plain im2col, 2×2 max pooling, fused bias + ReLU), 1×1 convolutions as
//! matrix products, batch-norm folding.

pub mod bias;
pub mod conv3x3;
pub mod depthwise;
pub mod fold;
pub mod pointwise;
pub mod pool;

use candle_core::{CpuStorage, Layout};

/// Output length of a 3×3 window with padding 1 along an axis of `len` values.
pub(crate) fn out_len(len: usize, stride: usize) -> usize {
    len.saturating_sub(1) / stride + 1
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
