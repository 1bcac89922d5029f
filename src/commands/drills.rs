//! `riskatlas drills`: candidate drills ranked, as a table or JSON.

use anyhow::Context;
use std::process::ExitCode;

/// `riskatlas drills`: the ranking as a table (or JSON).
pub fn run(args: riskatlas::config::DrillsArgs) -> anyhow::Result<ExitCode> {
    let request = match &args.request {
        None => serde_json::json!({}),
        Some(path) if path.as_os_str() == "-" => serde_json::from_reader(std::io::stdin())
            .context("the request on standard input is not JSON")?,
        Some(path) => serde_json::from_slice(
            &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{} is not JSON", path.display()))?,
    };
    let loaded = riskatlas::import::load_folder(&args.data)
        .with_context(|| format!("loading {}", args.data.display()))?;
    let snapshot = riskatlas::service::Snapshot::first(loaded.atlas);
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64);
    let budget = riskatlas::service::budget::Budget::unlimited();
    let ranking = riskatlas::service::drills::drills(&snapshot, request, &budget, today)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&ranking)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("rank\tscore\ttownship\tdrill\twhy");
    for s in ranking["scenarios"].as_array().into_iter().flatten() {
        let why: Vec<&str> = s["why"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str())
            .collect();
        println!(
            "{}\t{}\t{}\t{}\t{}",
            s["rank"],
            s["score"],
            s["township"]["name"].as_str().unwrap_or(""),
            s["title"].as_str().unwrap_or(""),
            why.join("; ")
        );
    }
    eprintln!(
        "{} candidates run in {} townships; {} affected no one",
        ranking["candidates_run"], ranking["townships"], ranking["no_one_affected"]
    );
    Ok(ExitCode::SUCCESS)
}
