//! The fingerprint check on camera-sized photos, which ../shared lacks: each host photo (a hand
//! photo labelled without ridges) is enlarged to a long side of 4000 px (12 MP for 4:3), and a
//! fingertip pad 30 ridges across with ridges 8, 10 or 12 px apart (a whole hand in the frame)
//! is laid on it. Prints, for each longest side of the scan's first scale, how many pads are
//! found where they are, how many of the enlarged hosts without a pad are flagged, and the mean
//! time of scan and rule (one thread). Chose `fingerprint::scan::MAX_SIDE` on half 0's hosts;
//! half 1's are the reported figures (models/fingerprint/README.md).
//!
//! Usage: `cargo run --release -p hifu --example fingerprint_camera_size -- 1024 2048 < HOSTS`
//! (one host photo path per line on stdin).

use std::time::Instant;

use hifu::decode::Pixels;
use hifu::fingerprint::{scan_at, RidgeBand, RidgeRule};
use zeroize::Zeroizing;

#[path = "../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

struct Tally {
    side: u32,
    found: usize,
    false_flags: usize,
    ms: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut tallies: Vec<Tally> = std::env::args()
        .skip(1)
        .map(|s| {
            s.parse().map(|side| Tally {
                side,
                found: 0,
                false_flags: 0,
                ms: 0.0,
            })
        })
        .collect::<Result<_, _>>()?;
    let kinds = ["whorl", "loop", "arch", "palm"];
    let patterns: Vec<_> = kinds.iter().map(|k| common::ridge_pattern(k)).collect();
    let rule = RidgeRule::default();
    let overlaps = |a: [f32; 4], b: [f32; 4]| {
        a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
    };
    let mut tried = 0;
    for (n, host) in std::io::stdin().lines().enumerate() {
        let photo = image::open(host?)?.to_rgb8();
        let (big, with_pad, pad, _) =
            common::camera_sized_ridge_pad(&photo, &patterns[n % kinds.len()], n);
        let (w, h) = big.dimensions();
        let plain = Pixels::new(w, h, 3, Zeroizing::new(big.into_raw())).ok_or("pixel buffer")?;
        let padded =
            Pixels::new(w, h, 3, Zeroizing::new(with_pad.into_raw())).ok_or("pixel buffer")?;
        tried += 1;
        for t in &mut tallies {
            let start = Instant::now();
            let patches = rule.patches(&scan_at(&padded, RidgeBand::default(), t.side));
            t.ms += start.elapsed().as_secs_f64() * 1e3;
            t.found += usize::from(patches.iter().any(|p| overlaps(p.region, pad)));
            let plain_patches = rule.patches(&scan_at(&plain, RidgeBand::default(), t.side));
            t.false_flags += usize::from(!plain_patches.is_empty());
        }
    }
    for t in &tallies {
        println!(
            "first scale {}: pads found {}/{tried}, enlarged hosts without a pad flagged {}/{tried}, scan and rule {:.0} ms mean",
            t.side,
            t.found,
            t.false_flags,
            t.ms / tried.max(1) as f64
        );
    }
    Ok(())
}
