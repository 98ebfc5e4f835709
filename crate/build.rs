//! `hifu serve` embeds web/ and models/ into the binary (rust-embed). The compiler tracks the
//! files that existed at the last build; this makes a file added to those folders (a new page,
//! a rebuilt web/pkg) also trigger a rebuild. Builds without the CLI (wasm) are unaffected.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_CLI").is_some() {
        println!("cargo:rerun-if-changed=../web");
        println!("cargo:rerun-if-changed=../models");
    }
}
