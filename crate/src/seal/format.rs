//! The sealed bundle's byte layout (format version 1). All integers are big-endian.
//!
//! ```text
//! header   magic "HIFUSEAL" (8) | version u8 = 1 | kem u16 = 0x0020 | kdf u16 = 0x0001
//!          | aead u16 = 0x0003 | chunk_size u32            (19 bytes, bound into HPKE `info`)
//! enc      32 bytes: the HPKE encapsulated key (X25519 ephemeral public key)
//! chunk*   last u8 (0 or 1) | ct_len u32 | ciphertext (plaintext ≤ chunk_size, + 16-byte tag)
//! ```
//! One HPKE context seals every chunk, in order, with
//! `aad = "hifu-chunk" | index u64 | last u8`, so a changed, dropped, reordered or duplicated
//! chunk fails to open at its index, a bundle cut at a chunk boundary lacks its `last = 1`
//! chunk, and bytes after that chunk are refused.

/// First bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"HIFUSEAL";
/// Format version written by this hifu.
pub const VERSION: u8 = 1;
/// RFC 9180 identifiers of the one suite version 1 uses.
pub const KEM_ID: u16 = 0x0020;
pub const KDF_ID: u16 = 0x0001;
pub const AEAD_ID: u16 = 0x0003;
/// Length of the fixed header (magic … chunk_size).
pub const HEADER_LEN: usize = 19;
/// Length of the encapsulated key for DHKEM(X25519).
pub const ENC_LEN: usize = 32;
/// Length of a chunk's framing (`last` flag and `ct_len`).
pub const CHUNK_FRAME_LEN: usize = 5;
/// ChaCha20-Poly1305 tag length.
pub const TAG_LEN: usize = 16;
/// Plaintext bytes per chunk unless the caller picks otherwise.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
pub const MIN_CHUNK_SIZE: u32 = 1024;
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;

/// Builds the fixed header for a chunk size.
pub fn header(chunk_size: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8] = VERSION;
    h[9..11].copy_from_slice(&KEM_ID.to_be_bytes());
    h[11..13].copy_from_slice(&KDF_ID.to_be_bytes());
    h[13..15].copy_from_slice(&AEAD_ID.to_be_bytes());
    h[15..19].copy_from_slice(&chunk_size.to_be_bytes());
    h
}

/// HPKE `info`: a label plus the header, so a changed header byte makes every chunk fail.
pub fn info(header: &[u8; HEADER_LEN]) -> Vec<u8> {
    let mut info = b"hifu bundle v1 ".to_vec();
    info.extend_from_slice(header);
    info
}

/// Associated data for chunk `index`.
pub fn chunk_aad(index: u64, last: bool) -> [u8; 19] {
    let mut aad = [0u8; 19];
    aad[..10].copy_from_slice(b"hifu-chunk");
    aad[10..18].copy_from_slice(&index.to_be_bytes());
    aad[18] = u8::from(last);
    aad
}

pub fn check_chunk_size(chunk_size: u32) -> Result<(), super::SealError> {
    if (MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
        Ok(())
    } else {
        Err(super::SealError::BadChunkSize(u64::from(chunk_size)))
    }
}
