//! The depthwise 3×3 kernel's simd128 path (compiled for wasm32 with +simd128, see
//! .cargo/config.toml) against candle's own grouped conv2d, in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p hifu --target wasm32-unknown-unknown
//! --no-default-features --test wasm_depthwise`.
#![cfg(target_arch = "wasm32")]

use candle_core::{Device, Tensor};
use hifu::nn::depthwise::{conv2d_dw3x3, conv2d_dw3x3_fused};
use wasm_bindgen_test::wasm_bindgen_test;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Deterministic pseudo-random values (no ambient randomness in the browser test either).
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}

fn check(n: usize, c: usize, h: usize, w: usize, stride: usize) {
    let dev = Device::Cpu;
    let x = Tensor::from_vec(values(n * c * h * w, 7), (n, c, h, w), &dev).unwrap();
    let k = Tensor::from_vec(values(c * 9, 11), (c, 1, 3, 3), &dev).unwrap();
    let expected = x.conv2d(&k, 1, stride, 1, c).unwrap();
    let got = conv2d_dw3x3(&x, &k, stride).unwrap();
    assert_eq!(got.dims(), expected.dims());
    let diff = (got - &expected).unwrap().abs().unwrap().max_all().unwrap();
    assert!(
        diff.to_scalar::<f32>().unwrap() < 1e-4,
        "{n}x{c}x{h}x{w} stride {stride}"
    );
    let bias: Vec<f32> = (0..c).map(|i| i as f32 * 0.05 - 0.2).collect();
    let b = Tensor::new(bias.as_slice(), &dev)
        .unwrap()
        .reshape((1, c, 1, 1))
        .unwrap();
    let expected = expected.broadcast_add(&b).unwrap().relu().unwrap();
    let got = conv2d_dw3x3_fused(&x, &k, Some(&bias), true, stride).unwrap();
    let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
    assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);
}

#[wasm_bindgen_test]
fn simd_path_matches_candle_stride1() {
    // Widths below, at and above the 4-lane vector, and with a scalar tail.
    for (n, c, h, w) in [
        (1, 1, 1, 1),
        (1, 3, 5, 4),
        (1, 3, 5, 7),
        (2, 16, 20, 33),
        (1, 64, 9, 40),
    ] {
        check(n, c, h, w, 1);
    }
}

#[wasm_bindgen_test]
fn stride2_matches_candle() {
    for (n, c, h, w) in [(1, 1, 1, 1), (1, 3, 5, 7), (2, 16, 20, 33)] {
        check(n, c, h, w, 2);
    }
}
