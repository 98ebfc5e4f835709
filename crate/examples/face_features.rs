//! The face-part probe's input for a list of photos, for `scripts/train/face_part.py`.
//!
//! Usage: `face_features LIST OUT` — LIST holds one photo path per line; OUT receives, per line,
//! `face::face_part::FEATURES` little-endian f32 values exactly as the detector pools them
//! (`Detector::face_part_features`: the same chain of shrunk levels as in production), or NaNs where the
//! photo could not be read.
use std::io::{BufRead, Write};

use hifu::face::face_part::FEATURES;

#[path = "common/face_detector.rs"]
mod face_detector;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, list, out] = args.as_slice() else {
        return Err("usage: face_features LIST OUT".into());
    };
    let detector = face_detector::shipped()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(out)?);
    for line in std::io::BufReader::new(std::fs::File::open(list)?).lines() {
        let path = line?;
        let features = match image::open(&path) {
            Ok(img) => detector.face_part_features(&img.to_rgb8())?,
            Err(e) => {
                eprintln!("{path}: {e}");
                Vec::new()
            }
        };
        let row = if features.len() == FEATURES {
            features
        } else {
            vec![f32::NAN; FEATURES]
        };
        for x in &row {
            out.write_all(&x.to_le_bytes())?;
        }
    }
    Ok(())
}
