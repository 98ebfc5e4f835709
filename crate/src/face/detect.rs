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
use std::ops::Deref;


use super::boxes::{decode_level, nms, Face, LevelMaps};
use super::centerface::CenterFace;
use super::face_part::{pool, FacePartProbe};
use super::input::{bgr_tensor_window, Window};
use super::judge::Judge;
use super::pyramid::{Pyramid, TileFound, TileJob};
use super::yunet::YuNet;
use super::Photo;
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
    /// Native threads the tiles are spread over (0: every core). Wasm runs them on one.
    pub threads: usize,
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
            threads: 0,
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
    /// The native threads the tiles run on, started with the first photo that needs them and
    /// kept for the next (a batch of photos starts them once).
    pool: std::sync::OnceLock<Option<rayon::ThreadPool>>,
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
            pool: std::sync::OnceLock::new(),
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

    /// Spreads the tiles over `threads` native threads (0: every core; see [`Self::run_jobs`]).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.config.threads = threads;
        self.pool = std::sync::OnceLock::new();
        self
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
    pub fn detect<C: Deref<Target = [u8]> + Sync>(&self, photo: &Photo<C>) -> Result<Vec<Face>, FaceError> {
        Ok(self.look(photo)?.faces)
    }

    /// The faces, and whether the photo shows part of a face at all.
    pub fn look<C: Deref<Target = [u8]> + Sync>(&self, photo: &Photo<C>) -> Result<Detection, FaceError> {
        let scan = self.scan(photo)?;
        self.conclude(photo, scan)
    }

    /// The rest of [`Self::look`] once YuNet's pass is done (here or, job by job, elsewhere:
    /// see [`Self::plan`]): the face-part probe and CenterFace's second look.
    pub fn conclude<C: Deref<Target = [u8]> + Sync>(&self, photo: &Photo<C>, scan: Scan) -> Result<Detection, FaceError> {
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
    pub fn candidates<C: Deref<Target = [u8]> + Sync>(&self, photo: &Photo<C>) -> Result<Vec<Face>, FaceError> {
        Ok(self.scan(photo)?.faces)
    }

    /// [`Self::candidates`] with the face-part features of the coarsest level (empty for an
    /// empty photo).
    pub fn scan<C: Deref<Target = [u8]> + Sync>(&self, photo: &Photo<C>) -> Result<Scan, FaceError> {
        self.scan_levels(photo, false)
    }

    /// The face-part features alone, as [`Self::scan`] pools them: the same chain of shrunk
    /// levels, YuNet run on the coarsest only (for fitting the probe on thousands of photos).
    pub fn face_part_features<C: Deref<Target = [u8]> + Sync>(&self, photo: &Photo<C>) -> Result<Vec<f32>, FaceError> {
        Ok(self.scan_levels(photo, true)?.features)
    }

    fn scan_levels<C: Deref<Target = [u8]> + Sync>(&self, photo: &Photo<C>, coarsest_only: bool) -> Result<Scan, FaceError> {
        let (pyramid, jobs) = self.plan(photo, coarsest_only);
        let found = self.run_jobs(photo, &pyramid, &jobs)?;
        Ok(self.merge(found, photo.width(), photo.height()))
    }

    /// The pyramid of `photo` and the YuNet passes over it (see [`Pyramid`]): run each with
    /// [`Self::run_job`] (or [`Self::detect_tile`] elsewhere) and hand the results, in job
    /// order, to [`Self::merge`].
    pub fn plan<C: Deref<Target = [u8]> + Sync>(&self, photo: &Photo<C>, coarsest_only: bool) -> (Pyramid, Vec<TileJob>) {
        let (w, h) = (photo.width() as usize, photo.height() as usize);
        if w == 0 || h == 0 {
            return (Pyramid::build(photo, &[], 1, 0, false).0, Vec::new());
        }
        let mut scales = self.scales(w, h);
        scales.sort_by(|a, b| b.total_cmp(a));
        Pyramid::build(
            photo,
            &scales,
            self.config.tile,
            self.config.overlap,
            coarsest_only,
        )
    }

    /// One job of [`Self::plan`], its boxes in the photo's pixels.
    pub fn run_job<C: Deref<Target = [u8]> + Sync>(
        &self,
        photo: &Photo<C>,
        pyramid: &Pyramid,
        job: &TileJob,
    ) -> Result<TileFound, FaceError> {
        let (rgb, size) = pyramid
            .view(photo, job)
            .ok_or_else(|| FaceError::Inference("a tile job names no level".into()))?;
        let (faces, features) = self.run_tile(rgb, size, job.window, job.pooled)?;
        Ok(TileFound {
            faces: pyramid.to_photo(job, faces),
            features,
        })
    }

    /// Every job, in order: natively spread over `config.threads` threads, one after another
    /// in wasm (where parallelism is the page's Web Workers: see `hifu.js`).
    pub fn run_jobs<C: Deref<Target = [u8]> + Sync>(
        &self,
        photo: &Photo<C>,
        pyramid: &Pyramid,
        jobs: &[TileJob],
    ) -> Result<Vec<TileFound>, FaceError> {
        let threads = self.threads().min(jobs.len());
        let one_by_one = || -> Result<Vec<TileFound>, FaceError> {
            jobs.iter().map(|job| self.run_job(photo, pyramid, job)).collect()
        };
        if threads <= 1 {
            return one_by_one();
        }
        // A rayon pool rather than plain threads: candle splits each matrix product over rayon
        // as well, and inside the pool those splits run on the pool's own threads. Beside
        // plain tile threads each product started its own, twice as many as cores.
        use rayon::prelude::*;
        let pool = self.pool.get_or_init(|| {
            rayon::ThreadPoolBuilder::new().num_threads(self.threads()).build().ok()
        });
        match pool {
            // A panic in a job comes back here through `install`: it fails this photo with an
            // error, as a stopped thread did before, instead of ending the process.
            Some(pool) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.install(|| {
                    jobs.par_iter()
                        .with_max_len(1)
                        .map(|job| self.run_job(photo, pyramid, job))
                        .collect()
                })
            }))
            .unwrap_or_else(|_| Err(FaceError::Inference("a detection thread stopped".into()))),
            // No threads to be had: the same jobs on this one.
            None => one_by_one(),
        }
    }

    /// How many threads [`Self::run_jobs`] uses: `config.threads`, or every core when 0.
    fn threads(&self) -> usize {
        match self.config.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }

    /// The faces of every job (results in [`Self::plan`]'s order), merged and clipped to the
    /// `width × height` photo, with the pooled job's face-part features.
    pub fn merge(&self, found: Vec<TileFound>, width: u32, height: u32) -> Scan {
        let (w, h) = (width as f32, height as f32);
        let mut faces = Vec::new();
        let mut features = Vec::new();
        for f in found {
            faces.extend(f.faces);
            if let Some(p) = f.features {
                features = p;
            }
        }
        let mut faces = nms(faces, self.config.nms_iou, self.config.containment);
        for f in &mut faces {
            f.bbox = [
                f.bbox[0].clamp(0.0, w),
                f.bbox[1].clamp(0.0, h),
                f.bbox[2].clamp(0.0, w),
                f.bbox[3].clamp(0.0, h),
            ];
        }
        faces.retain(|f| f.width() > 0.0 && f.height() > 0.0);
        Scan { faces, features }
    }

    /// One job's YuNet pass on its tile's pixels alone (`width × height` RGB, from
    /// [`Pyramid::tile_rgb`]), for a job run in another worker: the boxes in the tile's pixels
    /// (map them with [`Pyramid::to_photo`]) and, when `pooled`, the face-part features.
    pub fn detect_tile(
        &self,
        rgb: &[u8],
        width: usize,
        height: usize,
        pooled: bool,
    ) -> Result<(Vec<Face>, Option<Vec<f32>>), FaceError> {
        self.run_tile(rgb, (width, height), Window::whole(width, height), pooled)
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

#[cfg(test)]
mod tests {
    use super::super::pyramid::tiles;
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
