//! Printing results to stdout without panicking when the reader goes away.
//!
//! `println!` panics when stdout is a closed pipe (`hifu classify DIR | head`). Rust ignores
//! SIGPIPE, so the write fails with `BrokenPipe` instead; nobody is left to read the rest,
//! so hifu stops quietly, as a Unix filter does, after the input it just finished (every
//! result is printed after its file is written). The exit code is 1, not 0: the inputs after
//! it were not processed. Any other write error is reported once.

use std::io::{self, Write};

/// `println!` that stops the program quietly when stdout's reader has gone away.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::say::line(format_args!($($arg)*))
    };
}

pub fn line(args: std::fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(1),
        Err(e) => {
            eprintln!("hifu: cannot write to standard output: {e}");
            std::process::exit(1);
        }
    }
}
