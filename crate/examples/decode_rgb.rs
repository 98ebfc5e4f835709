//! Decodes a photo with hifu's own decoder (the `image` crate) and writes every `step`-th pixel
//! as raw 8-bit RGB to stdout, after a `WIDTH HEIGHT\n` line. The YuNet parity script
//! (tests/parity/yunet/make_reference.py) uses it so that the reference and the Rust test feed
//! bit-identical pixels (JPEG decoders differ by ±1 in places).
//!
//! Usage: `cargo run -p hifu --example decode_rgb -- PHOTO STEP`

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(step)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: decode_rgb PHOTO STEP");
        std::process::exit(2);
    };
    let step: usize = step.parse()?;
    let img = image::open(path)?.to_rgb8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} {}", w.div_ceil(step), h.div_ceil(step))?;
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            out.write_all(&img.get_pixel(x as u32, y as u32).0)?;
        }
    }
    Ok(())
}
