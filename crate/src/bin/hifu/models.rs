//! Finding the model files shipped beside the binary: `models/…` next to the executable (or
//! above it, for `target/*/hifu` in a checkout), then in the current directory or above it.

use std::path::{Path, PathBuf};

/// The first `<ancestor>/<relative>` for which `usable` holds.
pub fn find(relative: &str, usable: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let cwd = std::env::current_dir().ok();
    [exe_dir, cwd]
        .into_iter()
        .flatten()
        .flat_map(|start| {
            start
                .ancestors()
                .map(|a| a.join(relative))
                .collect::<Vec<_>>()
        })
        .find(|candidate| usable(candidate))
}
