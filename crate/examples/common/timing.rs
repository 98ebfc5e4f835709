//! Wall-clock timing shared by the bench examples (`#[path]`-included: examples are separate
//! crates).

use std::time::Instant;

/// Median of `n` timed calls of `f`, in milliseconds, after `warm_up` untimed calls.
pub fn median_ms(warm_up: usize, mut f: impl FnMut(), n: usize) -> f64 {
    for _ in 0..warm_up {
        f();
    }
    let mut t: Vec<f64> = (0..n.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(|a, b| a.total_cmp(b));
    t[t.len() / 2]
}
