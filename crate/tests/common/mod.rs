//! Fixture builders shared by the scrub integration tests. Fixtures are built in code with the
//! `image` encoders (or by hand, byte by byte, where an encoder cannot make them) so the tests
//! need no external tools; the few files only an outside tool can make live in
//! `tests/fixtures/decode/` with the script that made them.
#![allow(dead_code)]

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ExtendedColorType, ImageEncoder, RgbImage, RgbaImage};

/// A photo-like, asymmetric RGB image: a smooth diagonal gradient with a bright block in the
/// top-left corner and a dark bar along the bottom, so every rotation and mirror is distinct.
pub fn asymmetric(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < width / 4 && y < height / 4 {
            image::Rgb([250, 240, 30])
        } else if y >= height - height / 8 {
            image::Rgb([20, 30, 120])
        } else {
            let r = (x * 200 / width.max(1)) as u8 + 20;
            let g = (y * 200 / height.max(1)) as u8 + 20;
            image::Rgb([r, g, 128])
        }
    })
}

/// A minimal big-endian TIFF structure (what EXIF is) holding only IFD0's Orientation tag.
pub fn exif_orientation(value: u16) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"MM\0\x2A");
    t.extend_from_slice(&8u32.to_be_bytes()); // IFD0 offset
    t.extend_from_slice(&1u16.to_be_bytes()); // one entry
    t.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    t.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    t.extend_from_slice(&1u32.to_be_bytes()); // count
    t.extend_from_slice(&value.to_be_bytes());
    t.extend_from_slice(&[0, 0]); // value padding
    t.extend_from_slice(&0u32.to_be_bytes()); // no IFD1
    t
}

#[derive(Default)]
pub struct Meta {
    pub exif: Option<Vec<u8>>,
    pub icc: Option<Vec<u8>>,
}

pub fn jpeg(image: &RgbImage, quality: u8, meta: Meta) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(exif) = meta.exif {
        encoder.set_exif_metadata(exif).unwrap();
    }
    if let Some(icc) = meta.icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub fn png(image: &DynamicImage, meta: Meta) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    if let Some(exif) = meta.exif {
        encoder.set_exif_metadata(exif).unwrap();
    }
    if let Some(icc) = meta.icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .unwrap();
    out
}

pub fn png_rgb(image: &RgbImage, meta: Meta) -> Vec<u8> {
    png(&DynamicImage::ImageRgb8(image.clone()), meta)
}

pub fn png_rgba(image: &RgbaImage) -> Vec<u8> {
    png(&DynamicImage::ImageRgba8(image.clone()), Meta::default())
}

/// Decodes an output with the `image` crate (independent of hifu's own decode path).
pub fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

/// Mean and max absolute sample difference of two same-sized 8-bit images.
pub fn diff(a: &[u8], b: &[u8]) -> (f64, u8) {
    assert_eq!(a.len(), b.len(), "images differ in size");
    let mut sum = 0u64;
    let mut max = 0u8;
    for (x, y) in a.iter().zip(b) {
        let d = x.abs_diff(*y);
        sum += u64::from(d);
        max = max.max(d);
    }
    (sum as f64 / a.len().max(1) as f64, max)
}

// ---- A hand-made PNG writer, for layouts the `image` encoder does not write (palette,
// low bit depths) and for headers no encoder would write (a 100,000 × 100,000 bomb). ----

pub fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
}

/// zlib stream of stored (uncompressed) deflate blocks.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(65_535).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// A PNG from raw scanlines (each row already prefixed with its filter byte, 0 = none).
pub fn png_raw(
    width: u32,
    height: u32,
    bit_depth: u8,
    color_type: u8,
    extra: &[(&[u8; 4], Vec<u8>)],
    scanlines: &[u8],
) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[bit_depth, color_type, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    for (kind, data) in extra {
        png_chunk(&mut out, kind, data);
    }
    png_chunk(&mut out, b"IDAT", &zlib_stored(scanlines));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A deterministic byte stream (xorshift), for "random bytes" inputs.
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decode")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `../shared` beside the checkout: data and weights the tests read in place, never copied in.
pub fn shared() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

/// The repository root (the workspace), for models/ and tests/ files outside the crate.
pub fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The converted YuNet weights (made at set-up time, never committed).
pub fn yunet_weights() -> Vec<u8> {
    std::fs::read(repo().join("models/face/yunet_n.safetensors"))
        .expect("models/face/yunet_n.safetensors missing: run scripts/convert-yunet")
}

/// The converted CenterFace weights (made at set-up time, never committed).
pub fn centerface_weights() -> Vec<u8> {
    std::fs::read(repo().join("models/face/centerface.safetensors"))
        .expect("models/face/centerface.safetensors missing: run scripts/convert-centerface")
}

/// Every `step`-th pixel of a photo in both directions, as 8-bit RGB (the parity tests'
/// input: no resampler, so both sides see the same numbers).
pub fn subsampled_rgb(path: &std::path::Path, step: usize) -> (Vec<u8>, usize, usize) {
    let img = image::open(path).unwrap().to_rgb8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (sw, sh) = (w.div_ceil(step), h.div_ceil(step));
    let mut out = Vec::with_capacity(sw * sh * 3);
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            out.extend_from_slice(&img.get_pixel(x as u32, y as u32).0);
        }
    }
    (out, sw, sh)
}

/// The production face detector (YuNet + CenterFace's second look) from the converted weights.
pub fn face_detector() -> hifu::face::Detector {
    let (yunet, centerface) = (yunet_weights(), centerface_weights());
    hifu::face::Detector::from_safetensors(hifu::face::FaceWeights {
        yunet: &yunet,
        centerface: &centerface,
    })
    .unwrap()
}

/// A parity reference written by a tests/parity/*/make_reference.py: expected tensors, and per
/// photo a JSON note with the input's sum (so a decoder mismatch is told from a port bug).
pub struct ParityReference {
    tensors: std::collections::HashMap<String, candle_core::Tensor>,
    notes: std::collections::HashMap<String, String>,
}

impl ParityReference {
    /// `rel`: the reference file under the repository root.
    pub fn load(rel: &str) -> ParityReference {
        let path = repo().join(rel);
        let tensors = candle_core::safetensors::load(&path, &candle_core::Device::Cpu).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let notes = header.metadata().clone().unwrap();
        ParityReference { tensors, notes }
    }

    /// Asserts that `input` is exactly the reference's input for photo `name`.
    pub fn assert_same_input(&self, name: &str, input: &candle_core::Tensor) {
        let info: serde_json::Value = serde_json::from_str(&self.notes[name]).unwrap();
        let sum = input
            .to_dtype(candle_core::DType::F64)
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        assert_eq!(
            sum,
            info["input_sum"].as_f64().unwrap(),
            "{name}: the decoded input differs from the reference's (JPEG decoder mismatch)"
        );
    }

    /// Max |got − expected| for tensor `key` (`got` with its batch axis), after checking shapes.
    pub fn max_abs_diff(&self, key: &str, got: &candle_core::Tensor) -> f32 {
        let expected = &self.tensors[key];
        let got = got.squeeze(0).unwrap();
        assert_eq!(got.dims(), expected.dims(), "{key}");
        let diff = (got - expected).unwrap().abs().unwrap().max_all().unwrap();
        let diff = diff.to_scalar::<f32>().unwrap();
        println!("{key}: max abs diff {diff:.2e}");
        diff
    }
}

/// One of hifu's ridge patterns (tests/fixtures/ridges: `whorl`, `loop`, `arch`, `palm`;
/// 256 × 256, ridges 8 px apart; made by scripts/train/fingerprint_composites.py --patterns).
pub fn ridge_pattern(kind: &str) -> image::GrayImage {
    image::open(repo().join(format!("tests/fixtures/ridges/{kind}.png")))
        .unwrap()
        .to_luma8()
}

/// A fingertip pad in skin colour, shaded towards its rim, carrying `pattern`'s ridges at
/// `spacing` pixels, centred on the photo, its short axis `share` of the photo's short side.
pub fn with_ridge_pad(
    photo: &RgbImage,
    pattern: &image::GrayImage,
    spacing: f32,
    share: f32,
) -> (RgbImage, [f32; 4]) {
    let (w, h) = photo.dimensions();
    let a = share * w.min(h) as f32 / 2.0;
    let b = (a * 1.4).min(0.48 * w.max(h) as f32);
    let side = (2.0 * b).ceil() as u32;
    // The fixtures' ridges are 8 px apart.
    let tile = (side as f32 * 8.0 / spacing).ceil() as u32;
    let ridges = image::imageops::resize(
        &image::imageops::crop_imm(pattern, 0, 0, tile.min(256), tile.min(256)).to_image(),
        side,
        side,
        image::imageops::FilterType::Triangle,
    );
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut out = photo.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (u, v) = ((x as f32 - cx) / b, (y as f32 - cy) / a);
        let d = (u * u + v * v).sqrt();
        if d >= 1.0 {
            continue;
        }
        let (rx, ry) = ((x as f32 - cx + b) as u32, (y as f32 - cy + b) as u32);
        let ridge = ridges
            .get_pixel_checked(rx, ry)
            .map_or(0.0, |r| f32::from(r.0[0]) / 127.5 - 1.0);
        let shade = 1.0 - 0.25 * d * d;
        let skin = [205.0, 150.0, 130.0];
        for (c, s) in p.0.iter_mut().zip(skin) {
            *c = (s * shade * (1.0 + 0.15 * ridge)).clamp(0.0, 255.0) as u8;
        }
    }
    (out, [cx - b, cy - a, 2.0 * b, 2.0 * a])
}

/// A whole hand as a 12 MP camera sees it: `photo` enlarged to a long side of 4000 px, and the
/// same with a fingertip pad 30 ridges across laid on it, ridges 8, 10 or 12 px apart by `n`
/// (`n % 3`), with `pattern`'s ridges. Returns (enlarged, with the pad, the pad's box, spacing).
pub fn camera_sized_ridge_pad(
    photo: &RgbImage,
    pattern: &image::GrayImage,
    n: usize,
) -> (RgbImage, RgbImage, [f32; 4], f32) {
    let (w0, h0) = photo.dimensions();
    let (w, h) = if w0 >= h0 {
        (4000, 4000 * h0 / w0.max(1))
    } else {
        (4000 * w0 / h0.max(1), 4000)
    };
    let big = image::imageops::resize(photo, w, h, image::imageops::FilterType::Triangle);
    let spacing = 8.0 + (n % 3) as f32 * 2.0;
    let share = 30.0 * spacing / (1.4 * w.min(h) as f32);
    let (with_pad, pad) = with_ridge_pad(&big, pattern, spacing, share);
    (big, with_pad, pad, spacing)
}
