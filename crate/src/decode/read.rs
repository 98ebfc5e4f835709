//! Pixel decoding with the `image` crate's per-format decoders: the header is read and checked
//! against [`Limits`] before the pixel buffer exists, and every buffer holding original pixels is
//! a `Zeroizing` one.
//!
//! The format-specific decoders are built directly (what `image::ImageReader` does inside)
//! because only they can say whether a PNG or WebP is animated before any frame is decoded.

use std::io::Cursor;

use image::codecs::{jpeg::JpegDecoder, png::PngDecoder, tiff::TiffDecoder, webp::WebPDecoder};
use image::{ColorType, ImageDecoder, ImageError};
use zeroize::Zeroizing;

use super::{DecodeError, Format, Limits, Pixels};

/// Decodes `bytes` (already sniffed as `format`) into 8-bit RGB, or RGBA when the image has
/// any pixel that is not fully opaque.
///
/// Multi-page TIFF: the first page only (the output is one photo; the other pages are dropped
/// with the rest of the container). Animated PNG/WebP: refused ([`DecodeError::Animated`]),
/// because taking one frame would silently drop what the photographer meant to send.
pub fn decode(bytes: &[u8], format: Format, limits: &Limits) -> Result<Pixels, DecodeError> {
    limits.check_input_len(bytes.len())?;
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let cursor = Cursor::new(bytes);
    match format {
        Format::Jpeg => read(JpegDecoder::new(cursor).map_err(from_image)?, limits),
        Format::Png => {
            let decoder =
                PngDecoder::with_limits(cursor, limits.to_image_limits()).map_err(from_image)?;
            if decoder.is_apng().map_err(from_image)? {
                return Err(DecodeError::Animated { format });
            }
            read(decoder, limits)
        }
        Format::Webp => {
            let decoder = WebPDecoder::new(cursor).map_err(from_image)?;
            if decoder.has_animation() {
                return Err(DecodeError::Animated { format });
            }
            read(decoder, limits)
        }
        Format::Tiff => read(TiffDecoder::new(cursor).map_err(from_image)?, limits),
        Format::Heif => Err(DecodeError::HeicUnsupported),
    }
}

/// Width and height from the header alone (no pixel buffer), for callers that only inspect.
pub fn dimensions(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<(u32, u32), DecodeError> {
    let cursor = Cursor::new(bytes);
    let (width, height) = match format {
        Format::Jpeg => JpegDecoder::new(cursor).map_err(from_image)?.dimensions(),
        Format::Png => PngDecoder::with_limits(cursor, limits.to_image_limits())
            .map_err(from_image)?
            .dimensions(),
        Format::Webp => WebPDecoder::new(cursor).map_err(from_image)?.dimensions(),
        Format::Tiff => TiffDecoder::new(cursor).map_err(from_image)?.dimensions(),
        Format::Heif => return Err(DecodeError::HeicUnsupported),
    };
    Ok((width, height))
}

fn read(mut decoder: impl ImageDecoder, limits: &Limits) -> Result<Pixels, DecodeError> {
    let (width, height) = decoder.dimensions();
    let total = decoder.total_bytes();
    limits.check_header(width, height, total)?;
    decoder
        .set_limits(limits.to_image_limits())
        .map_err(from_image)?;
    let color = decoder.color_type();
    let len = usize::try_from(total).map_err(|_| DecodeError::TooLarge {
        reason: format!("{width}×{height} pixels do not fit in this machine's memory"),
    })?;
    let mut raw = Zeroizing::new(vec![0u8; len]);
    decoder.read_image(&mut raw).map_err(from_image)?;
    to_rgb8(width, height, color, raw)
}

/// Converts any decoder output to 8-bit RGB(A). 16-bit and float samples are rounded to 8 bits
/// (hifu's outputs are 8-bit JPEG/PNG); grey is spread to RGB; alpha is kept only if used.
fn to_rgb8(
    width: u32,
    height: u32,
    color: ColorType,
    raw: Zeroizing<Vec<u8>>,
) -> Result<Pixels, DecodeError> {
    let (channels, eight_bit): (usize, Zeroizing<Vec<u8>>) = match color {
        ColorType::L8 => (1, raw),
        ColorType::La8 => (2, raw),
        ColorType::Rgb8 => (3, raw),
        ColorType::Rgba8 => (4, raw),
        ColorType::L16 => (1, from_u16(&raw)),
        ColorType::La16 => (2, from_u16(&raw)),
        ColorType::Rgb16 => (3, from_u16(&raw)),
        ColorType::Rgba16 => (4, from_u16(&raw)),
        ColorType::Rgb32F => (3, from_f32(&raw)),
        ColorType::Rgba32F => (4, from_f32(&raw)),
        other => {
            return Err(DecodeError::Unsupported {
                detail: format!("pixel layout {other:?}"),
            })
        }
    };
    let has_alpha = (channels == 2 || channels == 4)
        && eight_bit
            .chunks_exact(channels)
            .any(|px| px.last() != Some(&255));
    let out_channels: usize = if has_alpha { 4 } else { 3 };
    let rgb: Zeroizing<Vec<u8>> = if channels == out_channels {
        eight_bit
    } else {
        let pixel_count = eight_bit.len() / channels;
        let mut out = Zeroizing::new(Vec::with_capacity(pixel_count.saturating_mul(out_channels)));
        for px in eight_bit.chunks_exact(channels) {
            let (r, g, b, a) = match *px {
                [l] => (l, l, l, 255),
                [l, a] => (l, l, l, a),
                [r, g, b] => (r, g, b, 255),
                [r, g, b, a] => (r, g, b, a),
                _ => continue,
            };
            out.extend_from_slice(&[r, g, b]);
            if has_alpha {
                out.push(a);
            }
        }
        out
    };
    Pixels::new(width, height, out_channels as u8, rgb).ok_or_else(|| DecodeError::Corrupt {
        detail: "the decoder returned fewer pixels than the header announced".into(),
    })
}

/// 16-bit native-endian samples (what `read_image` writes) rounded to 8 bits.
fn from_u16(raw: &[u8]) -> Zeroizing<Vec<u8>> {
    let out: Vec<u8> = raw
        .chunks_exact(2)
        .map(|b| {
            let bytes: [u8; 2] = b.try_into().unwrap_or([0; 2]);
            let v = u32::from(u16::from_ne_bytes(bytes));
            ((v * 255 + 32_767) / 65_535) as u8
        })
        .collect();
    Zeroizing::new(out)
}

/// Float samples (nominal range 0–1) clamped and rounded to 8 bits.
fn from_f32(raw: &[u8]) -> Zeroizing<Vec<u8>> {
    let out: Vec<u8> = raw
        .chunks_exact(4)
        .map(|b| {
            let bytes: [u8; 4] = b.try_into().unwrap_or([0; 4]);
            let v = f32::from_ne_bytes(bytes);
            let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
            (v * 255.0).round() as u8
        })
        .collect();
    Zeroizing::new(out)
}

/// Maps the `image` crate's errors to hifu's, telling truncation apart from corruption.
pub(crate) fn from_image(error: ImageError) -> DecodeError {
    match error {
        ImageError::Limits(e) => DecodeError::TooLarge {
            reason: e.to_string(),
        },
        ImageError::Unsupported(e) => DecodeError::Unsupported {
            detail: e.to_string(),
        },
        other if is_truncation(&other) => DecodeError::Truncated,
        // Some decoders (image-webp) refuse an oversized canvas as a format error.
        other if other.to_string().to_ascii_lowercase().contains("too large") => {
            DecodeError::TooLarge {
                reason: other.to_string(),
            }
        }
        other => DecodeError::Corrupt {
            detail: other.to_string(),
        },
    }
}

fn is_truncation(error: &ImageError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::UnexpectedEof {
                return true;
            }
        }
        let text = e.to_string().to_ascii_lowercase();
        if [
            "eof",
            "end of file",
            "unexpected end",
            "truncated",
            "no more bytes",
            "not enough data",
            "failed to fill whole buffer",
        ]
        .iter()
        .any(|needle| text.contains(needle))
        {
            return true;
        }
        source = e.source();
    }
    false
}
