//! The only `#[wasm_bindgen]` file: converts JS values, calls the core, maps errors.
