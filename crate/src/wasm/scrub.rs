//! `scrub(bytes, options?)` and `inspect(bytes, limits?)` for JavaScript.
//!
//! Errors are thrown as `Error` objects named `HifuError` with a stable `code` (the core's
//! `Error::code()`, or `options.invalid` for options that do not parse). The Rust copy of the
//! photo is wiped before the call returns.

use crate::{Limits, ScrubOptions};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A kind of metadata a photo carried, never its value: "exif", "gps", "xmp", "icc_profile", … */
export type Category = string;

/** Decode limits, checked before any pixel buffer is allocated. Omitted fields keep defaults. */
export interface Limits {
  max_width?: number;
  max_height?: number;
  /** Largest decoded image in bytes. */
  max_alloc?: number;
  /** Largest input file in bytes. */
  max_input_bytes?: number;
}

export interface ScrubOptions {
  /** "auto" (default) keeps JPEG lossless when no pixel change is needed. */
  format?: "auto" | "jpeg" | "png";
  /** JPEG quality for re-encoding, 1–100 (default 92). */
  quality?: number;
  limits?: Limits;
}

export interface Report {
  status: "ok" | "excluded" | "error";
  /** What the input carried and the output no longer does. */
  removed: Category[];
  /** The EXIF orientation (1–8) applied to the pixels; 1 when none was needed. */
  orientation_applied: number;
  /** "lossless": container rewritten, JPEG scan data bit-identical; otherwise re-encoded. */
  output_kind: "lossless" | "re_encoded";
}

export interface ScrubResult {
  /** The clean photo. */
  image: Uint8Array;
  /** "image/jpeg" or "image/png". */
  mime: string;
  report: Report;
}

export interface Inventory {
  categories: Category[];
}

/** What every hifu function throws. `code` is stable ("decode.truncated", …). */
export interface HifuError extends Error {
  name: "HifuError";
  code: string;
  message: string;
}
"#;

/// Strips all metadata and applies orientation. Throws a `HifuError`.
#[wasm_bindgen(unchecked_return_type = "ScrubResult")]
pub fn scrub(
    bytes: &Uint8Array,
    #[wasm_bindgen(unchecked_param_type = "ScrubOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options: ScrubOptions = parse_options(options)?;
    let input = Zeroizing::new(bytes.to_vec());
    let scrubbed = crate::scrub(&input, &options).map_err(|e| hifu_error(e.code(), &e.to_string()))?;
    drop(input);

    let report = serde_wasm_bindgen::to_value(&scrubbed.report)
        .map_err(|e| hifu_error("report.serialize", &format!("hifu could not return its report: {e}")))?;
    let result = Object::new();
    let image = Uint8Array::from(scrubbed.image.as_slice());
    set(&result, "image", &image)?;
    set(&result, "mime", &JsValue::from_str(scrubbed.mime))?;
    set(&result, "report", &report)?;
    Ok(result.into())
}

/// Lists the metadata categories a photo carries, without changing it. Throws a `HifuError`.
#[wasm_bindgen(unchecked_return_type = "Inventory")]
pub fn inspect(
    bytes: &Uint8Array,
    #[wasm_bindgen(unchecked_param_type = "Limits")] limits: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let limits: Limits = parse_options(limits)?;
    let input = Zeroizing::new(bytes.to_vec());
    let inventory = crate::inspect(&input, &limits).map_err(|e| hifu_error(e.code(), &e.to_string()))?;
    drop(input);
    serde_wasm_bindgen::to_value(&inventory)
        .map_err(|e| hifu_error("report.serialize", &format!("hifu could not return its inventory: {e}")))
}

/// `undefined`/`null` mean defaults; anything else must parse completely.
fn parse_options<T: Default + serde::de::DeserializeOwned>(value: Option<JsValue>) -> Result<T, JsValue> {
    match value {
        Some(v) if !v.is_undefined() && !v.is_null() => serde_wasm_bindgen::from_value(v).map_err(|e| {
            hifu_error(
                "options.invalid",
                &format!("The options are not valid ({e}): fix the calling page."),
            )
        }),
        _ => Ok(T::default()),
    }
}

fn set(target: &Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(target, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|_| hifu_error("report.serialize", "hifu could not build its result object"))
}

/// A JS `Error` named `HifuError` with a `code` property.
fn hifu_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("HifuError");
    let _ = Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}
