//! `hifu inspect FILE [--json]`: what metadata a photo carries (categories, never values).
use crate::scrub::inputs::read_limited;
use hifu::Limits;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The photo to inspect.
    file: PathBuf,
    /// Print the inventory as JSON instead of a list for people.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> ExitCode {
    let limits = Limits::default();
    let bytes = match read_limited(&args.file, limits.max_input_bytes) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "hifu inspect: {}: cannot read the file: {e} [io.read]",
                args.file.display()
            );
            return ExitCode::from(1);
        }
    };
    let inventory = match hifu::inspect(&bytes, &limits) {
        Ok(inv) => inv,
        Err(e) => {
            eprintln!("hifu inspect: {}: {e} [{}]", args.file.display(), e.code());
            return ExitCode::from(1);
        }
    };
    drop(bytes);
    if args.json {
        match serde_json::to_string_pretty(&inventory) {
            Ok(json) => say!("{json}"),
            Err(e) => {
                eprintln!("hifu inspect: cannot format the inventory: {e}");
                return ExitCode::from(1);
            }
        }
    } else if inventory.categories.is_empty() {
        say!("{}: no metadata found", args.file.display());
    } else {
        say!("{} carries:", args.file.display());
        for c in &inventory.categories {
            say!("  - {} ({})", c.label(), c.name());
        }
    }
    ExitCode::SUCCESS
}
