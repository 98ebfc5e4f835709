//! `hifu scrub` (placeholder until its issue lands).
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    eprintln!("hifu scrub: not implemented yet");
    ExitCode::from(2)
}
