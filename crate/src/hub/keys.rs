//! The store's keys. Everything is derived from the hub's private key and the store's random
//! id, so the store holds no key of its own: a copy of the disk without `hub.key` is ciphertext,
//! keyed tags and counts of batches.
//!
//! - a key-encryption key wraps one random **data key per batch**; a batch's records and photos
//!   are encrypted with its data key (XChaCha20-Poly1305, random 24-byte nonces). Erasing a
//!   batch destroys its wrapped data key first (crypto-shredding), then deletes its files.
//! - tag keys (HMAC-SHA256) turn photo digests, pseudonyms and manifests into lookup tags that
//!   reveal nothing without the hub key (a plain SHA-256 would let anyone holding a photo
//!   confirm it is in the store).

use super::HubError;
use crate::seal::HubPrivateKey;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Length of the random store id that salts the key derivation.
pub const STORE_ID_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const CHECK_LABEL: &[u8] = b"hifu hub store";

/// The keys of one store, derived on open and wiped when dropped.
pub struct StoreKeys {
    wrap: Zeroizing<[u8; 32]>,
    tag: Zeroizing<[u8; 32]>,
    pseudonym: Zeroizing<[u8; 32]>,
    split: Zeroizing<[u8; 32]>,
    check: Zeroizing<[u8; 32]>,
}

/// One batch's data key.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl StoreKeys {
    pub fn derive(hub: &HubPrivateKey, store_id: &[u8; STORE_ID_LEN]) -> StoreKeys {
        let secret = hub.secret_bytes();
        let hk = Hkdf::<Sha256>::new(Some(store_id), secret.as_slice());
        let expand = |label: &[u8]| {
            let mut out = Zeroizing::new([0u8; 32]);
            // 32 bytes is far below HKDF-SHA256's 8,160-byte limit: expand cannot fail.
            let _ = hk.expand(label, out.as_mut_slice());
            out
        };
        StoreKeys {
            wrap: expand(b"hifu hub v1 wrap"),
            tag: expand(b"hifu hub v1 tag"),
            pseudonym: expand(b"hifu hub v1 pseudonym"),
            split: expand(b"hifu hub v1 split"),
            check: expand(b"hifu hub v1 check"),
        }
    }

    /// The value stored at `init` and compared on every open, so a wrong key is refused
    /// before it can write anything.
    pub fn check_value(&self) -> [u8; 32] {
        hmac(&self.check, &[CHECK_LABEL])
    }

    /// Compares `stored` with this key's check value in constant time.
    pub fn verify(&self, stored: &[u8]) -> Result<(), HubError> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.check.as_slice())
            .map_err(|_| HubError::WrongKey)?;
        mac.update(&(CHECK_LABEL.len() as u64).to_be_bytes());
        mac.update(CHECK_LABEL);
        mac.verify_slice(stored).map_err(|_| HubError::WrongKey)
    }

    /// Lookup tag of a photo, from the SHA-256 of its decoded pixels.
    pub fn photo_tag(&self, pixel_digest: &[u8; 32]) -> String {
        crate::hex::hex_encode(&hmac(&self.tag, &[b"photo", pixel_digest]))
    }

    /// Lookup tag of a batch, from the SHA-256 of its manifest.
    pub fn batch_tag(&self, manifest_digest: &[u8; 32]) -> String {
        crate::hex::hex_encode(&hmac(&self.tag, &[b"batch", manifest_digest]))
    }

    /// Lookup tag of a patient pseudonym (for withdrawals and tombstones).
    pub fn pseudonym_tag(&self, pseudonym: &str) -> String {
        crate::hex::hex_encode(&hmac(&self.pseudonym, &[pseudonym.as_bytes()]))
    }

    /// The keyed digest that places a patient in a split and names them in exports.
    pub fn split_digest(&self, pseudonym: &str) -> [u8; 32] {
        hmac(&self.split, &[pseudonym.as_bytes()])
    }

    pub fn new_data_key<R: CryptoRng + RngCore>(rng: &mut R) -> DataKey {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut_slice());
        DataKey(key)
    }

    /// The data key encrypted under the store's key-encryption key, bound to its batch tag.
    pub fn wrap<R: CryptoRng + RngCore>(&self, key: &DataKey, batch_tag: &str, rng: &mut R) -> Vec<u8> {
        seal_with(&self.wrap, rng, batch_tag.as_bytes(), key.0.as_slice())
    }

    pub fn unwrap_key(&self, wrapped: &[u8], batch_tag: &str) -> Result<DataKey, HubError> {
        let plain = open_with(&self.wrap, wrapped, batch_tag.as_bytes())
            .map_err(|_| HubError::Corrupt("a batch key"))?;
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| HubError::Corrupt("a batch key"))?;
        Ok(DataKey(Zeroizing::new(bytes)))
    }

    /// Encrypts store-wide data (the per-batch counts) under the key-encryption key.
    pub fn seal_meta<R: CryptoRng + RngCore>(&self, rng: &mut R, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        seal_with(&self.wrap, rng, aad, plain)
    }

    pub fn open_meta(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, HubError> {
        open_with(&self.wrap, sealed, aad).map_err(|_| HubError::Corrupt("batch counts"))
    }
}

impl DataKey {
    /// Encrypts a record or a photo; `aad` binds it to its tag, so blobs cannot be swapped.
    pub fn seal<R: CryptoRng + RngCore>(&self, rng: &mut R, aad: &[u8], plain: &[u8]) -> Vec<u8> {
        seal_with(&self.0, rng, aad, plain)
    }

    pub fn open(&self, sealed: &[u8], aad: &[u8], what: &'static str) -> Result<Zeroizing<Vec<u8>>, HubError> {
        open_with(&self.0, sealed, aad).map_err(|_| HubError::Corrupt(what))
    }
}

fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length: new_from_slice cannot fail for 32 bytes.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return [0u8; 32];
    };
    for part in parts {
        // Length-prefix each part so that ("ab","c") and ("a","bc") differ.
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// nonce (24) | ciphertext | tag (16)
fn seal_with<R: CryptoRng + RngCore>(key: &[u8; 32], rng: &mut R, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let mut out = nonce.to_vec();
    // Encryption fails only for messages beyond 256 GB, which no photo or record reaches.
    if let Ok(ct) = cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad }) {
        out.extend_from_slice(&ct);
    }
    out
}

fn open_with(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, ()> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(());
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::generate_hub_keypair;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn another_hub_key_or_store_id_gives_other_keys() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let hub = generate_hub_keypair(&mut rng);
        let other = generate_hub_keypair(&mut rng);
        let keys = StoreKeys::derive(&hub, &[1; STORE_ID_LEN]);
        assert!(keys.verify(&keys.check_value()).is_ok());
        let wrong = StoreKeys::derive(&other, &[1; STORE_ID_LEN]);
        assert_eq!(wrong.verify(&keys.check_value()), Err(HubError::WrongKey));
        let other_store = StoreKeys::derive(&hub, &[2; STORE_ID_LEN]);
        assert_ne!(other_store.photo_tag(&[0; 32]), keys.photo_tag(&[0; 32]));
    }

    #[test]
    fn a_blob_opens_only_with_its_key_and_its_tag() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let hub = generate_hub_keypair(&mut rng);
        let keys = StoreKeys::derive(&hub, &[3; STORE_ID_LEN]);
        let data = StoreKeys::new_data_key(&mut rng);
        let wrapped = keys.wrap(&data, "batch-a", &mut rng);
        assert!(keys.unwrap_key(&wrapped, "batch-b").is_err());
        let data = keys.unwrap_key(&wrapped, "batch-a").unwrap();
        let sealed = data.seal(&mut rng, b"photo-1", b"pixels");
        assert_eq!(data.open(&sealed, b"photo-1", "photo").unwrap().as_slice(), b"pixels");
        assert!(data.open(&sealed, b"photo-2", "photo").is_err());
        let mut flipped = sealed.clone();
        if let Some(b) = flipped.last_mut() {
            *b ^= 1;
        }
        assert!(data.open(&flipped, b"photo-1", "photo").is_err());
        let other = StoreKeys::new_data_key(&mut rng);
        assert!(other.open(&sealed, b"photo-1", "photo").is_err());
    }
}
