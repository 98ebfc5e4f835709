//! Finding faces of any size in a photo of any size: YuNet over a pyramid of scales, tiled at
//! the fine scales, merged with NMS.
//!
//! One pass at 640 px misses either the 30-px face far in the background of a 12-megapixel
//! photo (it shrinks to 5 px) or the face that fills the frame (YuNet's priors were trained on
//! faces up to roughly half the input). So the photo is seen at:
//! - a coarse scale (long side `coarse_side`, default 320) for frame-filling faces,
//! - the standard scale (long side `base_side`, 640),
//! - doublings of it up to the finest scale, which is capped both by `max_upscale` and by
//!   `max_megapixels` (the cost bound), cut into tiles of at most `tile` overlapping by `overlap`
//!   pixels so a face up to `overlap` pixels is whole in some tile (larger ones are whole at
//!   the next coarser scale).

use candle_core::Tensor;
use image::RgbImage;
use zeroize::Zeroize;

use super::boxes::{decode_level, nms, Face, LevelMaps};
use super::centerface::CenterFace;
use super::face_part::{pool, FacePartProbe};
use super::input::{bgr_tensor_window, Window};
use super::judge::Judge;
use super::resample::resize_rgb;
use super::yunet::YuNet;
use super::FaceError;

#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    /// Faces scoring below this are dropped (the reference demo uses 0.9 for display and
    /// 0.5 for evaluation; hifu redacts, so it errs towards finding faces, with the looser NMS
    /// below; the judge keeps the extra boxes off skin photos).
    pub score_threshold: f32,
    /// Boxes overlapping a better one by more than this IoU are merged (0.4: faces packed
    /// shoulder to shoulder in a crowd overlap by more than the usual 0.3).
    pub nms_iou: f32,
    /// Fraction of a box's area inside a better box above which the two are merged.
    pub containment: f32,
    pub coarse_side: usize,
    pub base_side: usize,
    pub max_upscale: f32,
    pub max_megapixels: f32,
    pub tile: usize,
    pub overlap: usize,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            score_threshold: 0.4,
            nms_iou: 0.4,
            containment: 0.8,
            coarse_side: 320,
            base_side: 640,
            max_upscale: 2.0,
            max_megapixels: 4.0,
            tile: 640,
            overlap: 160,
        }
    }
}

/// The converted weights of both networks (`models/face/yunet_n.safetensors` and
/// `models/face/centerface.safetensors`, made by `scripts/convert-yunet` and
/// `scripts/convert-centerface`).
#[derive(Debug, Clone, Copy)]
pub struct FaceWeights<'a> {
    pub yunet: &'a [u8],
    pub centerface: &'a [u8],
}

/// YuNet plus the multi-scale strategy, and CenterFace's second look at its boxes.
pub struct Detector {
    model: YuNet,
    config: DetectorConfig,
    judge: Option<Judge>,
    face_part: Option<FacePartProbe>,
}

/// What one look at a photo found.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    /// The faces, in the photo's pixel coordinates, best first.
    pub faces: Vec<Face>,
    /// The face-part probe's probability (see [`FacePartProbe`]), when the detector has one.
    pub face_part: Option<f32>,
}

/// YuNet's candidates with the pooled features of the coarse level.
pub struct Scan {
    pub faces: Vec<Face>,
    /// [`crate::face::face_part::pool`] at the coarsest scale.
    pub features: Vec<f32>,
}

impl Detector {
    pub fn new(model: YuNet, config: DetectorConfig) -> Self {
        Detector {
            model,
            config,
            judge: None,
            face_part: None,
        }
    }

    /// Adds the whole-photo "part of a face" probe (see [`FacePartProbe`]).
    pub fn with_face_part(mut self, probe: FacePartProbe) -> Self {
        self.face_part = Some(probe);
        self
    }

    pub fn face_part(&self) -> Option<&FacePartProbe> {
        self.face_part.as_ref()
    }

    /// Adds the second look at candidate boxes (see [`Judge`]).
    pub fn with_judge(mut self, judge: Judge) -> Self {
        self.judge = Some(judge);
        self
    }

    /// Loads both networks with default settings.
    pub fn from_safetensors(weights: FaceWeights<'_>) -> Result<Self, FaceError> {
        let bad = |what: &str, e: candle_core::Error| FaceError::BadWeights(format!("{what}: {e}"));
        let model = YuNet::from_safetensors(weights.yunet, Default::default())
            .map_err(|e| bad("yunet_n.safetensors", e))?;
        let judge = CenterFace::from_safetensors(weights.centerface, Default::default())
            .map_err(|e| bad("centerface.safetensors", e))?;
        Ok(Detector::new(model, DetectorConfig::default())
            .with_judge(Judge::new(judge, Default::default()))
            .with_face_part(FacePartProbe::embedded()?))
    }

    pub fn judge(&self) -> Option<&Judge> {
        self.judge.as_ref()
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// The scales the photo is seen at, coarse to fine.
    pub fn scales(&self, width: usize, height: usize) -> Vec<f32> {
        let c = &self.config;
        let long = width.max(height).max(1) as f32;
        let pixels = (width.max(1) * height.max(1)) as f32;
        let finest = c.max_upscale.min((c.max_megapixels * 1e6 / pixels).sqrt());
        let mut scales = vec![c.coarse_side as f32 / long];
        let mut s = c.base_side as f32 / long;
        while s < finest * 0.9 {
            scales.push(s);
            s *= 2.0;
        }
        scales.push(finest);
        scales.retain(|&s| s <= finest && s > 0.0);
        scales.dedup_by(|a, b| (*a - *b).abs() < 1e-3);
        scales
    }

    /// All faces in an RGB photo, in its pixel coordinates, best first.
    pub fn detect(&self, photo: &RgbImage) -> Result<Vec<Face>, FaceError> {
        Ok(self.look(photo)?.faces)
    }

    /// The faces, and whether the photo shows part of a face at all.
    pub fn look(&self, photo: &RgbImage) -> Result<Detection, FaceError> {
        let scan = self.scan(photo)?;
        let face_part = match &self.face_part {
            Some(p) if !scan.features.is_empty() => Some(p.probability(&scan.features)?),
            _ => None,
        };
        let faces = match &self.judge {
            Some(j) => j
                .filter(photo, scan.faces)
                .map_err(|e| FaceError::Inference(e.to_string()))?,
            None => scan.faces,
        };
        Ok(Detection { faces, face_part })
    }

    /// YuNet's boxes over the whole pyramid, merged and clipped to the photo, before any
    /// second look.
    pub fn candidates(&self, photo: &RgbImage) -> Result<Vec<Face>, FaceError> {
        Ok(self.scan(photo)?.faces)
    }

    /// [`Self::candidates`] with the face-part features of the coarsest level (empty for an
    /// empty photo).
    pub fn scan(&self, photo: &RgbImage) -> Result<Scan, FaceError> {
        self.scan_levels(photo, false)
    }

    /// The face-part features alone, as [`Self::scan`] pools them: the same chain of shrunk
    /// levels, YuNet run on the coarsest only (for fitting the probe on thousands of photos).
    pub fn face_part_features(&self, photo: &RgbImage) -> Result<Vec<f32>, FaceError> {
        Ok(self.scan_levels(photo, true)?.features)
    }

    fn scan_levels(&self, photo: &RgbImage, coarsest_only: bool) -> Result<Scan, FaceError> {
        let (w, h) = (photo.width() as usize, photo.height() as usize);
        let mut features = Vec::new();
        if w == 0 || h == 0 {
            return Ok(Scan {
                faces: Vec::new(),
                features,
            });
        }
        let mut faces = Vec::new();
        let mut scales = self.scales(w, h);
        scales.sort_by(|a, b| b.total_cmp(a));
        let coarsest = scales.last().copied();
        // Finest first, each level below full size shrunk from the previous one rather than
        // from the photo: shrinking a 12-megapixel photo four times was a third of the time.
        let mut previous: Option<RgbImage> = None;
        for scale in scales {
            let sw = ((w as f32 * scale).round() as u32).max(1);
            let sh = ((h as f32 * scale).round() as u32).max(1);
            let level = if (sw as usize, sh as usize) == (w, h) {
                None
            } else {
                let source = match &previous {
                    Some(p) if p.width() >= sw && p.height() >= sh => p,
                    _ => photo,
                };
                Some(resize_rgb(source, sw, sh))
            };
            let view = level.as_ref().unwrap_or(photo);
            // The exact per-axis factors, so boxes map back without drift.
            let (fx, fy) = (sw as f32 / w as f32, sh as f32 / h as f32);
            let level_tiles = tiles(
                sw as usize,
                sh as usize,
                self.config.tile,
                self.config.overlap,
            );
            // The coarsest level is one tile (its long side is below the tile size).
            let pooled = Some(scale) == coarsest && level_tiles.len() == 1;
            let skipped = coarsest_only && Some(scale) != coarsest;
            for (x0, y0, tw, th) in level_tiles.into_iter().filter(|_| !skipped) {
                let window = Window {
                    x: x0,
                    y: y0,
                    width: tw,
                    height: th,
                };
                let (found, pooled_features) = self.run_tile(
                    view.as_raw(),
                    (view.width() as usize, view.height() as usize),
                    window,
                    pooled,
                )?;
                if let Some(p) = pooled_features {
                    features = p;
                }
                for f in found {
                    let mut m = f.mapped(x0 as f32, y0 as f32, 1.0);
                    m.bbox = [
                        m.bbox[0] / fx,
                        m.bbox[1] / fy,
                        m.bbox[2] / fx,
                        m.bbox[3] / fy,
                    ];
                    m.landmarks = m.landmarks.map(|[x, y]| [x / fx, y / fy]);
                    faces.push(m);
                }
            }
            // An upscaled level is never a source: shrinking it would only blur the photo.
            let spent = if scale < 1.0 {
                std::mem::replace(&mut previous, level)
            } else {
                level
            };
            if let Some(spent) = spent {
                spent.into_raw().zeroize();
            }
        }
        if let Some(last) = previous {
            last.into_raw().zeroize();
        }
        let mut faces = nms(faces, self.config.nms_iou, self.config.containment);
        for f in &mut faces {
            f.bbox = [
                f.bbox[0].clamp(0.0, w as f32),
                f.bbox[1].clamp(0.0, h as f32),
                f.bbox[2].clamp(0.0, w as f32),
                f.bbox[3].clamp(0.0, h as f32),
            ];
        }
        faces.retain(|f| f.width() > 0.0 && f.height() > 0.0);
        Ok(Scan { faces, features })
    }

    /// One YuNet pass over `width × height` RGB pixels (zero-padded to multiples of 32).
    pub fn detect_padded(
        &self,
        rgb: &[u8],
        width: usize,
        height: usize,
    ) -> Result<Vec<Face>, FaceError> {
        Ok(self
            .run_tile(rgb, (width, height), Window::whole(width, height), false)?
            .0)
    }

    /// [`Self::detect_padded`] on a window of an `image` (width, height), with the pooled
    /// face-part features when `pooled`. Boxes are in the window's coordinates.
    fn run_tile(
        &self,
        rgb: &[u8],
        image: (usize, usize),
        window: Window,
        pooled: bool,
    ) -> Result<(Vec<Face>, Option<Vec<f32>>), FaceError> {
        let fail = |e: candle_core::Error| FaceError::Inference(e.to_string());
        let (width, height) = (window.width, window.height);
        let input = bgr_tensor_window(rgb, image, window).map_err(fail)?;
        let padded_width = input.dim(3).map_err(fail)?;
        let (maps, shared) = self.model.forward_with_features(&input).map_err(fail)?;
        let features = if pooled {
            Some(pool(&shared, width, height).map_err(fail)?)
        } else {
            None
        };
        let mut faces = Vec::new();
        let strides = self.model.config().strides;
        for (i, stride) in strides.iter().enumerate() {
            let flat = |t: Option<&Tensor>| -> Result<Vec<f32>, FaceError> {
                let t = t.ok_or_else(|| FaceError::Inference("missing output map".into()))?;
                t.flatten_all()
                    .and_then(|t| t.to_vec1::<f32>())
                    .map_err(fail)
            };
            let (cls, obj) = (flat(maps.cls.get(i))?, flat(maps.obj.get(i))?);
            let (bbox, kps) = (flat(maps.bbox.get(i))?, flat(maps.kps.get(i))?);
            let level = LevelMaps {
                stride: *stride,
                width: padded_width / stride,
                cls: &cls,
                obj: &obj,
                bbox: &bbox,
                kps: &kps,
            };
            decode_level(&level, self.config.score_threshold, &mut faces);
        }
        Ok((
            nms(faces, self.config.nms_iou, self.config.containment),
            features,
        ))
    }
}

/// Tiles (x, y, width, height) covering `width × height`: one when it fits, otherwise the
/// fewest windows of at most `tile` pixels that overlap by at least `overlap`, spread evenly
/// and as small as that allows (in multiples of 32, YuNet's input granularity). Fixed
/// `tile`-sized windows stepping by `tile − overlap` ran YuNet over twice the pixels of a
/// 4-megapixel level, most of it in the last window's overlap with its neighbour.
fn tiles(
    width: usize,
    height: usize,
    tile: usize,
    overlap: usize,
) -> Vec<(usize, usize, usize, usize)> {
    let spans = |len: usize| -> Vec<(usize, usize)> {
        if len <= tile {
            return vec![(0, len)];
        }
        let step = tile.saturating_sub(overlap).max(1);
        let n = (len - overlap.min(len)).div_ceil(step).max(2);
        let size = (len + (n - 1) * overlap)
            .div_ceil(n)
            .next_multiple_of(32)
            .min(tile);
        let free = len - size;
        (0..n)
            .map(|i| ((i * free + (n - 1) / 2) / (n - 1), size))
            .collect()
    };
    let (xs, ys) = (spans(width), spans(height));
    let mut out = Vec::with_capacity(xs.len() * ys.len());
    for &(y, th) in &ys {
        for &(x, tw) in &xs {
            out.push((x, y, tw, th));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_everything_with_overlap() {
        assert_eq!(tiles(300, 200, 640, 128), vec![(0, 0, 300, 200)]);
        let t = tiles(1500, 700, 640, 128);
        let xs: Vec<usize> = t.iter().filter(|t| t.1 == 0).map(|t| t.0).collect();
        assert_eq!(xs, vec![0, 446, 892]);
        assert!(t.iter().all(|&(_, _, w, h)| (w, h) == (608, 416)));
        for len in (1..3000)
            .step_by(7)
            .chain([640, 641, 767, 768, 769, 1152, 1153])
        {
            let spans: Vec<(usize, usize)> = tiles(len, 1, 640, 128)
                .iter()
                .map(|&(x, _, w, _)| (x, w))
                .collect();
            assert_eq!(spans[0].0, 0, "{len}");
            let (x, w) = spans[spans.len() - 1];
            assert_eq!(x + w, len, "{len}: the last tile ends at the edge");
            for pair in spans.windows(2) {
                let ((a, wa), (b, _)) = (pair[0], pair[1]);
                assert!(a + wa >= b + 128, "{len}: {pair:?} overlap less than 128");
            }
            assert!(spans.iter().all(|&(_, w)| w <= 640), "{len}");
        }
    }

    #[test]
    fn a_4_megapixel_level_costs_fewer_pixels_than_fixed_tiles() {
        let c = DetectorConfig::default();
        let old = 20 * 640 * 640;
        let pixels = |overlap| -> usize {
            tiles(2309, 1732, c.tile, overlap)
                .iter()
                .map(|&(_, _, w, h)| w.next_multiple_of(32) * h.next_multiple_of(32))
                .sum()
        };
        assert_eq!(pixels(128), 20 * 576 * 544);
        assert!(pixels(128) < old * 4 / 5);
        // The default's wider overlap (faces up to 160 px whole in a tile) still saves.
        assert_eq!(pixels(c.overlap), 20 * 608 * 576);
        assert!(pixels(c.overlap) < old * 7 / 8);
    }
}
