//! The inventory lists exactly the kinds of metadata each fixture carries: one kind at a time
//! (so every category is proven to be detected, and nothing else is), then everything at once
//! in each format.
#![cfg(not(target_arch = "wasm32"))]

mod metadata_fixtures;

use hifu::container::{self, Category, Category::*};
use hifu::decode::Format;
use metadata_fixtures::*;

fn inventory(bytes: &[u8], format: Format) -> Vec<Category> {
    container::parse(bytes, format)
        .unwrap()
        .inventory
        .categories
}

#[test]
fn plain_images_from_the_image_crate_carry_nothing() {
    assert_eq!(inventory(&base_jpeg(), Format::Jpeg), vec![]);
    assert_eq!(inventory(&base_png(), Format::Png), vec![]);
    assert_eq!(inventory(&base_webp(), Format::Webp), vec![]);
    assert_eq!(inventory(&base_tiff(), Format::Tiff), vec![]);
}

#[test]
fn each_exiftool_written_kind_is_listed_alone_in_jpeg() {
    let work = Workdir::new();
    let (icc, _) = work.display_p3_icc();
    let thumb = work.write("thumb.jpg", &base_jpeg());
    let maker_note = work.write("makernote.bin", b"HIFU MAKERNOTE\0\x01\x02");
    let icc_arg = format!("-icc_profile<={}", icc.display());
    let thumb_arg = format!("-ThumbnailImage<={}", thumb.display());
    let maker_arg = format!("-MakerNotes<={}", maker_note.display());
    let cases: Vec<(Vec<&str>, Vec<Category>)> = vec![
        (GPS.to_vec(), vec![Exif, ExifGps]),
        (vec![SERIALS[0]], vec![Exif, ExifSerialNumbers]),
        (vec![SERIALS[1]], vec![Exif, ExifSerialNumbers]),
        (vec![OWNER[0]], vec![Exif, ExifOwnerName]),
        (vec![OWNER[1]], vec![Exif, ExifOwnerName]),
        (vec!["-Copyright=Hifu Hospital"], vec![Exif, ExifOwnerName]),
        (DATE.to_vec(), vec![Exif, ExifDateTime]),
        (
            vec!["-ModifyDate=2024:01:01 00:00:00"],
            vec![Exif, ExifDateTime],
        ),
        (
            vec!["-ImageDescription=patient 7"],
            vec![Exif, ExifDescription],
        ),
        (vec!["-UserComment=patient 7"], vec![Exif, ExifDescription]),
        (vec![&maker_arg, "-Make=HifuCam"], vec![Exif, ExifMakerNote]),
        (vec![&thumb_arg], vec![Exif, ExifThumbnail]),
        (vec!["-Make=HifuCam", "-Model=One"], vec![Exif]),
        (XMP.to_vec(), vec![Xmp]),
        (IPTC.to_vec(), vec![Iptc]),
        (vec![&icc_arg], vec![IccProfile]),
        (COMMENT.to_vec(), vec![Comment]),
    ];
    let base = base_jpeg();
    for (args, expected) in cases {
        let jpeg = work.exiftool_write(&base, "jpg", &args);
        assert_eq!(
            inventory(&jpeg, Format::Jpeg),
            expected,
            "exiftool {args:?}"
        );
    }
}

#[test]
fn extended_xmp_is_listed() {
    let work = Workdir::new();
    let long = work.write("long.txt", "hifu extended xmp ".repeat(5000).as_bytes());
    let arg = format!("-XMP-dc:Description<={}", long.display());
    let jpeg = work.exiftool_write(&base_jpeg(), "jpg", &[&arg]);
    assert_eq!(inventory(&jpeg, Format::Jpeg), vec![Xmp, XmpExtended]);
}

#[test]
fn spliced_jpeg_kinds_are_listed_alone() {
    let base = base_jpeg();
    assert_eq!(
        inventory(&replace_jfif_with_thumbnail(&base), Format::Jpeg),
        vec![JfifThumbnail]
    );
    assert_eq!(
        inventory(
            &insert_after_soi(&base, &app_segment(0xEC, b"Ducky\0\x01")),
            Format::Jpeg
        ),
        vec![OtherAppSegment]
    );
    assert_eq!(
        inventory(&add_mpf_second_image(&base, &base_jpeg()), Format::Jpeg),
        vec![MpfImages, TrailingData]
    );
    let mut trailer = base.clone();
    trailer.extend_from_slice(MOTION_PHOTO_TRAILER);
    assert_eq!(inventory(&trailer, Format::Jpeg), vec![TrailingData]);
}

#[test]
fn rich_jpeg_lists_everything() {
    let work = Workdir::new();
    for extended in [false, true] {
        let jpeg = rich_jpeg(&work, &base_jpeg(), extended);
        let mut expected = vec![
            Exif,
            ExifGps,
            ExifSerialNumbers,
            ExifOwnerName,
            ExifDateTime,
            ExifDescription,
            ExifMakerNote,
            ExifThumbnail,
            Xmp,
            XmpExtended,
            Iptc,
            IccProfile,
            Comment,
            MpfImages,
            TrailingData,
            JfifThumbnail,
            OtherAppSegment,
        ];
        if !extended {
            expected.retain(|c| *c != XmpExtended);
        }
        assert_eq!(
            inventory(&jpeg, Format::Jpeg),
            expected,
            "extended XMP: {extended}"
        );
    }
}

#[test]
fn rich_png_lists_everything() {
    let work = Workdir::new();
    let png = rich_png(&work);
    assert_eq!(
        inventory(&png, Format::Png),
        vec![
            Exif,
            ExifGps,
            ExifSerialNumbers,
            ExifDateTime,
            Xmp,
            IccProfile,
            Comment,
            TrailingData,
            PngText,
            PngTime
        ]
    );
}

#[test]
fn rich_webp_lists_everything() {
    let work = Workdir::new();
    let webp = rich_webp(&work);
    assert_eq!(
        inventory(&webp, Format::Webp),
        vec![
            ExifGps,
            ExifSerialNumbers,
            ExifOwnerName,
            ExifDateTime,
            IccProfile,
            TrailingData,
            WebpExif,
            WebpXmp
        ]
    );
}

#[test]
fn rich_tiff_lists_everything() {
    let work = Workdir::new();
    let tiff = rich_tiff(&work);
    assert_eq!(
        inventory(&tiff, Format::Tiff),
        vec![
            Exif,
            ExifGps,
            ExifSerialNumbers,
            ExifOwnerName,
            ExifDateTime,
            ExifDescription,
            Xmp,
            Iptc,
            IccProfile,
            TiffMetadata
        ]
    );
}

#[test]
fn orientation_is_read_in_every_format() {
    let work = Workdir::new();
    let cases = [
        (base_jpeg(), "jpg", Format::Jpeg),
        (base_png(), "png", Format::Png),
        (base_webp(), "webp", Format::Webp),
        (base_tiff(), "tiff", Format::Tiff),
    ];
    for (base, ext, format) in cases {
        assert_eq!(
            container::parse(&base, format).unwrap().orientation,
            1,
            "{ext} without a tag"
        );
        for orientation in 1..=8u8 {
            let arg = format!("-Orientation#={orientation}");
            let tagged = work.exiftool_write(&base, ext, &[&arg]);
            let parsed = container::parse(&tagged, format).unwrap();
            assert_eq!(
                parsed.orientation, orientation,
                "{ext} orientation {orientation}"
            );
        }
    }
}

#[test]
fn icc_profile_is_returned_whole_in_every_format() {
    let work = Workdir::new();
    let (icc_path, icc) = work.display_p3_icc();
    let arg = format!("-icc_profile<={}", icc_path.display());
    let cases = [
        (base_jpeg(), "jpg", Format::Jpeg),
        (base_png(), "png", Format::Png),
        (base_webp(), "webp", Format::Webp),
        (base_tiff(), "tiff", Format::Tiff),
    ];
    for (base, ext, format) in cases {
        let tagged = work.exiftool_write(&base, ext, &[&arg]);
        let parsed = container::parse(&tagged, format).unwrap();
        assert_eq!(parsed.icc_profile.as_deref(), Some(icc.as_slice()), "{ext}");
        assert!(moxcms::ColorProfile::new_from_slice(parsed.icc_profile.as_ref().unwrap()).is_ok());
    }
}

#[test]
fn an_icc_profile_split_over_several_jpeg_segments_is_reassembled() {
    let work = Workdir::new();
    // 150 kB: exiftool splits it over three APP2 segments.
    let mut big = display_p3_icc();
    big.resize(150_000, 0x5A);
    let path = work.write("big.icc", &big);
    let jpeg = work.exiftool_write(
        &base_jpeg(),
        "jpg",
        &[&format!("-icc_profile<={}", path.display())],
    );
    let app2_count = header_segments(&jpeg)
        .iter()
        .filter(|(m, _, _)| *m == 0xE2)
        .count();
    assert_eq!(app2_count, 3, "the fixture must really be split");
    let parsed = container::parse(&jpeg, Format::Jpeg).unwrap();
    assert_eq!(parsed.icc_profile.as_deref(), Some(big.as_slice()));
}
