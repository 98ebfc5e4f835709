//! The CLI's allocator (see `src/bin/hifu/main.rs`: glibc's malloc unmaps candle's large layer
//! buffers on every free), so native timings measured here are the CLI's.
//! `#[path]`-included: examples are separate crates.

#[cfg(feature = "cli")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
