//! Decode limits: a hostile or broken header must be refused before hifu allocates pixels for it.

use serde::{Deserialize, Serialize};

use super::DecodeError;

/// Decode limits, checked against the file size and then the header, before any pixel buffer
/// is allocated. Callers (CLI flags, the JS options object) may override any field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    pub max_width: u32,
    pub max_height: u32,
    /// Largest decoded size in bytes hifu will allocate for one image (the decoder's own
    /// output buffer; the 8-bit working copy is never larger).
    pub max_alloc: u64,
    /// Largest input file accepted, in bytes.
    pub max_input_bytes: u64,
}

impl Default for Limits {
    /// 16,384 px a side covers every clinical camera and phone (a 200-megapixel phone photo is
    /// 16,320 × 12,240); 512 MiB is a 16-bit RGBA image of about 67 megapixels.
    fn default() -> Self {
        Limits {
            max_width: 16_384,
            max_height: 16_384,
            max_alloc: 512 << 20,
            max_input_bytes: 256 << 20,
        }
    }
}

impl Limits {
    /// The cheapest check, before the bytes are even parsed.
    pub fn check_input_len(&self, len: usize) -> Result<(), DecodeError> {
        let len = len as u64;
        if len > self.max_input_bytes {
            return Err(DecodeError::FileTooLarge {
                bytes: len,
                max: self.max_input_bytes,
            });
        }
        Ok(())
    }

    /// Checks what a header announces: dimensions and the bytes its pixels would need.
    pub fn check_header(
        &self,
        width: u32,
        height: u32,
        decoded_bytes: u64,
    ) -> Result<(), DecodeError> {
        let too_large = |limit: String| DecodeError::TooLarge {
            reason: format!("{width}×{height} pixels; {limit}"),
        };
        if width == 0 || height == 0 {
            return Err(DecodeError::Corrupt {
                detail: format!("the header says the image is {width}×{height} pixels"),
            });
        }
        if width > self.max_width || height > self.max_height {
            return Err(too_large(format!(
                "the limit is {}×{} pixels",
                self.max_width, self.max_height
            )));
        }
        if decoded_bytes > self.max_alloc {
            return Err(too_large(format!(
                "decoding would need {} MiB, the limit is {} MiB",
                decoded_bytes >> 20,
                self.max_alloc >> 20
            )));
        }
        Ok(())
    }

    /// The same limits in the `image` crate's terms, so its decoders enforce them too.
    pub(crate) fn to_image_limits(self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.max_width);
        limits.max_image_height = Some(self.max_height);
        limits.max_alloc = Some(self.max_alloc);
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_each_limit_by_its_own_reason() {
        let limits = Limits {
            max_width: 100,
            max_height: 50,
            max_alloc: 1000,
            max_input_bytes: 10,
        };
        assert!(limits.check_input_len(10).is_ok());
        assert_eq!(
            limits.check_input_len(11).unwrap_err().code(),
            "decode.file_too_large"
        );
        assert!(limits.check_header(100, 50, 1000).is_ok());
        assert_eq!(
            limits.check_header(101, 1, 3).unwrap_err().code(),
            "decode.too_large"
        );
        assert_eq!(
            limits.check_header(1, 51, 3).unwrap_err().code(),
            "decode.too_large"
        );
        assert_eq!(
            limits.check_header(10, 10, 1001).unwrap_err().code(),
            "decode.too_large"
        );
        assert_eq!(
            limits.check_header(0, 10, 0).unwrap_err().code(),
            "decode.corrupt"
        );
    }
}
