//! `hifu hub …`: the hub's offline store, from sealed bundles to the training set.
//! One file per subcommand; `store.rs` owns the disk.

mod clock;
mod duplicates;
mod erase;
mod export;
mod ingest;
mod item;
mod serve;
mod status;
mod store;
mod verify;
mod withdraw;

use super::keys::{os_rng, read_key_text};
use hifu::hub::SplitFractions;
use hifu::seal::HubPrivateKey;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use store::{Store, Targets};

/// Why a hub command failed: the operator's input (exit 2) or the data (exit 1).
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Data(String),
}

#[derive(clap::Args)]
pub struct StoreArgs {
    /// The hub store folder (made by `hifu hub init`).
    #[arg(long)]
    store: PathBuf,
    /// The hub's private key file (hub.key).
    #[arg(long)]
    key: PathBuf,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create the hub's key pair: DIR/hub.key (private: keep it on the offline PC, not in the
    /// store folder) and DIR/hub.pub (give it to the sites).
    Keygen {
        /// Folder for hub.key and hub.pub (created if missing; existing keys are never replaced).
        #[arg(long)]
        out: PathBuf,
    },
    /// Create an empty hub store in DIR, encrypted with keys derived from hub.key.
    Init {
        dir: PathBuf,
        #[arg(long)]
        key: PathBuf,
        /// Photos wanted in all.
        #[arg(long, default_value_t = 500_000)]
        target_total: u64,
        /// Photos wanted from each site.
        #[arg(long, default_value_t = 12_000)]
        target_per_site: u64,
    },
    /// Verify and add sealed bundles, each in one transaction (a bundle seen before changes nothing).
    Ingest {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
        /// Print one JSON report per bundle.
        #[arg(long)]
        json: bool,
    },
    /// Progress per site and in total against the targets, per diagnosis, age band, sex and year.
    Status {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Withdraw patients (late opt-outs): a file of pseudonyms, one per line, as the site sent them.
    Withdraw {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        pseudonyms: PathBuf,
    },
    /// Write the training set: images/<split>/… and labels.csv, split by patient.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// Folder to create (must not exist yet).
        #[arg(long)]
        out: PathBuf,
        /// Train, validation and test percentages.
        #[arg(long, default_value = "80,10,10")]
        split: String,
    },
    /// Crypto-shred one batch or the whole store (the audit log is kept).
    Erase {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        batch: Option<i64>,
        #[arg(long)]
        all: bool,
    },
    /// Check every record, photo file and count in the store.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The progress dashboard (per site, per diagnosis; English and Japanese) on 127.0.0.1.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Port on 127.0.0.1 (0 picks a free one; the URL is printed on start).
        #[arg(long, default_value_t = 8090)]
        port: u16,
    },
    /// List near-duplicate and duplicate photos; show a pair or decide on it.
    Duplicates {
        #[command(flatten)]
        store: StoreArgs,
        /// Write the two photos of near-duplicate ID into --out to look at them.
        #[arg(long, requires = "out")]
        show: Option<i64>,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Decide on near-duplicate ID (with --keep).
        #[arg(long, requires = "keep")]
        decide: Option<i64>,
        /// `both`, or `held` (remove the newer photo).
        #[arg(long, value_parser = ["both", "held"])]
        keep: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: Command) -> ExitCode {
    let result = match cmd {
        Command::Keygen { out } => return super::keys::run_hub_keygen(&out),
        Command::Init { dir, key, target_total, target_per_site } => init(&dir, &key, Targets { total: target_total, per_site: target_per_site }),
        Command::Ingest { store, bundles, json } => run_ingest(&store, &bundles, json),
        Command::Status { store, json } => open(&store).and_then(|s| {
            let status = status::status(&s)?;
            if json {
                print_json(&status);
            } else {
                status::print(&status);
            }
            Ok(())
        }),
        Command::Withdraw { store, pseudonyms } => {
            let text = std::fs::read(&pseudonyms)
                .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", pseudonyms.display())))
                .and_then(|b| {
                    String::from_utf8(b).map_err(|_| {
                        Failure::Usage(format!("{} is not a UTF-8 text file", pseudonyms.display()))
                    })
                });
            text.and_then(|text| {
                let mut s = open(&store)?;
                let report = withdraw::withdraw(&mut s, &text)?;
                say!(
                    "withdrawn: {} pseudonyms ({} with photos); {} photos removed; they will not be added again",
                    report.pseudonyms_listed, report.patients_with_photos, report.photos_removed
                );
                Ok(())
            })
        }
        Command::Export { store, out, split } => SplitFractions::parse(&split)
            .map_err(|e| Failure::Usage(format!("{}: {e}", e.code())))
            .and_then(|fractions| {
                let mut s = open(&store)?;
                let report = export::export(&mut s, &out, fractions)?;
                say!("exported {} photos to {} ({:?})", report.photos, report.out, report.per_split);
                Ok(())
            }),
        Command::Erase { store, batch, all } => open(&store).and_then(|mut s| {
            let report = erase::erase(&mut s, if all { None } else { batch })?;
            say!(
                "erased batches {:?}: keys destroyed, {} photos deleted; the audit log is kept",
                report.batches, report.photos_erased
            );
            Ok(())
        }),
        Command::Serve { store, port } => hub_key(&store.key).and_then(|key| serve::serve(store.store, key, port)),
        Command::Verify { store } => open(&store).and_then(|mut s| {
            let report = verify::verify(&mut s)?;
            for problem in &report.problems {
                say!("problem: {problem}");
            }
            if report.problems.is_empty() {
                say!("ok: {} photos, every record, file and count checked", report.photos);
                Ok(())
            } else {
                Err(Failure::Data(format!("{} problems found", report.problems.len())))
            }
        }),
        Command::Duplicates { store, show, out, decide, keep, json } => open(&store).and_then(|mut s| {
            if let (Some(id), Some(out)) = (show, out) {
                duplicates::show(&mut s, id, &out)?;
                say!("wrote near-duplicate {id}'s two photos into {}", out.display());
            } else if let (Some(id), Some(keep)) = (decide, keep) {
                duplicates::decide(&mut s, id, keep == "both")?;
                say!("near-duplicate {id}: decided (keep {keep})");
            } else {
                let pairs = duplicates::list(&s)?;
                if json {
                    print_json(&pairs);
                } else {
                    for p in &pairs {
                        say!(
                            "#{:<5} {:<5} batch {:<4} held item {:<6} new item {:<8} distance {:<2} {}",
                            p.id,
                            p.kind,
                            p.batch,
                            p.held_item,
                            p.new_item.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                            p.distance,
                            p.decision.as_deref().unwrap_or("TO DECIDE")
                        );
                    }
                }
            }
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("hifu hub: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Data(message)) => {
            eprintln!("hifu hub: {message}");
            ExitCode::from(1)
        }
    }
}

fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => say!("{text}"),
        Err(e) => eprintln!("hifu hub: cannot print JSON: {e}"),
    }
}

fn hub_key(path: &Path) -> Result<HubPrivateKey, Failure> {
    let text = read_key_text(path, "hub private key").map_err(Failure::Usage)?;
    HubPrivateKey::from_text(&text).map_err(|e| Failure::Usage(format!("{}: {e}", e.code())))
}

fn open(args: &StoreArgs) -> Result<Store, Failure> {
    let key = hub_key(&args.key)?;
    Store::open(&args.store, key, os_rng().map_err(Failure::Data)?)
}

fn init(dir: &Path, key: &Path, targets: Targets) -> Result<(), Failure> {
    let key = hub_key(key)?;
    Store::init(dir, &key, targets, os_rng().map_err(Failure::Data)?)?;
    say!("created the hub store {} (targets: {} photos, {} per site)", dir.display(), targets.total, targets.per_site);
    Ok(())
}

fn run_ingest(args: &StoreArgs, bundles: &[PathBuf], json: bool) -> Result<(), Failure> {
    let mut store = open(args)?;
    let mut failed = 0usize;
    for bundle in bundles {
        match ingest::ingest(&mut store, bundle) {
            Ok(report) if json => print_json(&report),
            Ok(report) if report.already_ingested => say!(
                "{}: already ingested as batch {}; nothing changed",
                report.bundle, report.batch
            ),
            Ok(report) => say!(
                "{}: batch {} from {}: {} photos, {} added, {} already held (not stored again), {} near-duplicates to decide, {} of withdrawn patients not added",
                report.bundle,
                report.batch,
                report.site,
                report.photos_in_bundle,
                report.added,
                report.exact_duplicates,
                report.near_duplicates,
                report.withdrawn_skipped
            ),
            Err(Failure::Usage(e) | Failure::Data(e)) => {
                failed += 1;
                eprintln!("hifu hub: {}: refused, nothing changed: {e}", bundle.display());
            }
        }
    }
    if failed > 0 {
        return Err(Failure::Data(format!("{failed} of {} bundles refused", bundles.len())));
    }
    Ok(())
}
