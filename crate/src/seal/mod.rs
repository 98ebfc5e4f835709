//! The sealed contribution bundle: a stream of named entries (`manifest.json`, then the scrubbed
//! images), cut into chunks and sealed with HPKE (RFC 9180, base mode,
//! DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305) to the hub's public key.
//!
//! The wire format is documented in the README ("Records and the sealed bundle") and in
//! [`format`]. Everything here is pure: randomness comes in as an argument, bytes go in and out.

mod entries;
mod error;
pub mod format;
mod keys;
pub mod manifest;
mod opener;
mod sealer;

pub use entries::{Entry, MAX_ENTRY_NAME_LEN};
pub use error::SealError;
pub use format::DEFAULT_CHUNK_SIZE;
pub use crate::hex::{hex_decode, hex_encode};
pub use keys::{generate_hub_keypair, HubPrivateKey, HubPublicKey};
pub use manifest::{
    extension_for_mime, sha256_hex, Manifest, ManifestItem, ScrubSummary, MANIFEST_ENTRY,
    MANIFEST_SCHEMA_VERSION,
};
pub use opener::{open_all, Opener, OpenerLimits};
pub use sealer::Sealer;

/// The HPKE suite this format uses, fixed by the format version.
pub(crate) type Kem = hpke::kem::X25519HkdfSha256;
pub(crate) type Kdf = hpke::kdf::HkdfSha256;
pub(crate) type Aead = hpke::aead::ChaCha20Poly1305;
