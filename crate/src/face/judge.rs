//! The second look at YuNet's candidates: CenterFace, run on a crop around each box, says
//! whether a face is there.
//!
//! Why: YuNet (trained on WIDER FACE) puts boxes on most clinical close-ups of skin, large ones
//! (a third to the whole of the frame, score 0.4–0.75) centred on the lesion, and small ones
//! (7–25 px) on spots; redacting them would destroy the lesion. CenterFace (Xu et al. 2020), a
//! stronger detector with a different training recipe, scores those crops near zero and real
//! faces high, including frame-filling and partly visible ones. Measured on the clinical photos
//! and face sets of ../shared (BENCHMARKS.md): the crop sees the box with as much context again
//! (twice its side), resized to 160 × 160, so the face is ~80 px, the size CenterFace likes.
//!
//! The rule, by the box's extent (the larger of its shares of the photo's width and height):
//! - a **large** box (≥ `large_extent`: the size of YuNet's false boxes on skin close-ups, and
//!   of facial close-ups) is kept when CenterFace is sure (`threshold`), or fairly sure
//!   (`lenient_threshold`) while YuNet is sure too (`confident_score`);
//! - a **smaller** box is kept when CenterFace sees a face there at all (`crowd_threshold`) if
//!   the photo has a face CenterFace is sure of (`anchor`: faces come in crowds, and crowd
//!   faces are often small, blurred or turned), or if the box is tiny (< `tiny_pixels` and
//!   < `tiny_extent`: too few pixels for CenterFace to be sure of anything); otherwise it needs
//!   `small_threshold` (on a skin photo, CenterFace gives such boxes a little but not much).

use candle_core::Result;
use std::ops::Deref;

use image::{imageops, Rgb, RgbImage};
use zeroize::Zeroize;

use super::boxes::{iou, Face};
use super::centerface::{decode, CenterFace};
use super::input::rgb_tensor;
use super::resample::resize_region_rgb;
use super::Photo;

#[derive(Debug, Clone, PartialEq)]
pub struct JudgeConfig {
    /// The crop's side as a multiple of the box's longer side.
    pub context: f32,
    /// The crop is resized to `side × side` pixels (a multiple of 32).
    pub side: u32,
    /// CenterFace cells below this are ignored when reading its answer.
    pub floor: f32,
    /// A CenterFace box must overlap the candidate by this IoU to count as the same face.
    pub min_iou: f32,
    pub large_extent: f32,
    pub threshold: f32,
    pub lenient_threshold: f32,
    pub confident_score: f32,
    pub anchor: f32,
    pub crowd_threshold: f32,
    pub tiny_extent: f32,
    pub tiny_pixels: f32,
    pub small_threshold: f32,
}

impl Default for JudgeConfig {
    fn default() -> Self {
        JudgeConfig {
            context: 2.0,
            side: 160,
            floor: 0.02,
            min_iou: 0.3,
            large_extent: 0.3,
            threshold: 0.5,
            lenient_threshold: 0.3,
            confident_score: 0.8,
            anchor: 0.7,
            crowd_threshold: 0.05,
            tiny_extent: 0.05,
            tiny_pixels: 40.0,
            small_threshold: 0.3,
        }
    }
}

impl JudgeConfig {
    /// Whether a candidate with CenterFace score `score` is kept, in a photo that has (or
    /// has not) an anchor face.
    pub fn keeps(&self, face: &Face, score: f32, anchored: bool, width: u32, height: u32) -> bool {
        let c = self;
        let e = extent(face, width, height);
        if e >= c.large_extent {
            return score >= c.threshold
                || (score >= c.lenient_threshold && face.score >= c.confident_score);
        }
        let tiny = e < c.tiny_extent && face.width().max(face.height()) < c.tiny_pixels;
        score
            >= if anchored || tiny {
                c.crowd_threshold
            } else {
                c.small_threshold
            }
    }
}

pub struct Judge {
    model: CenterFace,
    config: JudgeConfig,
}

impl Judge {
    pub fn new(model: CenterFace, config: JudgeConfig) -> Self {
        Judge { model, config }
    }

    pub fn config(&self) -> &JudgeConfig {
        &self.config
    }

    /// The same network with other decision settings.
    pub fn with_config(mut self, config: JudgeConfig) -> Self {
        self.config = config;
        self
    }

    /// CenterFace's own face where `face` is, in the photo's coordinates (box, score and
    /// landmarks), or `None` when it sees none there.
    pub fn look<C: Deref<Target = [u8]>>(&self, photo: &Photo<C>, face: &Face) -> Result<Option<Face>> {
        let [x0, y0, x1, y1] = face.bbox;
        let long = (x1 - x0).max(y1 - y0);
        if !(long.is_finite() && long > 0.0) {
            return Ok(None);
        }
        let span = self.config.context * long;
        let (left, top) = ((x0 + x1 - span) / 2.0, (y0 + y1 - span) / 2.0);
        let side = self.config.side;
        let small = square_view(photo, left, top, span, side);
        let input = rgb_tensor(small.as_raw(), side as usize, side as usize);
        small.into_raw().zeroize();
        let maps = self.model.forward(&input?)?;
        let k = side as f32 / span;
        let target = face.mapped(-left, -top, 1.0 / k);
        let best = decode(&maps, self.config.floor)?
            .into_iter()
            .filter(|f| iou(f, &target) >= self.config.min_iou)
            .max_by(|a, b| a.score.total_cmp(&b.score));
        Ok(best.map(|f| f.mapped(0.0, 0.0, k).mapped(left, top, 1.0)))
    }

    /// The candidates CenterFace confirms.
    pub fn filter<C: Deref<Target = [u8]>>(&self, photo: &Photo<C>, faces: Vec<Face>) -> Result<Vec<Face>> {
        let seen = faces
            .iter()
            .map(|f| self.look(photo, f))
            .collect::<Result<Vec<Option<Face>>>>()?;
        let score = |s: &Option<Face>| s.as_ref().map_or(0.0, |f| f.score);
        let anchored = seen.iter().any(|s| score(s) >= self.config.anchor);
        Ok(faces
            .into_iter()
            .zip(seen)
            .filter(|(f, s)| {
                self.config
                    .keeps(f, score(s), anchored, photo.width(), photo.height())
            })
            .map(|(f, s)| Face {
                seen_eyes: s.map(|s| [s.landmarks[0], s.landmarks[1]]),
                ..f
            })
            .collect())
    }
}

/// The `span`-pixel square of `photo` at (`left`, `top`) resampled to `side × side`, black
/// where it leaves the photo (so a face at the border keeps its place). Only the part inside
/// the photo is read, straight from the photo: a box on a 24-megapixel photo never becomes a
/// full-resolution copy.
fn square_view<C: Deref<Target = [u8]>>(photo: &Photo<C>, left: f32, top: f32, span: f32, side: u32) -> RgbImage {
    let mut out = RgbImage::from_pixel(side, side, Rgb([0, 0, 0]));
    let k = side as f32 / span.max(f32::MIN_POSITIVE);
    let (w, h) = (photo.width() as f32, photo.height() as f32);
    let (sx0, sy0) = (left.clamp(0.0, w), top.clamp(0.0, h));
    let (sx1, sy1) = ((left + span).clamp(0.0, w), (top + span).clamp(0.0, h));
    // Where that part lands in the output, in whole pixels.
    let (dx0, dy0) = (
        ((sx0 - left) * k).round() as u32,
        ((sy0 - top) * k).round() as u32,
    );
    let (dx1, dy1) = (
        (((sx1 - left) * k).round() as u32).min(side),
        (((sy1 - top) * k).round() as u32).min(side),
    );
    if sx1 > sx0 && sy1 > sy0 && dx1 > dx0 && dy1 > dy0 {
        let region = [sx0, sy0, sx1 - sx0, sy1 - sy0].map(f64::from);
        let part = resize_region_rgb(photo, region, dx1 - dx0, dy1 - dy0);
        imageops::replace(&mut out, &part, i64::from(dx0), i64::from(dy0));
        part.into_raw().zeroize();
    }
    out
}

/// The larger of the box's shares of the photo's width and height.
pub fn extent(face: &Face, width: u32, height: u32) -> f32 {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    (face.width() / w).max(face.height() / h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge() -> JudgeConfig {
        JudgeConfig::default()
    }

    fn square(x: f32, side: f32, score: f32) -> Face {
        Face {
            bbox: [x, x, x + side, x + side],
            score,
            landmarks: [[0.0; 2]; 5],
            seen_eyes: None,
        }
    }

    fn keeps(face: &Face, cf: f32, anchored: bool) -> bool {
        judge().keeps(face, cf, anchored, 1000, 1000)
    }

    #[test]
    fn the_rule_by_extent_and_anchor() {
        // A large box (a skin close-up's false face) needs CenterFace's word.
        assert!(!keeps(&square(0.0, 500.0, 0.7), 0.45, true));
        assert!(keeps(&square(0.0, 500.0, 0.7), 0.55, false));
        assert!(keeps(&square(0.0, 500.0, 0.9), 0.35, false));
        // A tiny crowd face needs only a hint.
        assert!(keeps(&square(0.0, 20.0, 0.5), 0.06, false));
        // A mid-sized box on a photo without a sure face needs more than a hint …
        assert!(!keeps(&square(0.0, 100.0, 0.5), 0.2, false));
        // … unless the photo has an anchor face.
        assert!(keeps(&square(0.0, 100.0, 0.5), 0.2, true));
    }

    #[test]
    fn views_keep_the_box_in_place_at_the_border() {
        let photo = RgbImage::from_fn(10, 8, |x, y| Rgb([x as u8 * 10, y as u8 * 10, 200]));
        // Same scale (6 px → 6 px): a plain crop, black above and left of the photo.
        let view = square_view(&photo, -2.0, -3.0, 6.0, 6);
        assert_eq!(view.dimensions(), (6, 6));
        assert_eq!(view.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(view.get_pixel(2, 3).0, [0, 0, 200]);
        assert_eq!(view.get_pixel(5, 5).0, [30, 20, 200]);
        // Halved: the photo's part is the lower-right 2×2 of a 3×3 view... of a 6-px span.
        let half = square_view(&photo, -2.0, -2.0, 6.0, 3);
        assert_eq!(half.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(half.get_pixel(2, 2).0[2], 200);
        // Entirely outside, or degenerate: all black, no panic.
        let away = square_view(&photo, 50.0, 50.0, 4.0, 8);
        assert!(away.pixels().all(|p| p.0 == [0, 0, 0]));
        let empty = square_view(&photo, 1.0, 1.0, 0.0, 8);
        assert!(empty.pixels().all(|p| p.0 == [0, 0, 0]));
    }
}
