//! A site's contribution, as one API for the CLI (`hifu contribute`) and the contributor page
//! (the wasm bindings `deidentify` and `Sealer`): [`plan`] decides from the records, the opt-out
//! register and the photo names which photos go and with which de-identified record (opted-out
//! patients' photos are set aside unopened); each planned photo is then scrubbed by the caller
//! (natively in a loop, in the page by Web Workers) and handed to a [`BundleWriter`], which seals
//! it and builds the manifest. The adapters only convert inputs and outputs.

mod bundle;
mod plan;

pub use bundle::BundleWriter;
pub use plan::{plan, Plan, PlannedPhoto};
