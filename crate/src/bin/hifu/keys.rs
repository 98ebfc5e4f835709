//! `hifu hub keygen` and `hifu site keygen`, plus the file helpers the record commands share:
//! secret files are created owner-only (0600) in the same call that creates them, and nothing
//! is ever overwritten.

use hifu::record::SiteKey;
use hifu::seal::generate_hub_keypair;
use rand_chacha::rand_core::{SeedableRng, TryRngCore};
use rand_chacha::ChaCha20Rng;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

#[derive(clap::Subcommand)]
pub enum SiteCommand {
    /// Create a new random site key (for patient pseudonyms; it never leaves the site).
    Keygen {
        /// Where to write the key (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run_hub_keygen(out: &Path) -> ExitCode {
    let private_path = out.join("hub.key");
    let public_path = out.join("hub.pub");
    for path in [&private_path, &public_path] {
        if path.exists() {
            eprintln!("hifu hub keygen: {} already exists; hifu never replaces a key (move it away first)", path.display());
            return ExitCode::from(2);
        }
    }
    let result = (|| -> Result<(), String> {
        std::fs::create_dir_all(out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
        let mut rng = os_rng()?;
        let private = generate_hub_keypair(&mut rng);
        write_new_file(&private_path, private.to_text().as_bytes(), true)?;
        write_new_file(
            &public_path,
            private.public_key().to_text().as_bytes(),
            false,
        )?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            say!(
                "wrote {} (private, owner-only) and {}",
                private_path.display(),
                public_path.display()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("hifu hub keygen: {message}");
            ExitCode::from(2)
        }
    }
}

pub fn run_site(cmd: SiteCommand) -> ExitCode {
    let SiteCommand::Keygen { out } = cmd;
    let result = os_rng().and_then(|mut rng| {
        let key = SiteKey::generate(&mut rng);
        write_new_file(&out, key.to_text().as_bytes(), true)
    });
    match result {
        Ok(()) => {
            say!("wrote {} (owner-only); back it up: without it, new pseudonyms will not match old ones", out.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("hifu site keygen: {message}");
            ExitCode::from(2)
        }
    }
}

/// A CSPRNG seeded from the operating system's randomness.
pub fn os_rng() -> Result<ChaCha20Rng, String> {
    let mut seed = Zeroizing::new([0u8; 32]);
    rand_core::OsRng
        .try_fill_bytes(seed.as_mut_slice())
        .map_err(|e| format!("the operating system gave no randomness ({e})"))?;
    Ok(ChaCha20Rng::from_seed(*seed))
}

/// Creates `path` (never replacing it) and writes `bytes`. Secret files get mode 0600 at
/// creation, so there is no moment at which others could read them.
pub fn write_new_file(path: &Path, bytes: &[u8], secret: bool) -> Result<(), String> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!(
                "{} already exists; hifu does not overwrite it",
                path.display()
            )
        }
        _ => format!("cannot create {}: {e}", path.display()),
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads a key file into memory that is wiped afterwards.
pub fn read_key_text(path: &Path, what: &str) -> Result<Zeroizing<String>, String> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))?,
    );
    std::str::from_utf8(&bytes)
        .map(|s| Zeroizing::new(s.to_owned()))
        .map_err(|_| format!("the {what} {} is not a text file", path.display()))
}

/// `OUT.partial`, for a command that builds the folder OUT there and renames it only when
/// everything is written: refuses when OUT or a leftover `OUT.partial` exists.
pub fn staging_folder(out: &Path) -> Result<PathBuf, String> {
    if out.exists() {
        return Err(format!("{} already exists: pick a new folder", out.display()));
    }
    let mut staging = out.as_os_str().to_owned();
    staging.push(".partial");
    let staging = PathBuf::from(staging);
    if staging.exists() {
        return Err(format!(
            "{} exists (left by an earlier run?): remove it",
            staging.display()
        ));
    }
    Ok(staging)
}
