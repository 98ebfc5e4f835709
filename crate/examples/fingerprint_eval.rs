//! Measures every block of every photo for the fingerprint check, so that its rule can be
//! chosen offline (`scripts/train/fingerprint_rule.py`; models/fingerprint/README.md). Prints
//! one JSON line per photo (its size, the time taken, each scale's grid and the areas of the
//! patches the shipped rule flags, with their boxes in photo pixels) and writes the
//! blocks to `OUT/<n>.f32`: per block `cycles, direction, prominence, concentration, contrast,
//! R, G, B, white share, agreement` as little-endian f32, scale after scale, row-major.
//!
//! Usage: `cargo run --release -p hifu --example fingerprint_eval -- OUT < PATHS`
//! (one photo path per line on stdin).

use std::io::{BufRead, Write};
use std::time::Instant;

use hifu::decode::{decode, identify, Limits};
use hifu::fingerprint::{scan, RidgeBand, RidgeRule};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: fingerprint_eval OUT < PATHS")?,
    );
    std::fs::create_dir_all(&out)?;
    let limits = Limits::default();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let path = line?;
        let bytes = std::fs::read(&path)?;
        let pixels =
            match identify(&bytes, &limits).and_then(|format| decode(&bytes, format, &limits)) {
                Ok(pixels) => pixels,
                Err(e) => {
                    eprintln!("{path}: {e}");
                    continue;
                }
            };
        let start = Instant::now();
        let maps = scan(&pixels, RidgeBand::default());
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(out.join(format!("{n}.f32")))?);
        for map in &maps {
            for b in &map.blocks {
                for v in [
                    b.cycles,
                    b.direction,
                    b.prominence,
                    b.concentration,
                    b.contrast,
                    b.mean_rgb[0],
                    b.mean_rgb[1],
                    b.mean_rgb[2],
                    b.white_share,
                    b.agreement,
                ] {
                    file.write_all(&v.to_le_bytes())?;
                }
            }
        }
        // What the shipped rule (`RidgeRule::default()`) makes of it.
        let found = RidgeRule::default().patches(&maps);
        let patches: Vec<f32> = found.iter().map(|p| p.area).collect();
        let regions: Vec<[f32; 4]> = found.iter().map(|p| p.region).collect();
        let grids: Vec<serde_json::Value> = maps
            .iter()
            .map(|m| serde_json::json!({"rows": m.rows, "columns": m.columns, "photo_per_pixel": m.photo_per_pixel, "area": m.area}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"n": n, "path": path, "width": pixels.width(), "height": pixels.height(), "ms": ms, "grids": grids, "patches": patches, "regions": regions})
        );
    }
    Ok(())
}
