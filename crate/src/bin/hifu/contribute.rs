//! `hifu contribute`: the whole site pipeline. Records and the opt-out register are read
//! first; opted-out patients' photos are set aside unopened; every other linked photo is
//! scrubbed, its record de-identified, and both are sealed to the hub as they go (images
//! first, the manifest last), so memory holds one photo at a time.

use super::keys::{os_rng, read_key_text, write_new_file};
use hifu::contribute::{plan, BundleWriter};
use hifu::record::{OptOut, Policy, RowError, SiteKey};
use hifu::seal::{HubPublicKey, ScrubSummary, DEFAULT_CHUNK_SIZE};
use hifu::{ScrubOptions, Status};
use serde::Serialize;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

#[derive(clap::Args)]
pub struct Args {
    /// The clinical records (CSV; UTF-8 or Shift_JIS; Japanese or English headers).
    #[arg(long)]
    records: PathBuf,
    /// Folder of photos (not searched recursively).
    #[arg(long)]
    photos: PathBuf,
    /// Opt-out register: CSV of patient IDs whose photos must not be contributed.
    #[arg(long)]
    opt_out: Option<PathBuf>,
    /// The site key (from `hifu site keygen`).
    #[arg(long)]
    site_key: PathBuf,
    /// The hub's public key (hub.pub).
    #[arg(long)]
    hub_key: PathBuf,
    /// The sealed bundle to write (refuses to overwrite).
    #[arg(long)]
    out: PathBuf,
    /// Write a JSON report (counts, row errors, unmatched photos) here. It stays at the site.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The site's short code, written into the manifest.
    #[arg(long, default_value = "unspecified")]
    site_code: String,
    /// A label for this batch (e.g. "2024-Q2"), written into the manifest.
    #[arg(long)]
    batch: Option<String>,
    /// De-identification policy as JSON (fields of the policy; missing ones keep defaults).
    #[arg(long)]
    policy: Option<PathBuf>,
    #[command(flatten)]
    faces: crate::faces::FaceArgs,
    #[command(flatten)]
    text: crate::text::TextArgs,
    #[command(flatten)]
    tattoo: crate::tattoo::TattooArgs,
    #[command(flatten)]
    fingerprint: crate::fingerprint::FingerprintArgs,
    /// Photos a person has looked at and approved although they were flagged (a partial face,
    /// a possible face part, burned-in text, a tattoo, a fingerprint): a text file, one photo file name per line. Every other
    /// flagged photo is held back and listed in the report.
    #[arg(long, value_name = "FILE")]
    approve: Option<PathBuf>,
}

#[derive(Serialize, Default)]
struct Report {
    records: Option<hifu::record::ImportSummary>,
    row_errors: Vec<RowError>,
    opt_out_register_size: usize,
    /// Photos of opted-out patients, set aside unopened (a count, never names).
    photos_excluded_opt_out: u64,
    photos_found: u64,
    /// Files skipped because their names are not valid Unicode (rename them to include them).
    photos_skipped_bad_name: u64,
    photos_linked: u64,
    photos_contributed: u64,
    /// Photos the face gate kept back.
    photos_excluded_by_gate: u64,
    /// Flagged photos not sealed: a person must look at them and list them in `--approve`.
    photos_held_for_review: Vec<HeldPhoto>,
    /// Flagged photos the policy excludes outright (`exclude_flagged`), with the flag.
    photos_excluded_by_policy: Vec<HeldPhoto>,
    photos_failed: Vec<PhotoFailure>,
    unmatched_photos: Vec<String>,
    unmatched_rows: Vec<u64>,
    conflicting_photos: Vec<(String, Vec<u64>)>,
    bundle: Option<String>,
}

#[derive(Serialize)]
struct HeldPhoto {
    photo: String,
    /// What was flagged: `partial_face`, `face_part`, `text`, `tattoo`, `fingerprint`.
    kinds: Vec<String>,
}

#[derive(Serialize)]
struct PhotoFailure {
    photo: String,
    code: String,
    message: String,
}

pub fn run(args: Args) -> ExitCode {
    let mut report = Report::default();
    let result = contribute(&args, &mut report);
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report).unwrap_or_default();
        if let Err(message) = write_new_file(path, &json, true) {
            eprintln!("hifu contribute: {message}");
            return ExitCode::from(2);
        }
    }
    match result {
        Err(message) => {
            eprintln!("hifu contribute: {message}");
            ExitCode::from(2)
        }
        Ok(()) => {
            print_summary(&report);
            let some_failed = !report.row_errors.is_empty()
                || !report.photos_held_for_review.is_empty()
                || report.photos_skipped_bad_name > 0
                || !report.photos_failed.is_empty()
                || !report.conflicting_photos.is_empty();
            if some_failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

fn print_summary(report: &Report) {
    if let Some(records) = &report.records {
        say!(
            "records ({:?}): {} rows, {} accepted, {} rejected, {} excluded (opt-out)",
            records.encoding, records.rows, records.accepted, records.rejected, records.excluded
        );
        if !records.ignored_columns.is_empty() {
            say!(
                "ignored columns (not used, not sent): {}",
                records.ignored_columns.join(", ")
            );
        }
    }
    for error in &report.row_errors {
        eprintln!("  {error}");
    }
    say!(
        "photos: {} found, {} excluded (opt-out), {} linked, {} contributed, {} kept back by the face gate, {} excluded by the policy, {} failed",
        report.photos_found,
        report.photos_excluded_opt_out,
        report.photos_linked,
        report.photos_contributed,
        report.photos_excluded_by_gate,
        report.photos_excluded_by_policy.len(),
        report.photos_failed.len()
    );
    for excluded in &report.photos_excluded_by_policy {
        say!("  {}: excluded by the policy ({})", excluded.photo, excluded.kinds.join(", "));
    }
    for held in &report.photos_held_for_review {
        eprintln!(
            "  {}: held for review ({}); look at it and list it in --approve to send it",
            held.photo,
            held.kinds.join(", ")
        );
    }
    for failure in &report.photos_failed {
        eprintln!(
            "  {}: {} ({})",
            failure.photo, failure.message, failure.code
        );
    }
    if report.photos_skipped_bad_name > 0 {
        eprintln!(
            "  {} files skipped: their names are not valid Unicode; rename them",
            report.photos_skipped_bad_name
        );
    }
    if !report.unmatched_photos.is_empty() {
        say!(
            "photos without a record (not sent): {}",
            report.unmatched_photos.join(", ")
        );
    }
    if !report.unmatched_rows.is_empty() {
        say!("rows without a photo: {:?}", report.unmatched_rows);
    }
    for (photo, rows) in &report.conflicting_photos {
        eprintln!("  {photo} is claimed by rows {rows:?}: not sent; fix the file-name column");
    }
}

fn contribute(args: &Args, report: &mut Report) -> Result<(), String> {
    let site_key = SiteKey::from_text(&read_key_text(&args.site_key, "site key")?)
        .map_err(|e| e.to_string())?;
    let hub_key = HubPublicKey::from_text(&read_key_text(&args.hub_key, "hub public key")?)
        .map_err(|e| e.to_string())?;
    let policy = match &args.policy {
        Some(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            serde_json::from_slice::<Policy>(&bytes)
                .map_err(|e| format!("the policy {} is not valid: {e}", path.display()))?
        }
        None => Policy::default(),
    };
    policy.validate().map_err(|e| e.to_string())?;
    if args.out.exists() {
        return Err(format!(
            "{} already exists; hifu does not overwrite bundles",
            args.out.display()
        ));
    }

    // Opt-out first: it decides what is never opened.
    let opt_out = match &args.opt_out {
        Some(path) => OptOut::from_csv(&read_text_file(path)?).map_err(|e| e.to_string())?,
        None => OptOut::none(),
    };
    report.opt_out_register_size = opt_out.len();
    let (photos, skipped) = list_photos(&args.photos)?;
    report.photos_skipped_bad_name = skipped;
    report.photos_found = photos.len() as u64;
    let plan = plan(&read_text_file(&args.records)?, &opt_out, photos, &policy, &site_key)
        .map_err(|e| e.to_string())?;
    report.records = Some(plan.summary.clone());
    report.row_errors = plan.row_errors.clone();
    report.photos_excluded_opt_out = plan.photos_excluded_opt_out as u64;
    report.photos_linked = plan.links.len() as u64;
    report.unmatched_photos = plan.unmatched_photos.clone();
    report.unmatched_rows = plan.unmatched_rows.clone();
    report.conflicting_photos = plan.conflicts.clone();

    let approved: std::collections::BTreeSet<String> = match &args.approve {
        Some(path) => String::from_utf8(read_text_file(path)?)
            .map_err(|_| format!("{} is not UTF-8 text", path.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect(),
        None => Default::default(),
    };
    // Loaded before any photo is read, so a missing model stops the run rather than a photo.
    let mut text = args.text.step()?;
    let mut tattoo = args.tattoo.step()?;
    let mut fingerprint = args.fingerprint.step();
    let mut rng = os_rng()?;
    let mut bundle = BundleWriter::new(
        &hub_key,
        &args.site_code,
        args.batch.clone(),
        policy.clone(),
        DEFAULT_CHUNK_SIZE,
        &mut rng,
    )
    .map_err(|e| e.to_string())?;
    let mut staging_name = args.out.as_os_str().to_owned();
    staging_name.push(".partial");
    let staging = PathBuf::from(staging_name);
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let result = (|| -> Result<(), String> {
        let write_err = |e: std::io::Error| format!("cannot write {}: {e}", staging.display());
        out.write_all(&bundle.take_output()).map_err(write_err)?;
        let options = ScrubOptions::default();
        let mut faces = args.faces.step()?;
        for planned in plan.links {
            let bytes = Zeroizing::new(read(&args.photos.join(&planned.photo))?);
            let mut chain = hifu::Chain::new(&mut faces);
            if let Some(text) = text.as_mut() {
                chain = chain.check(text);
            }
            if let Some(tattoo) = tattoo.as_mut() {
                chain = chain.check(tattoo);
            }
            if let Some(fingerprint) = fingerprint.as_mut() {
                chain = chain.check(fingerprint);
            }
            let scrubbed = match hifu::scrub_with(&bytes, &options, &mut chain) {
                Ok(scrubbed) => scrubbed,
                Err(error) => {
                    report.photos_failed.push(PhotoFailure {
                        photo: planned.photo.clone(),
                        code: error.code().into(),
                        message: error.to_string(),
                    });
                    continue;
                }
            };
            drop(bytes);
            if scrubbed.report.status == Status::Excluded {
                report.photos_excluded_by_gate += 1;
                continue;
            }
            if let Some(kind) = policy.excluded_flag(&scrubbed.report.review) {
                report.photos_excluded_by_policy.push(HeldPhoto {
                    photo: planned.photo.clone(),
                    kinds: vec![kind.to_owned()],
                });
                continue;
            }
            if !scrubbed.report.review.is_empty() && !approved.contains(&planned.photo) {
                let mut kinds: Vec<String> =
                    scrubbed.report.review.iter().map(|r| r.kind.clone()).collect();
                kinds.sort();
                kinds.dedup();
                report.photos_held_for_review.push(HeldPhoto {
                    photo: planned.photo.clone(),
                    kinds,
                });
                continue;
            }
            let image = Zeroizing::new(scrubbed.image);
            bundle
                .add(&image, scrubbed.mime, planned.record, ScrubSummary::from_report(&scrubbed.report))
                .map_err(|e| e.to_string())?;
            out.write_all(&bundle.take_output()).map_err(write_err)?;
            report.photos_contributed += 1;
        }
        out.write_all(&bundle.finish().map_err(|e| e.to_string())?)
            .map_err(write_err)?;
        out.sync_all().map_err(write_err)?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            std::fs::rename(&staging, &args.out).map_err(|e| {
                format!(
                    "cannot move {} to {}: {e}",
                    staging.display(),
                    args.out.display()
                )
            })?;
            report.bundle = Some(args.out.display().to_string());
            Ok(())
        }
        Err(message) => {
            let _ = std::fs::remove_file(&staging);
            Err(message)
        }
    }
}

/// A records or opt-out file: at most one byte more than the core reads, so that a huge file
/// is refused by the core's size check without being loaded whole.
fn read_text_file(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(hifu::record::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(bytes)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Regular files in `dir`, sorted; hidden files (".DS_Store") are skipped, and files whose
/// names are not Unicode are counted (second value) rather than guessed at.
fn list_photos(dir: &Path) -> Result<(Vec<String>, u64), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut photos = Vec::new();
    let mut skipped = 0u64;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            continue;
        }
        match entry.file_name().into_string() {
            Ok(name) if name.starts_with('.') => {}
            Ok(name) => photos.push(name),
            Err(_) => skipped += 1,
        }
    }
    photos.sort();
    Ok((photos, skipped))
}
