//! What every binding needs from JavaScript: the `HifuError` the pages catch, and a CSPRNG
//! seeded from Web Crypto. One place, so the bindings do not import each other.

use js_sys::Reflect;
use rand_chacha::rand_core::{SeedableRng, TryRngCore};
use rand_chacha::ChaCha20Rng;
use wasm_bindgen::JsValue;
use zeroize::Zeroizing;

/// A JS `Error` named `HifuError` with a `code` property.
pub(super) fn hifu_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("HifuError");
    let _ = Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

/// A CSPRNG seeded from Web Crypto.
pub(super) fn browser_rng() -> Result<ChaCha20Rng, JsValue> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rand_core::OsRng
        .try_fill_bytes(seed.as_mut_slice())
        .map_err(|e| {
            hifu_error(
                "seal.no_randomness",
                &format!("The browser gave no randomness ({e})"),
            )
        })?;
    Ok(ChaCha20Rng::from_seed(*seed))
}
