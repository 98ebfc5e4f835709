//! Broken, hostile and unsupported inputs give a typed error with a stable code, never a panic
//! and never an output. (Truncation at every offset is in `truncated.rs`.)
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{fixture, noise, png_chunk, png_raw, Meta};
use hifu::{inspect, scrub_without_faces as scrub, Limits, ScrubOptions};

fn code(input: &[u8]) -> String {
    code_with(input, &ScrubOptions::default())
}

fn code_with(input: &[u8], options: &ScrubOptions) -> String {
    match scrub(input, options) {
        Ok(out) => panic!(
            "expected an error, got a {} output: {:?}",
            out.mime, out.report
        ),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e.code().to_owned()
        }
    }
}

fn small_jpeg() -> Vec<u8> {
    common::jpeg(&common::asymmetric(16, 16), 90, Meta::default())
}

#[test]
fn zero_length_input_has_its_own_error() {
    assert_eq!(code(&[]), "decode.empty");
    assert_eq!(
        inspect(&[], &Limits::default()).unwrap_err().code(),
        "decode.empty"
    );
}

#[test]
fn random_bytes_are_not_an_image() {
    for seed in 1..50u64 {
        let bytes = noise(1 + (seed as usize * 37) % 4000, seed);
        assert_eq!(code(&bytes), "decode.unknown_format", "seed {seed}");
    }
    let error = scrub(b"GIF89a....", &ScrubOptions::default()).unwrap_err();
    assert!(
        error.to_string().contains("JPEG, PNG, WebP, TIFF"),
        "{error}"
    );
}

#[test]
fn heic_gets_the_actionable_message() {
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.extend(noise(500, 7));
    let error = scrub(&heic, &ScrubOptions::default()).unwrap_err();
    assert_eq!(error.code(), "decode.heic_unsupported");
    assert!(error
        .to_string()
        .starts_with("HEIC is not supported yet: export the photo as JPEG"));
    assert!(error.to_string().contains("Most Compatible"));
    assert_eq!(
        inspect(&heic, &Limits::default()).unwrap_err().code(),
        "decode.heic_unsupported"
    );
}

#[test]
fn a_png_bomb_header_is_refused_before_allocating() {
    // 100,000 × 100,000 RGB: 30 GB of pixels announced by a file of under 100 bytes. If hifu
    // allocated first, this test would abort on memory instead of returning.
    let bomb = png_raw(100_000, 100_000, 8, 2, &[], &[0, 0, 0, 0]);
    assert!(bomb.len() < 100);
    assert_eq!(code(&bomb), "decode.too_large");
    // Within the side limits but over the allocation limit: 16,000² RGBA16 is 2 GB.
    let wide = png_raw(16_000, 16_000, 16, 6, &[], &[0]);
    assert_eq!(code(&wide), "decode.too_large");
}

/// A minimal little-endian 8-bit greyscale TIFF header announcing `width` × `height`.
fn tiff_header(width: u32, height: u32) -> Vec<u8> {
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, width),  // ImageWidth, LONG
        (257, 4, height), // ImageLength
        (258, 3, 8),      // BitsPerSample
        (259, 3, 1),      // Compression: none
        (262, 3, 1),      // Photometric: black is zero
        (273, 4, 110),    // StripOffsets: just after the IFD
        (278, 4, height), // RowsPerStrip
        (279, 4, 16),     // StripByteCounts
    ];
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    t.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            t.extend_from_slice(&(value as u16).to_le_bytes());
            t.extend_from_slice(&[0, 0]);
        } else {
            t.extend_from_slice(&value.to_le_bytes());
        }
    }
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), 110);
    t.extend_from_slice(&[0; 16 + 16]);
    t
}

#[test]
fn a_tiff_bomb_header_is_refused_and_the_same_header_small_decodes() {
    // The builder makes a real TIFF: at 4×4 it scrubs.
    assert!(scrub(&tiff_header(4, 4), &ScrubOptions::default()).is_ok());
    assert_eq!(code(&tiff_header(100_000, 100_000)), "decode.too_large");
}

#[test]
fn a_webp_with_a_huge_canvas_is_refused() {
    // A 2×2 lossless frame in an extended (VP8X) file whose canvas is 16,777,216² pixels.
    let mut simple = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut simple)
        .encode(&[9; 12], 2, 2, image::ExtendedColorType::Rgb8)
        .unwrap();
    let mut body = b"WEBPVP8X".to_vec();
    body.extend_from_slice(&10u32.to_le_bytes());
    body.extend_from_slice(&[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    body.extend_from_slice(&simple[12..]); // the VP8L chunk
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&(body.len() as u32).to_le_bytes());
    webp.extend(body);
    assert_eq!(code(&webp), "decode.too_large");
}

#[test]
fn a_jpeg_with_a_huge_frame_header_is_refused() {
    let mut jpeg = small_jpeg();
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline SOF0");
    // SOF0: FF C0, length (2), precision (1), height (2), width (2).
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xFD, 0xE8, 0xFD, 0xE8]); // 65,000 × 65,000
    assert_eq!(code(&jpeg), "decode.too_large");
}

#[test]
fn animated_webp_and_png_are_refused_with_their_own_code() {
    let webp = fixture("animated.webp");
    assert_eq!(code(&webp), "decode.animated");
    assert!(scrub(&webp, &ScrubOptions::default())
        .unwrap_err()
        .to_string()
        .contains("animated"));

    // APNG: an acTL chunk before IDAT marks the file as animated.
    let mut apng = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut apng, b"IHDR", &ihdr);
    png_chunk(&mut apng, b"acTL", &[0, 0, 0, 1, 0, 0, 0, 0]);
    let mut fctl = vec![0, 0, 0, 0];
    fctl.extend_from_slice(&1u32.to_be_bytes());
    fctl.extend_from_slice(&1u32.to_be_bytes());
    fctl.extend_from_slice(&[0; 8]);
    fctl.extend_from_slice(&[0, 1, 0, 1, 0, 0]);
    png_chunk(&mut apng, b"fcTL", &fctl);
    png_chunk(&mut apng, b"IDAT", &common::zlib_stored(&[0, 1, 2, 3]));
    png_chunk(&mut apng, b"IEND", &[]);
    assert_eq!(code(&apng), "decode.animated");
}

#[test]
fn corrupt_pixel_data_is_a_corrupt_file() {
    // A well-formed PNG whose IDAT is not a zlib stream (CRC correct, so only decoding can tell).
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&4u32.to_be_bytes());
    ihdr.extend_from_slice(&4u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &noise(40, 3));
    png_chunk(&mut png, b"IEND", &[]);
    assert_eq!(code(&png), "decode.corrupt");

    // Zero width in the header.
    let zero = png_raw(0, 5, 8, 2, &[], &[0]);
    let c = code(&zero);
    assert!(c == "decode.corrupt" || c.starts_with("container."), "{c}");
}

#[test]
fn garbage_after_a_valid_signature_never_panics() {
    let signatures: [&[u8]; 5] = [
        b"\xFF\xD8\xFF",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\x20\0\0\0WEBPVP8 ",
        b"II*\0",
        b"MM\0*",
    ];
    for signature in signatures {
        for seed in 1..40u64 {
            let mut bytes = signature.to_vec();
            bytes.extend(noise((seed as usize * 53) % 3000, seed));
            let c = code(&bytes);
            assert!(
                c.starts_with("decode.") || c.starts_with("container."),
                "{c}"
            );
            let _ = inspect(&bytes, &Limits::default());
        }
    }
}

#[test]
fn corrupting_single_bytes_of_a_real_jpeg_never_panics() {
    // Whatever a flipped byte does (some leave a valid if damaged image), hifu returns.
    let jpeg = small_jpeg();
    for i in (2..jpeg.len()).step_by(3) {
        let mut bytes = jpeg.clone();
        bytes[i] ^= 0x5A;
        if let Err(e) = scrub(&bytes, &ScrubOptions::default()) {
            assert!(e.code().starts_with("decode.") || e.code().starts_with("container."));
        }
    }
}

#[test]
fn limits_are_configurable_and_tiny_limits_refuse_a_normal_image() {
    let jpeg = small_jpeg();
    assert!(scrub(&jpeg, &ScrubOptions::default()).is_ok());
    let tight = |limits: Limits| ScrubOptions {
        limits,
        ..Default::default()
    };
    let narrow = Limits {
        max_width: 15,
        ..Default::default()
    };
    assert_eq!(code_with(&jpeg, &tight(narrow)), "decode.too_large");
    let short = Limits {
        max_height: 15,
        ..Default::default()
    };
    assert_eq!(code_with(&jpeg, &tight(short)), "decode.too_large");
    let small_alloc = Limits {
        max_alloc: 16 * 16 * 3 - 1,
        ..Default::default()
    };
    assert_eq!(code_with(&jpeg, &tight(small_alloc)), "decode.too_large");
    let small_file = Limits {
        max_input_bytes: jpeg.len() as u64 - 1,
        ..Default::default()
    };
    assert_eq!(
        code_with(&jpeg, &tight(small_file)),
        "decode.file_too_large"
    );
    assert_eq!(
        inspect(&jpeg, &small_file).unwrap_err().code(),
        "decode.file_too_large",
        "inspect applies the input limit too"
    );
    let exact = Limits {
        max_width: 16,
        max_height: 16,
        max_alloc: 16 * 16 * 3,
        max_input_bytes: jpeg.len() as u64,
    };
    assert!(scrub(&jpeg, &tight(exact)).is_ok(), "limits are inclusive");
}

#[test]
fn limits_deserialise_from_partial_json() {
    let options: ScrubOptions = serde_json::from_str(r#"{"limits":{"max_width":100}}"#).unwrap();
    assert_eq!(options.limits.max_width, 100);
    assert_eq!(options.limits.max_height, Limits::default().max_height);
    assert_eq!(options.quality, 92);
}
