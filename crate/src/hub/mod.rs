//! The hub's side of the dataset, the parts that are pure: the store's keys and encryption at
//! rest, the patient-level split, the late opt-out list, the progress counts and the photo
//! fingerprints used to find duplicates. The store itself (an SQLite database and
//! content-addressed files) lives with the CLI, which owns the file system
//! (`bin/hifu/hub/`).

mod error;
#[cfg(feature = "hub")]
pub mod fingerprint;
pub mod keys;
pub mod split;
pub mod stats;
pub mod withdrawals;

pub use error::HubError;
pub use keys::{DataKey, StoreKeys, STORE_ID_LEN};
pub use split::{Split, SplitFractions};
pub use stats::{Counts, ItemFacts};
pub use withdrawals::parse_pseudonym_list;
