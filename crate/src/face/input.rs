//! Turning pixels into the face detectors' input: 0–255 floats, NCHW, BGR (YuNet) or RGB
//! (CenterFace), zero-padded bottom/right to multiples of 32 (both networks halve the size
//! five times).

use candle_core::{Device, Result, Tensor};

/// Rounds up to a multiple of 32 (at least 32).
pub fn padded_len(len: usize) -> usize {
    len.div_ceil(32).max(1) * 32
}

/// `rgb` is `width × height` interleaved 8-bit RGB. Returns (1, 3, H', W') with H', W' the
/// sizes rounded up to multiples of 32.
pub fn bgr_tensor(rgb: &[u8], width: usize, height: usize) -> Result<Tensor> {
    planar_tensor(rgb, width, height, true)
}

/// [`bgr_tensor`] with the planes in RGB order.
pub fn rgb_tensor(rgb: &[u8], width: usize, height: usize) -> Result<Tensor> {
    planar_tensor(rgb, width, height, false)
}

fn planar_tensor(rgb: &[u8], width: usize, height: usize, bgr: bool) -> Result<Tensor> {
    if width == 0 || height == 0 || rgb.len() != width.saturating_mul(height).saturating_mul(3) {
        candle_core::bail!(
            "face input: {width}×{height} RGB needs {} bytes",
            width * height * 3
        );
    }
    let (ph, pw) = (padded_len(height), padded_len(width));
    let plane = ph * pw;
    let mut data = vec![0f32; 3 * plane];
    let (first, rest) = data.split_at_mut(plane);
    let (g, last) = rest.split_at_mut(plane);
    let (b, r) = if bgr { (first, last) } else { (last, first) };
    for (y, row) in rgb.chunks_exact(width * 3).enumerate() {
        let start = y * pw;
        let dst = b
            .get_mut(start..start + width)
            .zip(g.get_mut(start..start + width))
            .zip(r.get_mut(start..start + width));
        let Some(((b, g), r)) = dst else { break };
        for (((px, b), g), r) in row.chunks_exact(3).zip(b).zip(g).zip(r) {
            if let [pr, pg, pb] = *px {
                *b = f32::from(pb);
                *g = f32::from(pg);
                *r = f32::from(pr);
            }
        }
    }
    Tensor::from_vec(data, (1, 3, ph, pw), &Device::Cpu)
}
