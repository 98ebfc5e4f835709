//! The `hifu` command line.
fn main() {}
