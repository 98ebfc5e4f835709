//! Re-encoding the clean pixels: JPEG (configurable quality) or PNG, with no metadata at all.
//! The encoders write no EXIF, ICC or text unless asked, and hifu never asks; both are
//! deterministic, so the same pixels and options give the same bytes.
//!
//! JPEG comes from `jpeg-encoder` rather than `image`'s own encoder: it codes a 12-megapixel
//! photo in well under the time at the same quality and size (BENCHMARKS.md, *scrub*). Its
//! AVX2 path is left off (the `simd` feature) so that every machine, and the wasm build, gives
//! the same bytes for the same pixels.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::ImageEncoder;
use zeroize::Zeroizing;

use crate::decode::Pixels;

mod jpeg_strips;
pub use jpeg_strips::JpegStrips;

/// The default JPEG quality: high enough that re-encoding a clinical photo loses no visible
/// detail (dermoscopic texture survives), at about a third of the size of quality 100.
pub const DEFAULT_JPEG_QUALITY: u8 = 92;

/// Why encoding failed. Neither is the file's fault.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("JPEG quality must be between 1 and 100 (got {0}): change the quality option")]
    Quality(u8),
    #[error("hifu could not encode the clean image ({0}): please report this as a bug")]
    Failed(String),
}

impl EncodeError {
    pub fn code(&self) -> &'static str {
        match self {
            EncodeError::Quality(_) => "encode.quality",
            EncodeError::Failed(_) => "encode.failed",
        }
    }
}

/// Baseline JPEG (JFIF) at `quality` 1–100. JPEG has no alpha: transparent pixels are laid
/// over white, the colour a clinical photo's transparent margin is meant to read as. Chroma is
/// sampled as `jpeg-encoder` chooses for the quality (full resolution from 90 up).
pub fn jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, EncodeError> {
    jpeg_with_chroma(pixels, quality, None)
}

/// [`jpeg`] with the chroma subsampling of the photo it came from: `chroma_subsampling` is how
/// many luma samples share one chroma sample across and down (the source's
/// [`crate::container::JpegFrame::chroma_subsampling`], axes swapped if the pixels were turned),
/// each chroma sample the mean of its block. Coding chroma that the camera had already halved
/// at full resolution adds no detail: on 4:2:0 clinical photos, keeping 4:2:0 makes the file
/// about a sixth smaller and the encode about a third faster, and the decoded result is no
/// further from the pixels (BENCHMARKS.md, *scrub*). Factors `jpeg-encoder` cannot write fall
/// back to [`jpeg`]'s choice.
pub fn jpeg_with_chroma(pixels: &Pixels, quality: u8, chroma_subsampling: Option<(u8, u8)>) -> Result<Vec<u8>, EncodeError> {
    let plan = JpegStrips::new(pixels.width(), pixels.height(), quality, chroma_subsampling)?;
    jpeg_with_plan(pixels, &plan)
}

/// `pixels` coded as `plan` says (made for their size), natively in strips over the cores.
pub fn jpeg_with_plan(pixels: &Pixels, plan: &JpegStrips) -> Result<Vec<u8>, EncodeError> {
    let starts = plan.starts(strip_threads(pixels));
    let strip = |i: usize| -> Result<Vec<u8>, EncodeError> {
        let top = starts.get(i).copied().unwrap_or(pixels.height());
        let bottom = starts.get(i + 1).copied().unwrap_or(pixels.height());
        jpeg_strip(pixels, plan, top, bottom)
    };
    if starts.len() <= 1 {
        return strip(0);
    }
    let strips = std::thread::scope(|scope| {
        // This thread codes the first strip while the others run.
        let handles: Vec<_> = (1..starts.len()).map(|i| scope.spawn(move || strip(i))).collect();
        let mut strips = vec![strip(0)];
        for handle in handles {
            strips.push(
                handle
                    .join()
                    .unwrap_or_else(|_| Err(EncodeError::Failed("an encoding thread stopped".into()))),
            );
        }
        strips.into_iter().collect::<Result<Vec<_>, _>>()
    })?;
    plan.join(&strips)
}

/// Rows `top..bottom` of `pixels` (one of `plan`'s strips) coded as `plan` says: RGB read in
/// place, RGBA laid over white first.
pub fn jpeg_strip(pixels: &Pixels, plan: &JpegStrips, top: u32, bottom: u32) -> Result<Vec<u8>, EncodeError> {
    if pixels.has_alpha() {
        plan.encode_strip(&jpeg_rows(pixels, top, bottom)?, bottom - top)
    } else {
        plan.encode_strip(rows(pixels, top, bottom)?, bottom - top)
    }
}

/// Rows `top..bottom` of `pixels` as 8-bit RGB, transparency laid over white: what a JPEG strip
/// is coded from, as a copy to hand to another worker.
pub fn jpeg_rows(pixels: &Pixels, top: u32, bottom: u32) -> Result<Zeroizing<Vec<u8>>, EncodeError> {
    let rows = rows(pixels, top, bottom)?;
    Ok(if pixels.has_alpha() {
        over_white(rows)
    } else {
        Zeroizing::new(rows.to_vec())
    })
}

/// The samples of rows `top..bottom` (non-empty).
fn rows(pixels: &Pixels, top: u32, bottom: u32) -> Result<&[u8], EncodeError> {
    let row = pixels.width() as usize * pixels.channels() as usize;
    pixels
        .samples()
        .get(top as usize * row..bottom as usize * row)
        .filter(|_| top < bottom)
        .ok_or_else(|| EncodeError::Failed(format!("rows {top}..{bottom} are not in the photo")))
}

/// Threads for a photo's strips: natively one per core up to four for a photo of a megapixel
/// or more (smaller ones are not worth a thread); one in wasm, where the page shares the strips
/// out instead (`hifu.js`). The bytes are the same however many.
fn strip_threads(pixels: &Pixels) -> usize {
    if cfg!(target_arch = "wasm32") || u64::from(pixels.width()) * u64::from(pixels.height()) < 1_000_000 {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// 8-bit RGB or RGBA PNG, default compression, adaptive filtering, no ancillary chunks.
pub fn png(pixels: &Pixels) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(
            pixels.samples(),
            pixels.width(),
            pixels.height(),
            pixels.color_type(),
        )
        .map_err(|e| EncodeError::Failed(e.to_string()))?;
    Ok(out)
}

/// RGBA → RGB composited over white (straight alpha), rounding to nearest.
fn over_white(rgba: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(rgba.len() / 4 * 3));
    for px in rgba.chunks_exact(4) {
        if let [r, g, b, a] = *px {
            let a = u32::from(a);
            for c in [r, g, b] {
                out.push(((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixels(channels: u8, px: &[u8]) -> Pixels {
        Pixels::new(4, 4, channels, Zeroizing::new(px.repeat(16))).unwrap()
    }

    #[test]
    fn jpeg_is_deterministic_and_quality_is_checked() {
        let p = pixels(3, &[200, 100, 50]);
        let a = jpeg(&p, 92).unwrap();
        assert_eq!(a, jpeg(&p, 92).unwrap());
        assert_ne!(a, jpeg(&p, 10).unwrap(), "quality must reach the encoder");
        assert_eq!(jpeg(&p, 0).unwrap_err().code(), "encode.quality");
        assert_eq!(jpeg(&p, 101).unwrap_err().code(), "encode.quality");
    }

    #[test]
    fn jpeg_lays_transparency_over_white() {
        let half = pixels(4, &[0, 0, 0, 128]);
        let decoded = image::load_from_memory(&jpeg(&half, 100).unwrap())
            .unwrap()
            .to_rgb8();
        let v = decoded.get_pixel(1, 1).0;
        assert!(v.iter().all(|c| c.abs_diff(127) <= 2), "{v:?}");
    }

    #[test]
    fn png_round_trips_exactly_with_alpha() {
        let p = pixels(4, &[1, 2, 3, 4]);
        let decoded = image::load_from_memory(&png(&p).unwrap()).unwrap();
        assert_eq!(decoded.as_bytes(), p.samples());
    }
}
