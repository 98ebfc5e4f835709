//! A scrub whose face detection is shared with other Web Workers (`hifu.js` `scrubShared`).
//!
//! wasm has one thread per worker, and YuNet's passes over the pyramid are most of a 12 MP
//! photo's time. So the worker that holds the photo decodes it once (`beginScrub`), lists the
//! passes (`scrubJobs`), hands some of them out as tile pixels (`tileJob`) to helper workers,
//! which run them on their own `FaceDetector` (`detectTile`), runs the rest itself (`runJob`),
//! takes the helpers' boxes back (`putJob`) and finishes in one place (`finishScrub`: the
//! second look, the gate, redaction, the checks' fills, the output). The checks (text, tattoo,
//! fingerprint) look at the photo as decoded, so a helper can run them on its own decode of the
//! same file (`checkMarks`) while the tiles run, and `finishScrub` takes what it found. The
//! result is the one `scrub` gives for the same photo and options. Only tiles of the photo,
//! or the file for the checks, leave this worker, to workers of the same page.

use js_sys::{Array, Float32Array, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use zeroize::{Zeroize, Zeroizing};

use super::js::hifu_error;
use super::scrub::{parse_options, result_object, FaceDetector, JsScrubOptions};
use crate::face::{Face, FacePlan, TileFound};
use crate::redact::Rect;
use crate::report::ReviewFlag;
use crate::encode::JpegStrips;
use crate::scrub::{Decoded, Finishing, JpegOutput, Looked, Prepared, StepOutcome};

/// Floats per face in the flat arrays `detectTile` returns and `putJob` takes: the box (4),
/// the score, the five landmarks (10).
const FACE_FLOATS: usize = 15;

/// What `beginScrub` holds until `finishScrub`.
pub(crate) struct Session {
    input: Zeroizing<Vec<u8>>,
    options: JsScrubOptions,
    state: State,
}

enum State {
    /// The photo needed no pixels (metadata-only JPEG path): already scrubbed.
    Done(crate::Scrubbed),
    /// Decoded; `plan` is `None` when face detection is off.
    Decoded {
        decoded: Decoded,
        plan: Option<FacePlan>,
        found: Vec<Option<TileFound>>,
    },
    /// The pixels are final and their JPEG is being coded in strips (`finishPixels`): the
    /// strips starting at `starts`, each coded here or by a helper once it is `Some`.
    Coding {
        jpeg: JpegOutput,
        starts: Vec<u32>,
        strips: Vec<Option<Vec<u8>>>,
    },
}

/// A strip of the output for a helper's `encodeStrip` (what `finishPixels` returns): `rgb`
/// (the strip's rows, `width × rows × 3` bytes), `width`, `height` (the whole photo's),
/// `rows`, `quality`, `chroma` (luma samples per chroma sample across and down, or null).
fn strip_job(rgb: &[u8], jpeg: &JpegOutput, rows: u32) -> Result<JsValue, JsValue> {
    let out = Object::new();
    let set = |key: &str, value: JsValue| {
        js_sys::Reflect::set(&out, &JsValue::from_str(key), &value)
            .map(|_| ())
            .map_err(|_| hifu_error("report.serialize", "hifu could not hand out a strip"))
    };
    set("rgb", Uint8Array::from(rgb).into())?;
    set("width", jpeg.width().into())?;
    set("height", jpeg.height().into())?;
    set("rows", rows.into())?;
    set("quality", jpeg.plan().quality().into())?;
    let chroma = match jpeg.plan().chroma() {
        Some((h, v)) => Array::of2(&h.into(), &v.into()).into(),
        None => JsValue::NULL,
    };
    set("chroma", chroma)?;
    Ok(out.into())
}

/// The photos worth coding in two workers: a megapixel or more (below, the copy to the helper
/// and back costs about what it saves).
const SHARED_ENCODE_PIXELS: u64 = 1_000_000;

/// What the checks found on a photo, as `checkMarks` returns it and `finishScrub` takes it back.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marks {
    /// The checks that looked (`text`, `tattoo`, `fingerprint`), in report order.
    checks: Vec<String>,
    review: Vec<ReviewFlag>,
    /// Rectangles to fill, `[x0, y0, x1, y1]` (half-open) in photo pixels.
    fill: Vec<[u32; 4]>,
}

impl Marks {
    fn from_outcome(checks: Vec<String>, outcome: StepOutcome) -> Marks {
        let fill = outcome.fill.iter().map(|r| [r.x0, r.y0, r.x1, r.y1].map(|v| u32::try_from(v).unwrap_or(u32::MAX))).collect();
        Marks { checks, review: outcome.review, fill }
    }

    fn into_outcome(self) -> StepOutcome {
        let fill = self.fill.iter().map(|r| r.map(|v| v as usize)).map(|[x0, y0, x1, y1]| Rect { x0, y0, x1, y1 }).collect();
        StepOutcome { review: self.review, fill, ..StepOutcome::default() }
    }
}

/// Asks `prepare` for the pixels (the checks read them); runs nothing itself.
struct Decode;

impl crate::PixelStep for Decode {
    fn run(&mut self, _pixels: &mut crate::Pixels) -> Result<StepOutcome, crate::Error> {
        Ok(StepOutcome::default())
    }
}

fn bad_marks(detail: &str) -> JsValue {
    hifu_error("session.checks", &format!("The checks' findings from a helper are not usable ({detail}): a bug in the calling page."))
}

fn face_error(e: crate::face::FaceError) -> JsValue {
    hifu_error(e.code(), &e.to_string())
}

fn no_session() -> JsValue {
    hifu_error("session.missing", "No shared scrub is in progress: call beginScrub first (a bug in the calling page).")
}

fn bad_job(i: usize) -> JsValue {
    hifu_error("session.job", &format!("There is no tile job {i} in this scrub (a bug in the calling page)."))
}

fn flat(faces: &[Face]) -> Vec<f32> {
    let mut out = Vec::with_capacity(faces.len() * FACE_FLOATS);
    for f in faces {
        out.extend_from_slice(&f.bbox);
        out.push(f.score);
        out.extend(f.landmarks.iter().flatten());
    }
    out
}

fn unflat(values: &[f32]) -> Result<Vec<Face>, JsValue> {
    if !values.len().is_multiple_of(FACE_FLOATS) || values.iter().any(|v| !v.is_finite()) {
        return Err(hifu_error("session.job", "A helper sent boxes that are not whole faces of finite numbers (a bug in the calling page)."));
    }
    Ok(values
        .chunks_exact(FACE_FLOATS)
        .map(|c| {
            let at = |i: usize| c.get(i).copied().unwrap_or(0.0);
            Face {
                bbox: [at(0), at(1), at(2), at(3)],
                score: at(4),
                landmarks: [0, 1, 2, 3, 4].map(|k| [at(5 + 2 * k), at(6 + 2 * k)]),
                seen_eyes: None,
            }
        })
        .collect())
}

/// Codes strip `i` of `jpeg` here.
fn code_strip(jpeg: &JpegOutput, starts: &[u32], i: usize) -> Result<Vec<u8>, JsValue> {
    let top = starts.get(i).copied().ok_or_else(no_session)?;
    let bottom = starts.get(i + 1).copied().unwrap_or(jpeg.height());
    jpeg.encode_strip(top, bottom).map_err(|e| hifu_error(e.code(), &e.to_string()))
}

impl FaceDetector {
    /// Ends the scrub begun (`state`, read from `input` with `options`) at its final pixels
    /// (see `finishScrub`): a scrub in strips is joined here, coding any strip no helper sent
    /// (`strip`: the last one's JPEG, if any).
    fn finish_state(
        &mut self,
        input: &[u8],
        options: &JsScrubOptions,
        state: State,
        marks: Option<JsValue>,
        strip: Option<Vec<u8>>,
    ) -> Result<Finishing, JsValue> {
        let coded = |e: crate::Error| hifu_error(e.code(), &e.to_string());
        match state {
            State::Done(scrubbed) => Ok(Finishing::Done(scrubbed)),
            State::Coding { jpeg, starts, mut strips } => {
                if let (Some(strip), Some(last)) = (strip, strips.last_mut()) {
                    if last.is_none() && starts.len() > 1 {
                        *last = Some(strip);
                    }
                }
                for (i, slot) in strips.iter_mut().enumerate() {
                    if slot.is_none() {
                        *slot = Some(code_strip(&jpeg, &starts, i)?);
                    }
                }
                let strips: Vec<Vec<u8>> = strips.into_iter().flatten().collect();
                match jpeg.plan().join(&strips) {
                    Ok(image) => Ok(Finishing::Done(jpeg.done_with(image))),
                    // A helper's strip that does not fit (another build, a bug): coded here.
                    Err(_) => jpeg.encode().map(Finishing::Done).map_err(coded),
                }
            }
            State::Decoded {
                decoded,
                plan,
                found,
            } => {
                let marks = match marks.filter(|m| !m.is_undefined() && !m.is_null()) {
                    Some(value) => {
                        let marks: Marks = serde_wasm_bindgen::from_value(value).map_err(|e| bad_marks(&e.to_string()))?;
                        (marks.checks == self.check_names()).then_some(marks)
                    }
                    None => None,
                };
                if let Some(plan) = plan {
                    let found: Option<Vec<TileFound>> = found.into_iter().collect();
                    let found = found.ok_or_else(|| {
                        hifu_error("session.job", "Not every tile job of this scrub has run (a bug in the calling page).")
                    })?;
                    let detector = self.step.detector().map_err(face_error)?;
                    let pixels = decoded.pixels();
                    let scan = detector.merge(found, pixels.width(), pixels.height());
                    drop(plan);
                    self.step.use_scan(scan);
                }
                match marks {
                    Some(marks) => {
                        let mut looked = Looked(Some(marks.into_outcome()));
                        let mut chain = crate::Chain::new(&mut self.step).check(&mut looked);
                        crate::scrub::finish_pixels(input, decoded, &options.core(), &mut chain)
                    }
                    None => crate::scrub::finish_pixels(input, decoded, &options.core(), &mut self.chain()),
                }
                .map_err(coded)
            }
        }
    }
}

/// For a helper worker: codes one strip of another worker's JPEG (`finishPixels`'s
/// `{ rgb, width, height, rows, quality, chroma }`). Returns the strip's JPEG for that
/// worker's `finishScrub`. Throws a `HifuError`.
#[wasm_bindgen(js_name = encodeStrip)]
pub fn encode_strip(
    rgb: &[u8],
    width: u32,
    height: u32,
    rows: u32,
    quality: u8,
    #[wasm_bindgen(unchecked_param_type = "[number, number] | null | undefined")] chroma: JsValue,
) -> Result<Vec<u8>, JsValue> {
    let chroma: Option<(u8, u8)> = serde_wasm_bindgen::from_value(chroma)
        .map_err(|e| hifu_error("session.strip", &format!("A strip's chroma sampling is not two numbers ({e}): a bug in the calling page.")))?;
    let plan = JpegStrips::new(width, height, quality, chroma).map_err(|e| hifu_error(e.code(), &e.to_string()))?;
    plan.encode_strip(rgb, rows).map_err(|e| hifu_error(e.code(), &e.to_string()))
}

#[wasm_bindgen]
impl FaceDetector {
    /// Starts a shared scrub: checks and decodes the photo and plans YuNet's passes over it.
    /// Returns how many tile jobs there are (0 when nothing is to be detected: call
    /// `finishScrub` straight away). Throws a `HifuError`, as `scrub` does. A scrub already
    /// begun is dropped.
    #[wasm_bindgen(js_name = beginScrub)]
    pub fn begin_scrub(
        &mut self,
        bytes: &Uint8Array,
        #[wasm_bindgen(unchecked_optional_param_type = "ScrubOptions")] options: Option<JsValue>,
    ) -> Result<u32, JsValue> {
        self.session = None;
        let options: JsScrubOptions = parse_options(options)?;
        self.use_options(&options);
        let input = Zeroizing::new(bytes.to_vec());
        let prepared = crate::scrub::prepare(&input, &options.core(), &self.chain())
            .map_err(|e| hifu_error(e.code(), &e.to_string()))?;
        let state = match prepared {
            Prepared::Done(scrubbed) => State::Done(scrubbed),
            Prepared::Decoded(decoded) => {
                let plan = self.step.plan(decoded.pixels()).map_err(face_error)?;
                let jobs = plan.as_ref().map_or(0, |p| p.jobs.len());
                State::Decoded {
                    decoded,
                    plan,
                    found: vec![None; jobs],
                }
            }
        };
        let jobs = match &state {
            State::Decoded { found, .. } => found.len(),
            State::Done(_) | State::Coding { .. } => 0,
        };
        self.session = Some(Session {
            input,
            options,
            state,
        });
        Ok(u32::try_from(jobs).unwrap_or(u32::MAX))
    }

    /// The tile jobs of the scrub begun: `[{ width, height, pooled }]`, in job order.
    #[wasm_bindgen(js_name = scrubJobs, unchecked_return_type = "TileJobInfo[]")]
    pub fn scrub_jobs(&self) -> Result<JsValue, JsValue> {
        let plan = self.plan()?;
        let list = Array::new();
        for job in plan.map_or(&[][..], |(p, _)| &p.jobs) {
            let entry = Object::new();
            for (key, value) in [
                ("width", JsValue::from(job.window.width as u32)),
                ("height", JsValue::from(job.window.height as u32)),
                ("pooled", JsValue::from(job.pooled)),
            ] {
                js_sys::Reflect::set(&entry, &JsValue::from_str(key), &value)
                    .map_err(|_| hifu_error("report.serialize", "hifu could not list the tile jobs"))?;
            }
            list.push(&entry);
        }
        Ok(list.into())
    }

    /// The RGB pixels of tile job `i` (`width × height × 3` bytes), for a helper's
    /// `detectTile`. The caller wipes them when done.
    #[wasm_bindgen(js_name = tileJob)]
    pub fn tile_job(&self, i: usize) -> Result<Uint8Array, JsValue> {
        let (plan, decoded) = self.plan()?.ok_or_else(|| bad_job(i))?;
        let job = plan.jobs.get(i).ok_or_else(|| bad_job(i))?;
        let photo = plan.photo(decoded.pixels()).map_err(face_error)?;
        let mut rgb = plan.pyramid.tile_rgb(&photo, job).ok_or_else(|| bad_job(i))?;
        let out = Uint8Array::from(rgb.as_slice());
        rgb.zeroize();
        Ok(out)
    }

    /// Runs tile job `i` in this worker.
    #[wasm_bindgen(js_name = runJob)]
    pub fn run_job(&mut self, i: usize) -> Result<(), JsValue> {
        let detector = self.step.detector().map_err(face_error)?;
        let (plan, decoded, job, slot) = job_slot(&mut self.session, i)?;
        let photo = plan.photo(decoded.pixels()).map_err(face_error)?;
        *slot = Some(detector.run_job(&photo, &plan.pyramid, job).map_err(face_error)?);
        Ok(())
    }

    /// Takes a helper's result for tile job `i` (`detectTile`'s `faces` and `features`).
    #[wasm_bindgen(js_name = putJob)]
    pub fn put_job(&mut self, i: usize, faces: &[f32], features: Option<Vec<f32>>) -> Result<(), JsValue> {
        let faces = unflat(faces)?;
        let (plan, _, job, slot) = job_slot(&mut self.session, i)?;
        if features.is_some() != job.pooled {
            return Err(hifu_error("session.job", "A helper's features do not match its tile job (a bug in the calling page)."));
        }
        *slot = Some(TileFound {
            faces: plan.pyramid.to_photo(job, faces),
            features,
        });
        Ok(())
    }

    /// Finishes the scrub begun, once every tile job has run here or come back from a helper:
    /// the same `{ image, mime, extension, report }` as `scrub`. `marks`: what a helper's
    /// `checkMarks` found on the same file; without it (or when another set of checks made
    /// it) the checks run here. After `finishPixels`, `marks` is not read, and `strip` is the
    /// helper's `encodeStrip` of the strip handed out (without it, or if it does not fit, that
    /// strip is coded here). Throws a `HifuError`; the scrub is over either way.
    #[wasm_bindgen(js_name = finishScrub, unchecked_return_type = "ScrubResult")]
    pub fn finish_scrub(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "CheckMarks")] marks: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "Uint8Array")] strip: Option<Vec<u8>>,
    ) -> Result<JsValue, JsValue> {
        let Session { input, options, state } = self.session.take().ok_or_else(no_session)?;
        let scrubbed = match self.finish_state(&input, &options, state, marks, strip)? {
            Finishing::Done(scrubbed) => scrubbed,
            Finishing::Jpeg(jpeg) => jpeg.encode().map_err(|e| hifu_error(e.code(), &e.to_string()))?,
        };
        result_object(&scrubbed)
    }

    /// `finishScrub` up to the output's JPEG, for coding it in two workers: when the output is
    /// a JPEG of a megapixel or more that can be cut, keeps the top strip for `codeStrips` and
    /// returns the bottom one for a helper's `encodeStrip` (`{ rgb, width, height, rows,
    /// quality, chroma }`); otherwise returns `null` (the result is ready: call `finishScrub`).
    /// `marks` as for `finishScrub`. Throws a `HifuError`.
    #[wasm_bindgen(js_name = finishPixels, unchecked_return_type = "StripJob | null")]
    pub fn finish_pixels(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "CheckMarks")] marks: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let Session { input, options, state } = self.session.take().ok_or_else(no_session)?;
        let finishing = self.finish_state(&input, &options, state, marks, None)?;
        let jpeg = match finishing {
            Finishing::Jpeg(jpeg) if u64::from(jpeg.width()) * u64::from(jpeg.height()) >= SHARED_ENCODE_PIXELS => jpeg,
            other => {
                // Nothing to share: keep the result for `finishScrub`.
                let scrubbed = match other {
                    Finishing::Done(scrubbed) => scrubbed,
                    Finishing::Jpeg(jpeg) => jpeg.encode().map_err(|e| hifu_error(e.code(), &e.to_string()))?,
                };
                self.session = Some(Session { input, options, state: State::Done(scrubbed) });
                return Ok(JsValue::NULL);
            }
        };
        let starts = jpeg.plan().starts(2);
        let job = match starts.as_slice() {
            [_, bottom] => {
                let rgb = jpeg.strip_rgb(*bottom, jpeg.height()).map_err(|e| hifu_error(e.code(), &e.to_string()))?;
                strip_job(&rgb, &jpeg, jpeg.height() - bottom)?
            }
            _ => JsValue::NULL,
        };
        let strips = vec![None; starts.len()];
        self.session = Some(Session { input, options, state: State::Coding { jpeg, starts, strips } });
        Ok(job)
    }

    /// After `finishPixels`: codes the strips kept here (the top one), while a helper codes
    /// the other. Throws a `HifuError`.
    #[wasm_bindgen(js_name = codeStrips)]
    pub fn code_strips(&mut self) -> Result<(), JsValue> {
        let Some(Session { state: State::Coding { jpeg, starts, strips }, .. }) = self.session.as_mut() else {
            return Err(no_session());
        };
        // The last strip is the one handed out.
        let kept = starts.len().saturating_sub(1).max(1);
        for (i, slot) in strips.iter_mut().enumerate().take(kept) {
            if slot.is_none() {
                *slot = Some(code_strip(jpeg, starts, i)?);
            }
        }
        Ok(())
    }
    /// For a helper worker: decodes `bytes` as `beginScrub` does and runs the checks turned on
    /// here (text, tattoo, fingerprint) on the upright pixels, for another worker's
    /// `finishScrub`. Returns `{ checks, review, fill }`. Throws a `HifuError`,
    /// as `scrub` does for a file it cannot read.
    #[wasm_bindgen(js_name = checkMarks, unchecked_return_type = "CheckMarks")]
    pub fn check_marks(
        &mut self,
        bytes: &Uint8Array,
        #[wasm_bindgen(unchecked_optional_param_type = "ScrubOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let options: JsScrubOptions = parse_options(options)?;
        let input = Zeroizing::new(bytes.to_vec());
        let names = self.check_names();
        let outcome = if names.is_empty() {
            StepOutcome::default()
        } else {
            let prepared = crate::scrub::prepare(&input, &options.core(), &Decode)
                .map_err(|e| hifu_error(e.code(), &e.to_string()))?;
            match prepared {
                Prepared::Decoded(mut decoded) => crate::scrub::look(&mut self.checks(), decoded.pixels_mut())
                    .map_err(|e| hifu_error(e.code(), &e.to_string()))?,
                Prepared::Done(_) => StepOutcome::default(),
            }
        };
        serde_wasm_bindgen::to_value(&Marks::from_outcome(names, outcome))
            .map_err(|e| hifu_error("report.serialize", &format!("hifu could not return the checks' findings: {e}")))
    }

    /// Drops the scrub begun, wiping what it held (after a helper failed for good).
    #[wasm_bindgen(js_name = cancelScrub)]
    pub fn cancel_scrub(&mut self) {
        self.session = None;
    }

    /// For a helper worker: YuNet's pass over one tile (`rgb`: `width × height × 3` bytes, from
    /// another worker's `tileJob`). Returns `{ faces: Float32Array, features?: Float32Array }`:
    /// 15 numbers per face (box, score, landmarks) in the tile's pixels, and the face-part
    /// features when `pooled`.
    #[wasm_bindgen(js_name = detectTile, unchecked_return_type = "TileResult")]
    pub fn detect_tile(&self, rgb: &[u8], width: usize, height: usize, pooled: bool) -> Result<JsValue, JsValue> {
        if width == 0 || height == 0 || width.checked_mul(height).and_then(|n| n.checked_mul(3)) != Some(rgb.len()) {
            return Err(hifu_error("session.job", "A tile's pixels do not match its size (a bug in the calling page)."));
        }
        let detector = self.step.detector().map_err(face_error)?;
        let (faces, features) = detector.detect_tile(rgb, width, height, pooled).map_err(face_error)?;
        let out = Object::new();
        let set = |key: &str, value: &JsValue| {
            js_sys::Reflect::set(&out, &JsValue::from_str(key), value)
                .map(|_| ())
                .map_err(|_| hifu_error("report.serialize", "hifu could not return a tile's faces"))
        };
        set("faces", &Float32Array::from(flat(&faces).as_slice()).into())?;
        if let Some(features) = features {
            set("features", &Float32Array::from(features.as_slice()).into())?;
        }
        Ok(out.into())
    }
}

/// The face plan of the scrub begun, the pixels it reads, its job `i` and that job's result
/// slot.
fn job_slot(
    session: &mut Option<Session>,
    i: usize,
) -> Result<(&FacePlan, &Decoded, &crate::face::TileJob, &mut Option<TileFound>), JsValue> {
    let Some(Session {
        state: State::Decoded {
            decoded,
            plan: Some(plan),
            found,
        },
        ..
    }) = session.as_mut()
    else {
        return Err(no_session());
    };
    let job = plan.jobs.get(i).ok_or_else(|| bad_job(i))?;
    let slot = found.get_mut(i).ok_or_else(|| bad_job(i))?;
    Ok((plan, decoded, job, slot))
}

impl FaceDetector {
    /// The face plan of the scrub begun and the pixels it reads (`None` when it has nothing
    /// to detect).
    fn plan(&self) -> Result<Option<(&FacePlan, &Decoded)>, JsValue> {
        match self.session.as_ref().map(|s| &s.state) {
            None => Err(no_session()),
            Some(State::Done(_) | State::Coding { .. }) => Ok(None),
            Some(State::Decoded { plan, decoded, .. }) => Ok(plan.as_ref().map(|p| (p, decoded))),
        }
    }
}
