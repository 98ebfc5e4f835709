//! Seals scrubbed photos and their records into one bundle as they come, and writes the
//! manifest last (it is complete only when every photo is in), so memory holds one photo.

use crate::record::{DeidentifiedRecord, Policy};
use crate::seal::{
    extension_for_mime, sha256_hex, HubPublicKey, Manifest, ManifestItem, ScrubSummary, SealError,
    Sealer, MANIFEST_ENTRY,
};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

pub struct BundleWriter {
    sealer: Sealer,
    manifest: Manifest,
}

impl BundleWriter {
    /// Starts a bundle; the header is the first [`BundleWriter::take_output`].
    pub fn new<R: CryptoRng + RngCore>(
        hub: &HubPublicKey,
        site_code: &str,
        batch: Option<String>,
        policy: Policy,
        chunk_size: u32,
        rng: &mut R,
    ) -> Result<BundleWriter, SealError> {
        let sealer = Sealer::new(hub, chunk_size, rng)?;
        let mut manifest = Manifest::new(site_code, policy);
        manifest.batch = batch;
        Ok(BundleWriter { sealer, manifest })
    }

    /// Adds one scrubbed photo with its de-identified record. Photos are named by number
    /// (`images/00001.jpg`): original file names stay at the site, as they often carry IDs.
    /// A photo the gate excluded, one with a review flag the policy excludes outright
    /// (`Policy::exclude_flagged`), or one without a clean copy, is refused: whatever the caller
    /// forgot to check, it cannot reach the bundle.
    pub fn add(
        &mut self,
        image: &[u8],
        mime: &str,
        record: DeidentifiedRecord,
        scrub: ScrubSummary,
    ) -> Result<(), SealError> {
        let by_policy = self.manifest.policy.excluded_kind(scrub.review.iter().map(String::as_str)).is_some();
        if image.is_empty() || mime.is_empty() || scrub.gate.as_ref().is_some_and(|g| g.excluded) || by_policy {
            return Err(SealError::Withheld);
        }
        let number = self.manifest.items.len() + 1;
        let name = format!("images/{number:05}.{}", extension_for_mime(mime));
        self.sealer.push_entry(&name, image)?;
        self.manifest.items.push(ManifestItem {
            image: name,
            sha256: sha256_hex(image),
            mime: mime.to_owned(),
            record,
            scrub,
        });
        Ok(())
    }

    /// Sealed bytes produced so far and not yet taken.
    pub fn take_output(&mut self) -> Vec<u8> {
        self.sealer.take_output()
    }

    /// Photos added so far.
    pub fn items(&self) -> usize {
        self.manifest.items.len()
    }

    /// Seals the manifest and the final chunk; returns the bundle's last bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, SealError> {
        let json = Zeroizing::new(self.manifest.to_json()?);
        self.sealer.push_entry(MANIFEST_ENTRY, &json)?;
        let mut out = self.sealer.take_output();
        out.extend(self.sealer.finish()?);
        Ok(out)
    }
}
