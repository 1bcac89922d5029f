//! `riskatlas compare`: one evacuation request on two data folders — last year's census
//! and this year's, the shelters before and after a survey — printed as the comparison
//! `POST /api/compare` gives, or as a short summary.
//!
//! Each folder is loaded as `serve` loads it (layer files, then its edit log replayed),
//! without locking the log, so a folder a server is serving can be compared. Units and
//! shelters are matched by stable id: a folder whose features carry no ids numbers them
//! by position, so removing one from the middle of a file renumbers the rest.

use anyhow::{Context, bail};
use riskatlas::analysis::compare::{Change, Comparison, Sides};
use riskatlas::service::Snapshot;
use riskatlas::service::budget::Budget;
use riskatlas::service::compare::{Side, run_sides};
use riskatlas::service::store::folder::FolderStore;
use serde_json::Value as Json;
use std::path::Path;
use std::process::ExitCode;

/// `riskatlas compare REQUEST --a DIR --b DIR [--json]`.
pub fn run(args: riskatlas::config::CompareArgs) -> anyhow::Result<ExitCode> {
    let request = read_request(&args.request)?;
    let (name_a, name_b) = (args.a.display().to_string(), args.b.display().to_string());
    let a = open(&args.a, "--a")?;
    let b = open(&args.b, "--b")?;
    let (comparison, _, _) = run_sides(
        Side::new(&name_a, &a, request.clone()),
        Side::new(&name_b, &b, request),
        Sides::new(&name_a, &name_b),
        // Whoever runs the command line pays for it (see `service::budget`).
        &Budget::unlimited(),
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print!("{}", summary(&comparison));
    }
    Ok(ExitCode::SUCCESS)
}

/// The request file (or standard input): one evacuation request object.
fn read_request(path: &Path) -> anyhow::Result<Json> {
    let request: Json = if path.as_os_str() == "-" {
        serde_json::from_reader(std::io::stdin())
            .context("the request on standard input is not JSON")?
    } else {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", path.display()))?
    };
    let Json::Object(obj) = &request else {
        bail!(
            "{}: the request must be a JSON object, an evacuation request (a scenario and its options)",
            path.display()
        );
    };
    // The other forms of POST /api/compare compare on one atlas; here the folders are
    // the two versions.
    if let Some(key) = ["a", "b", "scenario", "edits"]
        .iter()
        .find(|k| obj.contains_key(**k))
    {
        bail!(
            "{}: {key:?} belongs to the API's other forms; give one evacuation request, \
             which runs on both folders (--a and --b)",
            path.display()
        );
    }
    Ok(request)
}

/// A data folder loaded for comparing; one with a layer that cannot be read at all is
/// refused, since the comparison would report its features as gone.
fn open(dir: &Path, flag: &str) -> anyhow::Result<Snapshot> {
    let loaded = FolderStore::read(dir).context(flag.to_string())?;
    if let Some(failed) = loaded.report.failed().next() {
        bail!(
            "{flag} {}: layer {} could not be loaded ({}); fix it (see `riskatlas check {}`) \
             or the comparison would count its features as gone",
            dir.display(),
            failed.layer,
            failed.error.as_deref().unwrap_or("unknown error"),
            dir.display()
        );
    }
    for problem in &loaded.report.edit_log {
        eprintln!("{flag} {}: edit log: {problem}", dir.display());
    }
    Ok(Snapshot::first(loaded.atlas))
}

/// The totals side by side and how many villages, shelters and evacuees change.
fn summary(c: &Comparison) -> String {
    let t = &c.totals;
    let mut rows = vec![
        row("data", &c.versions.a, &c.versions.b),
        row("people affected", t.people.a, t.people.b),
        row("vulnerable people", t.vulnerable.a, t.vulnerable.b),
        row("evacuees", t.evacuees.a, t.evacuees.b),
        row("placed", t.placed.a, t.placed.b),
        row("not placed", t.not_placed.a, t.not_placed.b),
    ];
    for (reason, n) in &t.not_placed_by_reason {
        rows.push(row(&format!("  {reason}"), n.a, n.b));
    }
    rows.extend([
        row(
            "clearance minutes",
            t.clearance_minutes.a,
            t.clearance_minutes.b,
        ),
        row("mean minutes", t.mean_minutes.a, t.mean_minutes.b),
        row("shelters used", t.shelters_used.a, t.shelters_used.b),
    ]);
    let v = &c.villages;
    let count = |change: Change| {
        v.affected_in_both
            .iter()
            .filter(|u| u.change == change)
            .count()
    };
    let moved: i64 = c.evacuees.iter().map(|e| e.people).sum();
    format!(
        "\ta\tb\n{}\nvillages: {} newly affected, {} no longer affected, {} with more people, \
         {} with fewer, {} the same\nshelters whose load changed: {}\n\
         evacuees whose shelter or minutes changed: {moved} people in {} rows\n",
        rows.join("\n"),
        v.newly_affected.len(),
        v.no_longer_affected.len(),
        count(Change::More),
        count(Change::Fewer),
        count(Change::Same),
        c.shelters.len(),
        c.evacuees.len(),
    )
}

/// One tab-separated row of the totals.
fn row(name: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
    format!("{name}\t{a}\t{b}")
}
