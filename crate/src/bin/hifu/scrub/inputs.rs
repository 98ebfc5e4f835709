//! Turning the command line's INPUT... into a list of photo files.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Extensions picked up when walking a folder. Files named explicitly are always tried: the
/// core sniffs the format from the bytes, so the extension only filters folder contents.
const PHOTO_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jpe", "png", "webp", "tif", "tiff", "heic", "heif",
];

/// One photo to process.
pub struct Input {
    /// The path as the operator wrote it (or folder + entry), for messages and the report.
    pub shown: PathBuf,
    pub canonical: PathBuf,
    /// Where its clean copy goes below --out-dir: the file name, or the path inside the folder.
    pub relative: PathBuf,
}

impl Input {
    pub fn shown_string(&self) -> String {
        self.shown.to_string_lossy().into_owned()
    }
}

/// Files as given, folders walked recursively in name order (hidden entries and `out_dir`
/// itself skipped, so a previous run's output inside an input folder is not scrubbed again).
pub fn collect_inputs(args: &[PathBuf], out_dir: &Path) -> Result<Vec<Input>, String> {
    let mut inputs = Vec::new();
    for arg in args {
        let canonical =
            fs::canonicalize(arg).map_err(|e| format!("cannot open {}: {e}", arg.display()))?;
        if canonical.is_dir() {
            if canonical == out_dir {
                return Err(format!(
                    "--out-dir must not be an input folder ({})",
                    arg.display()
                ));
            }
            walk(arg, &canonical, Path::new(""), out_dir, &mut inputs)
                .map_err(|e| format!("cannot list {}: {e}", arg.display()))?;
        } else {
            let name = canonical
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("photo"));
            inputs.push(Input {
                shown: arg.clone(),
                canonical,
                relative: name,
            });
        }
    }
    Ok(inputs)
}

fn walk(
    shown: &Path,
    dir: &Path,
    relative: &Path,
    out_dir: &Path,
    inputs: &mut Vec<Input>,
) -> std::io::Result<()> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            if fs::canonicalize(&path)? != out_dir {
                walk(
                    &shown.join(&name),
                    &path,
                    &relative.join(&name),
                    out_dir,
                    inputs,
                )?;
            }
        } else if file_type.is_file() && has_photo_extension(&path) {
            inputs.push(Input {
                shown: shown.join(&name),
                canonical: fs::canonicalize(&path)?,
                relative: relative.join(&name),
            });
        }
    }
    Ok(())
}

fn has_photo_extension(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.as_str()))
}

/// Reads at most `limit + 1` bytes, so an oversized file is still refused by the core with its
/// own error but is never read whole. The buffer is wiped when dropped.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    let cap = usize::try_from(len.min(limit.saturating_add(1))).unwrap_or(usize::MAX);
    // Sized up front: growing a Vec would leave unwiped copies of the photo in freed memory.
    let mut bytes = Zeroizing::new(Vec::with_capacity(cap));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}
