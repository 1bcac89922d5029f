//! Flags of `riskatlas serve`: where the layers come from, how the server listens, and
//! its limits.

use crate::demo::working_copy::default_folder as demo_folder;
use clap::builder::TypedValueParser as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
