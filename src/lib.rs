//! riskatlas: a GIS risk-map and disaster-analysis server.
//!
//! A guided tour, in the order a request travels:
//!
//! - [`config`]: command line and environment → a checked `Config`.
//! - [`import`]: a data folder (`atlas.toml` + GeoJSON/CSV/OSM layers, and anything GDAL
//!   reads with the `gdal` feature) → validated features and a report of every refused one.
//! - [`atlas`]: the in-memory model: layers of typed features, each with an R-tree.
//! - [`tiles`]: tile math, clipping, Mapbox Vector Tile encoding, the byte-budgeted cache.
//! - [`style`]: the MapLibre style drawn from the atlas (warning colours, offline basemap).
//! - [`analysis`]: who is affected by a scenario (overlay, impact report, needs), where
//!   they evacuate, coverage, single routes.
//! - [`service`]: typed requests checked against one set of bounds, the analyses as
//!   services, and `ServiceError`, which keeps every failure's kind.
//! - [`render`]: reports, plans and cards as JSON, GeoJSON, CSV and HTML (askama
//!   templates), warnings as CAP 1.2 alerts, and the warning palette every page and
//!   the map share.
//! - [`api`]: `router(state)`: every HTTP route, thin handlers, one `ApiError`.
//! - [`routing`]: the road graph, snapping, shortest paths (Dijkstra and contraction
//!   hierarchies) and min-cost flow.
//! - [`edits`]: checked edits, the durable edit log, replay and compaction.
//! - [`store`]: PostGIS as the store, or a streaming replica of it to load from (feature
//!   `postgis`).
//! - [`log`]: the log subscriber and how durations print.
//! - [`demo`]: the seeded generator of the synthetic demo county (and its scaled-up
//!   versions for benchmarks).

pub mod analysis;
pub mod api;
pub mod atlas;
pub mod config;
pub mod demo;
pub mod edits;
pub mod import;
pub mod log;
pub mod parallel;
pub mod render;
pub mod routing;
pub mod service;
pub mod store;
pub mod style;
pub mod tiles;
