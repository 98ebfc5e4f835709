//! Keyed patient pseudonyms: hex HMAC-SHA256(site key, patient ID). The same patient gets the
//! same pseudonym in every batch of a site; without the site key it cannot be reversed or
//! recomputed from a guessed ID. The site key never leaves the site.

use super::text::to_half_width;
use super::RecordError;
use crate::hex::{hex_decode, hex_encode};
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

const HEADER: &str = "hifu-site-key-v1";

/// 32 secret bytes, wiped from memory when dropped.
#[derive(Clone)]
pub struct SiteKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteKey(…)")
    }
}

impl SiteKey {
    pub fn generate<R: CryptoRng + RngCore>(rng: &mut R) -> SiteKey {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut_slice());
        SiteKey(key)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SiteKey, RecordError> {
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != key.len() {
            return Err(RecordError::BadSiteKey("the key is not 32 bytes"));
        }
        key.copy_from_slice(bytes);
        Ok(SiteKey(key))
    }

    /// "hifu-site-key-v1\n<64 hex digits>\n"
    pub fn to_text(&self) -> Zeroizing<String> {
        let hex = Zeroizing::new(hex_encode(self.0.as_slice()));
        Zeroizing::new(format!("{HEADER}\n{}\n", hex.as_str()))
    }

    pub fn from_text(text: &str) -> Result<SiteKey, RecordError> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some(HEADER) {
            return Err(RecordError::BadSiteKey(
                "its first line is not hifu-site-key-v1",
            ));
        }
        let body = lines
            .next()
            .ok_or(RecordError::BadSiteKey("the key line is missing"))?;
        if lines.next().is_some() {
            return Err(RecordError::BadSiteKey("extra lines after the key"));
        }
        let bytes =
            Zeroizing::new(hex_decode(body).ok_or(RecordError::BadSiteKey("the key is not hex"))?);
        SiteKey::from_bytes(&bytes)
    }

    /// The pseudonym of a patient ID (normalised with [`normalize_id`] first).
    pub fn pseudonym(&self, patient_id: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail; fall back to nothing rather
        // than panic if that ever changed.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice()) else {
            return String::new();
        };
        mac.update(normalize_id(patient_id).as_bytes());
        hex_encode(&mac.finalize().into_bytes())
    }
}

/// Patient IDs compare after trimming and full-width → half-width, so "００１２" in one export
/// and "0012" in the opt-out register are the same patient. Leading zeros are significant.
pub fn normalize_id(id: &str) -> String {
    to_half_width(id).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Mac;

    #[test]
    fn pseudonym_is_hmac_sha256_of_the_normalised_id() {
        let key = SiteKey::from_bytes(&[7u8; 32]).unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[7u8; 32]).unwrap();
        mac.update(b"P0012");
        let expected = hex_encode(&mac.finalize().into_bytes());
        assert_eq!(key.pseudonym("P0012"), expected);
        assert_eq!(key.pseudonym(" Ｐ００１２ "), expected);
        assert_ne!(
            SiteKey::from_bytes(&[8u8; 32]).unwrap().pseudonym("P0012"),
            expected
        );
        assert_eq!(expected.len(), 64);
    }

    #[test]
    fn key_text_round_trips() {
        let key = SiteKey::from_bytes(&[0xab; 32]).unwrap();
        let text = key.to_text();
        assert!(text.starts_with("hifu-site-key-v1\nabab"));
        assert_eq!(
            SiteKey::from_text(&text).unwrap().pseudonym("x"),
            key.pseudonym("x")
        );
        assert!(SiteKey::from_text("hifu-hub-public-key-v1\n00\n").is_err());
    }
}
