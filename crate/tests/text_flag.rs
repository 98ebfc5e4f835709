//! The burned-in text check on real photos of the half that did not choose its rule
//! (`scripts/train/text_rule.py`: sha256("text-split:" + photo) mod 2 = 1, reproduced here):
//! printed labels laid over clinical photos, at their size and enlarged as if photographed from
//! close by, are found and their ink filled, DermNet's
//! burned-in logo and SD-198's DermQuest captions are found, and clinical photos without text
//! are left alone. The labels are hifu's own (tests/fixtures/text_labels/make_labels.py: IDs,
//! names in kanji, kana and Latin letters, dates, hospital names); the photos come from
//! ../shared/data/clinical. Figures on every photo of the half: models/text/README.md.
//! Needs models/text/ppocr_det.safetensors (scripts/convert-ppocr-det) and ../shared.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::path::{Path, PathBuf};

use hifu::decode::Pixels;
use hifu::redact::FILL_RGB;
use hifu::scrub::PixelStep;
use hifu::text::{TextStep, TEXT};
use image::RgbImage;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

#[derive(Deserialize)]
struct Label {
    file: String,
    ink: [u8; 3],
    sticker: bool,
}

fn step() -> TextStep {
    let bytes = std::fs::read(common::repo().join("models/text/ppocr_det.safetensors"))
        .expect("models/text/ppocr_det.safetensors missing: run scripts/convert-ppocr-det");
    TextStep::from_safetensors(&bytes).unwrap()
}

/// text_rule.py: int(sha256("text-split:" + "<folder>/…/<name>.jpg").hexdigest(), 16) % 2.
fn in_report_half(path: &Path) -> bool {
    let text = path.to_string_lossy();
    let key = text.split("clinical/").last().unwrap_or_default();
    Sha256::digest(format!("text-split:{key}").as_bytes()).last().is_some_and(|b| b % 2 == 1)
}

/// Every `every`-th photo of the report half of a ../shared/data/clinical folder, sorted.
fn photos(folder: &str, every: usize, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = walk(&common::shared().join("data/clinical").join(folder))
        .into_iter()
        .filter(|p| in_report_half(p) && keep(p))
        .collect();
    all.sort();
    all.into_iter().step_by(every).collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg")) {
            out.push(path);
        }
    }
    out
}

/// SD-198's DermQuest photos (names like 023418VB.jpg) carry a caption strip.
fn dermquest(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    let stem = name.trim_end_matches(".jpg");
    stem.len() == 8 && stem[..6].bytes().all(|b| b.is_ascii_digit()) && (stem.ends_with("HB") || stem.ends_with("VB"))
}

/// A DermQuest photo without its caption strip, as scripts/train/text_strip_sd198.py cuts it:
/// the bottom rows where a quarter of the pixels are within 14 of the bottom row's median
/// colour, and 6 % of the height above them.
fn cut_strip(photo: &RgbImage) -> RgbImage {
    let (w, h) = photo.dimensions();
    let median = |c: usize| {
        let mut v: Vec<u8> = (0..w).map(|x| photo.get_pixel(x, h - 2).0[c]).collect();
        v.sort_unstable();
        // numpy's median of an even count is the mean of the middle two.
        (f32::from(v[v.len() / 2]) + f32::from(v[(v.len() - 1) / 2])) / 2.0
    };
    let grey = [median(0), median(1), median(2)];
    let near = |y: u32| {
        let n = (0..w)
            .filter(|&x| {
                let p = photo.get_pixel(x, y).0;
                (0..3).all(|c| (f32::from(p[c]) - grey[c]).abs() < 14.0)
            })
            .count();
        n as f32 / w as f32 > 0.25
    };
    let mut y = h;
    while y > 0 && near(y - 1) {
        y -= 1;
    }
    let top = (y as f32 - 0.06 * h as f32) as u32;
    image::imageops::crop_imm(photo, 0, 0, w, top).to_image()
}

fn pixels(img: RgbImage) -> Pixels {
    let (w, h) = img.dimensions();
    Pixels::new(w, h, 3, Zeroizing::new(img.into_raw())).unwrap()
}

/// The text flag's regions `[x, y, w, h]`, after running the step on `p` and painting the fills
/// it asked for, as a scrub does.
fn text_regions(step: &mut TextStep, p: &mut Pixels) -> Vec<[f32; 4]> {
    let outcome = step.run(p).unwrap();
    hifu::scrub::paint_fills(p, &outcome.fill).unwrap();
    outcome.review.iter().filter(|f| f.kind == TEXT).flat_map(|f| f.regions.clone()).collect()
}

fn overlaps(a: &[f32; 4], b: &[f32; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

/// How much of each label was found and how much of its ink filled: every label of
/// tests/fixtures/text_labels over a MED-NODE photo of the report half (at the detector's own
/// scale), `resize(label index, label, photo width and height)` deciding its size.
struct LabelsFound {
    flagged: usize,
    labels: usize,
    ink_covered: f64,
}

fn labels_over_photos(resize: impl Fn(usize, &image::GrayImage, (u32, u32)) -> image::GrayImage) -> LabelsFound {
    let dir = common::repo().join("tests/fixtures/text_labels");
    let labels: Vec<Label> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("labels.json")).unwrap()).unwrap();
    let backgrounds = photos("mednode", 2, |_| true);
    let mut step = step();
    let (mut flagged, mut ink, mut covered) = (0, 0usize, 0usize);
    for (i, label) in labels.iter().enumerate() {
        let photo = image::open(&backgrounds[i % backgrounds.len()]).unwrap().to_rgb8();
        // At the detector's own scale (long side 960), as a camera-sized photo is seen.
        let scale = 960.0 / photo.width().max(photo.height()) as f32;
        let mut photo = image::imageops::resize(
            &photo,
            (photo.width() as f32 * scale) as u32,
            (photo.height() as f32 * scale) as u32,
            image::imageops::FilterType::Triangle,
        );
        let (pw, ph) = photo.dimensions();
        let mask = resize(i, &image::open(dir.join(&label.file)).unwrap().to_luma8(), (pw, ph));
        let (lw, lh) = mask.dimensions();
        // Five places in turn: the four corners (inset) and the centre.
        let (x0, y0) = match i % 5 {
            0 => (20, 20),
            1 => (pw - lw - 20, 20),
            2 => (20, ph - lh - 20),
            3 => (pw - lw - 20, ph - lh - 20),
            _ => ((pw - lw) / 2, (ph - lh) / 2),
        };
        let mut ink_at = Vec::new();
        for (x, y, m) in mask.enumerate_pixels() {
            let px = photo.get_pixel_mut(x0 + x, y0 + y);
            let a = f32::from(m.0[0]) / 255.0;
            for c in 0..3 {
                let under = if label.sticker { 255.0 } else { f32::from(px.0[c]) };
                px.0[c] = (f32::from(label.ink[c]) * a + under * (1.0 - a)).round() as u8;
            }
            if m.0[0] >= 128 {
                ink_at.push((x0 + x, y0 + y));
            }
        }
        let mut p = pixels(photo);
        let regions = text_regions(&mut step, &mut p);
        let label_box = [x0 as f32, y0 as f32, lw as f32, lh as f32];
        if regions.iter().any(|r| overlaps(r, &label_box)) {
            flagged += 1;
        }
        let samples = p.samples();
        for (x, y) in &ink_at {
            let at = ((y * pw + x) * 3) as usize;
            // Covered: inside a reported region and painted with the fill.
            let inside = regions.iter().any(|r| {
                (*x as f32) >= r[0] && (*x as f32) < r[0] + r[2] && (*y as f32) >= r[1] && (*y as f32) < r[1] + r[3]
            });
            if inside && samples[at..at + 3] == FILL_RGB {
                covered += 1;
            }
        }
        ink += ink_at.len();
    }
    LabelsFound { flagged, labels: labels.len(), ink_covered: covered as f64 / ink as f64 }
}

#[test]
fn printed_labels_over_clinical_photos_are_flagged_and_their_ink_filled() {
    let found = labels_over_photos(|_, mask, _| mask.clone());
    let LabelsFound { flagged, labels, ink_covered } = found;
    println!("labels flagged {flagged}/{labels}, ink covered {ink_covered:.3}");
    assert!(flagged * 100 >= labels * 95, "{flagged}/{labels} labels flagged");
    assert!(ink_covered >= 0.90, "{ink_covered:.3} of the ink covered");
}

/// A name or ID label photographed from close by next to a small lesion: its lines are thick,
/// 8–25 % of the photo's short side for the whole label (the rule reaches lines up to 8 %).
#[test]
fn large_labels_photographed_close_are_flagged_and_their_ink_filled() {
    let found = labels_over_photos(|i, mask, (pw, ph)| {
        let share = 0.08 + 0.17 * (i % 8) as f32 / 7.0;
        let scale = share * pw.min(ph) as f32 / mask.height() as f32;
        let (w, h) = ((mask.width() as f32 * scale) as u32, (mask.height() as f32 * scale) as u32);
        // A label too wide for the photo at that size is kept at the widest that fits.
        let fit = ((pw - 60) as f32 / w as f32).min(1.0);
        image::imageops::resize(mask, (w as f32 * fit) as u32, (h as f32 * fit) as u32, image::imageops::FilterType::CatmullRom)
    });
    let LabelsFound { flagged, labels, ink_covered } = found;
    println!("large labels flagged {flagged}/{labels}, ink covered {ink_covered:.3}");
    assert!(flagged * 100 >= labels * 95, "{flagged}/{labels} large labels flagged");
    assert!(ink_covered >= 0.90, "{ink_covered:.3} of the ink covered");
}

#[test]
fn dermnet_logo_text_is_flagged() {
    let sample = photos("dermnet", 25, |_| true);
    let mut step = step();
    let mut flagged = 0;
    for path in &sample {
        let mut p = pixels(image::open(path).unwrap().to_rgb8());
        let (w, h) = (p.width() as f32, p.height() as f32);
        let regions = text_regions(&mut step, &mut p);
        // The logo's words sit in the lower-left quarter of DermNet's photos.
        if regions.iter().any(|r| r[0] < w / 2.0 && r[1] + r[3] > h / 2.0) {
            flagged += 1;
        }
    }
    println!("dermnet logos flagged {flagged}/{}", sample.len());
    assert!(flagged * 100 >= sample.len() * 95, "{flagged}/{}", sample.len());
}

#[test]
fn dermquest_captions_are_flagged() {
    let sample = photos("sd198", 4, dermquest);
    let mut step = step();
    let mut flagged = 0;
    for path in &sample {
        let mut p = pixels(image::open(path).unwrap().to_rgb8());
        let h = p.height() as f32;
        // The caption strip is the bottom fifth or less.
        if text_regions(&mut step, &mut p).iter().any(|r| r[1] + r[3] / 2.0 > h * 0.8) {
            flagged += 1;
        }
    }
    println!("dermquest captions flagged {flagged}/{}", sample.len());
    assert!(flagged * 100 >= sample.len() * 90, "{flagged}/{}", sample.len());
}

#[test]
fn clinical_photos_without_text_are_rarely_flagged() {
    let mut sample: Vec<(PathBuf, RgbImage)> =
        photos("mednode", 1, |_| true).into_iter().map(|p| { let i = image::open(&p).unwrap().to_rgb8(); (p, i) }).collect();
    for path in photos("sd198", 2, dermquest) {
        let photo = cut_strip(&image::open(&path).unwrap().to_rgb8());
        sample.push((path, photo));
    }
    let mut step = step();
    let mut flagged = Vec::new();
    for (path, photo) in sample.iter() {
        let mut p = pixels(photo.clone());
        if !text_regions(&mut step, &mut p).is_empty() {
            flagged.push(path.clone());
        }
    }
    println!("photos without text flagged {}/{}: {flagged:?}", flagged.len(), sample.len());
    assert!(flagged.len() * 100 <= sample.len() * 2, "{}/{} flagged: {flagged:?}", flagged.len(), sample.len());
}
