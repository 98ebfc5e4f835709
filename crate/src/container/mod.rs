//! One file per container format: the metadata inventory (what the file carried, as
//! categories) and, for JPEG, the lossless rewrite that drops every metadata segment.
//!
//! The walkers borrow the input and never copy it whole, so the caller's zeroizing of the
//! original stays meaningful. The exceptions are EXIF blocks (≤ 64 KiB in JPEG) and TIFF
//! files, which `kamadak-exif` parses from an owned copy it does not zeroize.

mod error;
mod exif;
pub mod inventory;
mod jpeg;
mod png;
mod tiff;
mod webp;

use crate::decode::Format;
pub use error::ContainerError;
pub use inventory::{Category, Inventory};

/// What the container carried, and what decoding needs from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub inventory: Inventory,
    /// EXIF orientation 1–8 (1 when absent or invalid).
    pub orientation: u8,
    /// The embedded ICC profile, reassembled when split over several segments.
    pub icc_profile: Option<Vec<u8>>,
    /// JPEG only: the first frame header (SOFn), which says the image's size without decoding.
    pub jpeg_frame: Option<JpegFrame>,
}

impl Parsed {
    /// The result of a chunked container (PNG, WebP): bytes after the last chunk are trailing
    /// data, a metadata category of their own, since anything can hide there.
    pub(crate) fn from_chunks(
        mut categories: std::collections::BTreeSet<inventory::Category>,
        trailing: &[u8],
        orientation: Option<u8>,
        icc_profile: Option<Vec<u8>>,
    ) -> Parsed {
        if !trailing.is_empty() {
            categories.insert(inventory::Category::TrailingData);
        }
        Parsed {
            inventory: categories.into(),
            orientation: orientation.unwrap_or(1),
            icc_profile,
            jpeg_frame: None,
        }
    }
}

/// What a JPEG frame header (SOFn) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegFrame {
    /// The SOF marker's low nibble: 0 baseline, 1 extended sequential, 2 progressive (Huffman);
    /// 3 lossless, 9–15 arithmetic coding and hierarchical variants.
    pub process: u8,
    /// Sample precision in bits (8 for nearly every photo; 12 for some medical images).
    pub precision: u8,
    pub width: u16,
    pub height: u16,
    pub components: u8,
    /// For a three-component frame whose two chroma components carry one sample per MCU: the
    /// luma's horizontal and vertical sampling factors, that is how many luma samples share one
    /// chroma sample across and down ((2, 2) for the 4:2:0 of nearly every camera). `None` for
    /// any other layout.
    pub chroma_subsampling: Option<(u8, u8)>,
}

/// Reads the container structure of `bytes` (already sniffed as `format`).
pub fn parse(bytes: &[u8], format: Format) -> Result<Parsed, ContainerError> {
    match format {
        Format::Jpeg => jpeg::parse(bytes),
        Format::Png => png::parse(bytes),
        Format::Webp => webp::parse(bytes),
        Format::Tiff => tiff::parse(bytes),
        Format::Heif => Err(ContainerError::Unsupported {
            what: "HEIC/HEIF",
            advice:
                "export the photo as JPEG (iPhone: Settings → Camera → Formats → Most Compatible)",
        }),
    }
}

/// JPEG only: the same image with every metadata segment and any trailer removed; the
/// entropy-coded data is bit-identical. Keeps what decoding needs (tables, SOF/SOS, DRI,
/// JFIF APP0 without thumbnail, Adobe APP14 transform flag).
pub fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, ContainerError> {
    match crate::decode::sniff(bytes) {
        Some(Format::Jpeg) => jpeg::strip(bytes),
        Some(other) => Err(ContainerError::WrongFormat {
            found: other.mime(),
        }),
        None if bytes.len() < 3 => jpeg::strip(bytes),
        None => Err(ContainerError::WrongFormat {
            found: "unrecognised",
        }),
    }
}
