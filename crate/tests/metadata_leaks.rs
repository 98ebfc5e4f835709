//! Nothing identifying survives a scrub: for a fixture in each format carrying every kind of
//! metadata hifu knows, exiftool (an independent reader) finds no EXIF, GPS, serials, owner,
//! dates, thumbnails, XMP, IPTC, ICC, comments, MPF, trailer, PNG text/time or WebP EXIF/XMP
//! in the output, in every output format, and the report lists what was removed.
#![cfg(not(target_arch = "wasm32"))]

mod metadata_fixtures;

use hifu::container::{self, Category, Category::*};
use hifu::decode::Format;
use hifu::{scrub_without_faces as scrub, OutputFormat, OutputKind, ScrubOptions, Status};
use metadata_fixtures::*;

/// Scrubs `input` with each output format and checks the output three ways: exiftool finds
/// nothing identifying, no planted value or trailer appears anywhere in the bytes, and hifu's
/// own parser sees an empty inventory.
fn assert_scrubbed_clean(
    work: &Workdir,
    name: &str,
    input: &[u8],
    format: Format,
    must_list: &[Category],
) {
    let before = exiftool_leaks(&work.exiftool_read(input, name));
    assert!(
        !before.is_empty(),
        "{name}: fixture must carry metadata exiftool can see"
    );
    let inventory = container::parse(input, format).unwrap().inventory;

    for output_format in [OutputFormat::Auto, OutputFormat::Jpeg, OutputFormat::Png] {
        let what = format!("{name} → {output_format:?}");
        let options = ScrubOptions {
            format: output_format,
            ..ScrubOptions::default()
        };
        let out = scrub(input, &options).unwrap();
        assert_eq!(out.report.status, Status::Ok, "{what}");
        assert_eq!(
            out.report.removed, inventory.categories,
            "{what}: report lists the inventory"
        );
        for category in must_list {
            assert!(
                out.report.removed.contains(category),
                "{what}: {category:?} not reported"
            );
        }

        let ext = match out.mime {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            other => panic!("{what}: unexpected output type {other}"),
        };
        let leaks = exiftool_leaks(&work.exiftool_read(&out.image, ext));
        assert!(leaks.is_empty(), "{what}: exiftool still finds {leaks:?}");

        for secret in SECRETS {
            assert!(
                !contains(&out.image, secret.as_bytes()),
                "{what}: {secret:?} in the output"
            );
        }
        for marker in [
            &b"HIFU"[..],
            b"ftypmp42",
            b"Exif\0\0",
            b"ICC_PROFILE",
            b"http://ns.adobe.com",
        ] {
            assert!(
                !contains(&out.image, marker),
                "{what}: {:?} in the output",
                String::from_utf8_lossy(marker)
            );
        }

        let out_format = if ext == "jpg" {
            Format::Jpeg
        } else {
            Format::Png
        };
        let left = container::parse(&out.image, out_format).unwrap().inventory;
        assert!(left.is_empty(), "{what}: hifu's own parser finds {left:?}");
        let decoded = image::load_from_memory(&out.image).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (WIDTH, HEIGHT),
            "{what}"
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

const EXIF_KINDS: [Category; 4] = [ExifGps, ExifSerialNumbers, ExifDateTime, IccProfile];

#[test]
fn rich_baseline_jpeg() {
    let work = Workdir::new();
    let input = rich_jpeg(&work, &base_jpeg(), true);
    let must = [
        Exif,
        ExifOwnerName,
        ExifMakerNote,
        ExifThumbnail,
        ExifDescription,
        Xmp,
        XmpExtended,
        Iptc,
        Comment,
        MpfImages,
        TrailingData,
        JfifThumbnail,
        OtherAppSegment,
    ];
    assert_scrubbed_clean(
        &work,
        "jpg",
        &input,
        Format::Jpeg,
        &[&EXIF_KINDS[..], &must].concat(),
    );
}

#[test]
fn rich_progressive_jpeg() {
    let work = Workdir::new();
    let input = rich_jpeg(&work, &work.progressive_jpeg(), false);
    assert_scrubbed_clean(
        &work,
        "jpg",
        &input,
        Format::Jpeg,
        &[&EXIF_KINDS[..], &[Exif, MpfImages]].concat(),
    );
}

#[test]
fn rich_png() {
    let work = Workdir::new();
    let input = metadata_fixtures::rich_png(&work);
    let must = [Exif, Xmp, Comment, PngText, PngTime, TrailingData];
    assert_scrubbed_clean(
        &work,
        "png",
        &input,
        Format::Png,
        &[&EXIF_KINDS[..], &must].concat(),
    );
}

#[test]
fn rich_webp() {
    let work = Workdir::new();
    let input = metadata_fixtures::rich_webp(&work);
    let must = [WebpExif, WebpXmp, ExifOwnerName, TrailingData];
    assert_scrubbed_clean(
        &work,
        "webp",
        &input,
        Format::Webp,
        &[&EXIF_KINDS[..], &must].concat(),
    );
}

#[test]
fn rich_tiff() {
    let work = Workdir::new();
    let input = metadata_fixtures::rich_tiff(&work);
    let must = [
        Exif,
        ExifOwnerName,
        ExifDescription,
        Xmp,
        Iptc,
        TiffMetadata,
    ];
    assert_scrubbed_clean(
        &work,
        "tiff",
        &input,
        Format::Tiff,
        &[&EXIF_KINDS[..], &must].concat(),
    );
}

/// Without an ICC profile or a rotation, a JPEG takes the lossless path, which must be just
/// as clean (and is the path `strip_jpeg` serves).
#[test]
fn rich_jpeg_on_the_lossless_path() {
    let work = Workdir::new();
    let base = base_jpeg();
    let mut args: Vec<&str> = [GPS, SERIALS, OWNER, DATE, XMP, IPTC, COMMENT].concat();
    args.push("-Orientation#=1");
    let with_exif = work.exiftool_write(&base, "jpg", &args);
    let mut input = add_mpf_second_image(&replace_jfif_with_thumbnail(&with_exif), &base);
    input.extend_from_slice(MOTION_PHOTO_TRAILER);

    let out = scrub(&input, &ScrubOptions::default()).unwrap();
    assert_eq!(out.report.output_kind, Some(OutputKind::Lossless));
    assert_eq!(out.image, container::strip_jpeg(&input).unwrap());
    let must = [
        ExifGps,
        ExifSerialNumbers,
        ExifOwnerName,
        ExifDateTime,
        Xmp,
        Iptc,
        Comment,
        MpfImages,
        TrailingData,
        JfifThumbnail,
    ];
    assert_scrubbed_clean(&work, "jpg", &input, Format::Jpeg, &must);
}
