//! Two fingerprints of a photo's pixels, taken at ingest: an exact digest (the same photo sent
//! twice, whatever its container) and a 64-bit perceptual hash (the same scene re-encoded,
//! resized or slightly cropped), compared by Hamming distance.

use super::HubError;
use crate::decode::{decode, identify, Limits};
use image_hasher::{HashAlg, HasherConfig};
use sha2::{Digest, Sha256};

/// Perceptual hashes at most this many bits apart are listed as near-duplicates.
pub const NEAR_DUPLICATE_BITS: u32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256 over width, height, channel count and the decoded samples.
    pub pixels: [u8; 32],
    /// Gradient (dHash) of the 9 × 8 greyscale thumbnail.
    pub perceptual: u64,
    pub width: u32,
    pub height: u32,
}

pub fn fingerprint(bytes: &[u8]) -> Result<Fingerprint, HubError> {
    let limits = Limits::default();
    let format = identify(bytes, &limits).map_err(|e| HubError::Image(e.to_string()))?;
    let pixels = decode(bytes, format, &limits).map_err(|e| HubError::Image(e.to_string()))?;
    let mut sha = Sha256::new();
    sha.update(pixels.width().to_be_bytes());
    sha.update(pixels.height().to_be_bytes());
    sha.update([pixels.channels()]);
    sha.update(pixels.samples());
    let digest: [u8; 32] = sha.finalize().into();

    let rgb: Vec<u8> = match pixels.channels() {
        4 => pixels
            .samples()
            .chunks_exact(4)
            .flat_map(|p| p.iter().take(3).copied())
            .collect(),
        _ => pixels.samples().to_vec(),
    };
    let image = image::RgbImage::from_raw(pixels.width(), pixels.height(), rgb)
        .ok_or(HubError::Image("decoded size does not match".into()))?;
    let hasher = HasherConfig::new()
        .hash_alg(HashAlg::Gradient)
        .hash_size(8, 8)
        .to_hasher();
    let hash = hasher.hash_image(&image::DynamicImage::ImageRgb8(image));
    let mut bits = [0u8; 8];
    for (slot, byte) in bits.iter_mut().zip(hash.as_bytes()) {
        *slot = *byte;
    }
    Ok(Fingerprint {
        pixels: digest,
        perceptual: u64::from_be_bytes(bits),
        width: pixels.width(),
        height: pixels.height(),
    })
}

/// Bits that differ between two perceptual hashes.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

