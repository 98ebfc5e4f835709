//! The working pixel buffer: 8-bit RGB or RGBA, wiped from memory when dropped.

use zeroize::Zeroizing;

/// Upright 8-bit pixels, row-major, `channels` samples per pixel (3 = RGB, 4 = RGBA). The
/// buffer holds the original photo's content, so it is zeroized when dropped or replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    width: u32,
    height: u32,
    channels: u8,
    data: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Pixels {
    // Never print pixel values: they are the patient's photo.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pixels")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl Pixels {
    /// `None` unless `channels` is 3 or 4 and `data` holds exactly `width × height` pixels.
    pub fn new(width: u32, height: u32, channels: u8, data: Zeroizing<Vec<u8>>) -> Option<Pixels> {
        if channels != 3 && channels != 4 {
            return None;
        }
        let expected = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(channels as usize)?;
        (data.len() == expected).then_some(Pixels {
            width,
            height,
            channels,
            data,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// 3 (RGB) or 4 (RGBA, straight alpha).
    pub fn channels(&self) -> u8 {
        self.channels
    }

    pub fn has_alpha(&self) -> bool {
        self.channels == 4
    }

    pub fn samples(&self) -> &[u8] {
        &self.data
    }

    /// Mutable samples, for steps that edit pixels in place (redaction).
    pub fn samples_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// The `image` crate's colour type for these samples (what the encoders take).
    pub fn color_type(&self) -> image::ExtendedColorType {
        if self.has_alpha() {
            image::ExtendedColorType::Rgba8
        } else {
            image::ExtendedColorType::Rgb8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_buffer_of_the_wrong_size_or_layout() {
        assert!(Pixels::new(2, 2, 3, Zeroizing::new(vec![0; 12])).is_some());
        assert!(Pixels::new(2, 2, 3, Zeroizing::new(vec![0; 11])).is_none());
        assert!(Pixels::new(2, 2, 1, Zeroizing::new(vec![0; 4])).is_none());
        assert!(Pixels::new(u32::MAX, u32::MAX, 4, Zeroizing::new(vec![])).is_none());
    }

    #[test]
    fn debug_output_never_shows_samples() {
        let p = Pixels::new(1, 1, 3, Zeroizing::new(vec![201, 202, 203])).unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("201"), "{shown}");
    }
}
