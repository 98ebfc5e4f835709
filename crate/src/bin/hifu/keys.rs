//! `hifu hub keygen` and `hifu site keygen` (placeholder until its issue lands).
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum HubCommand {
    /// Create the hub's key pair.
    Keygen,
}

#[derive(clap::Subcommand)]
pub enum SiteCommand {
    /// Create a new random site key.
    Keygen,
}

pub fn run_hub(_cmd: HubCommand) -> ExitCode {
    eprintln!("hifu hub: not implemented yet");
    ExitCode::from(2)
}

pub fn run_site(_cmd: SiteCommand) -> ExitCode {
    eprintln!("hifu site: not implemented yet");
    ExitCode::from(2)
}
