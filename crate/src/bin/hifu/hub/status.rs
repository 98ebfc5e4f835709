//! `hifu hub status`: progress against the targets, from the per-batch counts.

use super::item::open_counts;
use super::store::{OrFail, Store};
use super::Failure;
use hifu::hub::Counts;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Status {
    /// Distinct photos held.
    pub total_photos: u64,
    pub target_total: u64,
    pub target_per_site: u64,
    pub sites: Vec<SiteStatus>,
    pub final_diagnosis: BTreeMap<String, u64>,
    pub age_band: BTreeMap<String, u64>,
    pub sex: BTreeMap<String, u64>,
    pub capture_year: BTreeMap<String, u64>,
    pub batches: Vec<BatchStatus>,
    pub withdrawn_patients: u64,
    pub near_duplicates_to_decide: u64,
}

#[derive(Debug, Serialize)]
pub struct SiteStatus {
    pub site: String,
    pub photos: u64,
    pub batches: u64,
}

#[derive(Debug, Serialize)]
pub struct BatchStatus {
    pub id: i64,
    pub site: String,
    pub label: Option<String>,
    pub received_at: String,
    pub photos_sent: i64,
    pub photos_held: i64,
    pub erased_at: Option<String>,
}

type BatchRow = (i64, String, Option<String>, String, i64, i64, Option<Vec<u8>>, Option<String>);

pub fn status(store: &Store) -> Result<Status, Failure> {
    let targets = store.targets()?;
    let rows: Vec<BatchRow> = {
        let mut stmt = store
            .conn
            .prepare(
                "SELECT id, site_code, label, received_at, photos_sent, photos_added, sealed_counts, erased_at \
                 FROM batches ORDER BY id",
            )
            .or_fail()?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })
            .or_fail()?
            .collect::<Result<Vec<_>, _>>()
            .or_fail()?;
        rows
    };
    let mut all = Counts::default();
    let mut sites: BTreeMap<String, SiteStatus> = BTreeMap::new();
    let mut batches = Vec::new();
    for (id, site, label, received_at, sent, added, sealed, erased_at) in rows {
        let counts = match &sealed {
            Some(sealed) if erased_at.is_none() => open_counts(store, id, sealed)?,
            _ => Counts::default(),
        };
        all.merge(&counts);
        let entry = sites.entry(site.clone()).or_insert_with(|| SiteStatus {
            site: site.clone(),
            photos: 0,
            batches: 0,
        });
        entry.photos += counts.photos;
        entry.batches += 1;
        batches.push(BatchStatus {
            id,
            site,
            label,
            received_at,
            photos_sent: sent,
            photos_held: if erased_at.is_some() { 0 } else { added },
            erased_at,
        });
    }
    let count = |sql: &str| -> Result<u64, Failure> {
        let n: i64 = store.conn.query_row(sql, [], |r| r.get(0)).or_fail()?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let total_photos = count("SELECT COUNT(*) FROM items")?;
    if total_photos != all.photos {
        return Err(Failure::Data(format!(
            "the store holds {total_photos} photos but its counts say {}: run `hifu hub verify`",
            all.photos
        )));
    }
    Ok(Status {
        total_photos,
        target_total: targets.total,
        target_per_site: targets.per_site,
        sites: sites.into_values().collect(),
        final_diagnosis: all.final_diagnosis,
        age_band: all.age_band,
        sex: all.sex,
        capture_year: all.capture_year,
        batches,
        withdrawn_patients: count("SELECT COUNT(*) FROM tombstones")?,
        near_duplicates_to_decide: count(
            "SELECT COUNT(*) FROM duplicates WHERE kind = 'near' AND decision IS NULL",
        )?,
    })
}

fn percent(n: u64, of: u64) -> String {
    if of == 0 {
        return "-".into();
    }
    format!("{:.1} %", n as f64 * 100.0 / of as f64)
}

pub fn print(status: &Status) {
    say!(
        "photos held: {} of {} ({})",
        status.total_photos,
        status.target_total,
        percent(status.total_photos, status.target_total)
    );
    say!("\n{:<24} {:>8} {:>8} {:>8} {:>8}", "site", "photos", "target", "done", "batches");
    for site in &status.sites {
        say!(
            "{:<24} {:>8} {:>8} {:>8} {:>8}",
            site.site,
            site.photos,
            status.target_per_site,
            percent(site.photos, status.target_per_site),
            site.batches
        );
    }
    for (title, map) in [
        ("final diagnosis", &status.final_diagnosis),
        ("age band", &status.age_band),
        ("sex", &status.sex),
        ("capture year", &status.capture_year),
    ] {
        say!("\nby {title}:");
        for (key, n) in map {
            say!("  {key:<40} {n:>8}");
        }
    }
    say!("\nbatches:");
    for b in &status.batches {
        say!(
            "  #{:<4} {:<16} {:<12} received {}  sent {:>6}  held {:>6}{}",
            b.id,
            b.site,
            b.label.as_deref().unwrap_or("-"),
            b.received_at,
            b.photos_sent,
            b.photos_held,
            b.erased_at.as_deref().map(|t| format!("  ERASED {t}")).unwrap_or_default()
        );
    }
    say!(
        "\nwithdrawn patients: {}; near-duplicates to decide: {} (`hifu hub duplicates`)",
        status.withdrawn_patients,
        status.near_duplicates_to_decide
    );
}
