//! The tattoo check for `hifu scrub` and `hifu contribute`: on unless `--no-tattoo-check`. It needs the skin
//! classifier (models/skin) and the tattoo head (models/tattoo/tattoo.json); when either is
//! missing the command stops before reading any photo (fail closed).

use hifu::skin::{SkinModel, TattooHead, TattooStep};
use std::path::PathBuf;

const FOLDER: &str = "models/tattoo";
const HEAD: &str = "tattoo.json";

#[derive(clap::Args)]
pub struct TattooArgs {
    /// Skip the tattoo check. Photos showing a tattoo then leave without being held for review.
    #[arg(long)]
    no_tattoo_check: bool,
    /// The folder with tattoo.json (default: models/tattoo beside the executable or in the
    /// current directory or above). The skin classifier is found as `hifu classify` finds it.
    #[arg(long, value_name = "DIR")]
    tattoo_model: Option<PathBuf>,
}

impl TattooArgs {
    pub fn step(&self) -> Result<Option<TattooStep>, String> {
        if self.no_tattoo_check {
            return Ok(None);
        }
        let dir = match &self.tattoo_model {
            Some(dir) => Some(dir.clone()),
            None => crate::models::find(FOLDER, |d| d.join(HEAD).is_file()),
        };
        let missing = || {
            format!(
                "the tattoo check needs {FOLDER}/{HEAD} and the skin classifier (models/skin): \
                 reinstall them, pass --tattoo-model, or --no-tattoo-check if a person will \
                 look at every photo"
            )
        };
        let dir = dir.ok_or_else(missing)?;
        let skin_dir = crate::classify::find_model_dir().ok_or_else(missing)?;
        let model: SkinModel = crate::classify::load_model(&skin_dir)?;
        let text = std::fs::read_to_string(dir.join(HEAD))
            .map_err(|e| format!("cannot read {} ({e})", dir.join(HEAD).display()))?;
        let head = TattooHead::from_json(&text, model.feature_len()).map_err(|e| e.to_string())?;
        Ok(Some(TattooStep::new(model, head)))
    }
}
