//! Clinical records: CSV import (UTF-8 or Shift_JIS/CP932, Japanese or English headers),
//! the opt-out register, linking photos to records, and de-identification (age bands,
//! year-month dates, keyed pseudonyms, free-text redaction) under a configurable [`Policy`].
//!
//! Pure: bytes and keys come in as arguments; nothing here touches files or the clock.

mod date;
mod deidentify;
mod error;
mod header;
mod import;
mod link;
mod optout;
mod policy;
mod pseudonym;
mod redact;
mod text;

pub use date::{parse_date, Date};
pub use deidentify::{age_band, deidentify, DeidentifiedRecord};
pub use error::{RecordError, RowError};
pub use header::Field;
pub use import::{import_records, Import, ImportSummary, RawRecord, Sex};
pub use link::{link_photos, Linking, PhotoLink};
pub use optout::OptOut;
pub use policy::{DatePrecision, Policy};
pub use pseudonym::{normalize_id, SiteKey};
pub use redact::redact_free_text;
pub use text::{decode_text, TextEncoding, MAX_FILE_BYTES, MAX_LINE_BYTES};
