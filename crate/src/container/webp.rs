//! WebP: RIFF chunk inventory (EXIF, XMP, ICC, unknown chunks, bytes after the RIFF end).
//!
//! A borrowed chunk walk rather than `img-parts`, which needs an owned copy of the whole file
//! (a copy of the original that nothing would zeroize) and ignores bytes after the RIFF end.

use std::collections::BTreeSet;

use super::{exif, Category, ContainerError, Parsed};

const FORMAT: &str = "WebP";

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, ContainerError> {
    let (riff_len, body) = match bytes {
        [b'R', b'I', b'F', b'F', a, b, c, d, b'W', b'E', b'B', b'P', ..] => (
            u32::from_le_bytes([*a, *b, *c, *d]) as usize,
            bytes.get(12..).unwrap_or_default(),
        ),
        _ => return Err(ContainerError::malformed(FORMAT, "RIFF header")),
    };
    // The RIFF size counts the "WEBP" form type and the chunks.
    let chunks_len = riff_len
        .checked_sub(4)
        .ok_or(ContainerError::malformed(FORMAT, "RIFF size"))?;
    let mut rest = body
        .get(..chunks_len)
        .ok_or(ContainerError::truncated(FORMAT))?;
    let trailing = body.get(chunks_len..).unwrap_or_default();

    let mut categories = BTreeSet::new();
    let mut orientation = None;
    let mut icc_profile = None;
    while !rest.is_empty() {
        let (fourcc, size, after_header) = match rest {
            [k0, k1, k2, k3, a, b, c, d, tail @ ..] => (
                [*k0, *k1, *k2, *k3],
                u32::from_le_bytes([*a, *b, *c, *d]) as usize,
                tail,
            ),
            _ => return Err(ContainerError::truncated(FORMAT)),
        };
        let data = after_header
            .get(..size)
            .ok_or(ContainerError::truncated(FORMAT))?;
        // Chunks are padded to an even size; a missing pad byte at the very end is tolerated.
        let padded = size.saturating_add(size & 1).min(after_header.len());
        rest = after_header.get(padded..).unwrap_or_default();
        let category = match &fourcc {
            b"EXIF" => {
                // Some writers keep the JPEG APP1 "Exif\0\0" prefix.
                let tiff = data.strip_prefix(b"Exif\0\0").unwrap_or(data);
                let facts = exif::classify_block(tiff)?;
                orientation.get_or_insert(facts.orientation);
                categories.extend(
                    facts
                        .categories
                        .into_iter()
                        .filter(|c| *c != Category::Exif),
                );
                Category::WebpExif
            }
            b"XMP " => Category::WebpXmp,
            b"ICCP" => {
                icc_profile.get_or_insert_with(|| data.to_vec());
                Category::IccProfile
            }
            b"VP8 " | b"VP8L" | b"VP8X" | b"ALPH" | b"ANIM" | b"ANMF" => continue,
            _ => Category::OtherAppSegment,
        };
        categories.insert(category);
    }
    Ok(Parsed::from_chunks(categories, trailing, orientation, icc_profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn riff(chunks: &[(&[u8; 4], &[u8])], after: &[u8]) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        for (fourcc, data) in chunks {
            body.extend_from_slice(*fourcc);
            body.extend_from_slice(&(data.len() as u32).to_le_bytes());
            body.extend_from_slice(data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
        }
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&(body.len() as u32).to_le_bytes());
        v.extend(body);
        v.extend_from_slice(after);
        v
    }

    #[test]
    fn chunks_and_trailer_are_listed() {
        let webp = riff(
            &[
                (b"VP8X", &[0; 10]),
                (b"XMP ", b"<x/>"),
                (b"ICCP", b"abc"),
                (b"VP8L", &[0; 5]),
            ],
            b"x",
        );
        let parsed = parse(&webp).unwrap();
        assert_eq!(
            parsed.inventory.categories,
            vec![
                Category::IccProfile,
                Category::TrailingData,
                Category::WebpXmp
            ]
        );
        assert_eq!(parsed.icc_profile.as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn sizes_past_the_end_are_truncation() {
        let webp = riff(&[(b"VP8L", &[0; 6])], b"");
        assert_eq!(
            parse(&webp[..webp.len() - 1]).unwrap_err().code(),
            "container.truncated"
        );
        let mut lying = webp.clone();
        lying[16] = 0x40; // VP8L size 64, past the RIFF end
        assert_eq!(parse(&lying).unwrap_err().code(), "container.truncated");
    }
}
