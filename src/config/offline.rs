//! Flags of the commands that carry the atlas away from the server: `riskatlas pack`
//! (map packs) and `riskatlas sheets` (printed map sheets).

use crate::demo::working_copy::default_folder as demo_folder;
use std::path::PathBuf;

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
    /// `scenario_hazards`, `scenario_affected`, `scenario_routes` and
    /// `scenario_shelter_fill` (the shelters used, with their share filled).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}
