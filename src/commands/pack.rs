//! `riskatlas pack`: a data folder's vector tiles as one PMTiles archive (see
//! `riskatlas::tiles::pack`), with a progress bar on the terminal and a summary line.

use anyhow::Context;
use riskatlas::atlas::{BboxWgs84, Disclosure, Layer};
use riskatlas::config::PackFormat;
use riskatlas::service::store::folder::FolderStore;
use riskatlas::tiles::mbtiles::write_mbtiles;
use riskatlas::tiles::pack::{PackOptions, write_pack};
use std::process::ExitCode;

/// The layers `--layers` names (with the scenario's), or every layer of the atlas.
fn chosen_layers<'a>(
    atlas: &'a riskatlas::atlas::Atlas,
    asked: &[String],
    scenario_ids: &[String],
    data: &std::path::Path,
) -> anyhow::Result<Vec<&'a Layer>> {
    Ok(if asked.is_empty() {
        atlas.layers().iter().map(|l| l.as_ref()).collect()
    } else {
        asked
            .iter()
            .chain(scenario_ids)
            .map(|id| {
                atlas.layer(id).with_context(|| {
                    let known: Vec<&str> = atlas.layers().iter().map(|l| l.id.as_str()).collect();
                    format!(
                        "--layers: no layer {id:?} in {} (it has {})",
                        data.display(),
                        known.join(", ")
                    )
                })
            })
            .collect::<anyhow::Result<_>>()?
    })
}

/// The atlas with the scenario's layers added (its hazard areas, affected units,
/// routes and shelter fill, `analysis::layers::plan_layers`), and their ids.
fn with_scenario(
    atlas: riskatlas::atlas::Atlas,
    file: &std::path::Path,
) -> anyhow::Result<(riskatlas::atlas::Atlas, Vec<String>)> {
    let (impact, plan) = super::plan_from_file(&atlas, file)?;
    let layers = riskatlas::analysis::layers::plan_layers(&impact, &plan, &atlas);
    let ids = layers.iter().map(|l| l.id.to_string()).collect();
    eprintln!(
        "scenario {}: {} affected units, {} routes, {} shelters used packed beside the layers",
        file.display(),
        impact.report.units.len(),
        plan.assignments.len(),
        plan.shelters.len()
    );
    let atlas = atlas
        .with_added(layers)
        .map_err(|e| anyhow::anyhow!("--scenario: {e}"))?;
    Ok((atlas, ids))
}

/// `riskatlas pack --out FILE [--data DIR] [--layers a,b] [--minzoom] [--maxzoom] [--bbox]
/// [--scenario REQUEST.json]`.
pub fn run(args: riskatlas::config::PackArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let loaded = FolderStore::read(&args.data)?;
    let (atlas, scenario_ids) = match &args.scenario {
        None => (loaded.atlas, Vec::new()),
        Some(file) => with_scenario(loaded.atlas, file)?,
    };
    let layers = chosen_layers(&atlas, &args.layers, &scenario_ids, &args.data)?;
    let options = PackOptions {
        min_zoom: args.minzoom,
        max_zoom: args.maxzoom,
        bbox: args
            .bbox
            .as_deref()
            .map(|b| BboxWgs84::parse(b).map_err(|e| anyhow::anyhow!("--bbox {e}")))
            .transpose()?,
    };
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "packing {bar:40} {pos}/{len} tiles ({per_sec}, {eta} left)",
        )
        .expect("a valid template"),
    );
    let progress = |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    };
    // A pack is carried away from the server: personal fields are masked unless asked.
    let disclosure = if args.with_contacts {
        Disclosure::Full
    } else {
        Disclosure::Masked
    };
    let mbtiles = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mbtiles"));
    let summary = match args.format {
        Some(PackFormat::Mbtiles) => {
            write_mbtiles(&atlas, &layers, &options, disclosure, &args.out, progress)
        }
        None if mbtiles => {
            write_mbtiles(&atlas, &layers, &options, disclosure, &args.out, progress)
        }
        _ => std::fs::File::create(&args.out)
            .with_context(|| format!("creating {}", args.out.display()))
            .and_then(|file| write_pack(&atlas, &layers, &options, disclosure, file, progress)),
    };
    bar.finish_and_clear();
    let summary = match summary {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&args.out);
            return Err(e.context(format!("packing {}", args.out.display())));
        }
    };
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "{}: {} tiles with data at z{}–z{} ({} looked at), largest {} KB, archive {:.1} MB, in {:.1} s",
        args.out.display(),
        summary.tiles,
        args.minzoom,
        args.maxzoom,
        summary.looked_at,
        summary.largest_tile / 1024,
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
