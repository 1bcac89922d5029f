//! Command line and environment: every flag also reads an env var; defaults live here.

mod commands;
mod offline;
mod serve;

use clap::{Parser, Subcommand};
pub use commands::*;
pub use offline::*;
pub use serve::*;
use std::path::PathBuf;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::working_copy::default_folder as demo_folder;
    use clap::CommandFactory;
    use std::time::Duration;

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
