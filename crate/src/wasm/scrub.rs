//! `scrub(bytes, options?)` and `inspect(bytes, limits?)` for JavaScript.
//!
//! Errors are thrown as `Error` objects named `HifuError` with a stable `code` (the core's
//! `Error::code()`, or `options.invalid` for options that do not parse). The Rust copy of the
//! photo is wiped before the call returns.

use crate::{Category, Limits, ScrubOptions};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// The TypeScript types of everything below, appended to the generated `hifu.d.ts`. Kept in
/// step with the Rust types by the `typescript_names_match_the_core` wasm test.
pub const TYPESCRIPT: &str = include_str!("scrub.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT_SECTION: &str = TYPESCRIPT;

/// Strips all metadata and applies orientation. Throws a `HifuError`.
#[wasm_bindgen(unchecked_return_type = "ScrubResult")]
pub fn scrub(
    bytes: &Uint8Array,
    #[wasm_bindgen(unchecked_optional_param_type = "ScrubOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options: ScrubOptions = parse_options(options)?;
    let input = Zeroizing::new(bytes.to_vec());
    let scrubbed =
        crate::scrub(&input, &options).map_err(|e| hifu_error(e.code(), &e.to_string()))?;
    drop(input);

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
fn parse_options<T: Default + serde::de::DeserializeOwned>(
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

/// A JS `Error` named `HifuError` with a `code` property.
fn hifu_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("HifuError");
    let _ = Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}
