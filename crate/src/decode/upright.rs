//! The one way hifu turns a photo into the pixels a person sees: decode, apply the EXIF
//! orientation, convert an embedded colour profile to sRGB. Scrubbing, face detection and the
//! classifier all start here, so they all see the same pixels.

use super::{decode, orient, to_srgb, Colour, DecodeError, Format, Limits, Pixels};

/// Upright sRGB pixels of `bytes`, the orientation applied (an orientation outside 1..=8 counts
/// as 1: as stored) and what happened to colour. `orientation` and `icc` come from the
/// container (`container::parse`).
pub fn upright(
    bytes: &[u8],
    format: Format,
    orientation: u8,
    icc: Option<&[u8]>,
    limits: &Limits,
) -> Result<(Pixels, u8, Colour), DecodeError> {
    let pixels = decode(bytes, format, limits)?;
    let orientation = if (1..=8).contains(&orientation) {
        orientation
    } else {
        1
    };
    let pixels = orient(pixels, orientation);
    let (pixels, colour) = to_srgb(pixels, icc);
    Ok((pixels, orientation, colour))
}
