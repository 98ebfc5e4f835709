//! Photos carrying known metadata, built in a temporary directory: base pixels from the
//! `image` crate, metadata written by exiftool, and what exiftool cannot write (MPF, PNG text
//! and time chunks, JFIF thumbnails, vendor segments, trailers) spliced in by hand.
//!
//! Needs `exiftool` (Debian `libimage-exiftool-perl`) and `cjpeg` (`libjpeg-turbo-progs`);
//! `scripts/test` installs both.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use image::{ExtendedColorType, ImageEncoder, RgbImage};

pub const WIDTH: u32 = 64;
pub const HEIGHT: u32 = 48;

/// Identifying values written into the fixtures; none may survive a scrub.
pub const SECRETS: [&str; 8] = [
    "HIFU-BODY-0042",
    "HIFU-LENS-0077",
    "Dr Hifu Artist",
    "Hifu Owner",
    "hifu patient comment",
    "Hifu XMP Creator",
    "Hifu IPTC Byline",
    "hifu png text",
];

pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        require_tool("exiftool", "libimage-exiftool-perl");
        Workdir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs `exiftool -overwrite_original ARGS` on a copy of `bytes` and returns the result.
    pub fn exiftool_write(&self, bytes: &[u8], ext: &str, args: &[&str]) -> Vec<u8> {
        let path = self.write(&format!("edit.{ext}"), bytes);
        let output = Command::new("exiftool")
            .current_dir(self.dir.path())
            .arg("-overwrite_original")
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "exiftool {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(&path).unwrap()
    }

    /// exiftool's independent reading of `bytes`: every tag as "Group1:Tag" → value.
    pub fn exiftool_read(
        &self,
        bytes: &[u8],
        ext: &str,
    ) -> serde_json::Map<String, serde_json::Value> {
        let path = self.write(&format!("read.{ext}"), bytes);
        let output = Command::new("exiftool")
            .args(["-j", "-a", "-G1", "-s", "-b"])
            .arg(&path)
            .output()
            .unwrap();
        let parsed: serde_json::Value =
            serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                panic!(
                    "exiftool -j gave no JSON ({e}): {}",
                    String::from_utf8_lossy(&output.stderr)
                )
            });
        match parsed {
            serde_json::Value::Array(mut files) => match files.pop() {
                Some(serde_json::Value::Object(map)) => map,
                other => panic!("unexpected exiftool output {other:?}"),
            },
            other => panic!("unexpected exiftool output {other:?}"),
        }
    }

    /// A Display P3 ICC profile written to disk, for `-icc_profile<=`.
    pub fn display_p3_icc(&self) -> (PathBuf, Vec<u8>) {
        let profile = display_p3_icc();
        (self.write("p3.icc", &profile), profile)
    }

    /// A progressive JPEG of `base_image()` made by libjpeg-turbo's cjpeg.
    pub fn progressive_jpeg(&self) -> Vec<u8> {
        require_tool("cjpeg", "libjpeg-turbo-progs");
        let img = base_image();
        let mut ppm = format!("P6\n{WIDTH} {HEIGHT}\n255\n").into_bytes();
        ppm.extend_from_slice(img.as_raw());
        let ppm_path = self.write("base.ppm", &ppm);
        let out = self.path("progressive.jpg");
        let status = Command::new("cjpeg")
            .args(["-progressive", "-quality", "90", "-outfile"])
            .arg(&out)
            .arg(&ppm_path)
            .status()
            .unwrap();
        assert!(status.success(), "cjpeg failed");
        std::fs::read(out).unwrap()
    }
}

pub fn require_tool(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is needed by these tests: apt-get install -y {package} (scripts/test does it)"
    );
}

/// A smooth gradient with some texture, so JPEG scans are not trivial.
pub fn base_image() -> RgbImage {
    RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x * y) % 251) as u8])
    })
}

pub fn base_jpeg() -> Vec<u8> {
    let img = base_image();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), WIDTH, HEIGHT, ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub fn base_png() -> Vec<u8> {
    let img = base_image();
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), WIDTH, HEIGHT, ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub fn base_webp() -> Vec<u8> {
    let img = base_image();
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(img.as_raw(), WIDTH, HEIGHT, ExtendedColorType::Rgb8)
        .unwrap();
    out
}

pub fn base_tiff() -> Vec<u8> {
    let img = base_image();
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::tiff::TiffEncoder::new(&mut out)
        .write_image(img.as_raw(), WIDTH, HEIGHT, ExtendedColorType::Rgb8)
        .unwrap();
    out.into_inner()
}

pub fn display_p3_icc() -> Vec<u8> {
    moxcms::ColorProfile::new_display_p3().encode().unwrap()
}

// ---------------------------------------------------------------- exiftool argument sets

pub const GPS: &[&str] = &[
    "-GPSLatitude=35.6812",
    "-GPSLatitudeRef=N",
    "-GPSLongitude=139.7671",
    "-GPSLongitudeRef=E",
];
pub const SERIALS: &[&str] = &[
    "-SerialNumber=HIFU-BODY-0042",
    "-LensSerialNumber=HIFU-LENS-0077",
];
pub const OWNER: &[&str] = &["-Artist=Dr Hifu Artist", "-OwnerName=Hifu Owner"];
pub const DATE: &[&str] = &["-DateTimeOriginal=2024:05:06 07:08:09"];
pub const XMP: &[&str] = &["-XMP-dc:Creator=Hifu XMP Creator"];
pub const IPTC: &[&str] = &["-IPTC:By-line=Hifu IPTC Byline"];
pub const COMMENT: &[&str] = &["-Comment=hifu patient comment"];

/// Every exiftool-writable kind at once (the caller adds the ICC/thumbnail/MakerNote files).
pub fn all_exiftool_args(work: &Workdir) -> Vec<String> {
    let (icc, _) = work.display_p3_icc();
    let thumb = work.write("thumb.jpg", &base_jpeg());
    let maker_note = work.write("makernote.bin", b"HIFU MAKERNOTE\0\x01\x02\x03\x04");
    let mut args: Vec<String> = [GPS, SERIALS, OWNER, DATE, XMP, IPTC, COMMENT]
        .concat()
        .into_iter()
        .map(String::from)
        .collect();
    args.push("-ImageDescription=hifu description".into());
    args.push("-Make=HifuCam".into());
    args.push(format!("-MakerNotes<={}", maker_note.display()));
    args.push(format!("-ThumbnailImage<={}", thumb.display()));
    args.push(format!("-icc_profile<={}", icc.display()));
    args
}

fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

// ---------------------------------------------------------------- rich fixtures

/// A JPEG carrying every kind of metadata hifu lists: EXIF (GPS, serials, owner, date,
/// description, MakerNote, thumbnail), XMP (+ extended XMP when `extended_xmp`), IPTC, ICC, COM,
/// a JFIF thumbnail, a vendor APP segment, MPF with a second image after EOI, and a trailer.
pub fn rich_jpeg(work: &Workdir, base: &[u8], extended_xmp: bool) -> Vec<u8> {
    let mut args = all_exiftool_args(work);
    if extended_xmp {
        // More XMP than one APP1 segment holds: exiftool writes the rest as extended XMP.
        let long = work.write("long.txt", "hifu extended xmp ".repeat(5000).as_bytes());
        args.push(format!("-XMP-dc:Description<={}", long.display()));
    }
    let with_exif = work.exiftool_write(base, "jpg", &as_strs(&args));
    let with_jfif_thumb = replace_jfif_with_thumbnail(&with_exif);
    let with_vendor = insert_after_soi(
        &with_jfif_thumb,
        &app_segment(0xEA, b"HifuVendor\0secret-ish"),
    );
    let mut out = add_mpf_second_image(&with_vendor, &base_jpeg());
    out.extend_from_slice(MOTION_PHOTO_TRAILER);
    out
}

/// What a motion photo appends after the still: an MP4 header and some "video".
pub const MOTION_PHOTO_TRAILER: &[u8] =
    b"\0\0\0\x18ftypmp42\0\0\0\0mp42isomHIFU-MOTION-PHOTO-VIDEO";

pub fn rich_png(work: &Workdir) -> Vec<u8> {
    let (icc, _) = work.display_p3_icc();
    let mut args: Vec<String> = [GPS, SERIALS, DATE, XMP]
        .concat()
        .into_iter()
        .map(String::from)
        .collect();
    args.push(format!("-icc_profile<={}", icc.display()));
    let with_exif = work.exiftool_write(&base_png(), "png", &as_strs(&args));
    let mut compressed_text = b"Description\0\0".to_vec();
    compressed_text.extend(miniz_oxide::deflate::compress_to_vec_zlib(
        b"hifu png text (zTXt)",
        6,
    ));
    let extra = [
        png_chunk(b"tEXt", b"Comment\0hifu patient comment"),
        png_chunk(b"tEXt", b"Author\0hifu png text"),
        png_chunk(b"zTXt", &compressed_text),
        png_chunk(b"iTXt", b"Title\0\0\0en\0Title\0hifu png text (iTXt)"),
        png_chunk(b"tIME", &[0x07, 0xE8, 5, 6, 7, 8, 9]),
    ];
    let mut out = insert_png_chunks_before_idat(&with_exif, &extra.concat());
    out.extend_from_slice(b"HIFU-TRAILER-AFTER-IEND");
    out
}

pub fn rich_webp(work: &Workdir) -> Vec<u8> {
    let (icc, _) = work.display_p3_icc();
    let mut args: Vec<String> = [GPS, SERIALS, OWNER, DATE, XMP]
        .concat()
        .into_iter()
        .map(String::from)
        .collect();
    args.push(format!("-icc_profile<={}", icc.display()));
    let mut out = work.exiftool_write(&base_webp(), "webp", &as_strs(&args));
    out.extend_from_slice(b"HIFU-TRAILER-AFTER-RIFF");
    out
}

pub fn rich_tiff(work: &Workdir) -> Vec<u8> {
    let (icc, _) = work.display_p3_icc();
    let mut args: Vec<String> = [GPS, SERIALS, OWNER, DATE, XMP, IPTC]
        .concat()
        .into_iter()
        .map(String::from)
        .collect();
    args.push(format!("-icc_profile<={}", icc.display()));
    args.push("-Software=HifuSoft 1.0".into());
    args.push("-ImageDescription=hifu description".into());
    args.push("-ModifyDate=2024:05:06 07:08:09".into());
    work.exiftool_write(&base_tiff(), "tiff", &as_strs(&args))
}

// ---------------------------------------------------------------- JPEG splicing

pub fn app_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0xFF, marker];
    v.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    v.extend_from_slice(payload);
    v
}

pub fn insert_after_soi(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    [&jpeg[..2], segment, &jpeg[2..]].concat()
}

/// Offsets and lengths of the marker segments before the first SOS: (marker, start, len).
pub fn header_segments(jpeg: &[u8]) -> Vec<(u8, usize, usize)> {
    let mut pos = 2;
    let mut out = Vec::new();
    loop {
        assert_eq!(jpeg[pos], 0xFF, "expected a marker at {pos}");
        let marker = jpeg[pos + 1];
        let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize + 2;
        out.push((marker, pos, len));
        if marker == 0xDA {
            return out;
        }
        pos += len;
    }
}

/// Offset of the first SOS marker.
pub fn first_sos(jpeg: &[u8]) -> usize {
    header_segments(jpeg).last().unwrap().1
}

/// Replaces the JFIF APP0 (or adds one) with a JFIF APP0 carrying a 2×2 RGB thumbnail.
pub fn replace_jfif_with_thumbnail(jpeg: &[u8]) -> Vec<u8> {
    let mut payload = b"JFIF\0\x01\x02\x00\x00\x01\x00\x01\x02\x02".to_vec();
    payload.extend_from_slice(&[200, 10, 10, 10, 200, 10, 10, 10, 200, 90, 90, 90]);
    let segment = app_segment(0xE0, &payload);
    let segments = header_segments(jpeg);
    match segments.iter().find(|(m, _, _)| *m == 0xE0) {
        Some(&(_, start, len)) => [&jpeg[..start], &segment, &jpeg[start + len..]].concat(),
        None => insert_after_soi(jpeg, &segment),
    }
}

/// Appends `second` after the primary's EOI and indexes both in an MPF APP2 segment
/// (CIPA DC-007), as phones do for depth maps and previews.
pub fn add_mpf_second_image(primary: &[u8], second: &[u8]) -> Vec<u8> {
    // MPF payload: "MPF\0", TIFF header, MP Index IFD (3 entries), then two 16-byte MP entries.
    let build = |primary_len: u32, second_offset: u32| {
        let mut p = b"MPF\0".to_vec();
        p.extend_from_slice(b"II*\0");
        p.extend_from_slice(&8u32.to_le_bytes());
        p.extend_from_slice(&3u16.to_le_bytes());
        let entry = |tag: u16, typ: u16, count: u32, value: [u8; 4]| {
            let mut e = tag.to_le_bytes().to_vec();
            e.extend_from_slice(&typ.to_le_bytes());
            e.extend_from_slice(&count.to_le_bytes());
            e.extend_from_slice(&value);
            e
        };
        p.extend(entry(0xB000, 7, 4, *b"0100"));
        p.extend(entry(0xB001, 4, 1, 2u32.to_le_bytes()));
        // entries follow the IFD: 8 (header) + 2 + 3 × 12 + 4 (next IFD) = 50
        p.extend(entry(0xB002, 7, 32, 50u32.to_le_bytes()));
        p.extend_from_slice(&0u32.to_le_bytes());
        // primary: baseline MP primary image
        p.extend_from_slice(&0x2003_0000u32.to_le_bytes());
        p.extend_from_slice(&primary_len.to_le_bytes());
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        // second: large thumbnail (VGA class)
        p.extend_from_slice(&0x0001_0001u32.to_le_bytes());
        p.extend_from_slice(&(second.len() as u32).to_le_bytes());
        p.extend_from_slice(&second_offset.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        app_segment(0xE2, &p)
    };
    let placeholder = build(0, 0);
    let primary_len = primary.len() + placeholder.len();
    // offsets count from the MP endian field: SOI (2) + marker/length (4) + "MPF\0" (4)
    let mp_header_at = 2 + 4 + 4;
    let segment = build(primary_len as u32, (primary_len - mp_header_at) as u32);
    let mut out = insert_after_soi(primary, &segment);
    assert_eq!(out.len(), primary_len);
    out.extend_from_slice(second);
    out
}

// ---------------------------------------------------------------- PNG splicing

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = (data.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(data);
    let crc = crc32fast::hash(&v[4..]);
    v.extend_from_slice(&crc.to_be_bytes());
    v
}

/// Inserts chunks before the first IDAT, where readers expect ancillary chunks.
pub fn insert_png_chunks_before_idat(png: &[u8], chunks: &[u8]) -> Vec<u8> {
    let mut pos = 8;
    while &png[pos + 4..pos + 8] != b"IDAT" {
        pos += 12 + u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
    }
    [&png[..pos], chunks, &png[pos..]].concat()
}

// ---------------------------------------------------------------- independent checks

/// Tags exiftool still finds that identify the photo, its camera, owner, place or time, or
/// that carry hidden extra content: "Group:Tag=value" for each. Empty means clean.
pub fn exiftool_leaks(tags: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    tags.iter()
        .filter(|(key, value)| {
            let text = value.to_string();
            is_identifying_tag(key) || SECRETS.iter().any(|secret| text.contains(secret))
        })
        .map(|(key, value)| format!("{key}={}", truncate(&value.to_string())))
        .collect()
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn is_identifying_tag(key: &str) -> bool {
    let (group, tag) = key.split_once(':').unwrap_or(("", key));
    match group {
        "IFD0" | "IFD1" | "ExifIFD" | "GPS" | "InteropIFD" | "MakerNotes" | "IPTC"
        | "Photoshop" | "MPF0" | "Ducky" | "APP10" | "APP12" | "FlashPix" => true,
        g if g.starts_with("XMP") || g.starts_with("MPImage") || g.starts_with("ICC") => true,
        "File" => matches!(tag, "Comment" | "ExifByteOrder" | "CurrentIPTCDigest"),
        "JFIF" => tag.starts_with("Thumbnail"),
        "PNG" => !matches!(
            tag,
            "ImageWidth"
                | "ImageHeight"
                | "BitDepth"
                | "ColorType"
                | "Compression"
                | "Filter"
                | "Interlace"
                | "SRGBRendering"
                | "Gamma"
                | "PixelsPerUnitX"
                | "PixelsPerUnitY"
                | "PixelUnits"
        ),
        // Trailers, chunks after IDAT, unknown segments: exiftool only warns about them.
        "ExifTool" => tag == "Warning",
        _ => false,
    }
}
