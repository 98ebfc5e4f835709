//! Benchmark handles for `scripts/bench` (bench page in `scripts/lib/bench_models_web.mjs`):
//! each holds a network or a kernel and its input, built once; the page times `run()` with
//! `performance.now()` (no clock here). Inputs follow the same deterministic pattern as the
//! native bench (`crate/examples/bench_models.rs`) and the onnxruntime scripts.

use candle_core::{Device, Tensor};
use wasm_bindgen::prelude::*;

use crate::decode::Pixels;
use crate::face::yunet::{YuNet, YuNetConfig};
use crate::fingerprint::FingerprintStep;
use crate::nn::depthwise::conv2d_dw3x3;
use crate::skin::model::{Lite0, Lite0Config};
use crate::skin::{SkinConfig, SkinModel, TattooHead, TattooStep};
use crate::text::TextStep;

fn bench_error(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&format!("bench: {e}"))
}

/// (i·7919 mod 256)·scale, as in the native and onnxruntime benches.
fn pattern(len: usize, scale: f32) -> Vec<f32> {
    (0..len)
        .map(|i| (i.wrapping_mul(7919) % 256) as f32 * scale)
        .collect()
}

/// YuNet-n forward on a fixed (1, 3, size, size) input.
#[wasm_bindgen]
pub struct YuNetBench {
    model: YuNet,
    input: Tensor,
}

#[wasm_bindgen]
impl YuNetBench {
    /// `weights`: `models/face/yunet_n.safetensors` bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(weights: &[u8], size: usize) -> Result<YuNetBench, JsValue> {
        let model =
            YuNet::from_safetensors(weights, YuNetConfig::default()).map_err(bench_error)?;
        let len = size.saturating_mul(size).saturating_mul(3);
        let input = Tensor::from_vec(pattern(len, 1.0), (1, 3, size, size), &Device::Cpu)
            .map_err(bench_error)?;
        Ok(YuNetBench { model, input })
    }

    pub fn run(&self) -> Result<(), JsValue> {
        self.model.forward(&self.input).map_err(bench_error)?;
        Ok(())
    }
}

/// Skin classifier network forward (no preprocessing) on a fixed input.
#[wasm_bindgen]
pub struct SkinBench {
    net: Lite0,
    input: Vec<f32>,
}

#[wasm_bindgen]
impl SkinBench {
    /// `weights`: `skin.safetensors` bytes; `calibration`: `calibration.json` text.
    #[wasm_bindgen(constructor)]
    pub fn new(weights: &[u8], calibration: &str) -> Result<SkinBench, JsValue> {
        let config = SkinConfig::from_json(calibration).map_err(bench_error)?;
        let size = config.preprocessing.size;
        let net = Lite0::from_safetensors(weights, &Lite0Config::default(), config.classes.len(), size)
            .map_err(bench_error)?;
        let input = pattern(size.saturating_mul(size).saturating_mul(3), 1.0 / 128.0);
        Ok(SkinBench { net, input })
    }

    pub fn run(&self) -> Result<(), JsValue> {
        self.net.forward(self.input.clone()).map_err(bench_error)?;
        Ok(())
    }
}

/// The fingerprint check's scan and rule (`FingerprintStep::find`) on a fixed `width × height`
/// RGB photo; every block is measured whatever the content, so a pattern photo times it.
#[wasm_bindgen]
pub struct FingerprintBench {
    step: FingerprintStep,
    pixels: Pixels,
}

#[wasm_bindgen]
impl FingerprintBench {
    #[wasm_bindgen(constructor)]
    pub fn new(width: u32, height: u32) -> Result<FingerprintBench, JsValue> {
        Ok(FingerprintBench {
            step: FingerprintStep::default(),
            pixels: pattern_photo(width, height)?,
        })
    }

    /// How many ridge patches the rule found (0 on the pattern; returned so the work is used).
    pub fn run(&self) -> usize {
        self.step.find(&self.pixels).len()
    }
}

/// A `width × height` RGB photo of the deterministic pattern.
fn pattern_photo(width: u32, height: u32) -> Result<Pixels, JsValue> {
    let len = (width as usize)
        .saturating_mul(height as usize)
        .saturating_mul(3);
    let samples = (0..len)
        .map(|i| (i.wrapping_mul(7919) % 256) as u8)
        .collect();
    Pixels::new(width, height, 3, zeroize::Zeroizing::new(samples))
        .ok_or_else(|| bench_error("the pattern does not fit the size"))
}

/// The burned-in text check's own work (`TextStep::find`: resize to the detector's input,
/// PP-OCRv4's detector, boxes and the line rule) on a fixed `width × height` photo.
#[wasm_bindgen]
pub struct TextBench {
    step: TextStep,
    pixels: Pixels,
}

#[wasm_bindgen]
impl TextBench {
    /// `weights`: `models/text/ppocr_det.safetensors` bytes.
    #[wasm_bindgen(constructor)]
    pub fn new(weights: &[u8], width: u32, height: u32) -> Result<TextBench, JsValue> {
        let step = TextStep::from_safetensors(weights).map_err(bench_error)?;
        Ok(TextBench {
            step,
            pixels: pattern_photo(width, height)?,
        })
    }

    /// How many text lines were found (returned so the work is used).
    pub fn run(&self) -> Result<usize, JsValue> {
        Ok(self.step.find(&self.pixels).map_err(bench_error)?.len())
    }
}

/// The tattoo check's own work (`TattooStep::check`: the skin network on the photo squashed to
/// its input, the tattoo head, and the activation map when the head fires) on a fixed
/// `width × height` photo.
#[wasm_bindgen]
pub struct TattooBench {
    step: TattooStep,
    pixels: Pixels,
}

#[wasm_bindgen]
impl TattooBench {
    /// The files of models/skin/ (`weights`, `calibration`, `labels`) and models/tattoo/tattoo.json.
    #[wasm_bindgen(constructor)]
    pub fn new(
        weights: &[u8],
        calibration: &str,
        labels: &str,
        tattoo: &str,
        width: u32,
        height: u32,
    ) -> Result<TattooBench, JsValue> {
        let model = SkinModel::from_bytes(weights, calibration, labels).map_err(bench_error)?;
        let head = TattooHead::from_json(tattoo, model.feature_len()).map_err(bench_error)?;
        Ok(TattooBench {
            step: TattooStep::new(model, head),
            pixels: pattern_photo(width, height)?,
        })
    }

    /// The head's score (returned so the work is used).
    pub fn run(&self) -> Result<f32, JsValue> {
        Ok(self.step.check(&self.pixels).map_err(bench_error)?.0)
    }
}

/// A depthwise 3×3 convolution (padding 1) on (1, C, HW, HW): hifu's kernel or candle's
/// grouped `conv2d`.
#[wasm_bindgen]
pub struct DepthwiseBench {
    x: Tensor,
    w: Tensor,
    channels: usize,
    stride: usize,
}

#[wasm_bindgen]
impl DepthwiseBench {
    #[wasm_bindgen(constructor)]
    pub fn new(channels: usize, hw: usize, stride: usize) -> Result<DepthwiseBench, JsValue> {
        let len = channels.saturating_mul(hw).saturating_mul(hw);
        let x = Tensor::from_vec(
            pattern(len, 1.0 / 256.0),
            (1, channels, hw, hw),
            &Device::Cpu,
        )
        .map_err(bench_error)?;
        let w = Tensor::from_vec(
            pattern(channels.saturating_mul(9), 1.0 / 256.0),
            (channels, 1, 3, 3),
            &Device::Cpu,
        )
        .map_err(bench_error)?;
        Ok(DepthwiseBench {
            x,
            w,
            channels,
            stride,
        })
    }

    pub fn hifu(&self) -> Result<(), JsValue> {
        conv2d_dw3x3(&self.x, &self.w, self.stride).map_err(bench_error)?;
        Ok(())
    }

    pub fn candle_grouped(&self) -> Result<(), JsValue> {
        self.x
            .conv2d(&self.w, 1, self.stride, 1, self.channels)
            .map_err(bench_error)?;
        Ok(())
    }
}
