//! `hifu bundle open|verify` (placeholder until its issue lands).
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Decrypt a bundle into a folder.
    Open,
    /// Check a bundle's integrity without writing anything.
    Verify,
}

pub fn run(_cmd: Command) -> ExitCode {
    eprintln!("hifu bundle: not implemented yet");
    ExitCode::from(2)
}
