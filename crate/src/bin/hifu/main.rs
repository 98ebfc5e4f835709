//! The `hifu` command line: one file per subcommand.
//!
//! Exit codes: 0 all succeeded, 1 some inputs failed (or stdout closed before the end, see
//! `say`), 2 usage or configuration errors.

// As in the core (crate/src/lib.rs): the CLI reads files and arguments, so no panic paths.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unsafe_code
)]

#[macro_use]
mod say;

mod bundle;
mod classify;
mod contribute;
mod faces;
mod fingerprint;
mod hub;
mod inspect;
mod keys;
mod models;
mod scrub;
mod serve;
mod tattoo;
mod text;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

// candle allocates a new buffer for every layer's output. glibc's malloc serves buffers that
// large straight from mmap and unmaps them on free, so every YuNet pass paid for page faults
// and zeroing in the kernel; mimalloc keeps freed pages for reuse and halves the time per tile
// (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "hifu",
    version,
    about = "Anonymise and classify clinical skin photographs, locally."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Strip metadata, fix orientation and redact faces; write clean copies.
    Scrub(scrub::Args),
    /// Print what metadata a photo carries (categories, not values).
    Inspect(inspect::Args),
    /// Classify skin-lesion photos (decision support, not a diagnosis).
    Classify(classify::Args),
    /// The whole site pipeline: records + photos → one sealed bundle for the hub.
    Contribute(contribute::Args),
    /// Open or verify a sealed bundle (at the hub).
    #[command(subcommand)]
    Bundle(bundle::Command),
    /// The hub: keys, and the store that turns bundles into the dataset.
    #[command(subcommand)]
    Hub(hub::Command),
    /// Site key management.
    #[command(subcommand)]
    Site(keys::SiteCommand),
    /// Serve the web app (embedded in this binary) on 127.0.0.1.
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage_error = e.use_stderr();
            let _ = e.print();
            return if usage_error {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Scrub(args) => scrub::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Contribute(args) => contribute::run(args),
        Command::Bundle(cmd) => bundle::run(cmd),
        Command::Hub(cmd) => hub::run(cmd),
        Command::Site(cmd) => keys::run_site(cmd),
        Command::Serve(args) => serve::run(args),
    }
}
