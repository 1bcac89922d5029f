//! The HTTP API: every route in one place, the shared state and the one error type.
//!
//! Handlers are thin: parse the request into checked types, call the domain, map the
//! result. [`router`] is a plain function so tests drive it without a socket.

mod coverage;
mod edits;
mod error;
mod evacuation;
mod extract;
mod features;
mod impact;
mod layers;
mod route;
mod tiles;
mod web;

pub use error::{ApiError, json_param};
pub use extract::ApiJson;

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
    /// The current atlas; an edit installs a new snapshot, readers keep the one they took.
    current: std::sync::RwLock<Arc<Snapshot>>,
    /// Where accepted edits are made durable (`None`: this server takes no edits).
    edit_log: Option<EditSink>,
    /// With PostGIS: the last edit (by `seq`) this server has applied.
    #[cfg(feature = "postgis")]
    applied_seq: std::sync::atomic::AtomicU64,
    /// Why the store is unreachable, while it is (the server keeps serving from memory).
    store_problem: std::sync::Mutex<Option<String>>,
    report: LoadReport,
    tiles: TileCache,
    tile_options: TileOptions,
    /// Fallback host for absolute URLs when a request has no usable `Host` header.
    public_host: String,
    /// Serve the page from this folder instead of the embedded copy (for editing it).
    web_dir: Option<std::path::PathBuf>,
    /// Recent scenarios as tile layers, keyed by a hash of the scenario.
    scenarios: quick_cache::sync::Cache<String, Arc<Vec<crate::atlas::Layer>>>,
}

/// Where accepted edits go.
enum EditSink {
    /// The data folder's edit log.
    Log(tokio::sync::Mutex<crate::edits::log::EditLog>),
    /// PostGIS: one transaction per edit, announced to every server on the database.
    #[cfg(feature = "postgis")]
    Postgis {
        pool: crate::store::postgis::PgPool,
        /// Serialises this server's edits and catch-ups.
        lock: tokio::sync::Mutex<()>,
    },
}

type GraphSlot = std::sync::OnceLock<Result<crate::routing::RoadGraph, crate::routing::GraphError>>;

/// One version of the atlas, with what is derived from it.
pub struct Snapshot {
    pub atlas: Atlas,
    /// Bumped by every edit; tile-cache keys carry it, so no stale tile is served.
    pub generation: u64,
    /// The road graph, built on first use (shared with the next snapshot when an edit
    /// leaves the roads alone).
    road_graph: Arc<GraphSlot>,
}

impl std::ops::Deref for Snapshot {
    type Target = Atlas;
    fn deref(&self) -> &Atlas {
        &self.atlas
    }
}

impl Snapshot {
    /// The road graph (built on first use; `serve` builds it at start-up), or why
    /// there is none.
    pub fn road_graph(&self) -> Result<&crate::routing::RoadGraph, &crate::routing::GraphError> {
        self.road_graph
            .get_or_init(|| {
                let graph = crate::routing::RoadGraph::from_atlas(&self.atlas);
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
                current: std::sync::RwLock::new(Arc::new(Snapshot {
                    atlas,
                    generation: 0,
                    road_graph: Arc::default(),
                })),
                edit_log: None,
                #[cfg(feature = "postgis")]
                applied_seq: Default::default(),
                store_problem: Default::default(),
                report,
                tiles: TileCache::new(tile_cache_bytes),
                tile_options: TileOptions::default(),
                public_host,
                web_dir: None,
                scenarios: quick_cache::sync::Cache::new(SCENARIO_TILE_SOURCES),
            }),
        }
    }

    /// The current atlas. Take it once per request: an edit may install a new one.
    pub fn atlas(&self) -> Arc<Snapshot> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Accept edits, made durable in `log`. Call before the state is cloned.
    pub fn with_edit_log(mut self, log: crate::edits::log::EditLog) -> AppState {
        Arc::get_mut(&mut self.inner)
            .expect("configured before the state is shared")
            .edit_log = Some(EditSink::Log(tokio::sync::Mutex::new(log)));
        self
    }

    /// Accept edits into PostGIS, whose edits up to `applied_seq` the atlas already
    /// holds. Call before the state is cloned.
    #[cfg(feature = "postgis")]
    pub fn with_postgis_edits(
        mut self,
        pool: crate::store::postgis::PgPool,
        applied_seq: u64,
    ) -> AppState {
        let shared = Arc::get_mut(&mut self.inner).expect("configured before the state is shared");
        shared.edit_log = Some(EditSink::Postgis {
            pool,
            lock: tokio::sync::Mutex::new(()),
        });
        shared.applied_seq = applied_seq.into();
        self
    }

    /// With PostGIS: applies the edits committed since the last one applied (by any
    /// server on the database); returns how many. Replay is idempotent, so a
    /// notification that arrives twice changes nothing.
    #[cfg(feature = "postgis")]
    pub async fn catch_up(&self) -> anyhow::Result<usize> {
        let Some(EditSink::Postgis { pool, lock }) = &self.inner.edit_log else {
            return Ok(0);
        };
        let _serial = lock.lock().await;
        self.catch_up_locked(pool).await
    }

    #[cfg(feature = "postgis")]
    async fn catch_up_locked(&self, pool: &crate::store::postgis::PgPool) -> anyhow::Result<usize> {
        use std::sync::atomic::Ordering;
        let after = self.inner.applied_seq.load(Ordering::SeqCst);
        let records = crate::store::postgis::edits_after(pool, after).await?;
        let Some(last) = records.last().map(|r| r.seq) else {
            return Ok(0);
        };
        let current = self.atlas();
        let (atlas, problems) = crate::edits::replay(&current.atlas, &records);
        for p in problems {
            tracing::error!("edit from PostGIS not applied: {p}");
        }
        let touches_roads = records.iter().any(|r| {
            current
                .atlas
                .layer(&r.layer)
                .is_some_and(|l| l.kind == crate::atlas::Kind::Road)
        });
        self.install(&current, atlas, touches_roads);
        self.inner.applied_seq.store(last, Ordering::SeqCst);
        tracing::info!(
            edits = records.len(),
            through_seq = last,
            "applied edits from PostGIS"
        );
        Ok(records.len())
    }

    /// Records that the store is unreachable (`Some(why)`) or back (`None`).
    pub fn set_store_problem(&self, problem: Option<String>) {
        let mut slot = self
            .inner
            .store_problem
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if *slot != problem {
            match &problem {
                Some(why) => tracing::warn!("store unreachable, serving from memory: {why}"),
                None => tracing::info!("store reachable again"),
            }
            *slot = problem;
        }
    }

    pub fn store_problem(&self) -> Option<String> {
        self.inner
            .store_problem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Installs `atlas` as the next snapshot after `current`.
    fn install(&self, current: &Snapshot, atlas: Atlas, touches_roads: bool) {
        let next = Snapshot {
            atlas,
            generation: current.generation + 1,
            road_graph: if touches_roads {
                Arc::default()
            } else {
                current.road_graph.clone()
            },
        };
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        // Scenario tiles were computed on the old data.
        self.inner.scenarios.clear();
    }

    /// The audit trail: every logged edit, oldest first.
    pub async fn edit_history(&self) -> Result<Vec<crate::edits::EditRecord>, ApiError> {
        let log = match &self.inner.edit_log {
            None => return Ok(Vec::new()),
            #[cfg(feature = "postgis")]
            Some(EditSink::Postgis { pool, .. }) => {
                return crate::store::postgis::edits_after(pool, 0)
                    .await
                    .map_err(ApiError::Internal);
            }
            Some(EditSink::Log(log)) => log,
        };
        let log = log.lock().await;
        let archive = log
            .path()
            .with_file_name(crate::edits::compact::ARCHIVE_FILE);
        let mut records =
            crate::edits::log::read_records(&archive).map_err(|e| ApiError::Internal(e.into()))?;
        records.extend(log.read_all().map_err(|e| ApiError::Internal(e.into()))?);
        Ok(records)
    }

    /// Checks an edit, logs it durably, then installs the edited atlas; returns the
    /// logged record. Edits are serialised: each sees the one before.
    pub async fn edit(
        &self,
        layer: &str,
        request: crate::edits::Request,
        who: &str,
    ) -> Result<crate::edits::EditRecord, ApiError> {
        let stamp = |mut record: crate::edits::EditRecord| {
            record.at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
            record.who = who.to_string();
            record
        };
        let unsaved = |e: String| {
            tracing::error!("edit not saved: {e}");
            ApiError::Unavailable(format!(
                "the edit could not be saved, so it was not applied: {e}"
            ))
        };
        match &self.inner.edit_log {
            None => Err(ApiError::MethodNotAllowed(
                "this server takes no edits (serve a data folder or PostGIS to edit it)".into(),
            )),
            Some(EditSink::Log(log)) => {
                let mut log = log.lock().await;
                let current = self.atlas();
                let prepared = crate::edits::prepare(&current.atlas, layer, request)
                    .map_err(ApiError::from)?;
                let layer = prepared.layer(&current.atlas);
                let touches_roads = layer.kind == crate::atlas::Kind::Road;
                let record = log
                    .append(stamp(prepared.record))
                    .map_err(|e| unsaved(e.to_string()))?;
                self.install(&current, current.atlas.with_layer(layer), touches_roads);
                Ok(record)
            }
            #[cfg(feature = "postgis")]
            Some(EditSink::Postgis { pool, lock }) => {
                let _serial = lock.lock().await;
                let current = self.atlas();
                let prepared = crate::edits::prepare(&current.atlas, layer, request)
                    .map_err(ApiError::from)?;
                let record = crate::store::postgis::commit_edit(pool, &stamp(prepared.record))
                    .await
                    .map_err(|e| unsaved(format!("{e:#}")))?;
                // Apply everything committed up to it, in order, so that edits from other
                // servers to the same feature land in the same order everywhere.
                if let Err(e) = self.catch_up_locked(pool).await {
                    tracing::warn!("edit {} committed; catching up failed: {e:#}", record.seq);
                }
                Ok(record)
            }
        }
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

/// Runs a service call off the async threads (analyses and edits can take a while, and
/// a tile request must not wait behind them): the one place handlers block.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::service::ServiceError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("worker failed: {e}")))?
        .map_err(ApiError::from)
}

/// All routes.
pub fn router(state: AppState) -> Router {
    Router::new()
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
        .route("/tiles/{ids}/{z}/{x}/{y}", get(tiles::tile))
        .route("/tiles/impact/{key}/{z}/{x}/{y}", get(tiles::impact_tile))
        .route("/api/impact", post(impact::impact))
        .route("/report/impact", get(impact::report))
        .route("/api/evacuation", post(evacuation::evacuation))
        .route("/cards/evacuation", get(evacuation::cards))
        .route("/api/coverage", post(coverage::coverage_handler))
        .route("/api/route", post(route::route_handler))
        .route("/style.json", get(web::style))
        .route("/api/palette", get(web::palette))
        .fallback(web::asset_or_404)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}
