//! Synthetic sealed bundles for `scripts/bench hub`: `cargo run --release --example hub_bundles
//! -- HUB.pub OUT_DIR BUNDLES PHOTOS_PER_BUNDLE SIDE_PX [SEED]`. Each photo is a distinct random
//! blocky JPEG (distinct pixels and, almost surely, distinct perceptual hashes), three photos per
//! patient, with a record drawn from a few diagnoses, age bands and years.

use hifu::record::{DeidentifiedRecord, Policy, Sex};
use hifu::seal::{sha256_hex, HubPublicKey, Manifest, ManifestItem, ScrubSummary, Sealer};
use image::codecs::jpeg::JpegEncoder;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::path::PathBuf;

const DIAGNOSES: [&str; 6] = ["melanoma", "naevus", "basal cell carcinoma", "seborrhoeic keratosis", "psoriasis", "eczema"];

fn photo(rng: &mut ChaCha20Rng, side: u32) -> Vec<u8> {
    let mut grid = [0u8; 8 * 8 * 3];
    rng.fill_bytes(&mut grid);
    let cell = (side / 8).max(1);
    let image = image::RgbImage::from_fn(side, side, |x, y| {
        let i = (((y / cell).min(7) * 8 + (x / cell).min(7)) * 3) as usize;
        image::Rgb([grid[i], grid[i + 1], grid[i + 2]])
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image).unwrap();
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: hub_bundles HUB.pub OUT_DIR BUNDLES PHOTOS_PER_BUNDLE SIDE_PX [SEED]");
        std::process::exit(2);
    }
    let hub = HubPublicKey::from_text(&std::fs::read_to_string(&args[1]).unwrap()).unwrap();
    let out = PathBuf::from(&args[2]);
    let bundles: usize = args[3].parse().unwrap();
    let per: usize = args[4].parse().unwrap();
    let side: u32 = args[5].parse().unwrap();
    let seed: u64 = args.get(6).map(|s| s.parse().unwrap()).unwrap_or(1);
    std::fs::create_dir_all(&out).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut serial = 0u64;
    for b in 0..bundles {
        let mut manifest = Manifest::new(&format!("SITE-{:02}", b % 60), Policy::default());
        manifest.batch = Some(format!("synthetic-{seed}-{b}"));
        let mut images = Vec::with_capacity(per);
        for i in 0..per {
            let bytes = photo(&mut rng, side);
            let patient = serial / 3;
            serial += 1;
            manifest.items.push(ManifestItem {
                image: format!("images/{:05}.jpg", i + 1),
                sha256: sha256_hex(&bytes),
                mime: "image/jpeg".into(),
                record: DeidentifiedRecord {
                    pseudonym: format!("{seed:016x}{patient:048x}"),
                    age_band: Some(format!("{}-{}", 20 + patient % 12 * 5, 24 + patient % 12 * 5)),
                    sex: Some(if patient % 2 == 0 { Sex::Female } else { Sex::Male }),
                    capture_period: Some(format!("{}-{:02}", 2015 + patient % 10, 1 + patient % 12)),
                    diagnosis_first_visit: None,
                    final_diagnosis: Some(DIAGNOSES[(patient % 6) as usize].into()),
                    race: None,
                    lesion_site: None,
                },
                scrub: ScrubSummary { removed: vec![], orientation_applied: None, output_kind: None, faces_redacted: Some(0), gate: None, review: vec![], classifier: None },
            });
            images.push(bytes);
        }
        let mut sealer = Sealer::new(&hub, 64 * 1024, &mut rng).unwrap();
        let mut sealed = sealer.take_output();
        sealer.push_entry("manifest.json", &manifest.to_json().unwrap()).unwrap();
        for (item, bytes) in manifest.items.iter().zip(&images) {
            sealer.push_entry(&item.image, bytes).unwrap();
            sealed.extend(sealer.take_output());
        }
        sealed.extend(sealer.finish().unwrap());
        std::fs::write(out.join(format!("bundle-{seed}-{b:03}.hifu")), sealed).unwrap();
    }
}
