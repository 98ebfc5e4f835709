//! The hub's X25519 key pair and its text files.
//!
//! Text format: a header line naming the kind and version, then the 32 key bytes in hex.
//! The private key lives only on the hub's offline PC; the public key is given to sites.

use super::{Kem, SealError};
use crate::hex;
use hpke::{Deserializable, Kem as _, Serializable};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

const PUBLIC_HEADER: &str = "hifu-hub-public-key-v1";
const PRIVATE_HEADER: &str = "hifu-hub-private-key-v1";

/// What sites seal to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubPublicKey(pub(crate) <Kem as hpke::Kem>::PublicKey);

/// What the hub opens with. The secret is wiped from memory when this is dropped.
#[derive(Clone)]
pub struct HubPrivateKey {
    pub(crate) secret: <Kem as hpke::Kem>::PrivateKey,
    public: HubPublicKey,
}

impl std::fmt::Debug for HubPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HubPrivateKey(…)")
    }
}

/// A fresh hub key pair from the caller's randomness.
pub fn generate_hub_keypair<R: CryptoRng + RngCore>(rng: &mut R) -> HubPrivateKey {
    let (secret, public) = Kem::gen_keypair(rng);
    HubPrivateKey {
        secret,
        public: HubPublicKey(public),
    }
}

impl HubPublicKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        <Kem as hpke::Kem>::PublicKey::from_bytes(bytes)
            .map(HubPublicKey)
            .map_err(|_| SealError::BadKey("the public key is not 32 bytes"))
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.0.to_bytes());
        out
    }

    pub fn to_text(&self) -> String {
        format!("{PUBLIC_HEADER}\n{}\n", hex::hex_encode(&self.to_bytes()))
    }

    pub fn from_text(text: &str) -> Result<Self, SealError> {
        let bytes = parse_key_text(text, PUBLIC_HEADER)?;
        Self::from_bytes(&bytes)
    }
}

impl HubPrivateKey {
    /// Derives the key pair from its 32 secret bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let secret = <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes)
            .map_err(|_| SealError::BadKey("the private key is not 32 bytes"))?;
        let public = HubPublicKey(Kem::sk_to_pk(&secret));
        Ok(HubPrivateKey { secret, public })
    }

    pub fn public_key(&self) -> &HubPublicKey {
        &self.public
    }

    /// The 32 secret bytes, for deriving the hub store's keys (`hub::StoreKeys`).
    pub(crate) fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        self.secret.write_exact(bytes.as_mut_slice());
        bytes
    }

    pub fn to_text(&self) -> Zeroizing<String> {
        let bytes = self.secret_bytes();
        let hex = Zeroizing::new(hex::hex_encode(bytes.as_slice()));
        Zeroizing::new(format!("{PRIVATE_HEADER}\n{}\n", hex.as_str()))
    }

    pub fn from_text(text: &str) -> Result<Self, SealError> {
        let bytes = parse_key_text(text, PRIVATE_HEADER)?;
        Self::from_bytes(&bytes)
    }
}

/// Reads "HEADER\nHEX\n" (surrounding whitespace and CRLF tolerated).
fn parse_key_text(text: &str, expected: &'static str) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines.next() != Some(expected) {
        return Err(SealError::WrongKeyKind { expected });
    }
    let body = lines
        .next()
        .ok_or(SealError::BadKey("the key line is missing"))?;
    if lines.next().is_some() {
        return Err(SealError::BadKey("extra lines after the key"));
    }
    let bytes = hex::hex_decode(body).ok_or(SealError::BadKey("the key is not hex"))?;
    if bytes.len() != 32 {
        return Err(SealError::BadKey("the key is not 32 bytes"));
    }
    Ok(Zeroizing::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn key_texts_round_trip_and_are_not_interchangeable() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let private = generate_hub_keypair(&mut rng);
        let public = private.public_key().clone();
        let private_text = private.to_text();
        assert!(private_text.starts_with("hifu-hub-private-key-v1\n"));
        let reread = HubPrivateKey::from_text(&private_text).unwrap();
        assert_eq!(reread.public_key(), &public);
        assert_eq!(HubPublicKey::from_text(&public.to_text()).unwrap(), public);
        assert_eq!(
            HubPublicKey::from_text(&private_text).unwrap_err().code(),
            "seal.wrong_key_kind"
        );
        assert_eq!(
            HubPrivateKey::from_text("hifu-hub-private-key-v1\nabcd\n")
                .unwrap_err()
                .code(),
            "seal.bad_key"
        );
    }
}
