//! hifu's own kernels as compiled for the page (wasm32 with +simd128, see .cargo/config.toml):
//! the depthwise 3×3 simd128 path, the im2col 3×3 convolution and 2×2 max pooling, each against
//! candle's generic operators, in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p hifu --target wasm32-unknown-unknown
//! --no-default-features --test wasm_kernels`.
#![cfg(target_arch = "wasm32")]

use candle_core::{Device, Tensor};
use hifu::nn::conv3x3::conv2d_3x3;
use hifu::nn::depthwise::{conv2d_dw3x3, conv2d_dw3x3_after_bias, conv2d_dw3x3_fused};
use hifu::nn::pool::max_pool2x2;
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

/// The 1×1 conv's bias folded into the depthwise padding step equals adding it first.
#[wasm_bindgen_test]
fn input_bias_equals_a_separate_add() {
    let dev = Device::Cpu;
    for (c, h, w) in [(3, 5, 7), (16, 9, 40), (4, 1, 3)] {
        let x = Tensor::from_vec(values(c * h * w, 3), (1, c, h, w), &dev).unwrap();
        let k = Tensor::from_vec(values(c * 9, 5), (c, 1, 3, 3), &dev).unwrap();
        let pre: Vec<f32> = (0..c).map(|i| 0.3 - i as f32 * 0.1).collect();
        let post: Vec<f32> = (0..c).map(|i| i as f32 * 0.05).collect();
        let shifted = x
            .broadcast_add(
                &Tensor::new(pre.as_slice(), &dev)
                    .unwrap()
                    .reshape((1, c, 1, 1))
                    .unwrap(),
            )
            .unwrap();
        let expected = conv2d_dw3x3_fused(&shifted, &k, Some(&post), true, 1).unwrap();
        let got = conv2d_dw3x3_after_bias(&x, Some(&pre), &k, Some(&post), true, 1).unwrap();
        let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-5, "{c}x{h}x{w}");
    }
}

#[wasm_bindgen_test]
fn conv3x3_matches_candle_conv2d() {
    let dev = Device::Cpu;
    for (cin, cout, h, w, stride) in [(3, 16, 33, 20, 2), (8, 4, 9, 12, 1), (1, 2, 1, 1, 2)] {
        let x = Tensor::from_vec(values(cin * h * w, 13), (1, cin, h, w), &dev).unwrap();
        let k = Tensor::from_vec(values(cout * cin * 9, 17), (cout, cin, 3, 3), &dev).unwrap();
        let bias: Vec<f32> = (0..cout).map(|i| i as f32 * 0.1 - 0.2).collect();
        let b = Tensor::new(bias.as_slice(), &dev)
            .unwrap()
            .reshape((1, cout, 1, 1))
            .unwrap();
        let expected = x
            .conv2d(&k, 1, stride, 1, 1)
            .unwrap()
            .broadcast_add(&b)
            .unwrap()
            .relu()
            .unwrap();
        let got = conv2d_3x3(&x, &k, &bias, stride, true).unwrap();
        assert_eq!(got.dims(), expected.dims());
        let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
        assert!(
            diff.to_scalar::<f32>().unwrap() < 1e-4,
            "{cin}->{cout} {h}x{w} s{stride}"
        );
    }
}

#[wasm_bindgen_test]
fn max_pool_matches_candle() {
    let x = Tensor::from_vec(values(2 * 3 * 7 * 10, 19), (2, 3, 7, 10), &Device::Cpu).unwrap();
    let expected = x.max_pool2d(2).unwrap();
    let got = max_pool2x2(&x).unwrap();
    assert_eq!(got.dims(), expected.dims());
    let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
    assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
}
