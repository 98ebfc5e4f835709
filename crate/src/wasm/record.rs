//! `deidentify(records, siteKey, photoNames, options?)` for JavaScript: reads the records CSV
//! (and the opt-out register), sets opted-out patients' photos aside, links the remaining
//! photos to rows and de-identifies each linked row — the planning half of `hifu contribute`.
//! The page then scrubs each linked photo and hands it to a `Sealer` (see `seal.rs`).

use super::js::{browser_rng, hifu_error};
use crate::contribute::plan;
use crate::record::{OptOut, Policy, SiteKey};
use js_sys::{Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
export interface DeidentifyOptions {
  /** The opt-out register (CSV bytes, UTF-8 or Shift_JIS). */
  optOut?: Uint8Array;
  /** De-identification policy; missing fields keep their defaults. */
  policy?: Partial<Policy>;
}
export interface Policy {
  age_band_years: number; age_top_code: number; capture_date: "year_month" | "year";
  redact_free_text: boolean; redaction_marker: string; keep_race: boolean;
  /** Review flags whose photos are excluded outright instead of held for a person. */
  exclude_flagged: ("partial_face" | "face_part" | "text" | "tattoo" | "fingerprint")[];
}
export interface DeidentifiedRecord {
  pseudonym: string; age_band?: string; sex?: "male" | "female" | "other" | "unknown";
  capture_period?: string; diagnosis_first_visit?: string; final_diagnosis?: string;
  race?: string; lesion_site?: string;
}
export interface RowError { row: number; column: string; code: string; message: string; }
export interface DeidentifyResult {
  summary: { encoding: "utf8" | "utf8_bom" | "shift_jis"; rows: number; accepted: number;
             rejected: number; excluded: number; ignored_columns: string[] };
  row_errors: RowError[];
  /** Photos of opted-out patients: a count only. Never open them. */
  photos_excluded_opt_out: number;
  links: { photo: string; row: number; record: DeidentifiedRecord }[];
  unmatched_photos: string[];
  unmatched_rows: number[];
  conflicts: [string, number[]][];
}
"#;

/// The serde half of the options; `optOut` (a `Uint8Array`) is read separately.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Options {
    policy: Policy,
}

/// Plans a contribution. Throws a `HifuError` for whole-file problems; row problems come back
/// in `row_errors`.
#[wasm_bindgen(unchecked_return_type = "DeidentifyResult")]
pub fn deidentify(
    records: &Uint8Array,
    #[wasm_bindgen(js_name = siteKey)] site_key: &str,
    #[wasm_bindgen(js_name = photoNames)] photo_names: Vec<String>,
    #[wasm_bindgen(unchecked_optional_param_type = "DeidentifyOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let (options, opt_out_bytes): (Options, Option<Vec<u8>>) = match options {
        Some(v) if !v.is_undefined() && !v.is_null() => {
            let opt_out = Reflect::get(&v, &JsValue::from_str("optOut"))
                .ok()
                .filter(|o| !o.is_undefined());
            let opt_out = match opt_out {
                Some(o) => Some(
                    o.dyn_into::<Uint8Array>()
                        .map_err(|_| invalid("optOut must be a Uint8Array"))?
                        .to_vec(),
                ),
                None => None,
            };
            (
                serde_wasm_bindgen::from_value(v).map_err(|e| invalid(&e.to_string()))?,
                opt_out,
            )
        }
        _ => (Options::default(), None),
    };
    let core = |e: crate::record::RecordError| hifu_error(e.code(), &e.to_string());
    let key = SiteKey::from_text(site_key).map_err(core)?;
    let opt_out = match &opt_out_bytes {
        Some(bytes) => OptOut::from_csv(bytes).map_err(core)?,
        None => OptOut::none(),
    };
    let output = plan(&records.to_vec(), &opt_out, photo_names, &options.policy, &key).map_err(core)?;
    output
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            hifu_error(
                "report.serialize",
                &format!("hifu could not return its result: {e}"),
            )
        })
}

/// The largest records or opt-out file `deidentify` reads, in bytes: a page reads a file up to
/// one byte past it, so that a huge file is refused (`record.too_large`) without being loaded.
#[wasm_bindgen(js_name = maxRecordsFileBytes)]
pub fn max_records_file_bytes() -> u32 {
    u32::try_from(crate::record::MAX_FILE_BYTES).unwrap_or(u32::MAX)
}

/// A new random site key, as the text `hifu site keygen` writes. Store it safely: without it,
/// later pseudonyms will not match earlier ones.
#[wasm_bindgen(js_name = generateSiteKey)]
pub fn generate_site_key() -> Result<String, JsValue> {
    let mut rng = browser_rng()?;
    Ok(SiteKey::generate(&mut rng).to_text().to_string())
}

fn invalid(detail: &str) -> JsValue {
    hifu_error(
        "options.invalid",
        &format!("The options are not valid ({detail}): fix the calling page."),
    )
}

