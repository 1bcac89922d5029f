//! The HTTP API: every route in one place, the shared state and the one error type.
//!
//! Handlers are thin: parse the request into checked types, call the domain, map the
//! result. [`router`] is a plain function so tests drive it without a socket.

mod coverage;
mod error;
mod evacuation;
mod features;
mod impact;
mod layers;
mod tiles;
mod web;

pub use error::{ApiError, json_param};

use crate::atlas::Atlas;
use crate::import::LoadReport;
use crate::tiles::{TileCache, TileOptions};
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

/// Everything a request may need. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    atlas: Atlas,
    report: LoadReport,
    tiles: TileCache,
    tile_options: TileOptions,
    /// Fallback host for absolute URLs when a request has no usable `Host` header.
    public_host: String,
    /// Serve the page from this folder instead of the embedded copy (for editing it).
    web_dir: Option<std::path::PathBuf>,
    /// The road graph, built once from the atlas's road layers (`None` without roads).
    road_graph: std::sync::OnceLock<Result<crate::routing::RoadGraph, crate::routing::GraphError>>,
    /// Recent scenarios as tile layers, keyed by a hash of the scenario.
    scenarios: quick_cache::sync::Cache<String, Arc<Vec<crate::atlas::Layer>>>,
}

/// How many analysed scenarios stay available as tile sources.
pub const SCENARIO_TILE_SOURCES: usize = 64;

/// Default tile-cache budget: 256 MiB.
pub const DEFAULT_TILE_CACHE_BYTES: u64 = 256 << 20;

impl AppState {
    pub fn new(atlas: Atlas, report: LoadReport) -> AppState {
        AppState::with_options(
            atlas,
            report,
            DEFAULT_TILE_CACHE_BYTES,
            "127.0.0.1:8080".into(),
        )
    }

    pub fn with_options(
        atlas: Atlas,
        report: LoadReport,
        tile_cache_bytes: u64,
        public_host: String,
    ) -> AppState {
        AppState {
            inner: Arc::new(Shared {
                atlas,
                report,
                tiles: TileCache::new(tile_cache_bytes),
                tile_options: TileOptions::default(),
                public_host,
                web_dir: None,
                road_graph: std::sync::OnceLock::new(),
                scenarios: quick_cache::sync::Cache::new(SCENARIO_TILE_SOURCES),
            }),
        }
    }

    pub fn atlas(&self) -> &Atlas {
        &self.inner.atlas
    }

    pub fn report(&self) -> &LoadReport {
        &self.inner.report
    }

    pub fn tile_cache(&self) -> &TileCache {
        &self.inner.tiles
    }

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

    pub fn web_dir(&self) -> Option<&std::path::Path> {
        self.inner.web_dir.as_deref()
    }

    /// The road graph (built on first use; `serve` builds it at start-up), or why
    /// there is none.
    pub fn road_graph(&self) -> Result<&crate::routing::RoadGraph, &crate::routing::GraphError> {
        self.inner
            .road_graph
            .get_or_init(|| {
                let graph = crate::routing::RoadGraph::from_atlas(&self.inner.atlas);
                match &graph {
                    Ok(g) => tracing::info!(
                        nodes = g.node_count(),
                        arcs = g.arc_count(),
                        "road graph built"
                    ),
                    Err(e) => tracing::warn!("no road routing: {e}"),
                }
                graph
            })
            .as_ref()
    }

    /// Keeps a scenario's layers for `/tiles/impact/{key}/...`; returns the key.
    pub fn remember_scenario(&self, key: String, layers: Vec<crate::atlas::Layer>) -> String {
        self.inner.scenarios.insert(key.clone(), Arc::new(layers));
        key
    }

    pub fn scenario_layers(&self, key: &str) -> Option<Arc<Vec<crate::atlas::Layer>>> {
        self.inner.scenarios.get(key)
    }

    pub fn public_host(&self) -> &str {
        &self.inner.public_host
    }
}

/// All routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(layers::health))
        .route("/api/layers", get(layers::catalogue))
        .route("/api/report", get(layers::report))
        .route("/api/layers/{id}", get(layers::tilejson))
        .route("/api/layers/{id}/features", get(features::list))
        .route("/api/layers/{id}/features/{fid}", get(features::one))
        .route("/tiles/{ids}/{z}/{x}/{y}", get(tiles::tile))
        .route("/tiles/impact/{key}/{z}/{x}/{y}", get(tiles::impact_tile))
        .route("/api/impact", post(impact::impact))
        .route("/report/impact", get(impact::report))
        .route("/api/evacuation", post(evacuation::evacuation))
        .route("/cards/evacuation", get(evacuation::cards))
        .route("/api/coverage", post(coverage::coverage_handler))
        .route("/style.json", get(web::style))
        .fallback(web::asset_or_404)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
