//! From file bytes to upright sRGB pixels: sniff the format, check limits, decode, apply the
//! EXIF orientation, convert an embedded ICC profile to sRGB.

pub mod colour;
pub mod limits;
pub mod orient;
pub mod pixels;
pub mod read;
pub mod sniff;
mod upright;

pub use colour::{to_srgb, Colour};
pub use limits::Limits;
pub use orient::orient;
pub use pixels::Pixels;
pub use read::{decode, dimensions};
pub use sniff::{sniff, Format};
pub use upright::upright;

const READABLE: &str = "JPEG, PNG, WebP, TIFF";

/// Why a file could not be decoded. Each message says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("The file is empty (0 bytes): copy or export the photo again")]
    Empty,
    #[error("This is not an image hifu reads ({READABLE}): export the photo as JPEG")]
    UnknownFormat,
    #[error(
        "HEIC is not supported yet: export the photo as JPEG (on iPhone: Settings → Camera → \
         Formats → Most Compatible)"
    )]
    HeicUnsupported,
    #[error("The file ends early (truncated image): copy or export it again")]
    Truncated,
    #[error("The image is damaged ({detail}): export it again from the camera or viewer")]
    Corrupt { detail: String },
    #[error("The image is too large to process safely ({reason}): export a smaller copy")]
    TooLarge { reason: String },
    #[error(
        "The file is {bytes} bytes, more than the limit of {max} bytes: export a smaller copy"
    )]
    FileTooLarge { bytes: u64, max: u64 },
    #[error(
        "This {} is animated: hifu scrubs still photos; export the frame you need as JPEG or PNG",
        format.mime()
    )]
    Animated { format: Format },
    #[error("The image uses a feature hifu cannot decode ({detail}): export it as a plain JPEG")]
    Unsupported { detail: String },
}

impl DecodeError {
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Empty => "decode.empty",
            DecodeError::UnknownFormat => "decode.unknown_format",
            DecodeError::HeicUnsupported => "decode.heic_unsupported",
            DecodeError::Truncated => "decode.truncated",
            DecodeError::Corrupt { .. } => "decode.corrupt",
            DecodeError::TooLarge { .. } => "decode.too_large",
            DecodeError::FileTooLarge { .. } => "decode.file_too_large",
            DecodeError::Animated { .. } => "decode.animated",
            DecodeError::Unsupported { .. } => "decode.unsupported",
        }
    }
}

/// The format `bytes` are in, or why hifu cannot read them, before anything is parsed:
/// empty input, input over the size limit, HEIC, and unknown bytes each get their own error.
pub fn identify(bytes: &[u8], limits: &Limits) -> Result<Format, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    limits.check_input_len(bytes.len())?;
    match sniff(bytes) {
        Some(Format::Heif) => Err(DecodeError::HeicUnsupported),
        Some(format) => Ok(format),
        None => Err(DecodeError::UnknownFormat),
    }
}
