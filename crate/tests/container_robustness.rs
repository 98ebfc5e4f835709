//! Damaged containers never panic: every prefix of a rich fixture, and thousands of single-byte
//! corruptions, give either a result or a typed `container.*` error.
#![cfg(not(target_arch = "wasm32"))]

mod metadata_fixtures;

use hifu::container::{self, strip_jpeg, ContainerError};
use hifu::decode::Format;
use metadata_fixtures::*;

fn assert_typed(result: Result<impl Sized, ContainerError>, what: &str) {
    if let Err(e) = result {
        assert!(
            e.code().starts_with("container."),
            "{what}: code {}",
            e.code()
        );
        assert!(e.to_string().len() > 20, "{what}: message too thin: {e}");
    }
}

/// parse (and, for JPEG, strip) on damaged bytes.
fn exercise(bytes: &[u8], format: Format, what: &str) -> Result<(), ContainerError> {
    let parsed = container::parse(bytes, format);
    if format == Format::Jpeg {
        assert_typed(strip_jpeg(bytes), what);
    }
    parsed.map(|p| {
        assert!(
            (1..=8).contains(&p.orientation),
            "{what}: orientation {}",
            p.orientation
        )
    })
}

fn fixtures(work: &Workdir) -> Vec<(Vec<u8>, Format)> {
    vec![
        (rich_jpeg(work, &base_jpeg(), false), Format::Jpeg),
        (
            rich_jpeg(work, &work.progressive_jpeg(), false),
            Format::Jpeg,
        ),
        (rich_png(work), Format::Png),
        (rich_webp(work), Format::Webp),
        (rich_tiff(work), Format::Tiff),
    ]
}

#[test]
fn every_prefix_is_a_result_or_a_typed_error() {
    let work = Workdir::new();
    for (bytes, format) in fixtures(&work) {
        assert!(
            container::parse(&bytes, format).is_ok(),
            "{format:?} fixture parses whole"
        );
        for len in 0..bytes.len() {
            let result = exercise(&bytes[..len], format, &format!("{format:?} prefix {len}"));
            assert_typed(result, &format!("{format:?} prefix {len}"));
        }
    }
}

#[test]
fn a_jpeg_cut_before_its_end_of_image_is_reported_as_truncated() {
    let work = Workdir::new();
    let jpeg = rich_jpeg(&work, &base_jpeg(), false);
    // The primary image ends where the MPF second image begins.
    let second_soi = (first_sos(&jpeg)..jpeg.len() - 1)
        .find(|&i| jpeg[i] == 0xFF && jpeg[i + 1] == 0xD8)
        .unwrap();
    for len in 0..second_soi - 2 {
        let err = container::parse(&jpeg[..len], Format::Jpeg).unwrap_err();
        assert_eq!(err.code(), "container.truncated", "prefix {len}");
        assert_eq!(
            strip_jpeg(&jpeg[..len]).unwrap_err().code(),
            "container.truncated",
            "prefix {len}"
        );
    }
    assert!(container::parse(&jpeg[..second_soi], Format::Jpeg).is_ok());
}

#[test]
fn a_png_or_webp_cut_short_is_reported_as_truncated() {
    let work = Workdir::new();
    let png = rich_png(&work);
    let iend_end = png.len() - b"HIFU-TRAILER-AFTER-IEND".len();
    for len in 0..iend_end {
        assert_eq!(
            container::parse(&png[..len], Format::Png)
                .unwrap_err()
                .code(),
            "container.truncated"
        );
    }
    let webp = rich_webp(&work);
    let riff_end = webp.len() - b"HIFU-TRAILER-AFTER-RIFF".len();
    for len in 12..riff_end {
        assert_eq!(
            container::parse(&webp[..len], Format::Webp)
                .unwrap_err()
                .code(),
            "container.truncated"
        );
    }
}

#[test]
fn byte_flips_are_a_result_or_a_typed_error() {
    let work = Workdir::new();
    // A fixed LCG: the same corruptions on every run.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    for (bytes, format) in fixtures(&work) {
        for round in 0..3000 {
            let mut damaged = bytes.clone();
            let flips = 1 + next() % 3;
            for _ in 0..flips {
                let at = next() % damaged.len();
                damaged[at] ^= (1 + next() % 255) as u8;
            }
            let what = format!("{format:?} flip round {round}");
            assert_typed(exercise(&damaged, format, &what), &what);
        }
    }
}

#[test]
fn empty_and_foreign_input_is_a_typed_error_in_every_format() {
    for format in [
        Format::Jpeg,
        Format::Png,
        Format::Webp,
        Format::Tiff,
        Format::Heif,
    ] {
        for bytes in [&b""[..], b"\0", b"GIF89a\x01\x00\x01\x00", &[0xFF; 64]] {
            let err = container::parse(bytes, format).unwrap_err();
            assert!(
                err.code().starts_with("container."),
                "{format:?}: {}",
                err.code()
            );
        }
    }
    let heif = container::parse(b"\0\0\0\x18ftypheic", Format::Heif).unwrap_err();
    assert_eq!(heif.code(), "container.unsupported");
    assert!(
        heif.to_string().contains("export the photo as JPEG"),
        "{heif}"
    );
}
