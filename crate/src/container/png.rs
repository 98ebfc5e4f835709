//! PNG: chunk inventory (text, time, EXIF, ICC, unknown ancillary chunks, bytes after IEND).
//!
//! A borrowed chunk walk rather than `img-parts`, which needs an owned copy of the whole file
//! (a copy of the original that nothing would zeroize) and stops silently at IEND.

use std::collections::BTreeSet;

use super::{exif, Category, ContainerError, Parsed};

const FORMAT: &str = "PNG";
const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// The largest chunk length the PNG spec allows (2^31 − 1).
const MAX_CHUNK_LEN: usize = 0x7FFF_FFFF;
/// An ICC profile decompressing to more than this is refused (libpng's limit is 8 MB; no
/// real profile comes close).
const MAX_ICC_LEN: usize = 16 << 20;

struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
}

/// Every chunk up to and including IEND, and the bytes after it.
fn walk(bytes: &[u8]) -> Result<(Vec<Chunk<'_>>, &[u8]), ContainerError> {
    if bytes.len() < SIGNATURE.len() && SIGNATURE.starts_with(bytes) {
        return Err(ContainerError::truncated(FORMAT));
    }
    let mut rest = bytes
        .strip_prefix(SIGNATURE)
        .ok_or(ContainerError::malformed(FORMAT, "signature"))?;
    let mut chunks = Vec::new();
    loop {
        let (length, kind, after_header) = match rest {
            [a, b, c, d, k0, k1, k2, k3, tail @ ..] => (
                u32::from_be_bytes([*a, *b, *c, *d]) as usize,
                [*k0, *k1, *k2, *k3],
                tail,
            ),
            _ => return Err(ContainerError::truncated(FORMAT)),
        };
        if length > MAX_CHUNK_LEN {
            return Err(ContainerError::malformed(FORMAT, "chunk length"));
        }
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(ContainerError::malformed(FORMAT, "chunk type"));
        }
        // data, then a 4-byte CRC (checked by the decoder, which reads every chunk it needs)
        let data = after_header
            .get(..length)
            .ok_or(ContainerError::truncated(FORMAT))?;
        rest = after_header
            .get(length + 4..)
            .ok_or(ContainerError::truncated(FORMAT))?;
        chunks.push(Chunk { kind, data });
        if &kind == b"IEND" {
            return Ok((chunks, rest));
        }
    }
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, ContainerError> {
    let (chunks, trailing) = walk(bytes)?;
    let mut categories = BTreeSet::new();
    let mut orientation = None;
    let mut icc_profile = None;
    for chunk in &chunks {
        let category = match &chunk.kind {
            b"tEXt" | b"zTXt" | b"iTXt" => text_category(chunk.data),
            b"tIME" => Category::PngTime,
            b"eXIf" => {
                let facts = exif::classify_block(chunk.data)?;
                orientation.get_or_insert(facts.orientation);
                categories.extend(facts.categories);
                continue;
            }
            b"iCCP" => {
                if icc_profile.is_none() {
                    icc_profile = Some(decompress_iccp(chunk.data)?);
                }
                Category::IccProfile
            }
            kind if is_image_chunk(kind) => continue,
            _ => Category::OtherAppSegment,
        };
        categories.insert(category);
    }
    Ok(Parsed::from_chunks(categories, trailing, orientation, icc_profile))
}

/// Text chunks start with a Latin-1 keyword ended by NUL; the keyword says what the text is.
fn text_category(data: &[u8]) -> Category {
    let keyword = data.split(|&b| b == 0).next().unwrap_or_default();
    if keyword == b"XML:com.adobe.xmp" {
        Category::Xmp
    } else if keyword.eq_ignore_ascii_case(b"Comment") {
        Category::Comment
    } else {
        Category::PngText
    }
}

/// Chunks that describe pixels (PNG 3rd edition and APNG), never identifying.
fn is_image_chunk(kind: &[u8; 4]) -> bool {
    matches!(
        kind,
        b"IHDR"
            | b"PLTE"
            | b"IDAT"
            | b"IEND"
            | b"tRNS"
            | b"gAMA"
            | b"cHRM"
            | b"sRGB"
            | b"sBIT"
            | b"bKGD"
            | b"pHYs"
            | b"hIST"
            | b"sPLT"
            | b"cICP"
            | b"mDCV"
            | b"cLLI"
            | b"mDCv"
            | b"cLLi"
            | b"acTL"
            | b"fcTL"
            | b"fdAT"
    )
}

/// iCCP: profile name (1–79 bytes), NUL, compression method 0, zlib stream.
fn decompress_iccp(data: &[u8]) -> Result<Vec<u8>, ContainerError> {
    let nul = data
        .iter()
        .position(|&b| b == 0)
        .ok_or(ContainerError::MalformedIcc)?;
    let stream = match data.get(nul + 1..) {
        Some([0, stream @ ..]) => stream,
        _ => return Err(ContainerError::MalformedIcc),
    };
    miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(stream, MAX_ICC_LEN)
        .map_err(|_| ContainerError::MalformedIcc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0; 4]); // CRC: not checked here
        v
    }

    #[test]
    fn text_keywords_decide_the_category() {
        let mut png = SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"tEXt", b"Comment\0hello"));
        png.extend(chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x/>"));
        png.extend(chunk(b"IEND", b""));
        let parsed = parse(&png).unwrap();
        assert_eq!(
            parsed.inventory.categories,
            vec![Category::Xmp, Category::Comment]
        );
        png.extend_from_slice(b"zip");
        let parsed = parse(&png).unwrap();
        assert!(parsed.inventory.contains(Category::TrailingData));
    }

    #[test]
    fn missing_iend_and_bad_lengths_are_typed_errors() {
        let mut png = SIGNATURE.to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        assert_eq!(parse(&png).unwrap_err().code(), "container.truncated");
        png.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, b'I', b'D', b'A', b'T']);
        assert_eq!(
            parse(&png).unwrap_err().code(),
            "container.malformed_segment"
        );
        assert_eq!(parse(b"\x89PNG").unwrap_err().code(), "container.truncated");
        let wrong = b"\x89PNX\r\n\x1a\n";
        assert_eq!(
            parse(wrong).unwrap_err().code(),
            "container.malformed_segment"
        );
    }
}
