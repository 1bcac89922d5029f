//! The HTTP API: every route in one place, the shared state and the one error type.
//!
//! Handlers are thin: parse the request into checked types, call the domain, map the
//! result. [`router`] is a plain function so tests drive it without a socket.

pub mod access;
mod audit;
mod compare;
mod coverage;
mod drills;
mod edits;
mod error;
mod evacuation;
mod extract;
mod features;
pub mod head_errors;
pub mod headers;
mod impact;
mod layers;
pub mod limits;
mod ndjson;
mod ogc;
mod openapi;
mod pack;
pub mod pack_mode;
pub mod request_log;
mod route;
pub mod server;
mod session;
mod sheets;
mod tiles;
pub mod tls;
mod warm_tiles;
mod warnings;
mod web;

pub use error::{ApiError, json_param};
pub use extract::ApiJson;
pub use limits::{LimitOptions, MAX_BODY_BYTES};
pub use warm_tiles::WarmTiles;

use crate::atlas::Atlas;
use crate::import::LoadReport;
use crate::service::Service;
use crate::service::access::Identity;
use crate::service::audit::{AccessLog, AccessRecord};
use crate::service::state::View;
use crate::service::store::Edit;
use crate::tiles::{TileCache, TileOptions};
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

pub use crate::service::Snapshot;

/// Everything a request may need: the service, and what only HTTP needs (the tile
/// cache, the host for absolute URLs, the page). Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    service: Arc<Service>,
    tiles: TileCache,
    tile_options: TileOptions,
    /// Fallback host for absolute URLs when a request has no usable `Host` header.
    public_host: String,
    /// Serve the page from this folder instead of the embedded copy (for editing it).
    web_dir: Option<std::path::PathBuf>,
    /// Who may do what.
    access: crate::service::access::Access,
    /// Host names the server answers to (empty: any).
    allowed_hosts: Vec<String>,
    /// Who ran which analysis and read contacts in bulk.
    audit: AccessLog,
    /// Recent scenarios as tile layers, keyed by a hash of the scenario and the atlas
    /// generation it ran on (so one from before an edit is never served after it).
    scenarios: quick_cache::sync::Cache<String, Arc<Vec<crate::atlas::Layer>>>,
    /// Slots and rates of the heavy routes, and each analysis's budget.
    limiter: limits::Limiter,
    /// Whether the server itself speaks TLS (`--tls-cert`).
    tls: bool,
    /// The `sender` of CAP alerts (`--cap-sender`).
    cap_sender: crate::render::cap::CapToken,
}

/// How many analysed scenarios stay available as tile sources.
pub const SCENARIO_TILE_SOURCES: usize = 64;

/// Default tile-cache budget: 256 MiB.
pub const DEFAULT_TILE_CACHE_BYTES: u64 = 256 << 20;

/// What `serve` sets besides the service.
pub struct HttpOptions {
    /// Tile-cache budget (bytes).
    pub tile_cache_bytes: u64,
    /// Host for absolute URLs when a request has no usable `Host` header.
    pub public_host: String,
    /// Serve the page from this folder instead of the embedded copy.
    pub web_dir: Option<std::path::PathBuf>,
    /// Who may do what.
    pub access: crate::service::access::Access,
    /// Host names the server answers to (empty: any, for tests without a socket).
    pub allowed_hosts: Vec<String>,
    /// Where the access audit goes.
    pub audit: AccessLog,
    /// Limits on the heavy routes (see `limits`).
    pub limits: LimitOptions,
    /// The server terminates TLS itself: cookies are `Secure`, URLs `https://`, and
    /// responses carry `Strict-Transport-Security`.
    pub tls: bool,
    /// The `sender` of CAP alerts: unique worldwide, so the agency's own.
    pub cap_sender: crate::render::cap::CapToken,
}

impl Default for HttpOptions {
    /// No users and every host: what a test through the router, or a laptop, needs.
    fn default() -> HttpOptions {
        HttpOptions {
            tile_cache_bytes: DEFAULT_TILE_CACHE_BYTES,
            public_host: "127.0.0.1:8080".into(),
            web_dir: None,
            access: crate::service::access::Access::Open,
            allowed_hosts: Vec::new(),
            audit: AccessLog::in_memory(),
            // No rate: a test through the router is one identity asking many analyses
            // at once. `serve` sets the rate from its flags.
            limits: LimitOptions {
                per_minute: 0,
                ..LimitOptions::default()
            },
            tls: false,
            cap_sender: crate::render::cap::CapToken::parse(crate::render::cap::DEFAULT_SENDER)
                .expect("the default sender is a CAP token"),
        }
    }
}

impl AppState {
    /// An atlas that takes no edits, with default options (tests, read-only use).
    pub fn new(atlas: Atlas, report: LoadReport) -> AppState {
        AppState::serving(
            Arc::new(Service::in_memory(atlas, report)),
            HttpOptions::default(),
        )
    }

    /// The state a server runs on.
    pub fn serving(service: Arc<Service>, options: HttpOptions) -> AppState {
        AppState {
            inner: Arc::new(Shared {
                service,
                tiles: TileCache::new(options.tile_cache_bytes),
                tile_options: TileOptions::default(),
                public_host: options.public_host,
                web_dir: options.web_dir,
                access: options.access,
                allowed_hosts: options.allowed_hosts,
                audit: options.audit,
                scenarios: quick_cache::sync::Cache::new(SCENARIO_TILE_SOURCES),
                limiter: limits::Limiter::new(options.limits),
                tls: options.tls,
                cap_sender: options.cap_sender,
            }),
        }
    }

    /// Takes edits into `log` (a data folder's), over the atlas this state holds. For
    /// tests that open the log themselves; a server uses [`Service::open_folder`].
    pub fn with_edit_log(self, log: crate::edits::log::EditLog) -> anyhow::Result<AppState> {
        let service = &self.inner.service;
        let store = crate::service::store::folder::FolderStore::on_log(log)?;
        let atlas = service.snapshot().atlas.clone();
        let service = Service::new(atlas, service.report().clone(), Box::new(store));
        Ok(AppState::serving(
            Arc::new(service),
            HttpOptions {
                public_host: self.inner.public_host.clone(),
                web_dir: self.inner.web_dir.clone(),
                ..HttpOptions::default()
            },
        ))
    }

    /// The service behind the API.
    pub fn service(&self) -> &Arc<Service> {
        &self.inner.service
    }

    /// The current atlas. Take it once per request: an edit may install a new one.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.service.snapshot()
    }

    /// What `who` may see of the current atlas: all of it, or their scope's view
    /// (cut off the async threads the first time after an edit).
    pub async fn view(&self, who: &Identity) -> Result<Arc<View>, ApiError> {
        if let Some(ready) = self.inner.service.ready_view(&who.scope) {
            return Ok(ready);
        }
        let service = self.inner.service.clone();
        let scope = who.scope.clone();
        blocking(move || Ok(service.view(&scope))).await
    }

    /// The snapshot `who` reads: [`AppState::view`]'s.
    pub async fn snapshot_for(&self, who: &Identity) -> Result<Arc<Snapshot>, ApiError> {
        Ok(self.view(who).await?.snapshot.clone())
    }

    /// `who`'s view and the whole snapshot it was cut from, of one generation: what-if
    /// edits are checked and applied on the whole atlas, as real edits are, and then
    /// compared with the view. An edit landing between the two reads is waited out by
    /// reading again.
    pub async fn view_and_whole(
        &self,
        who: &Identity,
    ) -> Result<(Arc<View>, Arc<Snapshot>), ApiError> {
        for _ in 0..3 {
            let view = self.view(who).await?;
            let whole = self.snapshot();
            if whole.generation == view.snapshot.generation {
                return Ok((view, whole));
            }
        }
        Err(ApiError::Unavailable(
            "the atlas is being edited faster than a comparison can start; try again".into(),
        ))
    }

    /// Checks an edit (against `who`'s jurisdiction too), logs it durably, then
    /// installs the edited atlas.
    pub async fn edit(
        &self,
        layer: &str,
        request: crate::edits::Request,
        who: &Identity,
    ) -> Result<crate::edits::EditRecord, ApiError> {
        let view = self.view(who).await?;
        view.jurisdiction
            .check_edit(&self.snapshot(), layer, &request)?;
        let edit = Edit {
            layer: layer.to_string(),
            request,
            who: who.name.clone(),
        };
        Ok(self.inner.service.edit(edit).await?)
    }

    /// A page of the audit trail, newest first.
    pub async fn edit_history(
        &self,
        query: crate::service::store::TrailQuery,
    ) -> Result<crate::service::store::TrailPage, ApiError> {
        Ok(self.inner.service.history(query).await?)
    }

    /// Why the store is unreachable, while it is.
    pub fn store_problem(&self) -> Option<String> {
        self.inner.service.store_problem()
    }

    /// What loading reported.
    pub fn report(&self) -> &LoadReport {
        self.inner.service.report()
    }

    /// The byte-budgeted tile cache.
    pub fn tile_cache(&self) -> &TileCache {
        &self.inner.tiles
    }

    /// How tiles are cut.
    pub fn tile_options(&self) -> &TileOptions {
        &self.inner.tile_options
    }

    /// Serves `web/` files from `dir` (read at each request) instead of the copy built
    /// into the binary. Call before the state is cloned.
    pub fn with_web_dir(mut self, dir: Option<std::path::PathBuf>) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("configured before the state is shared")
            .web_dir = dir;
        self
    }

    /// The folder the page is served from, if not the embedded copy.
    pub fn web_dir(&self) -> Option<&std::path::Path> {
        self.inner.web_dir.as_deref()
    }

    /// Keeps a scenario's layers for `/tiles/impact/{key}/...`; returns the key.
    pub fn remember_scenario(&self, key: String, layers: Vec<crate::atlas::Layer>) -> String {
        self.inner.scenarios.insert(key.clone(), Arc::new(layers));
        key
    }

    /// A scenario's layers remembered for its tiles.
    pub fn scenario_layers(&self, key: &str) -> Option<Arc<Vec<crate::atlas::Layer>>> {
        self.inner.scenarios.get(key)
    }

    /// Host for absolute URLs when a request has no usable `Host` header.
    /// Who may do what on this server.
    pub fn access(&self) -> &crate::service::access::Access {
        &self.inner.access
    }

    /// Records a read in the access audit (see [`crate::service::audit`]): what
    /// `who` did (`action`, in `format`), about what, and how many contacts the answer
    /// gave in full.
    pub fn audit(
        &self,
        who: &Identity,
        action: &'static str,
        format: crate::render::Format,
        about: String,
        contacts: usize,
    ) {
        let full = who.disclosure() == crate::atlas::Disclosure::Full;
        self.inner.audit.record(AccessRecord {
            at: crate::service::audit::now(),
            who: who.name.clone(),
            role: who.role.to_string(),
            scope: who.scope.clone(),
            action,
            format: format.code(),
            about,
            personal_records: if full { contacts } else { 0 },
        });
    }

    /// The latest access records, newest first.
    pub fn audit_trail(&self, limit: usize) -> Vec<AccessRecord> {
        self.inner.audit.recent(limit)
    }

    /// Host names the server answers to (empty: any).
    pub fn allowed_hosts(&self) -> &[String] {
        &self.inner.allowed_hosts
    }

    /// Whether the server itself speaks TLS.
    pub fn tls(&self) -> bool {
        self.inner.tls
    }

    /// The `sender` of the CAP alerts this server writes.
    pub fn cap_sender(&self) -> &crate::render::cap::CapToken {
        &self.inner.cap_sender
    }

    /// The host absolute URLs fall back to.
    pub fn public_host(&self) -> &str {
        &self.inner.public_host
    }

    /// Slots and rates of the heavy routes.
    pub fn limiter(&self) -> &limits::Limiter {
        &self.inner.limiter
    }

    /// The work cap and deadline of an analysis starting now.
    pub fn budget(&self) -> crate::service::budget::Budget {
        self.inner.limiter.budget()
    }
}

/// Runs a service call off the async threads (analyses and edits can take a while, and
/// a tile request must not wait behind them): the one place handlers block.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::service::ServiceError> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(crate::service::store::blocking(work).await?)
}

/// `answer` as JSON with its numbers as people read them (see [`crate::render::tidy`]).
fn tidy<T: serde::Serialize>(answer: &T) -> Result<serde_json::Value, ApiError> {
    let mut value = serde_json::to_value(answer).map_err(|e| ApiError::Internal(e.into()))?;
    crate::render::tidy::numbers(&mut value);
    Ok(value)
}

/// The server's service: [`routes`], behind the warm tile path (a tile the cache holds
/// is answered before routing, as the router would answer it: see `warm_tiles`).
pub fn router(state: AppState) -> Router {
    let warm = WarmTiles::new(state.clone(), routes(state));
    Router::new().fallback_service(warm)
}

/// All routes. Each request passes, outermost first: tracing, the security headers
/// (and HSTS when the server speaks TLS), the body limit of its route,
/// `access::require` (who is asking, may they), then `limits::heavy` (rates, slots and
/// answer size of the analyses).
pub fn routes(state: AppState) -> Router {
    use axum::extract::DefaultBodyLimit;
    let tls = state.tls();
    let routes = Router::new()
        .route("/api/health", get(layers::health))
        .route("/api/layers", get(layers::catalogue))
        .route("/api/report", get(layers::report))
        .route("/api/layers/{id}", get(layers::tilejson))
        .route(
            "/api/layers/{id}/features",
            get(features::list).post(edits::insert),
        )
        .route(
            "/api/layers/{id}/features/{fid}",
            get(features::one).patch(edits::patch).delete(edits::delete),
        )
        .route("/api/layers/{id}/fid/{fid}", get(features::at_fid))
        .route("/api/edits", get(edits::history))
        .route("/api/audit", get(audit::trail))
        .route("/tiles/{ids}/{z}/{x}/{y}", get(tiles::tile))
        .route("/tiles/impact/{key}/{z}/{x}/{y}", get(tiles::impact_tile))
        .route("/api/pack", get(pack::pack))
        .route("/api/impact", post(impact::impact))
        .route("/report/impact", get(impact::report))
        .route("/api/evacuation", post(evacuation::evacuation))
        .route("/api/compare", post(compare::compare))
        .route("/api/drills", post(drills::drills))
        .route("/api/drills/records", post(drills::record))
        .route("/cards/evacuation", get(evacuation::cards))
        .route("/cards/drill", get(drills::card))
        .route(
            "/api/warnings",
            post(warnings::audience).get(warnings::list),
        )
        .route("/api/warnings/{id}", get(warnings::status))
        .route("/api/warnings/{id}/acks", post(warnings::ack))
        .route("/api/warnings/{id}/cancel", post(warnings::cancel))
        .route("/api/warnings/{id}/update", post(warnings::update))
        .route("/cards/calls", get(warnings::call_sheets))
        .route("/sheets/{file}", get(sheets::pdf))
        .route(
            "/api/coverage",
            post(coverage::coverage_handler)
                .layer(DefaultBodyLimit::max(limits::COVERAGE_BODY_BYTES)),
        )
        .route(
            "/api/route",
            post(route::route_handler).layer(DefaultBodyLimit::max(limits::ROUTE_BODY_BYTES)),
        )
        .route("/ogc", get(ogc::landing))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/{id}", get(ogc::one_collection))
        .route("/ogc/collections/{id}/items", get(ogc::items))
        .route("/ogc/collections/{id}/items/{fid}", get(ogc::item))
        .route("/ogc/collections/{id}/queryables", get(ogc::queryables))
        .route("/ogc/tileMatrixSets", get(ogc::matrix_sets))
        .route("/ogc/tileMatrixSets/{id}", get(ogc::matrix_set))
        .route("/ogc/tiles", get(ogc::all_tilesets))
        .route("/ogc/tiles/{set}", get(ogc::all_tileset))
        .route("/ogc/tiles/{set}/{z}/{row}/{col}", get(ogc::all_tile))
        .route("/ogc/collections/{id}/tiles", get(ogc::layer_tilesets))
        .route("/ogc/collections/{id}/tiles/{set}", get(ogc::layer_tileset))
        .route(
            "/ogc/collections/{id}/tiles/{set}/{z}/{row}/{col}",
            get(ogc::layer_tile),
        )
        .route("/style.json", get(web::style))
        .route("/api/palette", get(web::palette))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/api/docs", get(openapi::docs))
        .route("/api/labels", get(web::labels))
        .route(
            "/api/session",
            get(session::current)
                .post(session::sign_in)
                .delete(session::sign_out),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::heavy,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::require,
        ))
        .fallback(web::asset_or_404)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    headers::secure(routes, tls).layer(axum::middleware::from_fn(request_log::log))
}
