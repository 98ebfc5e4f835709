//! The fingerprint check as a scrub step (a check: it looks before the face step paints): a photo where friction ridges
//! are resolved over a patch of skin is flagged `fingerprint` with the patches' boxes, and the
//! caller holds it for a person to decide. It reads the pixels and never changes them.

use super::rule::{RidgePatch, RidgeRule};
use super::scan::scan;
use super::spectrum::RidgeBand;
use crate::decode::Pixels;
use crate::report::ReviewFlag;
use crate::scrub::{PixelStep, StepOutcome};

/// The review flag of a photo that may show a fingerprint (or a palm or sole print).
pub const FINGERPRINT: &str = "fingerprint";
/// At most this many patches are listed in the flag.
const MAX_REGIONS: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct FingerprintStep {
    pub band: RidgeBand,
    pub rule: RidgeRule,
}

impl FingerprintStep {
    /// The patches of resolved ridges, largest first (empty: nothing to flag).
    pub fn find(&self, pixels: &Pixels) -> Vec<RidgePatch> {
        self.rule.patches(&scan(pixels, self.band))
    }
}

impl PixelStep for FingerprintStep {
    fn run(&mut self, pixels: &mut Pixels) -> Result<StepOutcome, crate::Error> {
        let patches = self.find(pixels);
        let mut outcome = StepOutcome::default();
        if let Some(largest) = patches.first() {
            // 0.5 at the threshold, nearer 1 the larger the patch.
            let score = 1.0 - 0.5f32.powf(largest.area / self.rule.min_area.max(1.0));
            outcome.review.push(ReviewFlag {
                kind: FINGERPRINT.into(),
                regions: patches.iter().take(MAX_REGIONS).map(|p| p.region).collect(),
                score,
            });
        }
        Ok(outcome)
    }
}
