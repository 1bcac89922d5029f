//! Shared test helpers: the demo state, requests through the router, an MVT decoder and
//! tile math written independently of the crate's own.
#![allow(dead_code)]

pub mod cli;
pub mod folder;
pub mod relay;
pub mod server;
pub mod tls;
pub mod users;

pub mod mvt;

pub mod plans;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use riskatlas::api::{AppState, router};
use std::path::PathBuf;
use tower::ServiceExt;

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A copy of the bundled demo in a temporary folder (edits write next to the data),
/// without the edit log, access log or warnings journal a server running on the demo
/// may have left.
pub fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for entry in std::fs::read_dir(repo_path("data/demo")).expect("the demo folder") {
        let entry = entry.expect("an entry");
        let file = entry.file_type().expect("a file type").is_file();
        // What a server run on the demo leaves behind is not the demo.
        let left_behind = [
            riskatlas::edits::LOG_FILE,
            riskatlas::service::audit::ACCESS_LOG,
            riskatlas::service::warnings::desk::WARNINGS_LOG,
        ];
        if file && !left_behind.iter().any(|f| entry.file_name() == *f) {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copies");
        }
    }
    dir
}

/// The bundled demo county, loaded from `data/demo` as the server would.
pub fn demo_app() -> Router {
    let loaded =
        riskatlas::import::load_folder(&repo_path("data/demo")).expect("the bundled demo loads");
    router(AppState::new(loaded.atlas, loaded.report))
}

/// The app over a data folder, loaded as the server would (failed layers and all).
pub fn folder_app(dir: &std::path::Path) -> Router {
    let loaded = riskatlas::import::load_folder(dir).expect("the manifest reads");
    router(AppState::new(loaded.atlas, loaded.report))
}

/// The PostgreSQL the PostGIS tests run against (`DATABASE_URL`, set by
/// `scripts/with-postgis`), or None with the reason printed — a failure instead when
/// `RISKATLAS_REQUIRE_POSTGIS` is set (as `scripts/test` sets it), so CI never skips.
pub fn postgis_url(what: &str) -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var("RISKATLAS_REQUIRE_POSTGIS").is_err(),
                "RISKATLAS_REQUIRE_POSTGIS is set but DATABASE_URL is not: run under scripts/with-postgis"
            );
            eprintln!("SKIPPED {what}: no DATABASE_URL (run under scripts/with-postgis)");
            None
        }
    }
}

/// The streaming replica of `DATABASE_URL` the replica tests read from
/// (`REPLICA_DATABASE_URL`, set by `RISKATLAS_PG_REPLICA=1 scripts/with-postgis`), or
/// None with the reason printed — a failure instead when `RISKATLAS_REQUIRE_POSTGIS` is
/// set, as for [`postgis_url`].
pub fn replica_url(what: &str) -> Option<String> {
    match std::env::var("REPLICA_DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var("RISKATLAS_REQUIRE_POSTGIS").is_err(),
                "RISKATLAS_REQUIRE_POSTGIS is set but REPLICA_DATABASE_URL is not: run under \
                 RISKATLAS_PG_REPLICA=1 scripts/with-postgis"
            );
            eprintln!(
                "SKIPPED {what}: no REPLICA_DATABASE_URL (run under RISKATLAS_PG_REPLICA=1 \
                 scripts/with-postgis)"
            );
            None
        }
    }
}

/// A rectangle over the middle of the demo county, crossing township boundaries: the
/// area the warning tests draw.
pub const DEMO_AREA: [[f64; 2]; 5] = [
    [105.60, 34.42],
    [105.80, 34.42],
    [105.80, 34.56],
    [105.60, 34.56],
    [105.60, 34.42],
];

/// The app over a data folder taking edits, as `riskatlas serve` runs it.
pub fn served(dir: &std::path::Path) -> Router {
    let service = riskatlas::service::Service::open_folder(dir).expect("the folder opens");
    router(AppState::serving(
        std::sync::Arc::new(service),
        riskatlas::api::HttpOptions::default(),
    ))
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as JSON, after asserting the reply is a 200 (showing the body if not).
    pub fn ok_json(&self) -> serde_json::Value {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        self.json()
    }

    /// The `error` message of an error reply (empty if it has none).
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub async fn request(app: &Router, req: Request<Body>) -> Reply {
    let resp = app
        .clone()
        .oneshot(req)
        .await
        .expect("the router never fails");
    reply_of(resp).await
}

/// A response, its body read whole.
pub async fn reply_of(resp: axum::response::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body collects")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    request(
        app,
        Request::get(uri)
            .header("host", "127.0.0.1:8080")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// POSTs a JSON body (any text: malformed bodies are tested too).
pub async fn post(app: &Router, uri: &str, body: impl ToString) -> Reply {
    let req = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    request(app, req).await
}

/// Tile bounds in lon/lat, buffered by `buffer/extent` of a tile per side: the
/// textbook inverse Web Mercator, written here independently of `riskatlas::tiles`.
pub fn buffered_tile_bounds(z: u32, x: u32, y: u32, buffer: f64) -> (f64, f64, f64, f64) {
    let n = 2f64.powi(z as i32);
    let b = buffer / 4096.0;
    let lon = |t: f64| t / n * 360.0 - 180.0;
    let lat = |t: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * t / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    (
        lon(x as f64 - b),
        lat(y as f64 + 1.0 + b),
        lon(x as f64 + 1.0 + b),
        lat(y as f64 - b),
    )
}

/// The tile at zoom `z` containing lon/lat.
pub fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = 2f64.powi(z as i32);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat_r = lat.to_radians();
    let y =
        ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

/// A layer's features by their stable id, for comparing atlases whose fids may differ.
pub fn by_id(
    atlas: &riskatlas::atlas::Atlas,
    layer: &str,
) -> std::collections::BTreeMap<String, riskatlas::atlas::Feature> {
    atlas
        .layer(layer)
        .unwrap()
        .features()
        .iter()
        .map(|f| (f.id.to_string(), f.clone()))
        .collect()
}

/// `text` percent-encoded for a query parameter (unreserved characters kept).
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
