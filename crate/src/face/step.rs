//! The face step of the scrub pipeline: detect faces on the upright sRGB pixels, apply the
//! gate (a full face excludes the photo; a partial face is flagged for review and loses only its
//! eyes, when they are in the photo; a background face loses its box; see `gate.rs`), redact,
//! and list them in the report.
//!
//! Fail closed: when detection is on (the default) and the detector cannot run — no weights,
//! bad weights, an inference error — the step returns an error, so `scrub` writes no output
//! for that photo and the report carries the error code (`face.weights_missing`, …). Only an
//! explicit [`FaceOptions::detect`]` = false` skips detection.

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::gate::{eye_band, eyes_in_frame, kind, FaceKind, GateConfig};
use super::{Detection, Detector, Face, FaceError, FaceWeights, Photo, Pyramid, Scan, TileJob};
use crate::decode::Pixels;
use crate::redact::{redact, Canvas, RedactMode, MIN_MARGIN};
use crate::report::{FaceEntry, Gate, GateReason, Redacted, ReviewFlag};
use crate::scrub::{PixelStep, StepOutcome};
use crate::Error;

/// What the operator chose for faces (CLI `--redact`, `--no-face-detection`,
/// `--allow-full-face`; the same fields in the JS options).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaceOptions {
    /// Detect and redact faces. Turning it off is an explicit operator decision.
    pub detect: bool,
    pub redact: RedactMode,
    /// Margin around each face box, as a share of its size per side (at least 0.2).
    pub margin: f32,
    /// Output full-face portraits (redacted) instead of excluding them.
    pub allow_full_face: bool,
}

impl Default for FaceOptions {
    fn default() -> Self {
        FaceOptions {
            detect: true,
            redact: RedactMode::Fill,
            margin: MIN_MARGIN,
            allow_full_face: false,
        }
    }
}

/// The review flag of a facial close-up whose eyes were barred.
pub const PARTIAL_FACE: &str = "partial_face";
/// The review flag of a photo that may show part of a face no box was found for (the
/// face-part probe, see [`crate::face::face_part`]); nothing is painted for it.
pub const FACE_PART: &str = "face_part";

/// A [`PixelStep`] for [`crate::scrub::scrub_with`].
pub struct FaceStep {
    detector: Result<Detector, FaceError>,
    options: FaceOptions,
    gate: GateConfig,
    rng: ChaCha8Rng,
    /// YuNet's pass, when it was run outside this step (see [`FaceStep::plan`]); used by the
    /// next `run` instead of running it again.
    scan: Option<Scan>,
}

/// The photo's YuNet passes, to be run elsewhere (threads, Web Workers) before the step:
/// see [`FaceStep::plan`]. The jobs read the pixels the plan was made from ([`Self::photo`]);
/// the pyramid, and the RGB copy of pixels with alpha, are wiped when this is dropped.
pub struct FacePlan {
    /// An RGB copy of the photo when its pixels carry alpha; `None` when they are RGB and are
    /// read in place.
    copy: Option<image::RgbImage>,
    pub pyramid: Pyramid,
    pub jobs: Vec<TileJob>,
}

impl FacePlan {
    /// The photo the jobs read: `pixels`, the very pixels [`FaceStep::plan`] was given.
    pub fn photo<'a>(&'a self, pixels: &'a Pixels) -> Result<Photo<&'a [u8]>, FaceError> {
        photo(pixels, self.copy.as_ref())
    }
}

impl Drop for FacePlan {
    fn drop(&mut self) {
        if let Some(copy) = self.copy.take() {
            copy.into_raw().zeroize();
        }
    }
}

impl FaceStep {
    /// `weights`: the bytes of `models/face/yunet_n.safetensors` and
    /// `models/face/centerface.safetensors`, or `None` when they could not be found (every
    /// photo then fails with `face.weights_missing` unless detection is off). `seed` drives
    /// the noise of `pixelate` only; pass a fresh random value per run for pixelate (fill and
    /// blur do not use it).
    pub fn new(weights: Option<FaceWeights<'_>>, options: FaceOptions, seed: u64) -> FaceStep {
        let detector = match weights {
            Some(bytes) if options.detect => Detector::from_safetensors(bytes),
            _ => Err(FaceError::WeightsMissing),
        };
        FaceStep {
            detector,
            options,
            gate: GateConfig::default(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            scan: None,
        }
    }

    /// A step around an already built detector (other settings than the defaults).
    pub fn with_detector(detector: Detector, options: FaceOptions, seed: u64) -> FaceStep {
        FaceStep {
            detector: Ok(detector),
            options,
            gate: GateConfig::default(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            scan: None,
        }
    }

    /// Detection explicitly off: pixels pass through untouched, no gate.
    pub fn disabled() -> FaceStep {
        FaceStep::new(
            None,
            FaceOptions {
                detect: false,
                ..FaceOptions::default()
            },
            0,
        )
    }

    /// The faces in `pixels` (RGB or RGBA; alpha is ignored for detection).
    pub fn detect(&self, pixels: &Pixels) -> Result<Vec<Face>, FaceError> {
        Ok(self.look(pixels)?.faces)
    }

    /// The faces in `pixels`, and the face-part probe's probability.
    pub fn look(&self, pixels: &Pixels) -> Result<Detection, FaceError> {
        self.look_with(pixels, None)
    }

    /// [`Self::look`] with YuNet's pass already done (`scan`), or done here when `None`.
    fn look_with(&self, pixels: &Pixels, scan: Option<Scan>) -> Result<Detection, FaceError> {
        let detector = self.detector.as_ref().map_err(FaceError::clone)?;
        let copy = rgb_copy(pixels)?;
        let result = photo(pixels, copy.as_ref()).and_then(|img| match scan {
            Some(scan) => detector.conclude(&img, scan),
            None => detector.look(&img),
        });
        // The copy holds the patient's photo: wipe it.
        if let Some(copy) = copy {
            copy.into_raw().zeroize();
        }
        result
    }

    /// YuNet's passes over `pixels` as jobs to run elsewhere, or `None` when detection is off.
    /// Run them with [`Detector::run_job`] or [`Detector::detect_tile`], merge the results with
    /// [`Detector::merge`] and hand the scan to [`Self::use_scan`] before this step runs on the
    /// same pixels.
    pub fn plan(&self, pixels: &Pixels) -> Result<Option<FacePlan>, FaceError> {
        if !self.options.detect {
            return Ok(None);
        }
        let detector = self.detector.as_ref().map_err(FaceError::clone)?;
        let copy = rgb_copy(pixels)?;
        let (pyramid, jobs) = detector.plan(&photo(pixels, copy.as_ref())?, false);
        Ok(Some(FacePlan {
            copy,
            pyramid,
            jobs,
        }))
    }

    /// The detector, when its weights loaded.
    pub fn detector(&self) -> Result<&Detector, FaceError> {
        self.detector.as_ref().map_err(FaceError::clone)
    }

    /// YuNet's pass over the pixels the next `run` sees, done elsewhere (see [`Self::plan`]).
    pub fn use_scan(&mut self, scan: Scan) {
        self.scan = Some(scan);
    }
}

/// For pixels with alpha, an RGB copy (alpha dropped) for the detector, which the caller
/// wipes; `None` for RGB pixels, which the detector reads in place rather than copying the
/// whole photo for each look.
fn rgb_copy(pixels: &Pixels) -> Result<Option<image::RgbImage>, FaceError> {
    if pixels.channels() == 3 {
        return Ok(None);
    }
    let rgb: Vec<u8> = pixels
        .samples()
        .chunks_exact(4)
        .flat_map(|p| p.iter().take(3).copied())
        .collect();
    image::RgbImage::from_raw(pixels.width(), pixels.height(), rgb)
        .map(Some)
        .ok_or_else(|| FaceError::Inference("pixel buffer does not match its size".into()))
}

/// The photo as the detector reads it: `copy` (from [`rgb_copy`]) when there is one,
/// otherwise `pixels` themselves, which must then be RGB.
fn photo<'a>(pixels: &'a Pixels, copy: Option<&'a image::RgbImage>) -> Result<Photo<&'a [u8]>, FaceError> {
    let samples: &[u8] = match copy {
        Some(copy) => copy.as_raw(),
        None if pixels.channels() == 3 => pixels.samples(),
        None => return Err(FaceError::Inference("pixels with alpha need their RGB copy".into())),
    };
    // `Pixels` and the copy hold exactly `width × height` pixels, so this only fails on a bug.
    Photo::from_raw(pixels.width(), pixels.height(), samples)
        .ok_or_else(|| FaceError::Inference("pixel buffer does not match its size".into()))
}

fn entry(f: &Face, redacted: Redacted) -> FaceEntry {
    FaceEntry {
        x: f.bbox[0],
        y: f.bbox[1],
        width: f.width(),
        height: f.height(),
        score: f.score,
        landmarks: f.landmarks.to_vec(),
        redacted,
    }
}

/// `[x0, y0, x1, y1]` clipped to a `width × height` photo, or `None` when nothing is left.
fn clipped(r: [f32; 4], width: f32, height: f32) -> Option<[f32; 4]> {
    let c = [
        r[0].clamp(0.0, width),
        r[1].clamp(0.0, height),
        r[2].clamp(0.0, width),
        r[3].clamp(0.0, height),
    ];
    (c[2] > c[0] && c[3] > c[1]).then_some(c)
}

impl PixelStep for FaceStep {
    fn reads_pixels(&self) -> bool {
        self.options.detect
    }

    fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, Error> {
        let scan = self.scan.take();
        if !self.options.detect {
            return Ok(StepOutcome::default());
        }
        let Detection { faces, face_part } = self.look_with(pixels, scan)?;
        let (pw, ph) = (pixels.width(), pixels.height());
        let kinds: Vec<FaceKind> = faces.iter().map(|f| kind(f, pw, ph, &self.gate)).collect();
        let full_face = kinds.contains(&FaceKind::Full);
        if full_face && !self.options.allow_full_face {
            return Ok(StepOutcome {
                pixels_changed: false,
                faces: faces.iter().map(|f| entry(f, Redacted::None)).collect(),
                gate: Some(Gate {
                    excluded: true,
                    reason: Some(GateReason::FullFace),
                }),
                review: Vec::new(),
                fill: Vec::new(),
            });
        }
        // What to paint: the box of every full (allowed) or background face, the eye band of
        // every partial one.
        let mut regions: Vec<Face> = Vec::new();
        let mut entries = Vec::with_capacity(faces.len());
        let mut flagged: Vec<[f32; 4]> = Vec::new();
        let mut flag_score = 0f32;
        for (f, k) in faces.iter().zip(&kinds) {
            if *k != FaceKind::Partial {
                regions.push(f.clone());
                entries.push(entry(f, Redacted::Box));
                continue;
            }
            flag_score = flag_score.max(f.score);
            let band = eyes_in_frame(f, pw, ph, self.gate.eye_margin)
                .then(|| clipped(eye_band(f, &self.gate), pw as f32, ph as f32))
                .flatten();
            match band {
                Some(band) => {
                    regions.push(Face {
                        bbox: band,
                        ..f.clone()
                    });
                    flagged.push([band[0], band[1], band[2] - band[0], band[3] - band[1]]);
                    entries.push(entry(f, Redacted::Eyes));
                }
                None => {
                    flagged.push([f.bbox[0], f.bbox[1], f.width(), f.height()]);
                    entries.push(entry(f, Redacted::None));
                }
            }
        }
        let (width, height, channels) = (pw as usize, ph as usize, usize::from(pixels.channels()));
        let mut canvas = Canvas {
            samples: pixels.samples_mut(),
            width,
            height,
            channels,
        };
        let boxes: Vec<[f32; 4]> = regions.iter().map(|r| r.bbox).collect();
        let changed = redact(
            &mut canvas,
            &boxes,
            self.options.redact,
            self.options.margin,
            &mut self.rng,
        )
        .map_err(|e| FaceError::Redaction(e.to_string()))?;
        let probe_flags = match (
            face_part,
            self.detector.as_ref().ok().and_then(|d| d.face_part()),
        ) {
            (Some(p), Some(probe)) => probe.flags(p),
            _ => false,
        };
        let review = if !flagged.is_empty() {
            vec![ReviewFlag {
                kind: PARTIAL_FACE.into(),
                regions: flagged,
                score: flag_score,
            }]
        } else if probe_flags && !full_face {
            // A facial close-up YuNet found no face in: a person must look (the whole photo).
            vec![ReviewFlag {
                kind: FACE_PART.into(),
                regions: vec![[0.0, 0.0, pw as f32, ph as f32]],
                score: face_part.unwrap_or(0.0),
            }]
        } else {
            Vec::new()
        };
        Ok(StepOutcome {
            pixels_changed: !changed.is_empty(),
            faces: entries,
            gate: Some(Gate {
                excluded: false,
                reason: full_face.then_some(GateReason::FullFaceAllowed),
            }),
            review,
            fill: Vec::new(),
        })
    }
}
