//! Decoding CSV bytes: hospital systems export UTF-8 (often with a BOM, from Excel) or
//! Shift_JIS/CP932. Strictly valid UTF-8 is taken as UTF-8; anything else is tried as CP932
//! (encoding_rs's Shift_JIS is the WHATWG/CP932 variant with NEC and IBM extensions).

use super::RecordError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    ShiftJis,
}

/// Largest records or opt-out file read: a site's share (12,000 rows of a wide export) is a
/// few megabytes; far beyond that the file is not a records export.
pub const MAX_FILE_BYTES: usize = 64 << 20;
/// Longest line read: a row with long free-text diagnoses is a few kilobytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Decodes a CSV file's bytes and says which encoding it was. Files over [`MAX_FILE_BYTES`]
/// and lines over [`MAX_LINE_BYTES`] are refused before anything is copied (the decoded text
/// and the CSV reader's field buffers would each be as large).
pub fn decode_text(
    bytes: &[u8],
    what: &'static str,
) -> Result<(String, TextEncoding), RecordError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(RecordError::TooLarge {
            what,
            max_megabytes: MAX_FILE_BYTES >> 20,
        });
    }
    // b'\n' never occurs inside a Shift_JIS character (trail bytes are 0x40 and above), so
    // this counts lines in either encoding.
    if let Some(index) = bytes
        .split(|&b| b == b'\n')
        .position(|line| line.len() > MAX_LINE_BYTES)
    {
        return Err(RecordError::LineTooLong {
            what,
            line: index + 1,
            max_kilobytes: MAX_LINE_BYTES >> 10,
        });
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let text = std::str::from_utf8(rest).map_err(|_| RecordError::UnknownEncoding { what })?;
        return Ok((text.to_owned(), TextEncoding::Utf8Bom));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_owned(), TextEncoding::Utf8));
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(RecordError::UnknownEncoding { what });
    }
    Ok((text.into_owned(), TextEncoding::ShiftJis))
}

/// Tab-separated exports ("Unicode text" from Excel) are common too.
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    }
}

/// Full-width ASCII (`ＡＢＣ１２３`, ideographic space) to half-width, so that IDs, dates and
/// headers typed in either width compare equal.
pub fn to_half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_encoding() {
        let (text, enc) = decode_text("患者ID\n".as_bytes(), "records").unwrap();
        assert_eq!((text.as_str(), enc), ("患者ID\n", TextEncoding::Utf8));
        let (text, enc) = decode_text(b"\xEF\xBB\xBFid\n", "records").unwrap();
        assert_eq!((text.as_str(), enc), ("id\n", TextEncoding::Utf8Bom));
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("患者ID,①\n");
        let (text, enc) = decode_text(&sjis, "records").unwrap();
        assert_eq!((text.as_str(), enc), ("患者ID,①\n", TextEncoding::ShiftJis));
        assert_eq!(
            decode_text(b"\x81\x00\xff", "records").unwrap_err().code(),
            "record.unknown_encoding"
        );
    }

    #[test]
    fn full_width_becomes_half_width() {
        assert_eq!(to_half_width("ＰＩＤ１２３\u{3000}ａ"), "PID123 a");
    }
}
