//! Folding an inference-mode batch norm into the convolution before it: BN(conv(x)) =
//! conv'(x) with w' = w·γ/√(σ²+ε) per output channel and b' = (b − μ)·γ/√(σ²+ε) + β.

use candle_core::{Result, Tensor};

/// The statistics and affine parameters of one `BatchNorm2d` (PyTorch naming).
pub struct BatchNorm {
    pub weight: Tensor,
    pub bias: Tensor,
    pub running_mean: Tensor,
    pub running_var: Tensor,
    pub eps: f64,
}

/// Returns the folded (weight, bias) of a convolution followed by `bn`.
pub fn fold_batch_norm(weight: &Tensor, bias: &Tensor, bn: &BatchNorm) -> Result<(Tensor, Tensor)> {
    let scale = bn
        .weight
        .broadcast_div(&(&bn.running_var + bn.eps)?.sqrt()?)?;
    let cout = scale.dim(0)?;
    let mut shape = vec![1usize; weight.rank()];
    if let Some(first) = shape.first_mut() {
        *first = cout;
    }
    let w = weight.broadcast_mul(&scale.reshape(shape)?)?;
    let b = ((bias - &bn.running_mean)? * &scale)?.add(&bn.bias)?;
    Ok((w, b))
}
