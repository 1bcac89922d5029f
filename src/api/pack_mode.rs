//! Laptop mode: `riskatlas serve --pack county.pmtiles` serves the web map from a map
//! pack alone, when the data folder and the database are out of reach.
//!
//! The pack carries what the page needs beside its tiles (`riskatlas pack` writes them
//! into the archive's metadata): the catalogue of its layers and the style, whose URLs
//! are rewritten to this server's origin. Tiles are read from the memory-mapped archive
//! by the `pmtiles` crate and served as stored (gzip). Everything that needs the full
//! layers — analyses, feature queries, edits, warnings — answers 503 saying so, and the
//! page signs in as a viewer on this machine.

use super::web::{asset_or_404, base_url, labels, palette};
use super::{ApiError, AppState};
use crate::tiles::pack::PACK_ORIGIN;
use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pmtiles::{AsyncPmTilesReader, Compression, MmapBackend};
use serde_json::{Value, json};
use std::sync::Arc;

/// An open pack and what its metadata says.
pub struct Pack {
    reader: AsyncPmTilesReader<MmapBackend>,
    catalogue: Value,
    style: String,
    path: String,
}

impl Pack {
    /// Opens `path`, refusing an archive that `riskatlas pack` did not write (it lacks
    /// the catalogue and style the page needs).
    pub async fn open(path: &std::path::Path) -> anyhow::Result<Pack> {
        let shown = path.display().to_string();
        let reader = AsyncPmTilesReader::new_with_path(path)
            .await
            .with_context(|| format!("{shown} is not a readable PMTiles archive"))?;
        let metadata: Value = serde_json::from_str(&reader.get_metadata().await?)
            .with_context(|| format!("{shown}: its metadata is not JSON"))?;
        let catalogue = metadata["riskatlas:catalogue"].clone();
        let style = &metadata["riskatlas:style"];
        anyhow::ensure!(
            catalogue.is_object() && style.is_object(),
            "{shown} holds no riskatlas catalogue and style: serve a pack written by `riskatlas pack`"
        );
        Ok(Pack {
            reader,
            catalogue,
            style: style.to_string(),
            path: shown,
        })
    }
}

#[derive(Clone)]
struct PackState {
    pack: Arc<Pack>,
    /// For the page's own files (and the origin the style points at).
    web: AppState,
}

/// The router of laptop mode: the page, its style and layer list, the tiles, and a 503
/// naming the mode for everything else under `/api`.
pub fn router(pack: Pack, web: AppState) -> Router {
    let state = PackState {
        pack: Arc::new(pack),
        web: web.clone(),
    };
    let pack_routes = Router::new()
        .route("/api/health", get(health))
        .route("/api/session", get(session))
        .route("/api/layers", get(catalogue))
        .route("/style.json", get(style))
        .route("/tiles/{ids}/{z}/{x}/{y}", get(tile))
        .route("/api/{*rest}", axum::routing::any(unavailable))
        .with_state(state);
    Router::new()
        .route("/api/palette", get(palette))
        .route("/api/labels", get(labels))
        .fallback(asset_or_404)
        .with_state(web)
        .merge(pack_routes)
        .layer(axum::middleware::from_fn(super::request_log::log))
}

async fn health(State(s): State<PackState>) -> axum::Json<Value> {
    let layers = s.pack.catalogue["layers"].as_array().map_or(0, Vec::len);
    axum::Json(json!({
        "status": "ok",
        "mode": "pack",
        "pack": s.pack.path,
        "layers": layers,
        "tiles": s.pack.reader.get_header().n_addressed_tiles(),
    }))
}

/// The page's identity in laptop mode: a viewer on this machine, no sign-in.
async fn session() -> axum::Json<Value> {
    axum::Json(json!({"name": "local", "role": "viewer", "scope": [], "mode": "pack"}))
}

async fn catalogue(State(s): State<PackState>) -> axum::Json<Value> {
    axum::Json(s.pack.catalogue.clone())
}

async fn style(State(s): State<PackState>, headers: HeaderMap) -> Response {
    let origin = base_url(&headers, &s.web);
    let body = s.pack.style.replace(PACK_ORIGIN, &origin);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn tile(
    State(s): State<PackState>,
    Path((_ids, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let coord = super::tiles::parse_coord(&z, &x, &y)?;
    let at = pmtiles::TileCoord::new(coord.z(), coord.x(), coord.y())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let gzipped = s.pack.reader.get_header().tile_compression == Compression::Gzip;
    let bytes = if gzipped && super::tiles::accepts_gzip(&headers) {
        s.pack.reader.get_tile(at).await
    } else {
        s.pack.reader.get_tile_decompressed(at).await
    }
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("reading the pack: {e}")))?;
    let Some(bytes) = bytes else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    if gzipped && super::tiles::accepts_gzip(&headers) {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Ok(response)
}

async fn unavailable(State(s): State<PackState>) -> ApiError {
    ApiError::Unavailable(format!(
        "this server shows the map pack {} and nothing else: analyses, feature queries, edits \
         and warnings need the full layers (riskatlas serve --data FOLDER, or --postgis URL)",
        s.pack.path
    ))
}
