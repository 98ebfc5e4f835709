//! Metadata categories: what a file carried, named by kind, never by value.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// A kind of metadata a file carried (never its value).
///
/// The declaration order is the order in which categories are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// An EXIF block (JPEG APP1, PNG eXIf, TIFF Exif IFD).
    Exif,
    /// EXIF GPS tags (position, altitude, GPS time).
    ExifGps,
    /// Camera body, lens or image serial numbers and unique IDs.
    ExifSerialNumbers,
    /// Artist, copyright holder, author or camera owner name.
    ExifOwnerName,
    /// Capture, digitisation or modification date and time.
    ExifDateTime,
    /// Free-text EXIF fields: image description, user comment, Windows title/comment/keywords.
    ExifDescription,
    /// The camera maker's private MakerNote block.
    ExifMakerNote,
    /// A thumbnail image stored in EXIF (IFD1).
    ExifThumbnail,
    /// An XMP packet.
    Xmp,
    /// Extended XMP (JPEG APP1 segments continuing a large XMP packet).
    XmpExtended,
    /// IPTC / Photoshop image resources (JPEG APP13, TIFF IPTC and Photoshop tags).
    Iptc,
    /// An embedded ICC colour profile.
    IccProfile,
    /// A free-text comment (JPEG COM segment, PNG "Comment" text chunk).
    Comment,
    /// Multi-Picture Format index (JPEG APP2 MPF): secondary images such as depth maps.
    MpfImages,
    /// Bytes after the end of the image (JPEG EOI, PNG IEND, WebP RIFF end): motion-photo
    /// video, secondary images, vendor trailers.
    TrailingData,
    /// PNG text chunks (tEXt, zTXt, iTXt).
    PngText,
    /// PNG last-modification time (tIME).
    PngTime,
    /// A WebP EXIF chunk.
    WebpExif,
    /// A WebP XMP chunk.
    WebpXmp,
    /// A JFIF/JFXX thumbnail in the JPEG APP0 segment.
    JfifThumbnail,
    /// An unrecognised application or vendor segment/chunk (JPEG APPn, PNG or WebP chunk).
    OtherAppSegment,
    /// TIFF tags that describe rather than encode the image (software, make, model, page
    /// names, further pages, …).
    TiffMetadata,
}

impl Category {
    /// Every category, in listing order.
    pub const ALL: [Category; 22] = [
        Category::Exif,
        Category::ExifGps,
        Category::ExifSerialNumbers,
        Category::ExifOwnerName,
        Category::ExifDateTime,
        Category::ExifDescription,
        Category::ExifMakerNote,
        Category::ExifThumbnail,
        Category::Xmp,
        Category::XmpExtended,
        Category::Iptc,
        Category::IccProfile,
        Category::Comment,
        Category::MpfImages,
        Category::TrailingData,
        Category::PngText,
        Category::PngTime,
        Category::WebpExif,
        Category::WebpXmp,
        Category::JfifThumbnail,
        Category::OtherAppSegment,
        Category::TiffMetadata,
    ];

    /// A short English description for people (`hifu inspect`, the web page).
    pub fn label(self) -> &'static str {
        match self {
            Category::Exif => "EXIF camera data",
            Category::ExifGps => "GPS location",
            Category::ExifSerialNumbers => "camera/lens serial numbers or image ID",
            Category::ExifOwnerName => "owner, artist or copyright name",
            Category::ExifDateTime => "date and time taken",
            Category::ExifDescription => "EXIF description or user comment",
            Category::ExifMakerNote => "camera maker's private notes (MakerNote)",
            Category::ExifThumbnail => "EXIF thumbnail image",
            Category::Xmp => "XMP metadata",
            Category::XmpExtended => "extended XMP metadata",
            Category::Iptc => "IPTC/Photoshop metadata",
            Category::IccProfile => "embedded colour profile (ICC)",
            Category::Comment => "comment",
            Category::MpfImages => "secondary images (MPF)",
            Category::TrailingData => "data after the end of the image (e.g. motion-photo video)",
            Category::PngText => "PNG text fields",
            Category::PngTime => "PNG modification time",
            Category::WebpExif => "WebP EXIF chunk",
            Category::WebpXmp => "WebP XMP chunk",
            Category::JfifThumbnail => "JFIF thumbnail image",
            Category::OtherAppSegment => "other application or vendor data",
            Category::TiffMetadata => "TIFF descriptive tags",
        }
    }

    /// The snake_case name used in reports (same as the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Category::Exif => "exif",
            Category::ExifGps => "exif_gps",
            Category::ExifSerialNumbers => "exif_serial_numbers",
            Category::ExifOwnerName => "exif_owner_name",
            Category::ExifDateTime => "exif_date_time",
            Category::ExifDescription => "exif_description",
            Category::ExifMakerNote => "exif_maker_note",
            Category::ExifThumbnail => "exif_thumbnail",
            Category::Xmp => "xmp",
            Category::XmpExtended => "xmp_extended",
            Category::Iptc => "iptc",
            Category::IccProfile => "icc_profile",
            Category::Comment => "comment",
            Category::MpfImages => "mpf_images",
            Category::TrailingData => "trailing_data",
            Category::PngText => "png_text",
            Category::PngTime => "png_time",
            Category::WebpExif => "webp_exif",
            Category::WebpXmp => "webp_xmp",
            Category::JfifThumbnail => "jfif_thumbnail",
            Category::OtherAppSegment => "other_app_segment",
            Category::TiffMetadata => "tiff_metadata",
        }
    }
}

/// Categories found in a file, before removal: sorted and without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub categories: Vec<Category>,
}

impl Inventory {
    pub fn contains(&self, category: Category) -> bool {
        self.categories.binary_search(&category).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
    }
}

impl FromIterator<Category> for Inventory {
    fn from_iter<I: IntoIterator<Item = Category>>(iter: I) -> Self {
        let set: BTreeSet<Category> = iter.into_iter().collect();
        Inventory {
            categories: set.into_iter().collect(),
        }
    }
}

impl From<BTreeSet<Category>> for Inventory {
    fn from(set: BTreeSet<Category>) -> Self {
        Inventory {
            categories: set.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_all_is_in_listing_order() {
        for pair in Category::ALL.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{:?} must come before {:?}",
                pair[0],
                pair[1]
            );
        }
        for category in Category::ALL {
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{}\"", category.name()));
            assert!(!category.label().is_empty());
        }
    }

    #[test]
    fn inventory_is_sorted_and_deduplicated() {
        let inventory: Inventory = [
            Category::Xmp,
            Category::Exif,
            Category::Xmp,
            Category::Comment,
        ]
        .into_iter()
        .collect();
        assert_eq!(
            inventory.categories,
            vec![Category::Exif, Category::Xmp, Category::Comment]
        );
        assert!(inventory.contains(Category::Comment));
        assert!(!inventory.contains(Category::ExifGps));
    }
}
