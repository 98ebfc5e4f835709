//! The browser bindings: the only place with `#[wasm_bindgen]`. Each file converts JS values,
//! calls the core and maps errors to `{ code, message }` objects; none holds logic of its own.
//! One file per area (scrub, record, seal, classify), each declared below.

pub mod bench;
pub mod classify;
mod js;
pub mod record;
pub mod scrub;
pub mod seal;
mod shared_scrub;
