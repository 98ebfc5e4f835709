//! The fingerprint check for `hifu scrub` and `hifu contribute`: on unless
//! `--no-fingerprint-check`. It needs no model file.

use hifu::fingerprint::FingerprintStep;

#[derive(clap::Args)]
pub struct FingerprintArgs {
    /// Skip the fingerprint check. Photos where a fingertip's, palm's or sole's ridges are
    /// resolved then leave without being held for review.
    #[arg(long)]
    no_fingerprint_check: bool,
}

impl FingerprintArgs {
    pub fn step(&self) -> Option<FingerprintStep> {
        (!self.no_fingerprint_check).then(FingerprintStep::default)
    }
}
