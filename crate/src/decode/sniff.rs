//! Format sniffing from magic bytes: a file's name or MIME type is never trusted.

use serde::{Deserialize, Serialize};

/// Image container formats hifu recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Tiff,
    /// HEIC/HEIF/AVIF (ISO-BMFF `ftyp` box): recognised so the error can say what to do.
    Heif,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Tiff => "image/tiff",
            Format::Heif => "image/heif",
        }
    }

    /// The usual file extension (what clean copies and bundle entries are named with).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Tiff => "tif",
            Format::Heif => "heic",
        }
    }

    /// The format of a MIME type this table names; `None` for any other.
    pub fn from_mime(mime: &str) -> Option<Format> {
        [Format::Jpeg, Format::Png, Format::Webp, Format::Tiff, Format::Heif]
            .into_iter()
            .find(|f| f.mime() == mime)
    }
}

/// The format the bytes say they are, or `None` when no known signature matches.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Format::Png),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Format::Webp),
        [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => Some(Format::Tiff),
        // BigTIFF
        [b'I', b'I', 0x2B, 0x00, ..] | [b'M', b'M', 0x00, 0x2B, ..] => Some(Format::Tiff),
        [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] if is_heif_brand(brand) => {
            Some(Format::Heif)
        }
        _ => None,
    }
}

fn is_heif_brand(brand: &[u8]) -> bool {
    const BRANDS: [&[u8; 4]; 9] = [
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif",
    ];
    brand
        .get(..4)
        .is_some_and(|b| BRANDS.iter().any(|x| x.as_slice() == b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_signature_and_nothing_else() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"II*\0...."), Some(Format::Tiff));
        assert_eq!(sniff(b"MM\0*...."), Some(Format::Tiff));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), Some(Format::Heif));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom"), None, "an MP4 is not a photo");
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(
            sniff(&[0xFF, 0xD8]),
            None,
            "two bytes are not enough to call it JPEG"
        );
    }
}
