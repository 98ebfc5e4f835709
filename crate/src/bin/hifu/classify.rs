//! `hifu classify IMAGE... [--json] [--model DIR]`: skin-lesion decision support for photos.
//!
//! Each photo goes through the scrub core's decode (format check, limits, EXIF orientation,
//! ICC → sRGB) and then the classifier in `hifu::skin`. Nothing is written; nothing leaves the
//! machine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hifu::skin::{classify_bytes, Classification, Decision, SkinModel};
use hifu::Limits;
use serde_json::json;

const MODEL_DIR: &str = "models/skin";
const FILES: [&str; 3] = ["skin.safetensors", "calibration.json", "labels.json"];

#[derive(clap::Args)]
pub struct Args {
    /// Photos to classify (JPEG, PNG, WebP, TIFF).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Print one JSON object per photo (every class with its calibrated probability, sorted,
    /// the abstention and the heat map) instead of a summary.
    #[arg(long)]
    json: bool,
    /// Folder with skin.safetensors, calibration.json and labels.json (default: models/skin
    /// next to the executable or in the current directory or one of its parents).
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// How many classes the summary lists.
    #[arg(long, default_value_t = 3)]
    top: usize,
}

/// `models/skin` holding every model file, found as [`crate::models::find`] searches.
pub fn find_model_dir() -> Option<PathBuf> {
    crate::models::find(MODEL_DIR, |dir| FILES.iter().all(|f| dir.join(f).is_file()))
}

pub fn load_model(dir: &Path) -> Result<SkinModel, String> {
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| {
            format!(
                "cannot read {} ({e}): pass --model with the folder holding {}",
                dir.join(name).display(),
                FILES.join(", ")
            )
        })
    };
    let weights = read(FILES[0])?;
    let text = |bytes: Vec<u8>, name: &str| {
        String::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8 text: reinstall it"))
    };
    let calibration = text(read(FILES[1])?, FILES[1])?;
    let labels = text(read(FILES[2])?, FILES[2])?;
    SkinModel::from_bytes(&weights, &calibration, &labels).map_err(|e| e.to_string())
}

fn summary(path: &Path, result: &Classification, top: usize) {
    let verdict = match result.abstention.decision {
        Decision::Confident => "suggestion",
        Decision::NotSure => "not sure",
        Decision::NotSkin => "not a skin photo",
    };
    say!("{}: {verdict}", path.display());
    say!("  {}", result.abstention.reason);
    if result.abstention.decision != Decision::NotSkin {
        for c in result.top(top) {
            let malignant = if c.malignant { "  [malignant]" } else { "" };
            say!(
                "  {:>5.1} %  {:<5}  {} / {}{malignant}",
                c.probability * 100.0,
                c.code,
                c.en,
                c.ja
            );
        }
        for a in result.alerts.iter().filter(|a| a.raised) {
            say!(
                "  {}: {:.0} % ≥ {:.0} % (at this threshold {:.0} % of such lesions were flagged in validation, {:.0} % of the others were not)",
                a.point.en,
                a.probability * 100.0,
                a.point.threshold * 100.0,
                a.point.sensitivity * 100.0,
                a.point.specificity * 100.0
            );
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    let dir = match args.model.clone().or_else(find_model_dir) {
        Some(dir) => dir,
        None => {
            eprintln!(
                "hifu classify: no classifier model found (looked for {MODEL_DIR}/ next to the \
                 hifu executable and in the current directory and its parents): pass --model DIR"
            );
            return ExitCode::from(2);
        }
    };
    let model = match load_model(&dir) {
        Ok(model) => model,
        Err(message) => {
            eprintln!("hifu classify: {message}");
            return ExitCode::from(2);
        }
    };
    let limits = Limits::default();
    let mut failed = false;
    for path in &args.images {
        let result = std::fs::read(path)
            .map_err(|e| ("io.read", format!("cannot read the file ({e})")))
            .and_then(|bytes| {
                classify_bytes(&bytes, &model, &limits).map_err(|e| (e.code(), e.to_string()))
            });
        match (result, args.json) {
            (Ok(c), true) => {
                say!(
                    "{}",
                    json!({ "file": path.display().to_string(), "ok": true, "classification": c })
                )
            }
            (Ok(c), false) => summary(path, &c, args.top),
            (Err((code, message)), json_out) => {
                failed = true;
                if json_out {
                    say!(
                        "{}",
                        json!({ "file": path.display().to_string(), "ok": false,
                                "error": { "code": code, "message": message } })
                    );
                } else {
                    eprintln!("{}: {message} [{code}]", path.display());
                }
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
