//! The burned-in text check for `hifu scrub` and `hifu contribute`: on unless
//! `--no-text-check`. It needs the text detector (models/text/ppocr_det.safetensors, made by
//! scripts/convert-ppocr-det); when it is missing the command stops before reading any photo
//! (fail closed).

use hifu::text::TextStep;
use std::path::PathBuf;

const FOLDER: &str = "models/text";
const WEIGHTS: &str = "ppocr_det.safetensors";

#[derive(clap::Args)]
pub struct TextArgs {
    /// Skip the burned-in text check. Names, IDs and dates written into a photo then leave
    /// unfilled and the photo is not held for review.
    #[arg(long)]
    no_text_check: bool,
    /// The folder with ppocr_det.safetensors (default: models/text beside the executable or in
    /// the current directory or above).
    #[arg(long, value_name = "DIR")]
    text_model: Option<PathBuf>,
}

impl TextArgs {
    pub fn step(&self) -> Result<Option<TextStep>, String> {
        if self.no_text_check {
            return Ok(None);
        }
        let dir = match &self.text_model {
            Some(dir) => Some(dir.clone()),
            None => crate::models::find(FOLDER, |d| d.join(WEIGHTS).is_file()),
        };
        let path = dir.map(|d| d.join(WEIGHTS)).filter(|p| p.is_file()).ok_or_else(|| {
            format!(
                "the text check needs {FOLDER}/{WEIGHTS} (scripts/convert-ppocr-det makes it): \
                 install it, pass --text-model, or --no-text-check if a person will look at \
                 every photo"
            )
        })?;
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {} ({e})", path.display()))?;
        TextStep::from_safetensors(&bytes).map(Some).map_err(|e| e.to_string())
    }
}
