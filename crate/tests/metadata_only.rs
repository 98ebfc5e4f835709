//! The metadata-only path: with no step that reads pixels (face detection off), an upright JPEG
//! without a colour profile leaves through the lossless rewrite without its pixels being
//! decoded, giving byte for byte what the decoding path gives; everything that needs pixels
//! (a face step, rotation, a profile to convert, PNG out) still decodes.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod metadata_fixtures;

use hifu::{
    scrub_with, scrub_without_faces as scrub, Colour, Error, OutputFormat, OutputKind, PixelStep, Pixels, ScrubOptions,
    StepOutcome,
};
use metadata_fixtures::*;

/// A step that reads the pixels and changes nothing: forces the decoding path.
struct Looks(usize);

impl PixelStep for Looks {
    fn run(&mut self, _pixels: &mut Pixels) -> Result<StepOutcome, Error> {
        self.0 += 1;
        Ok(StepOutcome::default())
    }
}

/// What a camera or phone writes when it embeds no colour profile: GPS, serials, owner, date,
/// XMP, IPTC, a comment, an EXIF thumbnail, a vendor segment and a motion-photo trailer.
fn camera_jpeg(work: &Workdir, base: &[u8]) -> Vec<u8> {
    let thumb = work.write("thumb.jpg", &base_jpeg());
    let thumbnail = format!("-ThumbnailImage<={}", thumb.display());
    let args: Vec<&str> = [GPS, SERIALS, OWNER, DATE, XMP, IPTC, COMMENT, &[&thumbnail]].concat();
    let tagged = work.exiftool_write(base, "jpg", &args);
    let mut out = insert_after_soi(&tagged, &app_segment(0xEA, b"HifuVendor\0secret-ish"));
    out.extend_from_slice(MOTION_PHOTO_TRAILER);
    out
}

/// What phones that tag their colours write: the camera metadata and an sRGB ICC profile.
fn with_srgb_profile(work: &Workdir) -> Vec<u8> {
    let srgb = work.write(
        "srgb.icc",
        &moxcms::ColorProfile::new_srgb().encode().unwrap(),
    );
    let profile = format!("-ICC_Profile<={}", srgb.display());
    work.exiftool_write(&camera_jpeg(work, &base_jpeg()), "jpg", &[&profile])
}

/// The same photo with its first scan naming a component the frame does not have: every
/// segment and scan still walk to EOI, but no decoder can make pixels of it.
fn unknown_scan_component(jpeg: &[u8]) -> Vec<u8> {
    let sos = first_sos(jpeg);
    let mut out = jpeg.to_vec();
    out[sos + 5] = 0x7F; // FF DA, length (2), Ns, then the first component selector
    out
}

#[test]
fn the_same_bytes_as_the_decoding_path_without_decoding() {
    let work = Workdir::new();
    for (what, input) in [
        ("baseline", camera_jpeg(&work, &base_jpeg())),
        ("progressive", camera_jpeg(&work, &work.progressive_jpeg())),
        ("with an sRGB profile", with_srgb_profile(&work)),
    ] {
        let options = ScrubOptions::default();
        let fast = scrub(&input, &options).unwrap();
        let mut looks = Looks(0);
        let decoded = scrub_with(&input, &options, &mut looks).unwrap();
        assert_eq!(looks.0, 1, "{what}: the reading step ran");
        assert_eq!(fast.image, decoded.image, "{what}: different bytes");
        assert_eq!(fast.report, decoded.report, "{what}: different reports");
        assert_eq!(
            fast.report.output_kind,
            Some(OutputKind::Lossless),
            "{what}"
        );
        let colour = if what.contains("sRGB") {
            Colour::Srgb
        } else {
            Colour::None
        };
        assert_eq!(fast.report.colour, Some(colour), "{what}");
        assert!(
            fast.report.removed.len() >= 6,
            "{what}: {:?}",
            fast.report.removed
        );
    }
}

#[test]
fn a_file_the_decoder_refuses_shows_the_pixels_were_not_decoded() {
    let work = Workdir::new();
    let input = unknown_scan_component(&camera_jpeg(&work, &base_jpeg()));
    let decoded = scrub_with(&input, &ScrubOptions::default(), &mut Looks(0));
    assert!(
        decoded.is_err(),
        "the fixture must be one the decoder refuses"
    );
    // The metadata-only path rewrites the container and leaves the scan as it was.
    let fast = scrub(&input, &ScrubOptions::default()).unwrap();
    assert_eq!(fast.report.output_kind, Some(OutputKind::Lossless));
    assert!(exiftool_leaks(&work.exiftool_read(&fast.image, "jpg")).is_empty());
}

#[test]
fn photos_that_need_their_pixels_still_decode() {
    let work = Workdir::new();
    let base = base_jpeg();
    let rotated = work.exiftool_write(&base, "jpg", &["-Orientation#=6"]);
    let (p3, _) = work.display_p3_icc();
    let with_profile =
        work.exiftool_write(&base, "jpg", &[&format!("-ICC_Profile<={}", p3.display())]);
    for (what, input, options) in [
        ("rotated", rotated, ScrubOptions::default()),
        ("Display P3 profile", with_profile, ScrubOptions::default()),
        (
            "PNG asked for",
            base.clone(),
            ScrubOptions {
                format: OutputFormat::Png,
                ..ScrubOptions::default()
            },
        ),
    ] {
        let out = scrub(&input, &options).unwrap();
        assert_eq!(
            out.report.output_kind,
            Some(OutputKind::ReEncoded),
            "{what}"
        );
        // A scan no decoder can read proves the decoder ran: it is refused.
        let damaged = unknown_scan_component(&input);
        assert!(scrub(&damaged, &options).is_err(), "{what}: not decoded");
    }
}
