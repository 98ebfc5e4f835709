//! Embedded ICC profile → sRGB with moxcms (pure Rust), so the photo looks the same after the
//! profile is dropped with the rest of the metadata.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Pixels;

/// What happened to the colours, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// No embedded profile: the pixels are taken as sRGB, as every viewer does.
    None,
    /// The profile is sRGB (or indistinguishable from it at 8 bits): pixels untouched.
    Srgb,
    /// Pixels converted from the embedded profile to sRGB.
    Converted,
    /// The profile could not be parsed: pixels left as they are (read as sRGB), profile dropped.
    UnreadableProfile,
    /// The profile parsed but does not describe these pixels in a way hifu can convert (a CMYK
    /// profile on a JPEG the decoder already turned into RGB, a LUT profile moxcms cannot
    /// invert): pixels left as they are, profile dropped.
    UnsupportedProfile,
}

/// Converts `pixels` described by `icc` to sRGB. Never fails: a profile hifu cannot use is
/// reported and dropped, because refusing the photo over a colour nuance would block the
/// clinician, and keeping the profile would keep metadata. The input buffer is dropped (and
/// so zeroized) when a converted copy replaces it.
pub fn to_srgb(pixels: Pixels, icc: Option<&[u8]>) -> (Pixels, Colour) {
    let Some(icc) = icc else {
        return (pixels, Colour::None);
    };
    let Ok(profile) = ColorProfile::new_from_slice(icc) else {
        return (pixels, Colour::UnreadableProfile);
    };
    match convert(&pixels, &profile) {
        Outcome::Unchanged => (pixels, Colour::Srgb),
        Outcome::Unsupported => (pixels, Colour::UnsupportedProfile),
        Outcome::Converted(converted) => (converted, Colour::Converted),
    }
}

/// Whether 3-channel RGB pixels described by `icc` are already sRGB, so that [`to_srgb`] would
/// leave them unchanged ([`Colour::Srgb`]): the same test, without the pixels.
pub fn is_srgb_rgb_profile(icc: &[u8]) -> bool {
    let Ok(profile) = ColorProfile::new_from_slice(icc) else {
        return false;
    };
    if profile.color_space != DataColorSpace::Rgb {
        return false;
    }
    profile
        .create_transform_8bit(
            Layout::Rgb,
            &ColorProfile::new_srgb(),
            Layout::Rgb,
            TransformOptions::default(),
        )
        .is_ok_and(|transform| is_identity(&*transform, 3))
}

enum Outcome {
    Unchanged,
    Unsupported,
    Converted(Pixels),
}

fn convert(pixels: &Pixels, profile: &ColorProfile) -> Outcome {
    let srgb = ColorProfile::new_srgb();
    let alpha = pixels.has_alpha();
    let channels = usize::from(pixels.channels());
    let dst_layout = if alpha { Layout::Rgba } else { Layout::Rgb };
    let options = TransformOptions::default();
    match profile.color_space {
        DataColorSpace::Rgb => {
            let Ok(transform) =
                profile.create_transform_8bit(dst_layout, &srgb, dst_layout, options)
            else {
                return Outcome::Unsupported;
            };
            if is_identity(&*transform, channels) {
                return Outcome::Unchanged;
            }
            let mut out = Zeroizing::new(vec![0u8; pixels.samples().len()]);
            if transform.transform(pixels.samples(), &mut out).is_err() {
                return Outcome::Unsupported;
            }
            rebuild(pixels, out)
        }
        DataColorSpace::Gray => {
            // Grey pixels were spread to R=G=B by the decoder; the profile describes one channel.
            let src_layout = if alpha {
                Layout::GrayAlpha
            } else {
                Layout::Gray
            };
            let Ok(transform) =
                profile.create_transform_8bit(src_layout, &srgb, dst_layout, options)
            else {
                return Outcome::Unsupported;
            };
            let grey: Zeroizing<Vec<u8>> = Zeroizing::new(
                pixels
                    .samples()
                    .chunks_exact(channels)
                    .flat_map(|px| {
                        let l = px.first().copied().unwrap_or(0);
                        let a = px.get(3).copied();
                        std::iter::once(l).chain(a.filter(|_| alpha))
                    })
                    .collect(),
            );
            let mut out = Zeroizing::new(vec![0u8; pixels.samples().len()]);
            if transform.transform(&grey, &mut out).is_err() {
                return Outcome::Unsupported;
            }
            if out.as_slice() == pixels.samples() {
                return Outcome::Unchanged;
            }
            rebuild(pixels, out)
        }
        _ => Outcome::Unsupported,
    }
}

fn rebuild(like: &Pixels, samples: Zeroizing<Vec<u8>>) -> Outcome {
    match Pixels::new(like.width(), like.height(), like.channels(), samples) {
        Some(p) => Outcome::Converted(p),
        None => Outcome::Unsupported,
    }
}

/// True when the transform moves no 8-bit colour by more than one step on a probe grid (every
/// grey level and a 9×9×9 colour cube): such a profile is sRGB for hifu's purposes, and leaving
/// the pixels alone keeps the lossless JPEG path open.
fn is_identity(transform: &moxcms::Transform8BitExecutor, channels: usize) -> bool {
    let cube = (0..=8u16).map(|i| (i * 255 / 8) as u8);
    let mut probe: Vec<u8> = Vec::new();
    for r in cube.clone() {
        for g in cube.clone() {
            for b in cube.clone() {
                probe.extend([r, g, b, 255].into_iter().take(channels));
            }
        }
    }
    for l in 0..=255u8 {
        probe.extend([l, l, l, 255].into_iter().take(channels));
    }
    let mut out = vec![0u8; probe.len()];
    if transform.transform(&probe, &mut out).is_err() {
        return false;
    }
    probe.iter().zip(&out).all(|(a, b)| a.abs_diff(*b) <= 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(rgb: [u8; 3]) -> Pixels {
        Pixels::new(2, 2, 3, Zeroizing::new(rgb.repeat(4))).unwrap()
    }

    #[test]
    fn no_profile_means_no_change() {
        let (p, c) = to_srgb(solid([10, 20, 30]), None);
        assert_eq!(c, Colour::None);
        assert_eq!(p.samples(), [10, 20, 30].repeat(4).as_slice());
    }

    #[test]
    fn an_srgb_profile_leaves_pixels_alone() {
        let icc = ColorProfile::new_srgb().encode().unwrap();
        let (p, c) = to_srgb(solid([10, 200, 30]), Some(&icc));
        assert_eq!(c, Colour::Srgb);
        assert_eq!(p.samples(), [10, 200, 30].repeat(4).as_slice());
    }

    #[test]
    fn garbage_is_reported_as_unreadable_and_pixels_stay() {
        let (p, c) = to_srgb(solid([1, 2, 3]), Some(b"not an icc profile at all"));
        assert_eq!(c, Colour::UnreadableProfile);
        assert_eq!(p.samples(), [1, 2, 3].repeat(4).as_slice());
    }

    #[test]
    fn display_p3_green_becomes_out_of_gamut_srgb_green() {
        let icc = ColorProfile::new_display_p3().encode().unwrap();
        let (p, c) = to_srgb(solid([0, 255, 0]), Some(&icc));
        assert_eq!(c, Colour::Converted);
        // P3 green lies outside sRGB: red and blue clip to 0, green to 255.
        let px = &p.samples()[..3];
        assert!(px[0] <= 1 && px[1] >= 254 && px[2] <= 1, "{px:?}");
    }

    #[test]
    fn a_grey_gamma_profile_is_converted_through_its_own_curve() {
        // Gamma 2.2 grey, independently: 50 → (50/255)^2.2 linear → the sRGB curve.
        let linear = (50.0f64 / 255.0).powf(2.2);
        let expected = ((1.055 * linear.powf(1.0 / 2.4) - 0.055) * 255.0).round() as u8;
        assert_ne!(
            expected, 50,
            "the curves must differ for this to test anything"
        );
        let icc = ColorProfile::new_gray_with_gamma(2.2).encode().unwrap();
        let (p, c) = to_srgb(solid([50, 50, 50]), Some(&icc));
        assert_eq!(c, Colour::Converted);
        for px in p.samples().chunks_exact(3) {
            assert!(
                px.iter().all(|v| v.abs_diff(expected) <= 1),
                "{px:?} vs {expected}"
            );
        }
    }
}
