//! A streaming `Sealer` for JavaScript: the page adds each scrubbed photo with its
//! de-identified record and gets sealed bytes back at once (to append to a `Blob`), so a
//! bundle of thousands of photos never sits in memory whole. `finish()` seals the manifest
//! and the final chunk. Randomness comes from the browser (Web Crypto, via getrandom).

use super::js::{browser_rng, hifu_error};
use crate::contribute::BundleWriter;
use crate::record::{DeidentifiedRecord, Policy};
use crate::seal::{HubPublicKey, ScrubSummary, DEFAULT_CHUNK_SIZE};
use crate::Report;
use js_sys::Uint8Array;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
export interface SealerOptions {
  /** The site's short code, written into the manifest. */
  siteCode?: string;
  /** A label for the batch (e.g. "2024-Q2"). */
  batch?: string;
  /** The policy `deidentify` used (recorded in the manifest). */
  policy?: Partial<Policy>;
  /** Plaintext bytes per sealed chunk (default 65536). */
  chunkSize?: number;
}
"#;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Options {
    site_code: Option<String>,
    batch: Option<String>,
    policy: Policy,
    chunk_size: Option<u32>,
}

/// Seals a contribution bundle to the hub's public key.
#[wasm_bindgen(js_name = Sealer)]
pub struct JsSealer {
    inner: Option<BundleWriter>,
    added: usize,
}

#[wasm_bindgen(js_class = Sealer)]
impl JsSealer {
    /// `hubKey` is the text of `hub.pub`. Returns the sealer; call `takeOutput()` for the header.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = hubKey)] hub_key: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "SealerOptions")] options: Option<JsValue>,
    ) -> Result<JsSealer, JsValue> {
        let options: Options = match options {
            Some(v) if !v.is_undefined() && !v.is_null() => serde_wasm_bindgen::from_value(v)
                .map_err(|e| {
                    hifu_error(
                        "options.invalid",
                        &format!("The options are not valid ({e}): fix the calling page."),
                    )
                })?,
            _ => Options::default(),
        };
        options
            .policy
            .validate()
            .map_err(|e| hifu_error(e.code(), &e.to_string()))?;
        let hub = HubPublicKey::from_text(hub_key).map_err(seal_error)?;
        let mut rng = browser_rng()?;
        let writer = BundleWriter::new(
            &hub,
            options.site_code.as_deref().unwrap_or("unspecified"),
            options.batch,
            options.policy,
            options.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE),
            &mut rng,
        )
        .map_err(seal_error)?;
        Ok(JsSealer {
            inner: Some(writer),
            added: 0,
        })
    }

    /// Adds one scrubbed photo (`scrub(...)`'s `image`, `mime` and `report`) with its record
    /// (from `deidentify(...)`). Returns the sealed bytes produced so far.
    #[wasm_bindgen(js_name = addItem)]
    pub fn add_item(
        &mut self,
        image: &Uint8Array,
        mime: &str,
        #[wasm_bindgen(unchecked_param_type = "DeidentifiedRecord")] record: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
    ) -> Result<Uint8Array, JsValue> {
        let record: DeidentifiedRecord = serde_wasm_bindgen::from_value(record).map_err(|e| {
            hifu_error(
                "options.invalid",
                &format!("The record is not a de-identified record ({e})"),
            )
        })?;
        let report: Report = serde_wasm_bindgen::from_value(report).map_err(|e| {
            hifu_error(
                "options.invalid",
                &format!("The report is not a scrub report ({e})"),
            )
        })?;
        let writer = self.inner.as_mut().ok_or_else(finished)?;
        let image = Zeroizing::new(image.to_vec());
        writer
            .add(&image, mime, record, ScrubSummary::from_report(&report))
            .map_err(seal_error)?;
        self.added += 1;
        Ok(Uint8Array::from(writer.take_output().as_slice()))
    }

    /// Sealed bytes not yet taken (the header, right after construction).
    #[wasm_bindgen(js_name = takeOutput)]
    pub fn take_output(&mut self) -> Result<Uint8Array, JsValue> {
        let writer = self.inner.as_mut().ok_or_else(finished)?;
        Ok(Uint8Array::from(writer.take_output().as_slice()))
    }

    /// Number of photos added so far.
    #[wasm_bindgen(getter)]
    pub fn items(&self) -> usize {
        self.added
    }

    /// Seals the manifest and the final chunk; returns the last bytes of the bundle.
    pub fn finish(&mut self) -> Result<Uint8Array, JsValue> {
        let writer = self.inner.take().ok_or_else(finished)?;
        let out = writer.finish().map_err(seal_error)?;
        Ok(Uint8Array::from(out.as_slice()))
    }
}

fn seal_error(e: crate::seal::SealError) -> JsValue {
    hifu_error(e.code(), &e.to_string())
}

fn finished() -> JsValue {
    hifu_error(
        "seal.misuse",
        "This sealer has already finished its bundle: start a new one",
    )
}

