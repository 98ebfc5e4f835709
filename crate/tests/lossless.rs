//! The lossless JPEG path: `strip_jpeg` removes every metadata segment and the trailer, keeps
//! the entropy-coded data bit-identical (baseline and progressive), and the result decodes to
//! the same pixels. exiftool, an independent reader, confirms nothing is left.
#![cfg(not(target_arch = "wasm32"))]

mod metadata_fixtures;

use hifu::container::{self, strip_jpeg};
use hifu::decode::Format;
use metadata_fixtures::*;

/// Everything `strip_jpeg` promises, checked on one input.
fn assert_lossless_and_clean(work: &Workdir, input: &[u8]) -> Vec<u8> {
    let before = exiftool_leaks(&work.exiftool_read(input, "jpg"));
    assert!(
        before.len() > 10,
        "the fixture must carry metadata for this test to mean anything: {before:?}"
    );

    let output = strip_jpeg(input).unwrap();

    // Scan data: from the first SOS to EOI, byte for byte the input's.
    let sos_in = first_sos(input);
    let sos_out = first_sos(&output);
    let scan_len = output.len() - sos_out;
    assert_eq!(
        &output[sos_out..],
        &input[sos_in..sos_in + scan_len],
        "scan data changed"
    );
    assert_eq!(
        &output[output.len() - 2..],
        &[0xFF, 0xD9],
        "output must end at EOI"
    );

    // Only decoding structure before the scan: JFIF without thumbnail, tables, frame header.
    for (marker, start, len) in header_segments(&output) {
        match marker {
            0xE0 => assert_eq!(
                &output[start + 4..start + len],
                b"JFIF\0\x01\x02\x00\x00\x01\x00\x01\x00\x00"
            ),
            // Adobe APP14 (CMYK/YCCK transform), exactly its 12 defined bytes.
            0xEE => assert!(
                len == 16 && output[start + 4..].starts_with(b"Adobe"),
                "APP14 of {len}"
            ),
            0xDB | 0xC4 | 0xC0 | 0xC2 | 0xDD | 0xDA => {}
            other => panic!("unexpected segment {other:#04X} kept"),
        }
    }

    let pixels_in = image::load_from_memory(input).unwrap().to_rgb8();
    let pixels_out = image::load_from_memory(&output).unwrap().to_rgb8();
    assert_eq!(pixels_in.dimensions(), (WIDTH, HEIGHT));
    assert!(pixels_in == pixels_out, "decoded pixels differ");

    let after = exiftool_leaks(&work.exiftool_read(&output, "jpg"));
    assert!(after.is_empty(), "exiftool still finds: {after:?}");
    assert!(container::parse(&output, Format::Jpeg)
        .unwrap()
        .inventory
        .is_empty());
    assert_eq!(
        strip_jpeg(&output).unwrap(),
        output,
        "stripping twice changes nothing"
    );
    output
}

#[test]
fn baseline_jpeg_with_every_kind_of_metadata() {
    let work = Workdir::new();
    let input = rich_jpeg(&work, &base_jpeg(), true);
    let output = assert_lossless_and_clean(&work, &input);
    let tail = &input[input.len() - MOTION_PHOTO_TRAILER.len()..];
    assert_eq!(
        tail, MOTION_PHOTO_TRAILER,
        "fixture ends with the motion-photo trailer"
    );
    assert!(
        output.len() < input.len() / 4,
        "{} of {} bytes kept",
        output.len(),
        input.len()
    );
}

#[test]
fn progressive_jpeg_keeps_every_scan_and_the_tables_between_them() {
    let work = Workdir::new();
    let progressive = work.progressive_jpeg();
    let input = rich_jpeg(&work, &progressive, false);
    let output = assert_lossless_and_clean(&work, &input);
    // Outside entropy-coded data 0xFF is never followed by 0xDA by chance (it is stuffed), so
    // this counts the scans; cjpeg -progressive writes ten.
    let scans = output.windows(2).filter(|w| w == &[0xFF, 0xDA]).count();
    assert!(scans >= 6, "progressive output has {scans} scans");
    let frame = header_segments(&output).iter().any(|(m, _, _)| *m == 0xC2);
    assert!(frame, "SOF2 (progressive) kept");
}

#[test]
fn non_jpeg_input_is_refused_with_a_typed_error() {
    for bytes in [
        base_png(),
        base_webp(),
        base_tiff(),
        b"not an image".to_vec(),
    ] {
        assert_eq!(
            strip_jpeg(&bytes).unwrap_err().code(),
            "container.wrong_format"
        );
    }
    assert_eq!(strip_jpeg(&[]).unwrap_err().code(), "container.truncated");
}

/// The decode fixture `cmyk.jpg` (ImageMagick, Adobe APP14 with transform 2 = YCCK): the
/// transform marker must survive or the colours invert.
#[test]
fn cmyk_jpeg_keeps_its_adobe_transform_marker() {
    let work = Workdir::new();
    let cmyk = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/decode/cmyk.jpg"
    ))
    .unwrap();
    let input = rich_jpeg(&work, &cmyk, false);
    let output = assert_lossless_and_clean(&work, &input);
    let (_, start, len) = *header_segments(&output)
        .iter()
        .find(|(m, _, _)| *m == 0xEE)
        .expect("APP14 kept");
    assert_eq!(
        output[start + len - 1],
        2,
        "colour transform byte (YCCK) unchanged"
    );
    let frame = header_segments(&output)
        .into_iter()
        .find(|(m, _, _)| *m == 0xC0)
        .unwrap();
    assert_eq!(output[frame.1 + 9], 4, "four components: really CMYK");
}
