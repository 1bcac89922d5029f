//! `riskatlas`: parse the command line, set up logging, run the command.

use anyhow::Context;
use clap::Parser;
use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::config::{Cli, Command, ImpactArgs, ServeArgs};
use riskatlas::import;
use riskatlas::render::{self, Format, Output};
use riskatlas::service::Service;
use std::process::ExitCode;

mod commands;

/// mimalloc rather than the system allocator: drawing a tile allocates thousands of
/// mid-sized vertex and attribute buffers, which glibc's allocator served slowly (a cold
/// z9 tile of all layers at a million features: 35.8 ms with it, 14.3 ms with mimalloc;
/// `benches/README.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    riskatlas::log::init();
    if let Err(e) = demo_if_default(&cli.command) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Check { dir, json } => check(&dir, json),
        Command::Import(args) => commands::import::run(args),
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
        Command::Drills(args) => commands::drills::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Pack(args) => commands::pack::run(args),
        Command::Sheets(args) => commands::sheets::run(args),
        Command::Users(args) => commands::users::run(args),
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

/// Generates the demo working copy when a command reads the default data folder and it
/// is not there yet (`riskatlas::demo::working_copy`).
fn demo_if_default(command: &Command) -> anyhow::Result<()> {
    let folder = match command {
        Command::Serve(args) if args.postgis.is_none() && args.pack.is_none() => &args.data,
        Command::Impact(args) | Command::Evacuate(args) => &args.data,
        Command::Drills(args) => &args.data,
        Command::Pack(args) => &args.data,
        Command::Sheets(args) => &args.data,
        Command::Users(args) if args.file.is_none() && args.postgis.is_none() => &args.data,
        _ => return Ok(()),
    };
    riskatlas::demo::working_copy::ensure(folder).map(drop)
}

/// Opens PostGIS with a progress bar (loading from a streaming replica when `primary`
/// is given), and starts following other servers' edits.
#[cfg(feature = "postgis")]
async fn open_postgis(url: &str, primary: Option<&str>) -> anyhow::Result<std::sync::Arc<Service>> {
    use riskatlas::store::postgis::Progress;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg:>12} {bar:40} {pos}/~{len} rows ({per_sec})")
            .expect("a valid template"),
    );
    let (service, follow) = Service::open_postgis(url, primary, |p| match p {
        Progress::Start(rows) => {
            tracing::info!(rows_estimated = rows, "loading from PostGIS");
            if let Some(rows) = rows {
                bar.set_length(rows);
            }
        }
        Progress::Layer(id, rows) => {
            tracing::info!(layer = id, rows_estimated = rows, "loading layer");
            bar.set_message(id.to_string());
        }
        Progress::Rows(n) => bar.inc(n),
    })
    .await?;
    bar.finish_and_clear();
    tokio::spawn(follow);
    Ok(service)
}

#[cfg(not(feature = "postgis"))]
async fn open_postgis(
    _url: &str,
    _primary: Option<&str>,
) -> anyhow::Result<std::sync::Arc<Service>> {
    anyhow::bail!("this riskatlas was built without the `postgis` feature")
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
    use riskatlas::analysis::{Scenario, analyse};
    let json = read_scenario(&args)?;
    let loaded = import::load_folder(&args.data)
        .with_context(|| format!("loading {}", args.data.display()))?;
    let scenario = Scenario::parse(&json, &loaded.atlas)?;
    let result = analyse(&loaded.atlas, &scenario);
    let format = args.format.into();
    // Whoever reads the data folder's files reads the contacts in them: in full.
    let shown = riskatlas::atlas::Disclosure::Full;
    print(
        format,
        render::impact(&result, &loaded.atlas, format, shown)?,
    )
}

fn evacuate(args: ImpactArgs) -> anyhow::Result<ExitCode> {
    let json = read_scenario(&args)?;
    let loaded = import::load_folder(&args.data)
        .with_context(|| format!("loading {}", args.data.display()))?;
    let graph = riskatlas::routing::RoadGraph::from_atlas(&loaded.atlas);
    let (impact, plan) =
        riskatlas::service::analyses::evacuate(&loaded.atlas, graph.as_ref(), json.clone())?;
    let format = args.format.into();
    let whole = match format {
        Format::Html => riskatlas::service::analyses::whole_village_alternative(
            &loaded.atlas,
            graph.as_ref(),
            &json,
            &plan,
            &riskatlas::service::analyses::Budget::unlimited(),
        )?,
        _ => None,
    };
    let shown = riskatlas::atlas::Disclosure::Full;
    print(
        format,
        render::plan(&plan, &impact, &loaded.atlas, format, shown, whole.as_ref())?,
    )
}

/// Writes an answer to standard output: a report or plan indented for people to read,
/// GeoJSON compact (it is for programs, and large), CSV and HTML as they are.
fn print(format: Format, output: Output) -> anyhow::Result<ExitCode> {
    match output {
        Output::Json(value) if format == Format::Json => {
            println!("{}", serde_json::to_string_pretty(&value)?)
        }
        Output::Json(value) => println!("{}", serde_json::to_string(&value)?),
        Output::Csv(text) | Output::Html(text) | Output::Cap(text) => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // First, so a wrong file is reported at once, not after the layers load.
    let tls = args
        .tls_files()
        .map(|(cert, key)| riskatlas::api::tls::load(cert, key))
        .transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    if let Some(pack) = &args.pack {
        return serve_pack(&args, pack, tls, runtime);
    }
    let service = match &args.postgis {
        Some(url) => runtime.block_on(open_postgis(url, args.postgis_primary.as_deref()))?,
        None => std::sync::Arc::new(Service::open_folder(&args.data)?),
    };
    if let Some(hook) = args.warning_hook() {
        tracing::info!(
            command = hook.command,
            attempts = hook.attempts,
            "warnings are delivered through the hook"
        );
        service.warnings().attach_hook(hook);
    }
    let access = access_for(&args)?;
    let state = AppState::serving(
        service,
        HttpOptions {
            tile_cache_bytes: args.tile_cache_mb << 20,
            public_host: args.bind.to_string(),
            web_dir: args.web_dir.clone(),
            access,
            allowed_hosts: riskatlas::api::access::hosts_for(args.bind, &args.hosts),
            audit: access_log_for(&args),
            limits: args.limit_options(),
            tls: tls.is_some(),
            cap_sender: args.cap_sender.clone(),
        },
    );
    if tls.is_none() && !args.bind.ip().is_loopback() {
        tracing::warn!(
            "serving plain HTTP on {}: tokens, passwords and duty contacts cross the network \
             unencrypted unless a reverse proxy in front terminates TLS; to serve HTTPS \
             here, pass --tls-cert FILE --tls-key FILE",
            args.bind
        );
    }
    // Build the road graph now rather than on the first evacuation request.
    let _ = state.snapshot().road_graph();
    // And the low-zoom generalisation behind it, while the server starts taking requests
    // (a tile that needs a layer's first waits for that layer alone).
    let snapshot = state.snapshot();
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        for layer in snapshot.layers() {
            layer.generalised();
        }
        tracing::info!(
            ms = riskatlas::log::millis(started.elapsed()),
            "low zooms generalised"
        );
    });
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("binding {}", args.bind))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!("serving on {scheme}://{}", listener.local_addr()?);
        let limits = args.connection_limits();
        riskatlas::api::server::serve(listener, router(state), limits, tls, shutdown_signal())
            .await;
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })
}

/// Laptop mode: the web map from a map pack alone (see `api::pack_mode`).
fn serve_pack(
    args: &ServeArgs,
    pack: &std::path::Path,
    tls: Option<riskatlas::api::tls::TlsAcceptor>,
    runtime: tokio::runtime::Runtime,
) -> anyhow::Result<ExitCode> {
    let empty = riskatlas::atlas::Atlas::new(String::new(), String::new(), Vec::new());
    let web = AppState::serving(
        std::sync::Arc::new(Service::in_memory(empty, Default::default())),
        HttpOptions {
            public_host: args.bind.to_string(),
            web_dir: args.web_dir.clone(),
            allowed_hosts: riskatlas::api::access::hosts_for(args.bind, &args.hosts),
            tls: tls.is_some(),
            ..HttpOptions::default()
        },
    );
    runtime.block_on(async move {
        let pack = riskatlas::api::pack_mode::Pack::open(pack).await?;
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("binding {}", args.bind))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(
            "serving the map pack on {scheme}://{}",
            listener.local_addr()?
        );
        let routes = riskatlas::api::pack_mode::router(pack, web);
        riskatlas::api::server::serve(
            listener,
            routes,
            args.connection_limits(),
            tls,
            shutdown_signal(),
        )
        .await;
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })
}

/// Where the access audit goes: `--access-log`, else the data folder's (not PostGIS's).
fn access_log_for(args: &ServeArgs) -> riskatlas::service::audit::AccessLog {
    use riskatlas::service::audit::{ACCESS_LOG, AccessLog};
    match (&args.access_log, &args.postgis) {
        (Some(file), _) => AccessLog::to_file(file),
        (None, None) => AccessLog::to_file(&args.data.join(ACCESS_LOG)),
        (None, Some(_)) => AccessLog::in_memory(),
    }
}

/// Who may do what (see `service::access`): the users file, or open on loopback only.
fn access_for(args: &ServeArgs) -> anyhow::Result<riskatlas::service::access::Access> {
    use riskatlas::service::access::{Access, USERS_FILE, UserStore};
    // A server on PostGIS keeps its users there too, unless given a users file; on the
    // primary when it loads from a replica, since sign-ins and tokens write.
    let store: Box<dyn UserStore> = match (&args.users, args.postgis_writes()) {
        (Some(file), _) => Box::new(file.clone()),
        #[cfg(feature = "postgis")]
        (None, Some(url)) => Box::new(riskatlas::store::postgis::PostgisUsers::connect(url)?),
        _ => Box::new(args.data.join(USERS_FILE)),
    };
    let anonymous = args
        .anonymous
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: String| anyhow::anyhow!("--anonymous: {e}"))?;
    let sessions = std::time::Duration::from_secs(args.session_hours * 3600);
    Ok(Access::for_server(&*store, args.bind, anonymous, sessions)?)
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
