//! What a scrub did to a photo, one JSON object per photo (the CLI writes JSON lines, the JS
//! API returns it as an object). The schema is documented in README.md, "Scrub report schema".

use serde::{Deserialize, Serialize};

pub use crate::container::inventory::{Category, Inventory};
pub use crate::decode::{Colour, Format};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A clean image was produced.
    Ok,
    /// The photo was read but deliberately not output (the face gate).
    Excluded,
    /// The photo could not be processed; `error` says why.
    Error,
}

/// How the output was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Container rewritten; JPEG entropy-coded data bit-identical to the input.
    Lossless,
    /// Pixels decoded, transformed and encoded again.
    ReEncoded,
}

/// A failure, as the report carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportError {
    /// Stable machine-readable code, e.g. `"decode.truncated"`.
    pub code: String,
    /// What is wrong and what to do, for the person running hifu.
    pub message: String,
}

/// One face the face step found, in output pixel coordinates, and how it was hidden.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceEntry {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub score: f32,
    /// Eyes, nose tip, mouth corners, as (x, y).
    pub landmarks: Vec<[f32; 2]>,
    /// `box`: the face box (grown by the margin) was redacted; `eyes`: a partial face (a
    /// facial close-up), only a band over the eyes was; `none`: nothing (a full face in an
    /// excluded photo, or a partial face whose eyes lie outside the photo).
    #[serde(default)]
    pub redacted: Redacted,
}

/// What of a face was redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redacted {
    #[default]
    Box,
    Eyes,
    None,
}

/// Every kind of [`ReviewFlag`] hifu raises (what `record::Policy::exclude_flagged` may name).
pub const REVIEW_KINDS: [&str; 5] = ["partial_face", "face_part", "text", "tattoo", "fingerprint"];

/// Something a person must look at before the photo leaves the site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewFlag {
    /// `partial_face`: a facial close-up whose eyes were barred (or lie outside the photo);
    /// the rest of the face is kept for the lesion. `face_part`: the photo may show part of a
    /// face that no box was found for (nothing was painted; the region is the whole photo).
    /// `text`: lines of burned-in text were found and filled (`text::TextStep`; the regions
    /// are the filled boxes). `tattoo`: the photo may show a tattoo (`skin::TattooStep`).
    /// `fingerprint`: friction ridges (a fingertip's, palm's or sole's print) are resolved in
    /// the regions (`fingerprint::FingerprintStep`).
    pub kind: String,
    /// The regions concerned, `[x, y, width, height]` in output pixels.
    pub regions: Vec<[f32; 4]>,
    /// The detector's (or the face-part probe's) confidence, 0–1.
    pub score: f32,
}

/// The identifiable-photo gate's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    pub excluded: bool,
    /// Why it excluded the photo, or what it let through on the operator's say-so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<GateReason>,
}

/// What the gate saw. Serialised in snake case (`"full_face"`), as the reports have always said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateReason {
    /// A whole face: the photo is excluded.
    FullFace,
    /// A whole face, kept because the operator allowed full faces (the face is painted over).
    FullFaceAllowed,
}

impl GateReason {
    pub fn as_str(self) -> &'static str {
        match self {
            GateReason::FullFace => "full_face",
            GateReason::FullFaceAllowed => "full_face_allowed",
        }
    }
}

/// Reads as its report string, so callers can compare with `"full_face"`.
impl std::ops::Deref for GateReason {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// The per-photo report. Fields that do not apply (everything but `status` and `error` on a
/// failed photo) are omitted from the JSON rather than written as `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
    /// The format sniffed from the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_format: Option<Format>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<Format>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_kind: Option<OutputKind>,
    /// Upright output size in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Metadata categories the input carried; none of them is in the output.
    #[serde(default)]
    pub removed: Vec<Category>,
    /// The EXIF orientation (1–8) that was applied to the pixels; 1 = none needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation_applied: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<Colour>,
    // ---- Faces: filled by the face step plugged into `scrub_with`. ----
    /// Faces found and redacted.
    #[serde(default)]
    pub faces: Vec<FaceEntry>,
    /// The identifiable-photo gate's decision; absent when no gate ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// What a reviewer must look at (partial faces); absent when nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review: Vec<ReviewFlag>,
}

impl Report {
    /// The report line for a photo that failed with `error`.
    pub fn failed(error: &crate::Error) -> Report {
        Report {
            error: Some(ReportError {
                code: error.code().to_owned(),
                message: error.to_string(),
            }),
            ..Report::empty(Status::Error)
        }
    }

    pub(crate) fn empty(status: Status) -> Report {
        Report {
            status,
            error: None,
            input_format: None,
            output_format: None,
            output_mime: None,
            output_kind: None,
            width: None,
            height: None,
            removed: Vec::new(),
            orientation_applied: None,
            colour: None,
            faces: Vec::new(),
            gate: None,
            review: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_photo_serialises_to_status_and_error_only() {
        let error = crate::Error::from(crate::decode::DecodeError::Truncated);
        let json = serde_json::to_value(Report::failed(&error)).unwrap();
        assert_eq!(json["status"], "error");
        assert_eq!(json["error"]["code"], "decode.truncated");
        assert!(json.get("output_kind").is_none());
        assert_eq!(json["removed"], serde_json::json!([]));
    }

    #[test]
    fn round_trips_through_json() {
        let mut report = Report::empty(Status::Ok);
        report.output_kind = Some(OutputKind::ReEncoded);
        report.colour = Some(Colour::UnreadableProfile);
        report.input_format = Some(Format::Webp);
        let json = serde_json::to_string(&report).unwrap();
        assert!(json.contains(r#""output_kind":"re_encoded""#), "{json}");
        assert!(json.contains(r#""colour":"unreadable_profile""#), "{json}");
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
    }
}
