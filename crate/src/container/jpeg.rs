//! JPEG: a marker walker over the whole file (every scan, not just the first, and whatever
//! follows EOI), the metadata inventory, ICC reassembly, and the lossless rewrite.
//!
//! `img-parts` stops parsing at the first SOS and keeps the rest of the file (later scans,
//! tables between progressive scans, EOI and any trailer) as one opaque blob, so it can see
//! neither a progressive file's structure nor a motion-photo trailer; hence this walker.

use std::collections::BTreeSet;

use super::{exif, Category, ContainerError, JpegFrame, Parsed};

const FORMAT: &str = "JPEG";

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP13: u8 = 0xED;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

const EXIF_PREFIX: &[u8] = b"Exif\0\0";
const XMP_PREFIX: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const XMP_EXTENDED_PREFIX: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";
const MPF_PREFIX: &[u8] = b"MPF\0";
const PHOTOSHOP_PREFIX: &[u8] = b"Photoshop 3.0\0";
const JFIF_PREFIX: &[u8] = b"JFIF\0";
const JFXX_PREFIX: &[u8] = b"JFXX\0";
const ADOBE_PREFIX: &[u8] = b"Adobe";

/// JFIF APP0 without thumbnail: identifier, version, units, densities (5 + 2 + 1 + 4 bytes),
/// then the two thumbnail-size bytes.
const JFIF_HEADER_LEN: usize = 12;
/// Adobe APP14: identifier, version, flags0, flags1, colour transform (5 + 2 + 2 + 2 + 1).
const ADOBE_LEN: usize = 12;

/// One marker and what belongs to it.
#[derive(Debug, Clone, Copy)]
struct Segment<'a> {
    marker: u8,
    /// The whole segment as stored, from its 0xFF marker byte; for SOS this includes the
    /// entropy-coded data that follows the header.
    raw: &'a [u8],
    /// The bytes after the length field (empty for markers without a length).
    payload: &'a [u8],
}

/// The file as a list of segments between SOI and EOI, and what comes after EOI.
#[derive(Debug)]
struct Layout<'a> {
    segments: Vec<Segment<'a>>,
    trailing: &'a [u8],
}

fn walk(bytes: &[u8]) -> Result<Layout<'_>, ContainerError> {
    match bytes {
        [0xFF, SOI, ..] => {}
        [] | [0xFF] => return Err(ContainerError::truncated(FORMAT)),
        _ => return Err(ContainerError::malformed(FORMAT, "start-of-image marker")),
    }
    let mut segments = Vec::new();
    let mut pos = 2usize;
    loop {
        // Bytes that are not a marker between segments are tolerated and dropped, as libjpeg
        // does ("extraneous bytes before marker").
        let ff = match bytes.get(pos..).and_then(|rest| memchr::memchr(0xFF, rest)) {
            Some(offset) => pos + offset,
            None => return Err(ContainerError::truncated(FORMAT)),
        };
        // A marker may be preceded by any number of 0xFF fill bytes.
        let marker_at = match bytes
            .get(ff..)
            .and_then(|rest| rest.iter().position(|&b| b != 0xFF))
        {
            Some(offset) => ff + offset,
            None => return Err(ContainerError::truncated(FORMAT)),
        };
        let marker = *bytes
            .get(marker_at)
            .ok_or(ContainerError::truncated(FORMAT))?;
        // The marker's own 0xFF is the byte before it (marker_at > ff, so this never wraps).
        let start = marker_at.saturating_sub(1);
        pos = marker_at + 1;
        match marker {
            EOI => {
                let trailing = bytes.get(pos..).unwrap_or_default();
                return Ok(Layout { segments, trailing });
            }
            SOI => {
                return Err(ContainerError::malformed(
                    FORMAT,
                    "marker order (a second start-of-image)",
                ))
            }
            // A stuffed zero outside a scan: noise, skip it.
            0x00 => continue,
            // Markers without a length (TEM, stray RSTn).
            0x01 | 0xD0..=0xD7 => {
                let raw = bytes.get(start..pos).unwrap_or_default();
                segments.push(Segment {
                    marker,
                    raw,
                    payload: &[],
                });
            }
            _ => {
                let length = match bytes.get(pos..pos + 2) {
                    Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
                    _ => return Err(ContainerError::truncated(FORMAT)),
                };
                if length < 2 {
                    return Err(ContainerError::malformed(FORMAT, "segment length"));
                }
                let header_end = pos + length;
                let payload = bytes
                    .get(pos + 2..header_end)
                    .ok_or(ContainerError::truncated(FORMAT))?;
                let end = if marker == SOS {
                    entropy_end(bytes, header_end)?
                } else {
                    header_end
                };
                let raw = bytes
                    .get(start..end)
                    .ok_or(ContainerError::truncated(FORMAT))?;
                segments.push(Segment {
                    marker,
                    raw,
                    payload,
                });
                pos = end;
            }
        }
    }
}

/// Where the entropy-coded data starting at `from` ends: the 0xFF of the first marker that
/// is not a stuffed byte (FF 00) or a restart marker (FF D0–D7).
fn entropy_end(bytes: &[u8], from: usize) -> Result<usize, ContainerError> {
    let mut pos = from;
    loop {
        // memchr: the scan is most of a photo's bytes, and a byte-by-byte search of it was
        // most of a metadata-only scrub's time.
        let ff = match bytes.get(pos..).and_then(|rest| memchr::memchr(0xFF, rest)) {
            Some(offset) => pos + offset,
            None => return Err(ContainerError::truncated(FORMAT)),
        };
        match bytes.get(ff + 1) {
            None => return Err(ContainerError::truncated(FORMAT)),
            Some(0x00 | 0xD0..=0xD7) => pos = ff + 2,
            // Fill byte: the marker proper starts at the next 0xFF.
            Some(0xFF) => pos = ff + 1,
            Some(_) => return Ok(ff),
        }
    }
}

/// The luma's sampling factors of a SOF payload with three components whose chroma components
/// are sampled once per MCU (see [`JpegFrame::chroma_subsampling`]). Each component's entry is
/// its id, `H << 4 | V` and its quantisation table, after the 6-byte frame header.
fn chroma_subsampling(payload: &[u8]) -> Option<(u8, u8)> {
    match payload.get(5..15)? {
        [3, _, luma, _, _, cb, _, _, cr, _] if *cb == 0x11 && *cr == 0x11 => Some((luma >> 4, luma & 0x0F)),
        _ => None,
    }
}

pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, ContainerError> {
    let layout = walk(bytes)?;
    let mut categories = BTreeSet::new();
    let mut orientation = None;
    let mut icc_chunks = Vec::new();
    let mut jpeg_frame = None;
    for segment in &layout.segments {
        let payload = segment.payload;
        let category = match segment.marker {
            marker @ (0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) => {
                if let (None, [precision, h0, h1, w0, w1, components, ..]) = (jpeg_frame, payload) {
                    jpeg_frame = Some(JpegFrame {
                        process: marker & 0x0F,
                        precision: *precision,
                        width: u16::from_be_bytes([*w0, *w1]),
                        height: u16::from_be_bytes([*h0, *h1]),
                        components: *components,
                        chroma_subsampling: chroma_subsampling(payload),
                    });
                }
                continue;
            }
            APP0 if payload.starts_with(JFIF_PREFIX) => {
                let thumb_w = payload.get(JFIF_HEADER_LEN).copied().unwrap_or(0);
                let thumb_h = payload.get(JFIF_HEADER_LEN + 1).copied().unwrap_or(0);
                if thumb_w == 0 || thumb_h == 0 {
                    continue;
                }
                Category::JfifThumbnail
            }
            APP0 if payload.starts_with(JFXX_PREFIX) => Category::JfifThumbnail,
            APP1 if payload.starts_with(EXIF_PREFIX) => {
                let facts =
                    exif::classify_block(payload.get(EXIF_PREFIX.len()..).unwrap_or_default())?;
                // The first EXIF segment is the one readers honour.
                orientation.get_or_insert(facts.orientation);
                categories.extend(facts.categories);
                continue;
            }
            APP1 if payload.starts_with(XMP_PREFIX) => Category::Xmp,
            APP1 if payload.starts_with(XMP_EXTENDED_PREFIX) => Category::XmpExtended,
            APP2 if payload.starts_with(ICC_PREFIX) => {
                icc_chunks.push(payload.get(ICC_PREFIX.len()..).unwrap_or_default());
                Category::IccProfile
            }
            APP2 if payload.starts_with(MPF_PREFIX) => Category::MpfImages,
            APP13 if payload.starts_with(PHOTOSHOP_PREFIX) => Category::Iptc,
            APP14 if payload.starts_with(ADOBE_PREFIX) => continue,
            COM => Category::Comment,
            marker if is_kept_structure(marker) => continue,
            // Other APPn, reserved JPGn, TEM, stray RSTn.
            _ => Category::OtherAppSegment,
        };
        categories.insert(category);
    }
    if !layout.trailing.is_empty() {
        categories.insert(Category::TrailingData);
    }
    let icc_profile = if icc_chunks.is_empty() {
        None
    } else {
        Some(reassemble_icc(&icc_chunks)?)
    };
    Ok(Parsed {
        inventory: categories.into(),
        orientation: orientation.unwrap_or(1),
        icc_profile,
        jpeg_frame,
    })
}

/// Joins `ICC_PROFILE` chunks (each: sequence number, count, data) in sequence order
/// (ICC.1:2010 Annex B.4). Numbering that is missing, repeated or inconsistent is an error:
/// guessing would convert colours with the wrong profile.
fn reassemble_icc(chunks: &[&[u8]]) -> Result<Vec<u8>, ContainerError> {
    let count = chunks.len();
    let mut ordered: Vec<Option<&[u8]>> = vec![None; count];
    for chunk in chunks {
        let (seq, total, data) = match chunk {
            [seq, total, data @ ..] => (usize::from(*seq), usize::from(*total), data),
            _ => return Err(ContainerError::MalformedIcc),
        };
        if total != count || seq == 0 || seq > count {
            return Err(ContainerError::MalformedIcc);
        }
        let slot = ordered
            .get_mut(seq - 1)
            .ok_or(ContainerError::MalformedIcc)?;
        if slot.replace(data).is_some() {
            return Err(ContainerError::MalformedIcc);
        }
    }
    let mut profile = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for data in ordered {
        profile.extend_from_slice(data.ok_or(ContainerError::MalformedIcc)?);
    }
    Ok(profile)
}

/// Markers a decoder needs: tables, frame and scan headers, restart interval, line count,
/// hierarchical and JPEG-LS headers.
fn is_kept_structure(marker: u8) -> bool {
    matches!(
        marker,
        0xC0..=0xCF // SOFn, DHT (C4), JPG (C8, reserved: dropped below), DAC (CC)
            | 0xDA..=0xDF // SOS, DQT, DNL, DRI, DHP, EXP
            | 0xF7 // JPEG-LS SOF55
            | 0xF8 // JPEG-LS LSE
    ) && marker != 0xC8
}

/// The same JPEG with every metadata segment and any trailer removed. The kept segments are
/// copied byte for byte in their original order, so the entropy-coded data is bit-identical.
pub(crate) fn strip(bytes: &[u8]) -> Result<Vec<u8>, ContainerError> {
    let layout = walk(bytes)?;
    if !layout.segments.iter().any(|s| s.marker == SOS) {
        return Err(ContainerError::malformed(FORMAT, "image data (no scan)"));
    }
    let kept: usize = layout.segments.iter().map(|s| s.raw.len()).sum();
    let mut out = Vec::with_capacity(kept + 4);
    out.extend_from_slice(&[0xFF, SOI]);
    for segment in &layout.segments {
        match segment.marker {
            APP0 if segment.payload.starts_with(JFIF_PREFIX) => {
                // Keep version, units and density; drop any thumbnail.
                if let Some(header) = segment.payload.get(..JFIF_HEADER_LEN) {
                    push_segment(&mut out, APP0, &[header, &[0, 0]]);
                }
            }
            APP14 if segment.payload.starts_with(ADOBE_PREFIX) => {
                // The colour transform flag tells CMYK from YCCK; nothing after it is needed.
                if let Some(header) = segment.payload.get(..ADOBE_LEN) {
                    push_segment(&mut out, APP14, &[header]);
                }
            }
            marker if is_kept_structure(marker) => out.extend_from_slice(segment.raw),
            _ => {}
        }
    }
    out.extend_from_slice(&[0xFF, EOI]);
    Ok(out)
}

/// Writes a marker segment from parts whose total is known to fit the 16-bit length.
fn push_segment(out: &mut Vec<u8>, marker: u8, parts: &[&[u8]]) {
    let payload_len: usize = parts.iter().map(|p| p.len()).sum();
    let length = u16::try_from(payload_len + 2).unwrap_or(u16::MAX);
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&length.to_be_bytes());
    for part in parts {
        out.extend_from_slice(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A syntactically complete tiny JPEG skeleton (not decodable: tables are empty).
    fn skeleton(extra_before_sos: &[u8], entropy: &[u8], after_eoi: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, SOI];
        v.extend_from_slice(extra_before_sos);
        v.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x03, 0x00]); // DQT (fake)
        v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x03, 0x08]); // SOF0 (fake)
        v.extend_from_slice(&[0xFF, SOS, 0x00, 0x03, 0x01]);
        v.extend_from_slice(entropy);
        v.extend_from_slice(&[0xFF, EOI]);
        v.extend_from_slice(after_eoi);
        v
    }

    #[test]
    fn entropy_data_with_stuffing_and_restarts_is_kept_whole() {
        let entropy = [
            0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0xD7, 0x78,
        ];
        let com = [0xFF, COM, 0x00, 0x05, b'h', b'i', b'!'];
        let jpeg = skeleton(&com, &entropy, b"trailer");
        let parsed = parse(&jpeg).unwrap();
        assert_eq!(
            parsed.inventory.categories,
            vec![Category::Comment, Category::TrailingData]
        );
        let stripped = strip(&jpeg).unwrap();
        assert_eq!(stripped, skeleton(&[], &entropy, b""));
    }

    #[test]
    fn jfif_thumbnail_is_reported_and_dropped_but_jfif_kept() {
        let mut app0 = vec![0xFF, APP0, 0x00, 0x16];
        app0.extend_from_slice(b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x01\x02");
        app0.extend_from_slice(&[1, 2, 3, 4, 5, 6]); // 1×2 RGB thumbnail
        let jpeg = skeleton(&app0, &[0x00], b"");
        assert_eq!(
            parse(&jpeg).unwrap().inventory.categories,
            vec![Category::JfifThumbnail]
        );
        let stripped = strip(&jpeg).unwrap();
        let mut app0_clean = vec![0xFF, APP0, 0x00, 0x10];
        app0_clean.extend_from_slice(b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x00\x00");
        assert_eq!(stripped, skeleton(&app0_clean, &[0x00], b""));
        assert!(parse(&stripped).unwrap().inventory.is_empty());
    }

    #[test]
    fn adobe_transform_marker_is_kept_without_extra_bytes_and_not_listed() {
        // Adobe APP14: version 100, flags, transform 2 (YCCK), then 3 bytes a writer appended.
        let mut app14 = vec![0xFF, APP14, 0x00, 0x11];
        app14.extend_from_slice(b"Adobe\x00\x64\x00\x00\x00\x00\x02xyz");
        let jpeg = skeleton(&app14, &[0x00], b"");
        assert!(parse(&jpeg).unwrap().inventory.is_empty());
        let mut app14_clean = vec![0xFF, APP14, 0x00, 0x0E];
        app14_clean.extend_from_slice(b"Adobe\x00\x64\x00\x00\x00\x00\x02");
        assert_eq!(strip(&jpeg).unwrap(), skeleton(&app14_clean, &[0x00], b""));
    }

    #[test]
    fn icc_chunks_are_joined_in_sequence_order_and_bad_numbering_is_an_error() {
        let two: &[u8] = &[2, 2, b'c', b'd'];
        let one: &[u8] = &[1, 2, b'a', b'b'];
        assert_eq!(reassemble_icc(&[two, one]).unwrap(), b"abcd");
        assert_eq!(
            reassemble_icc(&[one, one]),
            Err(ContainerError::MalformedIcc)
        );
        assert_eq!(
            reassemble_icc(&[&[1, 3, b'x']]),
            Err(ContainerError::MalformedIcc)
        );
        assert_eq!(
            reassemble_icc(&[&[0, 1, b'x']]),
            Err(ContainerError::MalformedIcc)
        );
        assert_eq!(reassemble_icc(&[&[1]]), Err(ContainerError::MalformedIcc));
    }

    #[test]
    fn damaged_structure_gives_typed_errors() {
        let jpeg = skeleton(&[], &[0x00], b"");
        assert_eq!(
            parse(&jpeg[..jpeg.len() - 2]).unwrap_err().code(),
            "container.truncated"
        );
        let mut short = jpeg.clone();
        short[5] = 0x01; // DQT length 1 (< 2)
        assert_eq!(
            parse(&short).unwrap_err().code(),
            "container.malformed_segment"
        );
        assert_eq!(
            parse(b"\xFF\xD8\xFF\xD8").unwrap_err().code(),
            "container.malformed_segment"
        );
        assert_eq!(
            strip(b"\xFF\xD8\xFF\xD9").unwrap_err().code(),
            "container.malformed_segment"
        );
        assert_eq!(strip(b"").unwrap_err().code(), "container.truncated");
    }
}
