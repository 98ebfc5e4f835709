//! `Classifier` for the page: built once from the three files of `models/skin/` (fetched by the
//! page), then `classify(bytes)` per photo → the `Classification` object (every class with its
//! calibrated probability, sorted; the abstention; the heat map).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::js::hifu_error;
use crate::skin::{classify_bytes, SkinModel};
use crate::Limits;

/// The skin-lesion classifier (decision support, not a diagnosis).
#[wasm_bindgen]
pub struct Classifier {
    model: SkinModel,
}

#[wasm_bindgen]
impl Classifier {
    /// `weights`: skin.safetensors bytes; `calibration` / `labels`: the JSON texts.
    #[wasm_bindgen(constructor)]
    pub fn new(weights: &[u8], calibration: &str, labels: &str) -> Result<Classifier, JsValue> {
        SkinModel::from_bytes(weights, calibration, labels)
            .map(|model| Classifier { model })
            .map_err(|e| hifu_error(e.code(), &e.to_string()))
    }

    /// Classifies one photo file's bytes (any format the scrub core decodes; orientation is
    /// applied first).
    pub fn classify(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let result = classify_bytes(bytes, &self.model, &Limits::default())
            .map_err(|e| hifu_error(e.code(), &e.to_string()))?;
        // Maps as plain objects: a `#[serde(flatten)]` struct (an alert) goes through a map,
        // which the default serializer would hand to the page as a JS `Map`.
        result
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| hifu_error("skin.output", &e.to_string()))
    }
}
