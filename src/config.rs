//! Command line and environment: every flag also reads an env var; defaults live here.

use crate::demo::working_copy::default_folder as demo_folder;
use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The command line: one subcommand and its flags.
#[derive(Debug, Parser)]
#[command(
    name = "riskatlas",
    version,
    about = "GIS risk-map and disaster-analysis server"
)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; each one's doc is its `--help` text.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load a data folder into memory and serve the web map, tiles and API.
    Serve(ServeArgs),
    /// Validate a data folder: print what loads and every refused feature. Exits non-zero
    /// when a layer cannot be loaded at all.
    Check {
        /// The data folder (holding atlas.toml).
        dir: PathBuf,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Fold the data folder's edit log into its layer files and archive the log. Run it
    /// with the server stopped (it refuses while one holds the log).
    Compact {
        /// The data folder (holding atlas.toml and edits.log).
        dir: PathBuf,
    },
    /// Import one layer file (GeoJSON, CSV or OSM PBF) into a data folder or PostGIS,
    /// with the same validation and report as loading.
    Import(ImportArgs),
    /// Generate the synthetic demo county (seeded, reproducible).
    Demo(DemoArgs),
    /// Who is affected: run a scenario (JSON file, or - for stdin) and print the report.
    Impact(ImpactArgs),
    /// Where they evacuate: run a scenario (with evacuation options in the same JSON) and
    /// print the plan (or its routes, table or village cards: see --format).
    Evacuate(ImpactArgs),
    /// Users of a server and their API tokens (a users file, or a PostGIS database).
    Users(UsersArgs),
    /// Which drill to run: generate candidate scenarios per township, run each through
    /// impact and evacuation, and print them ranked (the request as POST /api/drills
    /// takes it, or none for the defaults).
    Drills(DrillsArgs),
    /// Compare one evacuation request on two data folders (last year's census and
    /// this year's, the shelters before and after a survey): the totals side by side and
    /// the villages, shelters and evacuees that change.
    Compare(CompareArgs),
    /// Pack the atlas's vector tiles into one PMTiles archive for working offline: the
    /// tiles the server serves (low zooms generalised), gzipped, identical tiles stored
    /// once, with TileJSON metadata; any PMTiles reader opens it.
    Pack(PackArgs),
    /// Print map sheets as PDF, one per township (or village): hazard zones, villages,
    /// shelters, roads, a plan's routes with `--scenario`, legend, scale, grid and a
    /// table of who goes where; for when the network and the power are down.
    Sheets(SheetsArgs),
}

/// Which admin units get a sheet each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SheetsPer {
    /// One sheet per township (乡镇).
    Township,
    /// One sheet per village (行政村).
    Village,
}

/// `riskatlas sheets`: which folder, which units, what paper, and where to write.
#[derive(Debug, clap::Args)]
pub struct SheetsArgs {
    /// The data folder (holding atlas.toml); its edit log is replayed first.
    #[arg(long, default_value_os_t = demo_folder())]
    pub data: PathBuf,
    /// The folder the PDFs are written to (created if missing), one file per unit.
    #[arg(long)]
    pub out: PathBuf,
    /// The paper: A4 (portrait) or A3 (landscape).
    #[arg(long, value_enum, ignore_case = true, default_value = "a4")]
    pub paper: crate::render::sheet::paper::Paper,
    /// One sheet per township or per village.
    #[arg(long, value_enum, default_value = "township")]
    pub per: SheetsPer,
    /// Only the units with these admin codes, comma-joined (any level).
    #[arg(long, value_delimiter = ',', value_name = "CODE")]
    pub only: Vec<String>,
    /// An evacuation request (JSON, as POST /api/evacuation takes it): each sheet shows
    /// its hazard areas and the plan's routes, and its table says who goes where.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

/// The archive formats `riskatlas pack` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PackFormat {
    /// PMTiles v3: one file, read over HTTP range requests or from disk.
    Pmtiles,
    /// MBTiles 1.3: an SQLite database.
    Mbtiles,
}

/// `riskatlas pack`: which folder, which layers, zooms and area, and where to write.
#[derive(Debug, clap::Args)]
pub struct PackArgs {
    /// The data folder (holding atlas.toml); its edit log is replayed first, as `serve`
    /// does.
    #[arg(long, default_value_os_t = demo_folder())]
    pub data: PathBuf,
    /// The archive to write (`.pmtiles`); an existing file is replaced.
    #[arg(long)]
    pub out: PathBuf,
    /// Layer ids, comma-joined (every layer when absent).
    #[arg(long, value_delimiter = ',')]
    pub layers: Vec<String>,
    /// The lowest zoom packed.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=22))]
    pub minzoom: u8,
    /// The highest zoom packed (14 carries street detail; each zoom up quadruples tiles).
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u8).range(0..=22))]
    pub maxzoom: u8,
    /// Only tiles meeting `west,south,east,north` (lon/lat); the layers' box when absent.
    #[arg(long, value_name = "W,S,E,N")]
    pub bbox: Option<String>,
    /// The archive's format: `pmtiles` (PMTiles v3), or `mbtiles` (MBTiles 1.3, SQLite);
    /// by default the one `--out`'s extension names, else PMTiles.
    #[arg(long, value_enum)]
    pub format: Option<PackFormat>,
    /// Pack personal fields (duty contacts' names and phones) as stored. Without it they
    /// are masked as a viewer sees them: a pack travels on laptops and USB sticks.
    #[arg(long)]
    pub with_contacts: bool,
    /// An evacuation request (JSON, as POST /api/evacuation takes it): its hazard
    /// areas, affected units and routes are packed beside the layers, as
    /// `scenario_hazards`, `scenario_affected` and `scenario_routes`.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

/// `riskatlas compare`: the request, the two folders, and how to print the answer.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The evacuation request (JSON, as POST /api/evacuation takes it: a scenario and
    /// its options), or `-` for standard input.
    pub request: PathBuf,
    /// The data folder of version a (before).
    #[arg(long)]
    pub a: PathBuf,
    /// The data folder of version b (after).
    #[arg(long)]
    pub b: PathBuf,
    /// Print the whole comparison as JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// `riskatlas drills`: the data, the request, and how to print the ranking.
#[derive(Debug, clap::Args)]
pub struct DrillsArgs {
    /// The request file (JSON, as POST /api/drills takes it), or `-` for standard
    /// input; the defaults without one.
    pub request: Option<PathBuf>,
    /// The data folder.
    #[arg(long, env = "RISKATLAS_DATA", default_value_os_t = demo_folder())]
    pub data: PathBuf,
    /// Print the whole answer as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `riskatlas users`: which file, and what to do to it.
#[derive(Debug, clap::Args)]
pub struct UsersArgs {
    /// The users file (default: users.toml in --data).
    #[arg(long, env = "RISKATLAS_USERS", conflicts_with = "postgis")]
    pub file: Option<PathBuf>,
    /// Keep the users in this PostGIS database (postgres://...) instead of a file: the
    /// servers that serve it share them, and their sign-ins.
    #[arg(long)]
    pub postgis: Option<String>,
    /// The data folder whose users file to use.
    #[arg(long, env = "RISKATLAS_DATA", default_value_os_t = demo_folder())]
    pub data: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub action: UsersAction,
}

/// What `riskatlas users` does.
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Add a user with a role (viewer, planner, editor, admin) and an optional scope.
    Add {
        /// The user's name, as the audit trail will record it.
        name: String,
        /// viewer, planner, editor or admin.
        #[arg(long)]
        role: String,
        /// Admin codes the user may see (repeat for several; none: everything).
        #[arg(long = "scope")]
        scope: Vec<String>,
    },
    /// List users, their roles, scopes and token ids.
    List,
    /// Make a new API token for a user and print it (shown once, stored hashed).
    Token {
        /// The user.
        name: String,
    },
    /// Revoke a user: their tokens stop working when the server next starts.
    Revoke {
        /// The user.
        name: String,
    },
    /// Set a user's password for signing in on the web page (asked for without echo on
    /// a terminal; read from the first line of standard input otherwise).
    Password {
        /// The user.
        name: String,
    },
}

/// `riskatlas impact` and `riskatlas evacuate`: a scenario against a data folder.
#[derive(Debug, clap::Args)]
pub struct ImpactArgs {
    /// The scenario file (JSON, as POST /api/impact takes), or `-` for standard input.
    pub scenario: PathBuf,
    /// The data folder.
    #[arg(long, env = "RISKATLAS_DATA", default_value_os_t = demo_folder())]
    pub data: PathBuf,
    /// Output. impact: the JSON report, GeoJSON of hazards and affected units, CSV per
    /// admin unit, or the printable report. evacuate: the JSON plan, GeoJSON of its
    /// routes, CSV per assignment and per unit not placed, or the village cards.
    #[arg(long, value_enum, default_value = "json")]
    pub format: OutputFormat,
}

/// `--format`, as the command line spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OutputFormat {
    /// The report or plan as the API returns it.
    Json,
    /// Hazards and affected units, or the plan's routes.
    Geojson,
    /// A row per admin unit, or per assignment and unit not placed.
    Csv,
    /// The printable report, or the village cards.
    Html,
}

impl From<OutputFormat> for crate::render::Format {
    fn from(f: OutputFormat) -> Self {
        use crate::render::Format;
        match f {
            OutputFormat::Json => Format::Json,
            OutputFormat::Geojson => Format::GeoJson,
            OutputFormat::Csv => Format::Csv,
            OutputFormat::Html => Format::Html,
        }
    }
}

/// `riskatlas import`: one file into a data folder or PostGIS, or every layer of a data
/// folder into PostGIS.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file to import; or a data folder, whose atlas.toml layers all go to --postgis.
    pub file: PathBuf,
    /// The layer id to give it (a file only: a folder's layers have theirs).
    #[arg(long)]
    pub layer: Option<String>,
    /// The layer's kind (landslide, flood, shelter, population, road, ...; a file only).
    #[arg(long)]
    pub kind: Option<String>,
    /// A display name (default: the layer id).
    #[arg(long)]
    pub name: Option<String>,
    /// Map a source field to a canonical attribute: `--map capacity=容纳人数` (repeatable).
    #[arg(long = "map", value_name = "CANONICAL=SOURCE")]
    pub map: Vec<String>,
    /// CSV: the longitude column (auto-detected when absent).
    #[arg(long)]
    pub lon: Option<String>,
    /// CSV: the latitude column (auto-detected when absent).
    #[arg(long)]
    pub lat: Option<String>,
    /// CSV: the field separator (default ',').
    #[arg(long)]
    pub delimiter: Option<char>,
    /// The text encoding of a CSV (utf-8, gb18030) or of a Shapefile without a .cpg (GBK,
    /// GB18030, ...). Without it, text that is not UTF-8 is read as GB18030 and the
    /// report says so.
    #[arg(long)]
    pub encoding: Option<String>,
    /// GDAL formats: the source CRS when the file names none or a wrong one (EPSG:4544, ...).
    #[arg(long)]
    pub crs: Option<String>,
    /// GDAL formats: which layer of a multi-layer file (GeoPackage, FileGDB).
    #[arg(long)]
    pub source_layer: Option<String>,
    /// Rasters: one polygon per cell instead of a point at each cell's centre.
    #[arg(long)]
    pub cells: bool,
    /// Import nothing when any feature is rejected (the report still says which and why).
    #[arg(long)]
    pub strict: bool,
    /// Copy the file into this data folder and add the layer to its atlas.toml
    /// (files read through GDAL are written there as GeoJSON).
    #[arg(long, conflicts_with = "postgis", required_unless_present = "postgis")]
    pub into: Option<PathBuf>,
    /// Write the layer into this PostGIS database (postgres://...).
    #[arg(long, env = "RISKATLAS_POSTGIS")]
    pub postgis: Option<String>,
}

/// `riskatlas serve`: where the layers come from and how the server listens.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Load the layers from this PostGIS database (postgres://...) instead of --data.
    #[arg(long, env = "RISKATLAS_POSTGIS")]
    pub postgis: Option<String>,
    /// With --postgis naming a streaming replica (a hot standby): its primary
    /// (postgres://...), which takes the edits, warnings and users and whose edit
    /// notifications the server follows. The atlas is loaded from the replica.
    #[arg(
        long,
        env = "RISKATLAS_POSTGIS_PRIMARY",
        value_name = "URL",
        requires = "postgis"
    )]
    pub postgis_primary: Option<String>,
    /// The data folder to serve.
    #[arg(long, env = "RISKATLAS_DATA", default_value_os_t = demo_folder())]
    pub data: PathBuf,
    /// Laptop mode: serve the web map from this map pack alone (`riskatlas pack`), no
    /// data folder or database; analyses, queries and edits are unavailable.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["postgis", "users"])]
    pub pack: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "RISKATLAS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first);
    /// needs --tls-key.
    #[arg(
        long,
        env = "RISKATLAS_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, RSA or EC, unencrypted); needs
    /// --tls-cert.
    #[arg(
        long,
        env = "RISKATLAS_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Tile cache budget in MiB; 0 turns the cache off (every tile drawn for its
    /// request, as the cold-tile benchmarks want).
    #[arg(long, env = "RISKATLAS_TILE_CACHE_MB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(0..=65536))]
    pub tile_cache_mb: u64,
    /// Serve the web page from this folder instead of the copy built into the binary
    /// (for working on the page without rebuilding).
    #[arg(long, env = "RISKATLAS_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// The users file (default: users.toml in --data). Without users, the server only
    /// starts on a loopback address, where every request is the local admin.
    #[arg(long, env = "RISKATLAS_USERS")]
    pub users: Option<PathBuf>,
    /// What a request without a token may do (e.g. viewer, so the map needs no sign-in
    /// on an intranet); by default such requests get 401.
    #[arg(long, env = "RISKATLAS_ANONYMOUS")]
    pub anonymous: Option<String>,
    /// A host name the server answers to besides its bind address (repeat for several;
    /// e.g. riskatlas.bureau.local:8080). Other Host headers get 421.
    #[arg(long = "host", env = "RISKATLAS_HOSTS", value_delimiter = ',')]
    pub hosts: Vec<String>,
    /// Where the access audit is appended (who ran which analysis, who read contacts
    /// in bulk). Default: access.log in --data for a data folder; none for PostGIS
    /// (the records still go to the log, target riskatlas::audit).
    #[arg(long, env = "RISKATLAS_ACCESS_LOG")]
    pub access_log: Option<PathBuf>,
    /// How long a sign-in on the web page lasts, in hours (a duty shift).
    #[arg(long, env = "RISKATLAS_SESSION_HOURS", default_value_t = crate::service::access::session::DEFAULT_SESSION_HOURS,
          value_parser = clap::value_parser!(u64).range(1..=720))]
    pub session_hours: u64,
    /// Connections served at once; more wait in the kernel's listen backlog.
    #[arg(long, env = "RISKATLAS_MAX_CONNECTIONS", default_value_t = crate::api::server::DEFAULT_MAX_CONNECTIONS, value_parser = clap::value_parser!(u32).range(1..=1_000_000).map(|n| n as usize))]
    pub max_connections: usize,
    /// Time a client may take to send a request head, or to start the next one on a
    /// kept-alive connection (e.g. 20s).
    #[arg(long, env = "RISKATLAS_HEADER_TIMEOUT", default_value = "20s", value_parser = duration)]
    pub header_timeout: Duration,
    /// Time a client may take to send a request body whole (e.g. 60s).
    #[arg(long, env = "RISKATLAS_BODY_TIMEOUT", default_value = "60s", value_parser = duration)]
    pub body_timeout: Duration,
    /// Analyses (impact, evacuation, coverage, route, reports, cards) running at once;
    /// more are answered 503 (default: the number of cores, at least 2).
    #[arg(long, env = "RISKATLAS_MAX_ANALYSES", value_parser = clap::value_parser!(u32).range(1..=4096).map(|n| n as usize))]
    pub max_analyses: Option<usize>,
    /// Analyses one user may ask for per minute (0: no limit); more are answered 429.
    #[arg(long, env = "RISKATLAS_ANALYSES_PER_MINUTE", default_value_t = crate::api::limits::DEFAULT_PER_MINUTE)]
    pub analyses_per_minute: u32,
    /// Time limit of one analysis (e.g. 60s); past it, 503.
    #[arg(long, env = "RISKATLAS_ANALYSIS_TIMEOUT", default_value = "60s", value_parser = duration)]
    pub analysis_timeout: Duration,
    /// Most work one scenario may ask for: hazard areas plus (unit, area) pairs whose
    /// bounding boxes meet; more is answered 422.
    #[arg(long, env = "RISKATLAS_MAX_SCENARIO_WORK", default_value_t = crate::service::budget::DEFAULT_MAX_WORK)]
    pub max_scenario_work: u64,
    /// A command run once per task of an issued warning, to deliver it (an SMS gateway,
    /// a PA system; an HTTP endpoint through curl): the task as JSON on its standard
    /// input and in RISKATLAS_* variables; exit 0 is delivered. Without one, the
    /// recipient list is exported for manual calling.
    #[arg(long, env = "RISKATLAS_WARNING_HOOK", value_name = "COMMAND")]
    pub warning_hook: Option<String>,
    /// Attempts of the warning hook per task, the first included.
    #[arg(long, env = "RISKATLAS_WARNING_HOOK_ATTEMPTS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub warning_hook_attempts: u32,
    /// Wait before a second attempt (the n-th retry waits n times this; e.g. 5s).
    #[arg(long, env = "RISKATLAS_WARNING_HOOK_BACKOFF", default_value = "5s", value_parser = duration)]
    pub warning_hook_backoff: Duration,
    /// The `sender` of CAP alerts (`POST /api/warnings?format=cap`): unique worldwide,
    /// so an address in the agency's own domain (e.g. warnings@qingshui.example.gov.cn);
    /// no spaces, commas, < or &. The default is a placeholder in the reserved
    /// `.invalid` domain.
    #[arg(long, env = "RISKATLAS_CAP_SENDER", default_value = crate::render::cap::DEFAULT_SENDER)]
    pub cap_sender: crate::render::cap::CapToken,
    /// Largest answer of an analysis in MiB; larger is answered 422.
    #[arg(long, env = "RISKATLAS_MAX_RESPONSE_MB", default_value_t = crate::api::limits::DEFAULT_MAX_RESPONSE_BYTES >> 20, value_parser = clap::value_parser!(u32).range(1..=4096).map(|n| n as usize))]
    pub max_response_mb: usize,
}

/// A duration as people write it (`20s`, `2m`, `500ms`), above zero.
fn duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err("must be above zero".into()),
        Err(e) => Err(format!("{e} (write it as 20s, 2m or 500ms)")),
    }
}

impl ServeArgs {
    /// The PostGIS database that takes writes: the primary when the atlas is loaded
    /// from a replica, else `--postgis` itself (None when serving a data folder).
    pub fn postgis_writes(&self) -> Option<&str> {
        self.postgis_primary.as_deref().or(self.postgis.as_deref())
    }

    /// The certificate and key files, when TLS is asked for (clap makes sure both are).
    pub fn tls_files(&self) -> Option<(&std::path::Path, &std::path::Path)> {
        self.tls_cert.as_deref().zip(self.tls_key.as_deref())
    }

    /// The warning delivery hook these flags set, if any.
    pub fn warning_hook(&self) -> Option<crate::service::warnings::hook::Hook> {
        self.warning_hook
            .as_ref()
            .map(|command| crate::service::warnings::hook::Hook {
                command: command.clone(),
                attempts: self.warning_hook_attempts,
                backoff: self.warning_hook_backoff,
            })
    }

    /// The connection limits these flags set.
    pub fn connection_limits(&self) -> crate::api::server::ConnectionLimits {
        crate::api::server::ConnectionLimits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
        }
    }

    /// The analysis limits these flags set.
    pub fn limit_options(&self) -> crate::api::LimitOptions {
        crate::api::LimitOptions {
            max_heavy: self
                .max_analyses
                .unwrap_or_else(crate::api::limits::default_max_heavy),
            per_minute: self.analyses_per_minute,
            burst: crate::api::limits::DEFAULT_BURST,
            max_work: self.max_scenario_work,
            time_limit: self.analysis_timeout,
            max_response_bytes: self.max_response_mb << 20,
        }
    }
}

/// `riskatlas demo`: where to write the county, and which one.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Output folder (created; existing layer files are overwritten).
    #[arg(long, env = "RISKATLAS_DEMO_OUT")]
    pub out: PathBuf,
    /// Random seed: the same seed and scale give byte-identical files.
    #[arg(long, default_value_t = crate::demo::working_copy::DEMO_SEED)]
    pub seed: u64,
    /// Size multiplier: 1 is the bundled county; larger grows the area and every layer
    /// (about 2,000 features per unit of scale).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn writes_go_to_the_primary_when_the_atlas_loads_from_a_replica() {
        let serve = |argv: &[&str]| match Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(Command::Serve(args)) => Ok(args),
            Ok(_) => panic!("not serve"),
            Err(e) => Err(e),
        };
        let split = ["riskatlas", "serve", "--postgis", "postgres://r/db"];
        let split = [&split[..], &["--postgis-primary", "postgres://p/db"]].concat();
        let args = serve(&split).unwrap();
        assert_eq!(args.postgis.as_deref(), Some("postgres://r/db"));
        assert_eq!(args.postgis_writes(), Some("postgres://p/db"));
        let one = serve(&["riskatlas", "serve", "--postgis", "postgres://p/db"]).unwrap();
        assert_eq!(one.postgis_writes(), Some("postgres://p/db"));
        assert_eq!(
            serve(&["riskatlas", "serve"]).unwrap().postgis_writes(),
            None
        );
        // A primary without a replica to load from is a mistake, not a data folder.
        let alone = serve(&["riskatlas", "serve", "--postgis-primary", "postgres://p/db"]);
        assert!(alone.unwrap_err().to_string().contains("--postgis"));
    }

    #[test]
    fn serve_defaults_to_the_demo_on_loopback() {
        let cli = Cli::try_parse_from(["riskatlas", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.data, demo_folder());
        assert_eq!(args.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(args.cap_sender.as_str(), crate::render::cap::DEFAULT_SENDER);
        let named = [
            "riskatlas",
            "serve",
            "--cap-sender",
            "warn@county.example.cn",
        ];
        let Command::Serve(args) = Cli::try_parse_from(named).unwrap().command else {
            panic!("not serve")
        };
        assert_eq!(args.cap_sender.as_str(), "warn@county.example.cn");
        let spaced = ["riskatlas", "serve", "--cap-sender", "county desk"];
        assert!(Cli::try_parse_from(spaced).is_err());
    }

    #[test]
    fn limits_default_to_the_documented_values_and_read_durations() {
        let cli = Cli::try_parse_from(["riskatlas", "serve", "--header-timeout", "500ms"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        let conn = args.connection_limits();
        assert_eq!(conn.header_timeout, Duration::from_millis(500));
        assert_eq!(conn.body_timeout, Duration::from_secs(60));
        assert_eq!(conn.max_connections, 512);
        let limits = args.limit_options();
        assert_eq!(limits.max_response_bytes, 32 << 20);
        assert_eq!(limits.max_work, 2_000_000);
        assert!(limits.max_heavy >= 2);
        assert!(Cli::try_parse_from(["riskatlas", "serve", "--body-timeout", "0s"]).is_err());
        assert!(Cli::try_parse_from(["riskatlas", "serve", "--max-connections", "0"]).is_err());
    }

    #[test]
    fn tls_takes_a_certificate_and_a_key_or_neither() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["riskatlas", "serve"].iter().chain(args)).map(|cli| {
                match cli.command {
                    Command::Serve(args) => args,
                    _ => panic!("not serve"),
                }
            })
        };
        assert!(parse(&[]).unwrap().tls_files().is_none());
        let both = parse(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap();
        let (cert, key) = both.tls_files().unwrap();
        assert_eq!(
            (cert.to_str(), key.to_str()),
            (Some("c.pem"), Some("k.pem"))
        );
        assert!(parse(&["--tls-cert", "c.pem"]).is_err());
        assert!(parse(&["--tls-key", "k.pem"]).is_err());
    }

    #[test]
    fn a_malformed_bind_address_is_refused() {
        assert!(Cli::try_parse_from(["riskatlas", "serve", "--bind", "localhost"]).is_err());
    }
}
