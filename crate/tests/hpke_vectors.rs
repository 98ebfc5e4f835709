//! RFC 9180 known-answer tests for the one suite hifu bundles use:
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode (mode 0,
//! kem_id 32, kdf_id 1, aead_id 3).
//!
//! Values copied from RFC 9180 Appendix A.2.1 "Base Setup Information" and A.2.1.1
//! "Encryptions" (read from the cfrg/draft-irtf-cfrg-hpke repository's auth48 text, where the
//! same appendix is numbered B.2.1). Only the sequence numbers the RFC lists are compared.
#![cfg(not(target_arch = "wasm32"))]

use hifu::seal::{hex_decode, HubPrivateKey, HubPublicKey, Sealer};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use rand_core::{CryptoRng, RngCore};

const INFO: &str = "4f6465206f6e2061204772656369616e2055726e";
const IKM_E: &str = "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b";
const PK_EM: &str = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
const SK_EM: &str = "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600";
const IKM_R: &str = "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df";
const PK_RM: &str = "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a";
const SK_RM: &str = "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb";
const ENC: &str = "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a";
const PT: &str = "4265617574792069732074727574682c20747275746820626561757479";

/// (sequence number, aad, ct) from A.2.1.1.
const ENCRYPTIONS: [(u32, &str, &str); 6] = [
    (0, "436f756e742d30", "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28"),
    (1, "436f756e742d31", "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c"),
    (2, "436f756e742d32", "71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b"),
    (4, "436f756e742d34", "63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122bb153495ff0b02e9e54a50dbe16"),
    (255, "436f756e742d323535", "18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b8880a5f6b3936da9cd6c23ef2a95c"),
    (256, "436f756e742d323536", "7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076214c0c40d4c728d6ed9e727a5b"),
];

fn h(hex: &str) -> Vec<u8> {
    hex_decode(hex).unwrap()
}

/// An "RNG" that yields exactly the vector's ikmE: DHKEM's GenerateKeyPair draws Nsk = 32 bytes
/// and runs DeriveKeyPair on them, so the sender becomes deterministic.
struct Replay(Vec<u8>);

impl RngCore for Replay {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        assert!(dst.len() <= self.0.len(), "the replay RNG ran dry");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
    }
}
impl CryptoRng for Replay {}

#[test]
fn derive_key_pair_from_ikm() {
    let (sk_r, pk_r) = X25519HkdfSha256::derive_keypair(&h(IKM_R));
    assert_eq!(sk_r.to_bytes().as_slice(), h(SK_RM));
    assert_eq!(pk_r.to_bytes().as_slice(), h(PK_RM));
    let (sk_e, pk_e) = X25519HkdfSha256::derive_keypair(&h(IKM_E));
    assert_eq!(sk_e.to_bytes().as_slice(), h(SK_EM));
    assert_eq!(pk_e.to_bytes().as_slice(), h(PK_EM));
}

#[test]
fn hub_key_from_sk_rm_has_pk_rm() {
    let hub = HubPrivateKey::from_bytes(&h(SK_RM)).unwrap();
    assert_eq!(
        hub.public_key(),
        &HubPublicKey::from_bytes(&h(PK_RM)).unwrap()
    );
}

#[test]
fn receiver_opens_the_vector_ciphertexts() {
    let sk = <X25519HkdfSha256 as Kem>::PrivateKey::from_bytes(&h(SK_RM)).unwrap();
    let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&h(ENC)).unwrap();
    let mut ctx = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &sk,
        &enc,
        &h(INFO),
    )
    .unwrap();
    // The listed sequence numbers skip some; a sender with the same keys fills the gaps.
    let (_, mut sender) = sender_context();
    let mut listed = ENCRYPTIONS.iter().peekable();
    for seq in 0..=256u32 {
        let aad = format!("Count-{seq}").into_bytes();
        let ct = sender.seal(&h(PT), &aad).unwrap();
        if let Some((_, vector_aad, vector_ct)) = listed.next_if(|(s, _, _)| *s == seq) {
            assert_eq!(aad, h(vector_aad), "aad at sequence {seq}");
            assert_eq!(ct, h(vector_ct), "sender ciphertext at sequence {seq}");
        }
        assert_eq!(
            ctx.open(&ct, &aad).unwrap(),
            h(PT),
            "open at sequence {seq}"
        );
    }
    assert!(listed.next().is_none());
    // Seq 0's vector ciphertext opened by a fresh receiver, straight from the RFC bytes.
    let mut fresh = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &sk,
        &enc,
        &h(INFO),
    )
    .unwrap();
    let (_, aad0, ct0) = ENCRYPTIONS[0];
    assert_eq!(fresh.open(&h(ct0), &h(aad0)).unwrap(), h(PT));
    assert!(
        fresh
            .open(&h(ENCRYPTIONS[2].2), &h(ENCRYPTIONS[2].1))
            .is_err(),
        "out-of-order open must fail"
    );
}

fn sender_context() -> (
    Vec<u8>,
    hpke::aead::AeadCtxS<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>,
) {
    let pk_r = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(&h(PK_RM)).unwrap();
    let mut rng = Replay(h(IKM_E));
    let (enc, ctx) = hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
        &OpModeS::Base,
        &pk_r,
        &h(INFO),
        &mut rng,
    )
    .unwrap();
    (enc.to_bytes().to_vec(), ctx)
}

#[test]
fn deterministic_sender_reproduces_enc() {
    let (enc, _) = sender_context();
    assert_eq!(enc, h(ENC));
}

#[test]
fn the_bundle_sealer_encapsulates_exactly_as_the_rfc() {
    // Same KEM, same ephemeral randomness: the bundle's enc field must be the vector's enc.
    let hub = HubPublicKey::from_bytes(&h(PK_RM)).unwrap();
    let mut rng = Replay(h(IKM_E));
    let mut sealer = Sealer::new(&hub, 64 * 1024, &mut rng).unwrap();
    let header = sealer.take_output();
    assert_eq!(&header[19..51], h(ENC).as_slice());
}
