//! `scrub(bytes, options?)`, `FaceDetector` and `inspect(bytes, limits?)` for JavaScript.
//!
//! Faces are detected and redacted by default, fail closed: `new FaceDetector(weights)` is
//! built once from `models/face/yunet_n.safetensors` and its `scrub` runs the face step. The
//! free `scrub` has no weights, so it throws `face.weights_missing` unless the options say
//! `face: { detect: false }` (an explicit operator decision).
//!
//! Errors are thrown as `Error` objects named `HifuError` with a stable `code` (the core's
//! `Error::code()`, or `options.invalid` for options that do not parse). The Rust copy of the
//! photo is wiped before the call returns.

use super::js::hifu_error;
use crate::face::{FaceOptions, FaceStep, FaceWeights};
use crate::{Category, Limits, OutputFormat, ScrubOptions};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// The TypeScript types of everything below, appended to the generated `hifu.d.ts`. Kept in
/// step with the Rust types by the `typescript_names_match_the_core` wasm test.
pub const TYPESCRIPT: &str = include_str!("scrub.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT_SECTION: &str = TYPESCRIPT;

/// The JS scrub options: the core's [`ScrubOptions`] plus `face` ([`FaceOptions`]).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct JsScrubOptions {
    limits: Limits,
    format: OutputFormat,
    quality: u8,
    face: FaceOptions,
}

impl Default for JsScrubOptions {
    fn default() -> Self {
        let core = ScrubOptions::default();
        JsScrubOptions {
            limits: core.limits,
            format: core.format,
            quality: core.quality,
            face: FaceOptions::default(),
        }
    }
}

impl JsScrubOptions {
    pub(super) fn core(&self) -> ScrubOptions {
        ScrubOptions {
            limits: self.limits,
            format: self.format,
            quality: self.quality,
        }
    }
}

/// Strips all metadata and applies orientation, without a face detector: throws a
/// `HifuError` with code `face.weights_missing` unless `options.face.detect` is `false`.
/// Use [`FaceDetector::scrub`] to redact faces.
#[wasm_bindgen(unchecked_return_type = "ScrubResult")]
pub fn scrub(
    bytes: &Uint8Array,
    #[wasm_bindgen(unchecked_optional_param_type = "ScrubOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options: JsScrubOptions = parse_options(options)?;
    // No weights: the face step fails closed unless detection is explicitly off.
    let mut step = FaceStep::new(None, options.face.clone(), 0);
    run_scrub(bytes, &options, &mut step)
}

/// The face detector (YuNet, and CenterFace for its second look), built once from the bytes
/// of `yunet_n.safetensors` and `centerface.safetensors`.
#[wasm_bindgen]
pub struct FaceDetector {
    yunet: Vec<u8>,
    centerface: Vec<u8>,
    /// The step for the options of the last call (rebuilt when they change).
    pub(super) step: FaceStep,
    options: FaceOptions,
    /// The burned-in text check, once `setTextCheck` was called (the contributor page does).
    text: Option<crate::text::TextStep>,
    /// The tattoo check, once `setTattooCheck` was called (the contributor page does).
    tattoo: Option<crate::skin::TattooStep>,
    /// The fingerprint check, once `setFingerprintCheck(true)` was called (both pages do).
    fingerprint: Option<crate::fingerprint::FingerprintStep>,
    /// The scrub between `beginScrub` and `finishScrub` (see `shared_scrub.rs`).
    pub(super) session: Option<super::shared_scrub::Session>,
}

#[wasm_bindgen]
impl FaceDetector {
    /// Throws a `HifuError` (`face.bad_weights`) when the weights do not load.
    #[wasm_bindgen(constructor)]
    pub fn new(yunet: &Uint8Array, centerface: &Uint8Array) -> Result<FaceDetector, JsValue> {
        let (yunet, centerface) = (yunet.to_vec(), centerface.to_vec());
        let weights = FaceWeights {
            yunet: &yunet,
            centerface: &centerface,
        };
        let options = FaceOptions::default();
        let step = FaceStep::new(Some(weights), options.clone(), random_seed());
        // The step loaded the networks: a bad file is reported here, at start-up, not on the
        // first photo (and the networks are parsed once, not twice).
        step.detector().map_err(|e| hifu_error(e.code(), &e.to_string()))?;
        Ok(FaceDetector {
            yunet,
            centerface,
            step,
            options,
            text: None,
            tattoo: None,
            fingerprint: None,
            session: None,
        })
    }

    /// Strips all metadata, applies orientation, detects and redacts faces (unless
    /// `options.face.detect` is `false`) and applies the full-face gate. Throws a `HifuError`.
    #[wasm_bindgen(unchecked_return_type = "ScrubResult")]
    pub fn scrub(
        &mut self,
        bytes: &Uint8Array,
        #[wasm_bindgen(unchecked_optional_param_type = "ScrubOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let options: JsScrubOptions = parse_options(options)?;
        self.use_options(&options);
        run_scrub(bytes, &options, &mut self.chain())
    }

    /// Adds the burned-in text check (a check: it looks before the face step paints): every later `scrub` fills the lines
    /// of text it finds (names, IDs, dates, logos) like faces and flags the photo
    /// (`report.review`, kind `text`, with the filled regions). `weights`: the bytes of
    /// models/text/ppocr_det.safetensors. Throws a `HifuError` (`text.weights_invalid`).
    #[wasm_bindgen(js_name = setTextCheck)]
    pub fn set_text_check(&mut self, weights: &[u8]) -> Result<(), JsValue> {
        let step = crate::text::TextStep::from_safetensors(weights).map_err(|e| hifu_error(e.code(), &e.to_string()))?;
        self.text = Some(step);
        Ok(())
    }

    /// Turns the fingerprint check on or off for every later `scrub`: a photo where a
    /// fingertip's, palm's or sole's ridges are resolved is flagged (`report.review`, kind
    /// `fingerprint`, with the patches' regions). It needs no model file.
    #[wasm_bindgen(js_name = setFingerprintCheck)]
    pub fn set_fingerprint_check(&mut self, on: bool) {
        self.fingerprint = on.then(crate::fingerprint::FingerprintStep::default);
    }

    /// Adds the tattoo check (it looks before the face step paints): every later `scrub` flags a photo that shows
    /// a tattoo (`report.review`, kind `tattoo`). `weights`, `calibration`, `labels`: the files
    /// of models/skin/; `tattoo`: models/tattoo/tattoo.json. Throws a `HifuError`.
    #[wasm_bindgen(js_name = setTattooCheck)]
    pub fn set_tattoo_check(
        &mut self,
        weights: &[u8],
        calibration: &str,
        labels: &str,
        tattoo: &str,
    ) -> Result<(), JsValue> {
        let error = |e: crate::skin::SkinError| hifu_error(e.code(), &e.to_string());
        let model = crate::skin::SkinModel::from_bytes(weights, calibration, labels).map_err(error)?;
        let head = crate::skin::TattooHead::from_json(tattoo, model.feature_len()).map_err(error)?;
        self.tattoo = Some(crate::skin::TattooStep::new(model, head));
        Ok(())
    }
}

impl FaceDetector {
    /// Rebuilds the face step when the face options changed since the last call.
    pub(super) fn use_options(&mut self, options: &JsScrubOptions) {
        if options.face != self.options {
            let weights = FaceWeights {
                yunet: &self.yunet,
                centerface: &self.centerface,
            };
            self.step = FaceStep::new(Some(weights), options.face.clone(), random_seed());
            self.options = options.face.clone();
        }
    }

    /// The face step and each check that was turned on.
    pub(super) fn chain(&mut self) -> crate::Chain<'_> {
        let FaceDetector { step, text, tattoo, fingerprint, .. } = self;
        crate::Chain { face: step, checks: checks(text, tattoo, fingerprint) }
    }

    /// Each check that was turned on, alone (a helper worker runs them for another worker).
    pub(super) fn checks(&mut self) -> Vec<&mut dyn crate::PixelStep> {
        checks(&mut self.text, &mut self.tattoo, &mut self.fingerprint)
    }

    /// The names of the checks turned on, in report order: the same set must have looked when
    /// another worker's outcome is used (`finishScrub`).
    pub(super) fn check_names(&self) -> Vec<String> {
        [(self.text.is_some(), "text"), (self.tattoo.is_some(), "tattoo"), (self.fingerprint.is_some(), "fingerprint")]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| name.to_owned())
            .collect()
    }
}

fn checks<'a>(
    text: &'a mut Option<crate::text::TextStep>,
    tattoo: &'a mut Option<crate::skin::TattooStep>,
    fingerprint: &'a mut Option<crate::fingerprint::FingerprintStep>,
) -> Vec<&'a mut dyn crate::PixelStep> {
    let mut list: Vec<&mut dyn crate::PixelStep> = Vec::new();
    if let Some(text) = text.as_mut() {
        list.push(text);
    }
    if let Some(tattoo) = tattoo.as_mut() {
        list.push(tattoo);
    }
    if let Some(fingerprint) = fingerprint.as_mut() {
        list.push(fingerprint);
    }
    list
}

/// A fresh seed for `pixelate`'s noise (the only user of randomness in the face step), from
/// Web Crypto; on the (unexpected) failure, `Math.random` still gives a seed nobody chooses.
fn random_seed() -> u64 {
    let mut seed = [0u8; 8];
    match getrandom_03::fill(&mut seed) {
        Ok(()) => u64::from_le_bytes(seed),
        Err(_) => (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64,
    }
}

fn run_scrub(
    bytes: &Uint8Array,
    options: &JsScrubOptions,
    step: &mut dyn crate::PixelStep,
) -> Result<JsValue, JsValue> {
    let input = Zeroizing::new(bytes.to_vec());
    let scrubbed = crate::scrub_with(&input, &options.core(), step)
        .map_err(|e| hifu_error(e.code(), &e.to_string()))?;
    drop(input);
    result_object(&scrubbed)
}

/// `{ image, mime, extension, report }` for JavaScript.
pub(super) fn result_object(scrubbed: &crate::Scrubbed) -> Result<JsValue, JsValue> {
    let report = serde_wasm_bindgen::to_value(&scrubbed.report).map_err(|e| {
        hifu_error(
            "report.serialize",
            &format!("hifu could not return its report: {e}"),
        )
    })?;
    let result = Object::new();
    let image = Uint8Array::from(scrubbed.image.as_slice());
    set(&result, "image", &image)?;
    set(&result, "mime", &JsValue::from_str(scrubbed.mime))?;
    let extension = crate::Format::from_mime(scrubbed.mime).map_or("", crate::Format::extension);
    set(&result, "extension", &JsValue::from_str(extension))?;
    set(&result, "report", &report)?;
    Ok(result.into())
}

/// Lists the metadata categories a photo carries, without changing it. Throws a `HifuError`.
#[wasm_bindgen(unchecked_return_type = "Inventory")]
pub fn inspect(
    bytes: &Uint8Array,
    #[wasm_bindgen(unchecked_optional_param_type = "Limits")] limits: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let limits: Limits = parse_options(limits)?;
    let input = Zeroizing::new(bytes.to_vec());
    let inventory =
        crate::inspect(&input, &limits).map_err(|e| hifu_error(e.code(), &e.to_string()))?;
    drop(input);
    serde_wasm_bindgen::to_value(&inventory).map_err(|e| {
        hifu_error(
            "report.serialize",
            &format!("hifu could not return its inventory: {e}"),
        )
    })
}

/// Every metadata category with its label, in listing order (for pages that show reports).
#[wasm_bindgen(unchecked_return_type = "CategoryInfo[]")]
pub fn categories() -> JsValue {
    let list = js_sys::Array::new();
    for category in Category::ALL {
        let entry = Object::new();
        let _ = Reflect::set(
            &entry,
            &JsValue::from_str("name"),
            &JsValue::from_str(category.name()),
        );
        let _ = Reflect::set(
            &entry,
            &JsValue::from_str("label"),
            &JsValue::from_str(category.label()),
        );
        list.push(&entry);
    }
    list.into()
}

/// `undefined`/`null` mean defaults; anything else must parse completely.
pub(super) fn parse_options<T: Default + serde::de::DeserializeOwned>(
    value: Option<JsValue>,
) -> Result<T, JsValue> {
    match value {
        Some(v) if !v.is_undefined() && !v.is_null() => {
            serde_wasm_bindgen::from_value(v).map_err(|e| {
                hifu_error(
                    "options.invalid",
                    &format!("The options are not valid ({e}): fix the calling page."),
                )
            })
        }
        _ => Ok(T::default()),
    }
}

fn set(target: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(target, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|_| hifu_error("report.serialize", "hifu could not build its result object"))
}

