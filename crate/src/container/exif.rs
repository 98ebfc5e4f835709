//! EXIF and TIFF tag classification with `kamadak-exif`: which identifying kinds of tag a
//! TIFF-structured block carries, and the orientation. Values are read only to find the
//! orientation and a TIFF file's ICC profile; nothing else leaves this module.

use std::collections::BTreeSet;

use exif::{Context, Exif, Field, In, Reader, Value};

use super::{Category, ContainerError};

/// What an EXIF block (or a whole TIFF file) says about itself.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub categories: BTreeSet<Category>,
    /// 1–8; 1 when absent or out of range.
    pub orientation: u8,
    /// TIFF files only: the ICC profile tag's bytes.
    pub icc_profile: Option<Vec<u8>>,
}

/// Parses TIFF-structured EXIF data. Damage inside the IFDs is tolerated (the fields read so
/// far are used); a header that is not TIFF at all is an error.
fn read(data: &[u8]) -> Result<Exif, ContainerError> {
    match Reader::new()
        .continue_on_error(true)
        .read_raw(data.to_vec())
    {
        Ok(exif) => Ok(exif),
        Err(exif::Error::PartialResult(partial)) => Ok(partial.into_inner().0),
        Err(e) => Err(ContainerError::MalformedExif {
            detail: e.to_string(),
        }),
    }
}

/// An EXIF block embedded in JPEG APP1, PNG eXIf or a WebP EXIF chunk (the `Exif\0\0`
/// prefix already removed). Reports [`Category::Exif`] plus the identifying kinds found.
pub(crate) fn classify_block(data: &[u8]) -> Result<Facts, ContainerError> {
    let exif = read(data)?;
    let mut categories = BTreeSet::from([Category::Exif]);
    for field in exif.fields() {
        if let Some(category) = identifying_category(field) {
            categories.insert(category);
        } else if field.ifd_num != In::PRIMARY && is_thumbnail_pointer(field) {
            categories.insert(Category::ExifThumbnail);
        }
    }
    Ok(Facts {
        categories,
        orientation: orientation(&exif),
        icc_profile: None,
    })
}

/// A whole TIFF file: the first IFD is the image itself, so its pixel-describing tags are not
/// metadata; every other tag is.
pub(crate) fn classify_tiff_file(data: &[u8]) -> Result<Facts, ContainerError> {
    if data.get(2) == Some(&0x2B) || data.get(3) == Some(&0x2B) {
        return Err(ContainerError::Unsupported {
            what: "BigTIFF",
            advice: "save the photo as a regular TIFF, PNG or JPEG",
        });
    }
    let exif = read(data)?;
    let mut facts = Facts {
        orientation: orientation(&exif),
        ..Facts::default()
    };
    // Further IFDs are thumbnails when they say so (NewSubfileType bit 0: reduced resolution)
    // or point at a JPEG thumbnail; otherwise they are further pages.
    let thumbnail_ifds: BTreeSet<In> = exif
        .fields()
        .filter(|f| f.tag.context() == Context::Tiff)
        .filter(|f| match f.tag.number() {
            0x00FE => f.value.get_uint(0).is_some_and(|v| v & 1 == 1),
            0x0201 => true,
            _ => false,
        })
        .map(|f| f.ifd_num)
        .collect();
    for field in exif.fields() {
        let category = match (field.tag.context(), field.tag.number()) {
            (Context::Exif | Context::Interop, _) => {
                identifying_category(field).unwrap_or(Category::Exif)
            }
            (Context::Gps, _) => Category::ExifGps,
            (Context::Tiff, 0x02BC) => Category::Xmp,
            (Context::Tiff, 0x83BB | 0x8649) => Category::Iptc,
            (Context::Tiff, 0x8773) => {
                if field.ifd_num == In::PRIMARY && facts.icc_profile.is_none() {
                    facts.icc_profile = bytes_of(&field.value);
                }
                Category::IccProfile
            }
            _ if field.ifd_num != In::PRIMARY => {
                if thumbnail_ifds.contains(&field.ifd_num) {
                    Category::ExifThumbnail
                } else {
                    Category::TiffMetadata
                }
            }
            (Context::Tiff, number) if is_pixel_tag(number) => continue,
            _ => identifying_category(field).unwrap_or(Category::TiffMetadata),
        };
        facts.categories.insert(category);
    }
    // Identifying Exif-IFD tags are listed by kind; the Exif IFD itself is listed too.
    if exif
        .fields()
        .any(|f| matches!(f.tag.context(), Context::Exif | Context::Interop))
    {
        facts.categories.insert(Category::Exif);
    }
    Ok(facts)
}

/// The identifying kind a tag belongs to, if any (any IFD).
fn identifying_category(field: &Field) -> Option<Category> {
    let category = match (field.tag.context(), field.tag.number()) {
        (Context::Gps, _) => Category::ExifGps,
        // Artist, Copyright, XPAuthor
        (Context::Tiff, 0x013B | 0x8298 | 0x9C9D) => Category::ExifOwnerName,
        // CameraOwnerName
        (Context::Exif, 0xA430) => Category::ExifOwnerName,
        // BodySerialNumber, LensSerialNumber, ImageUniqueID
        (Context::Exif, 0xA431 | 0xA435 | 0xA420) => Category::ExifSerialNumbers,
        // DNG CameraSerialNumber
        (Context::Tiff, 0xC62F) => Category::ExifSerialNumbers,
        // DateTime
        (Context::Tiff, 0x0132) => Category::ExifDateTime,
        // DateTimeOriginal, DateTimeDigitized, OffsetTime*, SubSecTime*
        (Context::Exif, 0x9003 | 0x9004 | 0x9010..=0x9012 | 0x9290..=0x9292) => {
            Category::ExifDateTime
        }
        // ImageDescription, XPTitle, XPComment, XPKeywords, XPSubject
        (Context::Tiff, 0x010E | 0x9C9B | 0x9C9C | 0x9C9E | 0x9C9F) => Category::ExifDescription,
        // UserComment
        (Context::Exif, 0x9286) => Category::ExifDescription,
        (Context::Exif, 0x927C) => Category::ExifMakerNote,
        _ => return None,
    };
    Some(category)
}

/// JPEGInterchangeFormat / StripOffsets / TileOffsets: IFD1 carries an image.
fn is_thumbnail_pointer(field: &Field) -> bool {
    field.tag.context() == Context::Tiff && matches!(field.tag.number(), 0x0201 | 0x0111 | 0x0144)
}

/// TIFF tags a decoder needs (or that only restate how pixels are stored), per TIFF 6.0.
fn is_pixel_tag(number: u16) -> bool {
    matches!(
        number,
        0x00FE // NewSubfileType
            | 0x00FF // SubfileType
            | 0x0100..=0x0103 // ImageWidth, ImageLength, BitsPerSample, Compression
            | 0x0106 // PhotometricInterpretation
            | 0x0107 // Threshholding
            | 0x010A // FillOrder
            | 0x0111 // StripOffsets
            | 0x0112 // Orientation (applied to the pixels, then dropped)
            | 0x0115..=0x011C // SamplesPerPixel … PlanarConfiguration
            | 0x0128 // ResolutionUnit
            | 0x012D // TransferFunction
            | 0x013D..=0x0147 // Predictor, WhitePoint, PrimaryChromaticities, ColorMap, tiles
            | 0x0152 // ExtraSamples
            | 0x0153..=0x0155 // SampleFormat, SMinSampleValue, SMaxSampleValue
            | 0x015B // JPEGTables
            | 0x0211..=0x0214 // YCbCrCoefficients, YCbCrSubSampling, YCbCrPositioning, RefBlackWhite
    )
}

fn orientation(exif: &Exif) -> u8 {
    exif.get_field(exif::Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

fn bytes_of(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::Undefined(bytes, _) | Value::Byte(bytes) => Some(bytes.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF with two IFDs of (tag, SHORT value) entries.
    fn two_ifd_tiff(ifd0: &[(u16, u16)], ifd1: &[(u16, u16)]) -> Vec<u8> {
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes());
        let ifd1_at = 8 + 2 + 12 * ifd0.len() + 4;
        for (i, ifd) in [ifd0, ifd1].into_iter().enumerate() {
            t.extend_from_slice(&(ifd.len() as u16).to_le_bytes());
            for &(tag, value) in ifd {
                t.extend_from_slice(&tag.to_le_bytes());
                t.extend_from_slice(&3u16.to_le_bytes()); // SHORT
                t.extend_from_slice(&1u32.to_le_bytes());
                t.extend_from_slice(&u32::from(value).to_le_bytes());
            }
            let next = if i == 0 { ifd1_at as u32 } else { 0 };
            t.extend_from_slice(&next.to_le_bytes());
        }
        t
    }

    const PAGE: [(u16, u16); 3] = [(0x0100, 4), (0x0101, 4), (0x0112, 6)];

    #[test]
    fn a_second_tiff_ifd_is_a_thumbnail_only_when_it_says_so() {
        let thumb = two_ifd_tiff(&PAGE, &[(0x00FE, 1), (0x0100, 2), (0x0101, 2)]);
        let facts = classify_tiff_file(&thumb).unwrap();
        assert_eq!(facts.categories, BTreeSet::from([Category::ExifThumbnail]));
        assert_eq!(facts.orientation, 6);

        let page = two_ifd_tiff(&PAGE, &[(0x00FE, 2), (0x0100, 4), (0x0101, 4)]);
        let facts = classify_tiff_file(&page).unwrap();
        assert_eq!(facts.categories, BTreeSet::from([Category::TiffMetadata]));

        let single = two_ifd_tiff(&PAGE, &[]);
        assert!(classify_tiff_file(&single).unwrap().categories.is_empty());
    }

    #[test]
    fn exif_blocks_list_thumbnails_and_reject_non_tiff_headers() {
        let block = two_ifd_tiff(&[(0x0112, 3)], &[(0x0201, 100), (0x0202, 10)]);
        let facts = classify_block(&block).unwrap();
        assert_eq!(
            facts.categories,
            BTreeSet::from([Category::Exif, Category::ExifThumbnail])
        );
        assert_eq!(facts.orientation, 3);
        let err = classify_block(b"XX*\0\0\0\0\0").unwrap_err();
        assert_eq!(err.code(), "container.malformed_exif");
        let big = classify_tiff_file(b"II+\0\x08\0\0\0").unwrap_err();
        assert_eq!(big.code(), "container.unsupported");
    }
}
