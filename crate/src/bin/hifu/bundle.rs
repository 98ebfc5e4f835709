//! `hifu bundle open` and `hifu bundle verify` (at the hub).

use super::keys::read_key_text;
use hifu::seal::{
    sha256_hex, Entry, HubPrivateKey, Manifest, Opener, OpenerLimits, MANIFEST_ENTRY,
};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Decrypt a bundle into a folder: DIR/manifest.json and DIR/images/….
    Open {
        /// The sealed bundle (.hifu).
        bundle: PathBuf,
        /// The hub's private key (hub.key).
        #[arg(long)]
        key: PathBuf,
        /// Folder to create (must not exist yet).
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a bundle's integrity and contents without writing anything.
    Verify {
        bundle: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
}

/// Why a command failed: the operator's input (exit 2) or the bundle itself (exit 1).
enum Failure {
    Usage(String),
    Bundle(String),
}

pub fn run(cmd: Command) -> ExitCode {
    let result = match cmd {
        Command::Open { bundle, key, out } => open(&bundle, &key, Some(&out)),
        Command::Verify { bundle, key } => open(&bundle, &key, None),
    };
    match result {
        Ok(manifest) => {
            say!(
                "ok: {} images from site {:?} (manifest schema {}, hifu {})",
                manifest.items.len(),
                manifest.site_code,
                manifest.schema_version,
                manifest.tool_version
            );
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => {
            eprintln!("hifu bundle: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Bundle(message)) => {
            eprintln!("hifu bundle: {message}");
            ExitCode::from(1)
        }
    }
}

fn open(bundle: &Path, key: &Path, out: Option<&Path>) -> Result<Manifest, Failure> {
    let key_text = read_key_text(key, "hub private key").map_err(Failure::Usage)?;
    let key = HubPrivateKey::from_text(&key_text)
        .map_err(|e| Failure::Usage(format!("{}: {e}", e.code())))?;
    let mut file = std::fs::File::open(bundle)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", bundle.display())))?;
    // Opened entries go to DIR.partial first; only a fully verified bundle becomes DIR.
    let staging = match out {
        Some(out) => {
            let staging = super::keys::staging_folder(out).map_err(Failure::Usage)?;
            std::fs::create_dir_all(staging.join("images"))
                .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", staging.display())))?;
            Some(staging)
        }
        None => None,
    };
    let result = read_entries(&mut file, &key, staging.as_deref());
    match (&result, &staging, out) {
        (Ok(_), Some(staging), Some(out)) => std::fs::rename(staging, out).map_err(|e| {
            Failure::Usage(format!(
                "cannot move {} to {}: {e}",
                staging.display(),
                out.display()
            ))
        })?,
        (Err(_), Some(staging), _) => {
            let _ = std::fs::remove_dir_all(staging);
        }
        _ => {}
    }
    result
}

fn read_entries(
    file: &mut std::fs::File,
    key: &HubPrivateKey,
    staging: Option<&Path>,
) -> Result<Manifest, Failure> {
    let fail = |e: hifu::seal::SealError| Failure::Bundle(format!("{}: {e}", e.code()));
    let mut opener = Opener::new(key, OpenerLimits::default());
    let mut buffer = vec![0u8; 1 << 16];
    let mut images = BTreeMap::new();
    let mut manifest = None;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| Failure::Usage(format!("cannot read the bundle: {e}")))?;
        if n == 0 {
            break;
        }
        opener
            .push(buffer.get(..n).unwrap_or_default())
            .map_err(fail)?;
        while let Some(entry) = opener.next_entry() {
            handle_entry(entry, staging, &mut images, &mut manifest)?;
        }
    }
    opener.finish().map_err(fail)?;
    let manifest =
        manifest.ok_or_else(|| Failure::Bundle("the bundle has no manifest.json".into()))?;
    manifest.check_images(&images).map_err(fail)?;
    Ok(manifest)
}

fn handle_entry(
    entry: Entry,
    staging: Option<&Path>,
    images: &mut BTreeMap<String, String>,
    manifest: &mut Option<Manifest>,
) -> Result<(), Failure> {
    if entry.name == MANIFEST_ENTRY {
        if manifest.is_some() {
            return Err(Failure::Bundle("the bundle has two manifests".into()));
        }
        *manifest = Some(
            Manifest::from_json(&entry.data)
                .map_err(|e| Failure::Bundle(format!("{}: {e}", e.code())))?,
        );
    } else if entry.name.starts_with("images/") {
        if images
            .insert(entry.name.clone(), sha256_hex(&entry.data))
            .is_some()
        {
            return Err(Failure::Bundle(format!(
                "the bundle holds {} twice",
                entry.name
            )));
        }
    } else {
        return Err(Failure::Bundle(format!(
            "unexpected entry {:?} in the bundle",
            entry.name
        )));
    }
    if let Some(dir) = staging {
        // Entry names were checked by the opener: no separators beyond "images/", no dots first.
        let path = dir.join(&entry.name);
        super::keys::write_new_file(&path, &entry.data, false).map_err(Failure::Usage)?;
    }
    Ok(())
}
