//! Dumps the skin classifier's pooled features, as the crate computes them (decode, orient,
//! preprocess, int8 network), for fitting the "not a skin photo" discriminator offline
//! (`scripts/train/gate.py`).
//!
//! Usage: `cargo run --release -p hifu --example skin_features -- LIST.txt OUT.f32 [--mirror]`
//! LIST.txt holds one photo path per line. OUT.f32 gets one row of little-endian f32 features
//! per photo (two with `--mirror`: the photo, then its mirror image); a photo that does not
//! decode gets a row of NaN, so rows stay aligned with the list.

use std::io::{BufRead, Write};
use std::path::Path;

use hifu::decode::Pixels;
use hifu::skin::SkinModel;
use hifu::Limits;

#[path = "common/allocator.rs"]
mod allocator;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn mirrored(p: &Pixels) -> Option<Pixels> {
    let (w, c) = (p.width() as usize, usize::from(p.channels()));
    let mut out = Vec::with_capacity(p.samples().len());
    for row in p.samples().chunks_exact(w * c) {
        for px in row.chunks_exact(c).rev() {
            out.extend_from_slice(px);
        }
    }
    Pixels::new(
        p.width(),
        p.height(),
        p.channels(),
        zeroize::Zeroizing::new(out),
    )
}

fn features(model: &SkinModel, pixels: Option<&Pixels>, width: usize) -> Vec<f32> {
    pixels
        .and_then(|p| model.forward(p).ok())
        .map(|f| f.pooled)
        .unwrap_or_else(|| vec![f32::NAN; width])
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let (list, out) = match (args.get(1), args.get(2)) {
        (Some(l), Some(o)) => (l, o),
        _ => return Err("usage: skin_features LIST.txt OUT.f32 [--mirror]".into()),
    };
    let mirror = args.iter().any(|a| a == "--mirror");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/skin");
    let model = SkinModel::from_bytes(
        &std::fs::read(dir.join("skin.safetensors"))?,
        &std::fs::read_to_string(dir.join("calibration.json"))?,
        &std::fs::read_to_string(dir.join("labels.json"))?,
    )?;
    let limits = Limits::default();
    let mut width = 0;
    let mut out = std::io::BufWriter::new(std::fs::File::create(out)?);
    for line in std::io::BufReader::new(std::fs::File::open(list)?).lines() {
        let path = line?;
        if path.trim().is_empty() {
            continue;
        }
        let pixels = std::fs::read(&path)
            .ok()
            .and_then(|b| hifu::skin::upright_pixels(&b, &limits).ok());
        let mut rows = vec![features(&model, pixels.as_ref(), width)];
        if mirror {
            rows.push(features(
                &model,
                pixels.as_ref().and_then(mirrored).as_ref(),
                width,
            ));
        }
        for row in rows {
            if width == 0 {
                // The first row sets the width: a NaN row needs it.
                width = row.len();
                if width == 0 {
                    return Err(format!("{path}: the first photo must decode").into());
                }
            }
            if row.len() != width {
                return Err(format!("{path}: {} features, expected {width}", row.len()).into());
            }
            for v in row {
                out.write_all(&v.to_le_bytes())?;
            }
        }
    }
    eprintln!("{width} features per row");
    Ok(())
}
