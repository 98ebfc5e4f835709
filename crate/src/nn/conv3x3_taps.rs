//! Dense 3×3 convolution, stride 1, padding 1, for layers with fewer output than input
//! channels (the PP-OCRv4 text detector's neck and head: 96 in, 24 out at a quarter of the
//! photo's resolution).
//!
//! im2col writes and then reads nine copies of the input (Cin·9 planes). Here one matrix
//! product computes all nine taps' 1×1 products at once, `(9·Cout, Cin) × (Cin, H·W)`, and a
//! second pass adds each output's nine planes shifted into place: Cout·9 planes instead of
//! Cin·9, the same multiplications, and a product whose M (9·Cout) suits the matrix kernel
//! better than Cout alone.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

use super::conv3x3_up::{add_taps, tap_rows};
use super::{contiguous_f32, Activation};

/// `x` (N, Cin, H, W) conv `w` (Cout, Cin, 3, 3), stride 1, padding 1, plus `bias` (Cout), then
/// `act`. Same result as [`super::conv3x3::conv2d_3x3_padded`] with stride 1 and centred
/// padding, up to the order of the additions.
pub fn conv2d_3x3_taps(x: &Tensor, w: &Tensor, bias: &[f32], act: Activation) -> candle_core::Result<Tensor> {
    let (n, cin, h, width) = x.dims4()?;
    let (cout, wcin, kh, kw) = w.dims4()?;
    if wcin != cin || kh != 3 || kw != 3 {
        candle_core::bail!("conv2d_3x3_taps: weight must be ({cout}, {cin}, 3, 3), got {:?}", w.dims());
    }
    if bias.len() != cout {
        candle_core::bail!("conv2d_3x3_taps: {} bias values for {cout} output channels", bias.len());
    }
    // Rows ordered (tap, output channel): row `tap·Cout + co` holds w[co, :, ky, kx].
    let taps = tap_rows(w)?;
    let flat = x.contiguous()?.reshape((n, cin, h * width))?;
    let planes = taps.broadcast_left(n)?.contiguous()?.matmul(&flat)?; // (N, 9·Cout, H·W)
    let op = ShiftAdd { cout, h, w: width, bias: bias.to_vec(), act };
    planes.apply_op1_no_bwd(&op)
}

/// Output (N, Cout, H, W) from the per-tap planes (N, 9·Cout, H·W): each output pixel is its
/// bias plus the nine planes' values at the pixel moved by the tap's offset, zero outside.
struct ShiftAdd {
    cout: usize,
    h: usize,
    w: usize,
    bias: Vec<f32>,
    act: Activation,
}

impl CustomOp1 for ShiftAdd {
    fn name(&self) -> &'static str {
        "conv3x3_shift_add"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let planes = contiguous_f32(storage, layout, self.name())?;
        let (cout, h, w) = (self.cout, self.h, self.w);
        let plane = h * w;
        let (n, rows, len) = layout.shape().dims3()?;
        if rows != 9 * cout || len != plane || plane == 0 {
            candle_core::bail!("conv3x3_shift_add: planes {:?} for {cout} outputs of {h}×{w}", layout.shape());
        }
        let mut output = vec![0f32; n * cout * plane];
        for (image_out, image_in) in output.chunks_exact_mut(cout * plane).zip(planes.chunks_exact(9 * cout * plane)) {
            for (out, &b) in image_out.chunks_exact_mut(plane).zip(&self.bias) {
                out.fill(b);
            }
            add_taps(image_out, image_in, cout, (h, w), 1)?;
            if self.act != Activation::Identity {
                image_out.iter_mut().for_each(|v| *v = self.act.apply(*v));
            }
        }
        Ok((CpuStorage::F32(output), Shape::from((n, cout, h, w))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::conv3x3::conv2d_3x3_padded;
    use crate::nn::Padding;
    use candle_core::Device;

    fn check(cin: usize, cout: usize, h: usize, w: usize, act: Activation) {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (2, cin, h, w), &dev).unwrap();
        let k = Tensor::randn(0f32, 1.0, (cout, cin, 3, 3), &dev).unwrap();
        let bias: Vec<f32> = (0..cout).map(|i| i as f32 * 0.1 - 0.3).collect();
        let expected = conv2d_3x3_padded(&x, &k, &bias, 1, act, Padding::Centred).unwrap();
        let got = conv2d_3x3_taps(&x, &k, &bias, act).unwrap();
        assert_eq!(got.dims(), expected.dims());
        let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);
    }

    #[test]
    fn matches_im2col() {
        check(8, 3, 5, 7, Activation::Identity);
        check(12, 4, 1, 1, Activation::Relu);
        check(5, 6, 1, 9, Activation::Identity);
        check(5, 2, 9, 1, Activation::Relu);
    }

    #[test]
    fn rejects_bad_shapes() {
        let dev = Device::Cpu;
        let x = Tensor::zeros((1, 4, 5, 5), candle_core::DType::F32, &dev).unwrap();
        let k = Tensor::zeros((2, 3, 3, 3), candle_core::DType::F32, &dev).unwrap();
        assert!(conv2d_3x3_taps(&x, &k, &[0.0, 0.0], Activation::Identity).is_err());
        let k = Tensor::zeros((2, 4, 3, 3), candle_core::DType::F32, &dev).unwrap();
        assert!(conv2d_3x3_taps(&x, &k, &[0.0], Activation::Identity).is_err());
    }
}
