//! Flags of the one-shot commands: impact, evacuate, compare, drills, users, import and
//! demo.

use crate::demo::working_copy::default_folder as demo_folder;
use clap::Subcommand;
use std::path::PathBuf;

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
