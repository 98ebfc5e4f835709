//! Per-channel bias plus optional ReLU in one pass, and per-channel scaling (a squeeze-excite
//! gate).
//!
//! candle adds a `(1, C, 1, 1)` bias through its general broadcasting path and ReLU in a second
//! pass; in wasm the two together cost as much as the 1×1 convolution they follow.

use candle_core::{CpuStorage, CustomOp1, InplaceOp1, Layout, Shape, Tensor};

use super::{contiguous_f32, relu, Activation};

/// `x` (N, C, …) plus `bias[c]` on every value of channel c, then ReLU when `relu`.
pub fn add_bias_act(x: &Tensor, bias: &[f32], relu: bool) -> candle_core::Result<Tensor> {
    let act = if relu {
        Activation::Relu
    } else {
        Activation::Identity
    };
    add_bias_activation(x, bias, act)
}

/// `x` (N, C, …) plus `bias[c]` on every value of channel c, then `act`.
pub fn add_bias_activation(
    x: &Tensor,
    bias: &[f32],
    act: Activation,
) -> candle_core::Result<Tensor> {
    let op = BiasAct {
        bias: bias.to_vec(),
        act,
    };
    x.contiguous()?.apply_op1_no_bwd(&op)
}

/// [`add_bias_activation`] written over `x` itself, for the output of a product this module
/// has just made and shares with nobody (a 1×1 or 3×3 convolution's): no second buffer, and
/// one pass over memory instead of a read and a write stream.
pub(crate) fn add_bias_activation_in_place(
    x: Tensor,
    bias: &[f32],
    act: Activation,
) -> candle_core::Result<Tensor> {
    let x = x.contiguous()?;
    x.inplace_op1(&BiasAct {
        bias: bias.to_vec(),
        act,
    })?;
    Ok(x)
}

/// `x` (N, C, …) times `scale[n·C + c]` on every value of image n's channel c.
pub fn scale_channels(x: &Tensor, scale: &[f32]) -> candle_core::Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&Scale {
        scale: scale.to_vec(),
    })
}

struct Scale {
    scale: Vec<f32>,
}

impl CustomOp1 for Scale {
    fn name(&self) -> &'static str {
        "scale_channels"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let input = contiguous_f32(storage, layout, self.name())?;
        let dims = layout.shape().dims();
        let planes: usize = dims.iter().take(2).product();
        if dims.len() < 2 || planes != self.scale.len() {
            candle_core::bail!(
                "scale_channels: {} scales for a tensor of shape {dims:?}",
                self.scale.len()
            );
        }
        let plane: usize = dims.iter().skip(2).product();
        let mut output = Vec::with_capacity(input.len());
        if plane > 0 {
            for (chunk, &s) in input.chunks_exact(plane).zip(&self.scale) {
                output.extend(chunk.iter().map(|v| v * s));
            }
        }
        Ok((CpuStorage::F32(output), layout.shape().clone()))
    }
}

struct BiasAct {
    bias: Vec<f32>,
    act: Activation,
}

impl BiasAct {
    /// Adds the bias and applies the activation to `values` (contiguous, shaped `dims`), in
    /// place: one loop per channel plane with the activation chosen outside it, so each loop is
    /// a plain vectorisable pass.
    fn apply(&self, values: &mut [f32], dims: &[usize]) -> candle_core::Result<()> {
        let channels = dims.get(1).copied().unwrap_or(0);
        if dims.len() < 2 || channels != self.bias.len() {
            candle_core::bail!(
                "add_bias_act: {} bias values for a tensor of shape {dims:?}",
                self.bias.len()
            );
        }
        let plane: usize = dims.iter().skip(2).product();
        if plane == 0 {
            return Ok(());
        }
        for (index, chunk) in values.chunks_exact_mut(plane).enumerate() {
            let b = self.bias.get(index % channels).copied().unwrap_or(0.0);
            match self.act {
                Activation::Identity => chunk.iter_mut().for_each(|v| *v += b),
                Activation::Relu => chunk.iter_mut().for_each(|v| *v = relu(*v + b)),
                Activation::Relu6 => chunk.iter_mut().for_each(|v| *v = (*v + b).clamp(0.0, 6.0)),
                Activation::HardSwish { scale, shift } => chunk.iter_mut().for_each(|v| {
                    let x = *v + b;
                    *v = scale * x * (x + 3.0).clamp(0.0, 6.0) / 6.0 + shift;
                }),
            }
        }
        Ok(())
    }
}

impl CustomOp1 for BiasAct {
    fn name(&self) -> &'static str {
        "add_bias_act"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let mut output = contiguous_f32(storage, layout, "add_bias_act")?.to_vec();
        self.apply(&mut output, layout.shape().dims())?;
        Ok((CpuStorage::F32(output), layout.shape().clone()))
    }
}

impl InplaceOp1 for BiasAct {
    fn name(&self) -> &'static str {
        "add_bias_act_in_place"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("add_bias_act_in_place: input must be contiguous");
        };
        let CpuStorage::F32(all) = storage else {
            candle_core::bail!("add_bias_act_in_place: input must be f32");
        };
        let Some(values) = all.get_mut(start..end) else {
            candle_core::bail!("add_bias_act_in_place: input storage is shorter than its shape");
        };
        self.apply(values, layout.shape().dims())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_broadcast_add_then_relu() {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (2, 3, 4, 5), &dev).unwrap();
        let bias = [0.5f32, -0.25, 1.0];
        let b = Tensor::new(&bias[..], &dev)
            .unwrap()
            .reshape((1, 3, 1, 1))
            .unwrap();
        for relu in [false, true] {
            let mut expected = x.broadcast_add(&b).unwrap();
            if relu {
                expected = expected.relu().unwrap();
            }
            let got = add_bias_act(&x, &bias, relu).unwrap();
            let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
            assert!(diff.to_scalar::<f32>().unwrap() < 1e-6);
        }
    }

    #[test]
    fn in_place_matches_the_copying_op_for_every_activation() {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 3.0, (2, 3, 4, 5), &dev).unwrap();
        let bias = [0.5f32, -0.25, 1.0];
        for act in [
            Activation::Identity,
            Activation::Relu,
            Activation::Relu6,
            Activation::HardSwish {
                scale: 0.7,
                shift: -0.1,
            },
        ] {
            let expected = add_bias_activation(&x, &bias, act).unwrap();
            // Both follow `Activation::apply`, value by value.
            let first = x.flatten_all().unwrap().to_vec1::<f32>().unwrap()[0];
            let e0 = expected.flatten_all().unwrap().to_vec1::<f32>().unwrap()[0];
            assert_eq!(e0, act.apply(first + bias[0]), "{act:?}");
            let fresh = x.copy().unwrap();
            let got = add_bias_activation_in_place(fresh, &bias, act).unwrap();
            let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
            assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0, "{act:?}");
        }
        // A bias of the wrong length is an error, as for the copying op.
        assert!(
            add_bias_activation_in_place(x.copy().unwrap(), &bias[..2], Activation::Relu).is_err()
        );
    }

    #[test]
    fn scale_matches_broadcast_mul() {
        let dev = Device::Cpu;
        let x = Tensor::randn(0f32, 1.0, (2, 3, 4, 5), &dev).unwrap();
        let scale = [0.5f32, -0.25, 1.0, 2.0, 0.0, 3.0];
        let s = Tensor::new(&scale[..], &dev)
            .unwrap()
            .reshape((2, 3, 1, 1))
            .unwrap();
        let expected = x.broadcast_mul(&s).unwrap();
        let got = scale_channels(&x, &scale).unwrap();
        let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-6);
        assert!(scale_channels(&x, &scale[..3]).is_err());
    }

    #[test]
    fn rejects_a_bias_of_the_wrong_length() {
        let x = Tensor::zeros((1, 4, 2, 2), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(add_bias_act(&x, &[0.0; 3], false).is_err());
    }
}
