//! `riskatlas`: parse the command line, set up logging, run the command.

use anyhow::Context;
use clap::Parser;
use riskatlas::api::{AppState, router};
use riskatlas::config::{Cli, Command, ImpactArgs, OutputFormat, ServeArgs};
use riskatlas::import;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "riskatlas=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Check { dir, json } => check(&dir, json),
        Command::Compact { dir } => riskatlas::edits::compact::compact(&dir).map(|done| {
            if done.edits == 0 {
                eprintln!("nothing to compact: the edit log is empty");
            } else {
                eprintln!(
                    "compacted {} edits into {}; the log is archived in {}",
                    done.edits,
                    done.layers.join(", "),
                    riskatlas::edits::compact::ARCHIVE_FILE
                );
            }
            ExitCode::SUCCESS
        }),
        Command::Impact(args) => impact(args),
        Command::Evacuate(args) => evacuate(args),
        Command::Demo(args) => {
            riskatlas::demo::write_demo(&args.out, args.seed, args.scale).map(|_| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn check(dir: &std::path::Path, json: bool) -> anyhow::Result<ExitCode> {
    let loaded = import::load_folder(dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&loaded.report)?);
    } else {
        print!("{}", loaded.report.to_text());
        println!(
            "{}: {} layers, {} features loaded, {} rejected, {} layers failed",
            loaded.atlas.name,
            loaded.atlas.layers().len(),
            loaded.atlas.feature_count(),
            loaded.report.rejected(),
            loaded.report.failed().count()
        );
    }
    Ok(if loaded.report.failed().next().is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn read_scenario(args: &ImpactArgs) -> anyhow::Result<serde_json::Value> {
    let text = if args.scenario.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .context("reading the scenario from standard input")?
    } else {
        std::fs::read_to_string(&args.scenario)
            .with_context(|| format!("reading {}", args.scenario.display()))?
    };
    serde_json::from_str(&text).context("the scenario is not JSON")
}

fn impact(args: ImpactArgs) -> anyhow::Result<ExitCode> {
    use riskatlas::analysis::{Scenario, analyse, export};
    let json = read_scenario(&args)?;
    let loaded = import::load_folder(&args.data)
        .with_context(|| format!("loading {}", args.data.display()))?;
    let scenario = Scenario::parse(&json, &loaded.atlas)?;
    let result = analyse(&loaded.atlas, &scenario);
    let out = match args.format {
        OutputFormat::Json => serde_json::to_string_pretty(&result.report)?,
        OutputFormat::Geojson => serde_json::to_string(&export::geojson(&result, &loaded.atlas))?,
        OutputFormat::Csv => export::csv_by_admin(&result),
        OutputFormat::Html => export::html(&result, &loaded.atlas.name),
    };
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn evacuate(args: ImpactArgs) -> anyhow::Result<ExitCode> {
    let json = read_scenario(&args)?;
    let loaded = import::load_folder(&args.data)
        .with_context(|| format!("loading {}", args.data.display()))?;
    let graph = riskatlas::routing::RoadGraph::from_atlas(&loaded.atlas);
    let (_, plan) = riskatlas::analysis::evacuation::run(&loaded.atlas, graph.as_ref(), json)
        .map_err(|e| anyhow::anyhow!(e))?;
    println!("{}", serde_json::to_string_pretty(&plan)?);
    Ok(ExitCode::SUCCESS)
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let loaded = import::load_folder(&args.data)
        .with_context(|| format!("loading data folder {}", args.data.display()))?;
    tracing::info!(
        atlas = %loaded.atlas.name,
        layers = loaded.atlas.layers().len(),
        features = loaded.atlas.feature_count(),
        rejected = loaded.report.rejected(),
        failed_layers = loaded.report.failed().count(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "atlas loaded"
    );
    // Edits accepted before the last stop: replayed over the layer files.
    let log_path = args.data.join(riskatlas::edits::LOG_FILE);
    let archived = riskatlas::edits::log::EditLog::last_seq_in(
        &args.data.join(riskatlas::edits::compact::ARCHIVE_FILE),
    )?;
    let (log, recovered) = riskatlas::edits::log::EditLog::open_after(&log_path, archived)
        .with_context(|| format!("opening the edit log {}", log_path.display()))?;
    let (atlas, problems) = riskatlas::edits::replay(&loaded.atlas, &recovered.records);
    for p in &problems {
        tracing::error!("edit log: {p}");
    }
    let mut report = loaded.report;
    report.edit_log = problems;
    tracing::info!(
        edits = recovered.records.len(),
        torn_bytes_cut = recovered.truncated_bytes,
        path = %log_path.display(),
        "edit log replayed"
    );
    let state = AppState::with_options(
        atlas,
        report,
        args.tile_cache_mb << 20,
        args.bind.to_string(),
    )
    .with_web_dir(args.web_dir)
    .with_edit_log(log);
    // Build the road graph now rather than on the first evacuation request.
    let _ = state.atlas().road_graph();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("binding {}", args.bind))?;
        tracing::info!("serving on http://{}", listener.local_addr()?);
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?;
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
