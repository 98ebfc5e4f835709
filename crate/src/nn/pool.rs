//! 2×2 max pooling, stride 2 (YuNet's only downsampling). candle's `max_pool2d` computes every
//! window through generic index arithmetic; this walks two input rows per output row.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

use super::{contiguous_f32, larger};

/// `x` (N, C, H, W) → (N, C, H/2, W/2); an odd last row or column is dropped, as in candle and
/// PyTorch (`floor` mode).
pub fn max_pool2x2(x: &Tensor) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&MaxPool2x2)
}

struct MaxPool2x2;

impl CustomOp1 for MaxPool2x2 {
    fn name(&self) -> &'static str {
        "max_pool2x2"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = contiguous_f32(storage, layout, self.name())?;
        let (n, c, h, w) = layout.shape().dims4()?;
        let (oh, ow) = (h / 2, w / 2);
        let mut output = Vec::with_capacity(n * c * oh * ow);
        if h > 0 && w > 0 {
            for plane in input.chunks_exact(h * w) {
                for pair in plane.chunks_exact(2 * w).take(oh) {
                    let (top, bottom) = pair.split_at(w);
                    let columns = top.chunks_exact(2).zip(bottom.chunks_exact(2)).take(ow);
                    output.extend(columns.map(|pair| match pair {
                        ([a0, a1], [b0, b1]) => larger(larger(*a0, *a1), larger(*b0, *b1)),
                        _ => f32::NAN, // chunks_exact(2) never yields anything else
                    }));
                }
            }
        }
        Ok((CpuStorage::F32(output), Shape::from((n, c, oh, ow))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_candle_max_pool2d() {
        let dev = Device::Cpu;
        for (h, w) in [(4, 6), (5, 7), (2, 3), (3, 2), (16, 16)] {
            let x = Tensor::randn(0f32, 1.0, (2, 3, h, w), &dev).unwrap();
            let expected = x.max_pool2d(2).unwrap();
            let got = max_pool2x2(&x).unwrap();
            assert_eq!(got.dims(), expected.dims(), "{h}x{w}");
            let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
            assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0, "{h}x{w}");
        }
    }

    #[test]
    fn a_single_pixel_pools_to_nothing() {
        let x = Tensor::ones((1, 2, 1, 1), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert_eq!(max_pool2x2(&x).unwrap().dims(), &[1, 2, 0, 0]);
    }
}
