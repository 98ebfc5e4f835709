//! 1×1 convolutions as one matrix product per image (candle's conv2d goes through im2col,
//! which for a 1×1 kernel only copies the input).

use candle_core::{Result, Tensor, D};

use super::bias::add_bias_activation_in_place;
use super::Activation;

/// `x` (N, Cin, H, W) times `w` (Cout, Cin, 1, 1) plus `bias` (Cout), optionally ReLU'd.
pub fn conv2d_1x1(x: &Tensor, w: &Tensor, bias: &[f32], relu: bool) -> Result<Tensor> {
    let act = if relu { Activation::Relu } else { Activation::Identity };
    conv2d_1x1_act(x, w, bias, act)
}

/// [`conv2d_1x1`] followed by any activation.
pub fn conv2d_1x1_act(x: &Tensor, w: &Tensor, bias: &[f32], act: Activation) -> Result<Tensor> {
    add_bias_activation_in_place(conv2d_1x1_no_bias(x, w)?, bias, act)
}

/// The matrix product alone, for a caller that adds the bias later in a pass it makes anyway
/// (see `depthwise::conv2d_dw3x3_after_bias`).
pub fn conv2d_1x1_no_bias(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    let (n, cin, h, wd) = x.dims4()?;
    let cout = w.dim(0)?;
    let w2 = w.reshape((cout, cin))?;
    let flat = x.reshape((n, cin, h * wd))?;
    let y = w2.broadcast_left(n)?.contiguous()?.matmul(&flat)?;
    y.reshape((n, cout, h, wd))
}

/// Flattens the spatial dimensions (helper for heads that emit (N, H·W, C) maps).
pub fn to_rows(x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    x.reshape((n, c, h * w))?
        .transpose(1, D::Minus1)?
        .contiguous()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_candle_conv2d() {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (2, 5, 7, 3), &dev).unwrap();
        let w = Tensor::randn(0f32, 1.0, (4, 5, 1, 1), &dev).unwrap();
        let bias = [0.5f32, -1.0, 0.25, 2.0];
        let b = Tensor::new(&bias[..], &dev).unwrap();
        let expected = x
            .conv2d(&w, 0, 1, 1, 1)
            .unwrap()
            .broadcast_add(&b.reshape((1, 4, 1, 1)).unwrap())
            .unwrap();
        let got = conv2d_1x1(&x, &w, &bias, false).unwrap();
        let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);
    }
}
