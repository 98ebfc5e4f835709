//! hifu (皮膚, "skin"): anonymise and classify clinical skin photographs on the user's machine.
//!
//! The core is pure Rust and platform-free: no file system, clock, network or ambient randomness.
//! Callers (the `hifu` CLI, the wasm bindings, tests) pass bytes in and get bytes out.
//!
//! One photo's journey, one module per step:
//! `decode` → `container` (inventory, lossless rewrite) → `face` (detect) → `redact` →
//! `encode`, orchestrated by `scrub`; `skin` classifies; `record` de-identifies clinical
//! records; `seal` builds the encrypted bundle for the hub; `hub` holds the hub's pure parts
//! (store keys, patient splits, withdrawals, progress counts).

// Input reaches almost every function here, and in wasm a panic kills the page: the core has
// no unwrap, expect, panic or unchecked indexing outside its unit tests (scripts/test runs
// clippy, native and wasm32). The one unsafe block is the simd128 depthwise kernel.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![deny(unsafe_code)]

pub mod container;
pub mod contribute;
pub mod decode;
pub mod encode;
pub mod error;
pub mod face;
pub mod fingerprint;
pub mod hex;
pub mod hub;
pub mod nn;
pub mod record;
pub mod redact;
pub mod report;
pub mod scrub;
pub mod seal;
pub mod skin;
pub mod text;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use decode::{Colour, Format, Limits, Pixels};
pub use error::Error;
pub use report::{Category, GateReason, Inventory, OutputKind, Report, Status};
pub use scrub::{
    inspect, scrub_with, scrub_without_faces, Chain, Looked, NoPixelStep, OutputFormat, PixelStep, ScrubOptions, Scrubbed,
    StepOutcome,
};
