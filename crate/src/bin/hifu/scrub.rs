//! `hifu scrub INPUT... --out-dir DIR`: clean copies of photos, one JSON report line per input.
//!
//! A batch never stops on one bad file: it gets an error line (stderr and report) and the rest
//! go on. Exit 0 when every input succeeded, 1 when some failed, 2 on usage errors.

pub mod inputs;
mod report_line;

use hifu::{OutputFormat, Report, ScrubOptions, Status};
use inputs::{collect_inputs, Input};
use report_line::ReportLine;
use std::collections::HashSet;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Photos, or folders of photos (searched recursively for .jpg/.jpeg/.png/.webp/.tif/.tiff/.heic/.heif).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Where the clean copies go (created if missing). Never one of the input folders.
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// Also write one JSON object per input to this file (JSON Lines).
    #[arg(long, value_name = "FILE.jsonl")]
    report: Option<PathBuf>,
    /// Output format: `auto` keeps JPEG lossless when no pixel change is needed.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    format: FormatArg,
    /// JPEG quality when re-encoding (1-100).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: Option<u8>,
    #[command(flatten)]
    faces: crate::faces::FaceArgs,
    #[command(flatten)]
    text: crate::text::TextArgs,
    #[command(flatten)]
    tattoo: crate::tattoo::TattooArgs,
    #[command(flatten)]
    fingerprint: crate::fingerprint::FingerprintArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Auto,
    Jpeg,
    Png,
}

impl From<FormatArg> for OutputFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Auto => OutputFormat::Auto,
            FormatArg::Jpeg => OutputFormat::Jpeg,
            FormatArg::Png => OutputFormat::Png,
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    match run_batch(&args) {
        Ok(all_ok) => {
            if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(usage) => {
            eprintln!("hifu scrub: {usage}");
            ExitCode::from(2)
        }
    }
}

/// Ok(true) when every input succeeded; Err for problems with the command itself (exit 2).
fn run_batch(args: &Args) -> Result<bool, String> {
    let mut options = ScrubOptions {
        format: args.format.into(),
        ..ScrubOptions::default()
    };
    if let Some(q) = args.quality {
        options.quality = q;
    }

    fs::create_dir_all(&args.out_dir)
        .map_err(|e| format!("cannot create --out-dir {}: {e}", args.out_dir.display()))?;
    let out_dir = fs::canonicalize(&args.out_dir)
        .map_err(|e| format!("cannot open --out-dir {}: {e}", args.out_dir.display()))?;
    let inputs = collect_inputs(&args.inputs, &out_dir)?;
    if inputs.is_empty() {
        return Err("no photos found in the given inputs".into());
    }

    let mut report = match &args.report {
        Some(path) => {
            Some(BufWriter::new(fs::File::create(path).map_err(|e| {
                format!("cannot create --report {}: {e}", path.display())
            })?))
        }
        None => None,
    };

    // Inputs count as taken names, so an output never overwrites an input.
    let mut taken: HashSet<PathBuf> = inputs.iter().map(|i| i.canonical.clone()).collect();
    let mut faces = args.faces.step()?;
    let mut text = args.text.step()?;
    let mut tattoo = args.tattoo.step()?;
    let mut fingerprint = args.fingerprint.step();
    let mut all_ok = true;
    for input in &inputs {
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
        let line = scrub_one(input, &out_dir, &options, &mut chain, &mut taken);
        if let Some(error) = line.error() {
            all_ok = false;
            eprintln!(
                "hifu scrub: {}: {} [{}]",
                input.shown.display(),
                error.message,
                error.code
            );
        } else if let Some(out) = &line.output {
            say!(
                "{} -> {out} ({})",
                input.shown.display(),
                summary(&line.report)
            );
        } else {
            say!("{}: excluded, nothing written", input.shown.display());
        }
        if let Some(w) = report.as_mut() {
            let json = serde_json::to_string(&line)
                .map_err(|e| format!("cannot write the report: {e}"))?;
            // Flushed per line: a long batch's report can be followed, and survives a crash.
            writeln!(w, "{json}")
                .and_then(|()| w.flush())
                .map_err(|e| format!("cannot write the report: {e}"))?;
        }
    }
    Ok(all_ok)
}

fn summary(report: &hifu::Report) -> String {
    let kind = match report.output_kind {
        Some(hifu::OutputKind::Lossless) => "lossless",
        _ => "re-encoded",
    };
    let removed: Vec<&str> = report.removed.iter().map(|c| c.name()).collect();
    let mut line = if removed.is_empty() {
        format!("{kind}, nothing to remove")
    } else {
        format!("{kind}, removed: {}", removed.join(", "))
    };
    // What a person must still look at (the report has the regions): said on the line too, so
    // an operator reading the console does not send a flagged photo unseen.
    let review: Vec<&str> = report.review.iter().map(|r| r.kind.as_str()).collect();
    if !review.is_empty() {
        line.push_str(&format!("; check before sharing: {}", review.join(", ")));
    }
    line
}

fn scrub_one(
    input: &Input,
    out_dir: &Path,
    options: &ScrubOptions,
    steps: &mut dyn hifu::PixelStep,
    taken: &mut HashSet<PathBuf>,
) -> ReportLine {
    let shown = input.shown_string();
    // Read at most one byte past the limit: the core then refuses the file with its own
    // error, and a huge file is never read into memory whole.
    let bytes = match inputs::read_limited(&input.canonical, options.limits.max_input_bytes) {
        Ok(b) => b,
        Err(e) => {
            return ReportLine::io_failure(shown, "io.read", format!("cannot read the file: {e}"))
        }
    };
    let scrubbed = match hifu::scrub_with(&bytes, options, steps) {
        Ok(s) => s,
        Err(e) => {
            return ReportLine {
                input: shown,
                output: None,
                report: Report::failed(&e),
            }
        }
    };
    drop(bytes); // Zeroizing: the original bytes are wiped here, before anything is written.

    if scrubbed.report.status == Status::Excluded {
        return ReportLine {
            input: shown,
            output: None,
            report: scrubbed.report,
        };
    }
    let target = output_path(out_dir, &input.relative, scrubbed.mime, taken);
    if let Err(e) = write_atomically(&target, &scrubbed.image) {
        return ReportLine::io_failure(
            shown,
            "io.write",
            format!("cannot write {}: {e}", target.display()),
        );
    }
    ReportLine {
        input: shown,
        output: Some(target.to_string_lossy().into_owned()),
        report: scrubbed.report,
    }
}
/// `out_dir/<relative path of the input>` with the extension of the output format. The name
/// is the operator's own file name; nothing from inside the file (dates, camera) goes into it.
/// A name already produced in this batch (`a.png` and `a.jpg` both → `a.jpg`) gets `-2`, `-3`….
fn output_path(
    out_dir: &Path,
    relative: &Path,
    mime: &str,
    taken: &mut HashSet<PathBuf>,
) -> PathBuf {
    let ext = hifu::Format::from_mime(mime).map_or("jpg", hifu::Format::extension);
    let stem = relative
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "photo".into());
    let parent = out_dir.join(relative.parent().unwrap_or(Path::new("")));
    let mut candidate = parent.join(format!("{stem}.{ext}"));
    let mut n = 2u32;
    while taken.contains(&candidate) {
        candidate = parent.join(format!("{stem}-{n}.{ext}"));
        n = n.saturating_add(1);
    }
    taken.insert(candidate.clone());
    candidate
}

/// Writes next to the target and renames, so a crash never leaves a half-written photo
/// under the final name.
fn write_atomically(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut tmp_name = target.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".part");
    let tmp = target.with_file_name(tmp_name);
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, target).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}
