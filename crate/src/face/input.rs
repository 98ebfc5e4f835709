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
    planar_tensor(rgb, (width, height), Window::whole(width, height), true)
}

/// [`bgr_tensor`] with the planes in RGB order.
pub fn rgb_tensor(rgb: &[u8], width: usize, height: usize) -> Result<Tensor> {
    planar_tensor(rgb, (width, height), Window::whole(width, height), false)
}

/// A rectangle of an image, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

impl Window {
    pub fn whole(width: usize, height: usize) -> Self {
        Window {
            x: 0,
            y: 0,
            width,
            height,
        }
    }
}

/// [`bgr_tensor`] of a window of an `image` (width, height) RGB image, read in place (a tile
/// needs no copy of the patient's pixels).
pub fn bgr_tensor_window(rgb: &[u8], image: (usize, usize), window: Window) -> Result<Tensor> {
    planar_tensor(rgb, image, window, true)
}

fn planar_tensor(rgb: &[u8], image: (usize, usize), window: Window, bgr: bool) -> Result<Tensor> {
    let (image_width, image_height) = image;
    let Window {
        x: x0,
        y: y0,
        width,
        height,
    } = window;
    if width == 0
        || height == 0
        || x0.saturating_add(width) > image_width
        || y0.saturating_add(height) > image_height
        || rgb.len() != image_width.saturating_mul(image_height).saturating_mul(3)
    {
        candle_core::bail!(
            "face input: the {width}×{height} window at ({x0}, {y0}) is not inside a \
             {image_width}×{image_height} RGB image of {} bytes",
            rgb.len()
        );
    }
    let (ph, pw) = (padded_len(height), padded_len(width));
    let plane = ph * pw;
    let mut data = vec![0f32; 3 * plane];
    let (first, rest) = data.split_at_mut(plane);
    let (g, last) = rest.split_at_mut(plane);
    let (b, r) = if bgr { (first, last) } else { (last, first) };
    let rows = rgb
        .chunks_exact(image_width * 3)
        .skip(y0)
        .take(height)
        .filter_map(|row| row.get(x0 * 3..(x0 + width) * 3));
    for (y, row) in rows.enumerate() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_reads_the_same_pixels_as_a_copy_of_it() {
        let (w, h) = (70usize, 40usize);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let window = Window {
            x: 13,
            y: 5,
            width: 33,
            height: 30,
        };
        let mut copy = Vec::new();
        for y in window.y..window.y + window.height {
            let row = (y * w + window.x) * 3;
            copy.extend_from_slice(&rgb[row..row + window.width * 3]);
        }
        let a = bgr_tensor_window(&rgb, (w, h), window).unwrap();
        let b = bgr_tensor(&copy, window.width, window.height).unwrap();
        assert_eq!(a.dims(), [1, 3, 32, 64]);
        let (a, b) = (a.flatten_all().unwrap(), b.flatten_all().unwrap());
        assert_eq!(a.to_vec1::<f32>().unwrap(), b.to_vec1::<f32>().unwrap());
    }

    #[test]
    fn a_window_outside_the_image_is_an_error() {
        let rgb = vec![0u8; 10 * 10 * 3];
        for window in [
            Window {
                x: 5,
                y: 0,
                width: 6,
                height: 10,
            },
            Window {
                x: 0,
                y: 5,
                width: 10,
                height: 6,
            },
            Window {
                x: 0,
                y: 0,
                width: 0,
                height: 1,
            },
        ] {
            assert!(
                bgr_tensor_window(&rgb, (10, 10), window).is_err(),
                "{window:?}"
            );
        }
        assert!(bgr_tensor(&rgb[..299], 10, 10).is_err());
    }
}
