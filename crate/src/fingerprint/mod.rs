//! Friction ridges (a fingertip's, a palm's or a sole's print) resolved in a photo identify the
//! patient as surely as a face. No model: each block's power spectrum ([`spectrum`]) at three
//! scales ([`scan`]) shows whether it holds a narrow-band pattern of parallel lines on skin,
//! [`rule`] decides how large a patch of such blocks must be, and [`FingerprintStep`] flags the
//! photo `fingerprint` for a reviewer (models/fingerprint/README.md).

pub mod rule;
pub mod scan;
pub mod spectrum;
pub mod step;

pub use rule::{RidgePatch, RidgeRule};
pub use scan::{scan, scan_at, RidgeMap};
pub use spectrum::{BlockRidges, RidgeBand};
pub use step::{FingerprintStep, FINGERPRINT};
