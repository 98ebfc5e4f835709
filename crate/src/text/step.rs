//! The text check as a scrub step (a check: it looks at the upright pixels as decoded, before
//! the face step): find burned-in text, ask for every text box to be filled with the same opaque
//! grey as faces (never a blur; `scrub::finish` paints it once every detector has looked), and
//! flag the photo `text` with the boxes so that a person sees what was hidden before it is sealed.

use zeroize::Zeroize;

use super::lines::{text_lines, LineShape};
use super::ppocr::{PpOcrDet, PpOcrDetConfig};
use super::regions::{text_boxes, RegionParams};
use super::TextError;
use crate::decode::Pixels;
use crate::face::resample::resize_pixels;
use crate::redact::{region, Rect};
use crate::report::ReviewFlag;
use crate::scrub::{PixelStep, StepOutcome};

/// The review flag of a photo whose burned-in text was filled.
pub const TEXT: &str = "text";
/// Longest side the photo is resampled to for the detector, down or up: small web-sized photos
/// carry small captions that the detector misses at their own size (models/text/README.md).
pub const MAX_SIDE: u32 = 960;
/// Margin around each text box, as a share of its size per side: the boxes already include
/// DBNet's own growth, so the fill needs only the redactor's minimum.
const MARGIN: f32 = crate::redact::MIN_MARGIN;

/// A text box in photo pixels, `[x, y, width, height]`, and the detector's confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundText {
    pub region: [f32; 4],
    pub score: f32,
    /// The blob as the detector marked it: its box in photo pixels `[x, y, width, height]`
    /// before growing, and the share of that box it fills.
    pub core: [f32; 4],
    pub fill: f32,
    /// The blob's box in the detector's map pixels `[width, height]` (its edge pixels weigh
    /// more in a thin blob's fill: see [`super::lines::LineShape::edge`]).
    pub map_size: [f32; 2],
}

pub struct TextStep {
    detector: PpOcrDet,
    params: RegionParams,
    shape: LineShape,
    max_side: u32,
}

impl TextStep {
    /// Loads `models/text/ppocr_det.safetensors` from memory.
    pub fn from_safetensors(bytes: &[u8]) -> Result<TextStep, TextError> {
        let detector = PpOcrDet::from_safetensors(bytes, PpOcrDetConfig::default())
            .map_err(|e| TextError::Weights { detail: e.to_string() })?;
        Ok(TextStep::new(detector, RegionParams::default(), LineShape::default(), MAX_SIDE))
    }

    pub fn new(detector: PpOcrDet, params: RegionParams, shape: LineShape, max_side: u32) -> TextStep {
        TextStep { detector, params, shape, max_side: max_side.max(32) }
    }

    /// The detector's input size for a `width × height` photo: the longest side scaled to
    /// `max_side`, each side rounded to a multiple of 32 (at least 32).
    pub fn input_size(&self, width: u32, height: u32) -> (u32, u32) {
        let scale = self.max_side as f32 / width.max(height).max(1) as f32;
        let side = |v: u32| (((v as f32 * scale) / 32.0).round() as u32).max(1) * 32;
        (side(width), side(height))
    }

    /// The text probability map of `pixels` (RGB or RGBA) at the detector's input size:
    /// (values, width, height).
    pub fn probability_map(&self, pixels: &Pixels) -> Result<(Vec<f32>, u32, u32), TextError> {
        let (w, h) = self.input_size(pixels.width(), pixels.height());
        let mut small = resize_pixels(pixels, w, h).into_raw();
        let input = self.detector.input(&small, w as usize, h as usize);
        small.zeroize();
        let map = input
            .and_then(|x| self.detector.forward(&x))
            .and_then(|m| m.flatten_all()?.to_vec1::<f32>())
            .map_err(TextError::inference)?;
        Ok((map, w, h))
    }

    /// The lines of text in `pixels`: the detector's blobs that have a text line's shape.
    pub fn find(&self, pixels: &Pixels) -> Result<Vec<FoundText>, TextError> {
        let blobs = self.blobs(pixels)?;
        Ok(text_lines(blobs, pixels.width(), pixels.height(), &self.shape))
    }

    /// Every blob the detector marks, text or not, in photo pixels.
    pub fn blobs(&self, pixels: &Pixels) -> Result<Vec<FoundText>, TextError> {
        let (map, w, h) = self.probability_map(pixels)?;
        let (sx, sy) = (pixels.width() as f32 / w as f32, pixels.height() as f32 / h as f32);
        Ok(text_boxes(&map, w as usize, h as usize, &self.params)
            .into_iter()
            .map(|b| FoundText {
                region: [b.bbox[0] * sx, b.bbox[1] * sy, (b.bbox[2] - b.bbox[0]) * sx, (b.bbox[3] - b.bbox[1]) * sy],
                score: b.score,
                core: [
                    b.core[0] as f32 * sx,
                    b.core[1] as f32 * sy,
                    (b.core[2] - b.core[0]) as f32 * sx,
                    (b.core[3] - b.core[1]) as f32 * sy,
                ],
                fill: b.fill,
                map_size: [(b.core[2] - b.core[0]) as f32, (b.core[3] - b.core[1]) as f32],
            })
            .collect())
    }
}

impl PixelStep for TextStep {
    fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, crate::Error> {
        let found = self.find(pixels)?;
        if found.is_empty() {
            return Ok(StepOutcome::default());
        }
        let boxes: Vec<[f32; 4]> = found
            .iter()
            .map(|t| [t.region[0], t.region[1], t.region[0] + t.region[2], t.region[1] + t.region[3]])
            .collect();
        // The fill itself waits until every detector has looked (`scrub::finish` paints it).
        let (width, height) = (pixels.width() as usize, pixels.height() as usize);
        let rects: Vec<Rect> = boxes.iter().filter_map(|&b| region(b, MARGIN, width, height)).collect();
        let regions = rects
            .iter()
            .map(|r| [r.x0 as f32, r.y0 as f32, (r.x1 - r.x0) as f32, (r.y1 - r.y0) as f32])
            .collect();
        Ok(StepOutcome {
            review: vec![ReviewFlag {
                kind: TEXT.into(),
                regions,
                score: found.iter().map(|t| t.score).fold(0.0, f32::max),
            }],
            fill: rects,
            ..StepOutcome::default()
        })
    }
}
