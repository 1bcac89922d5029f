//! OGC API – Tiles for the vector tiles the web map draws, so a client that discovers
//! tiles through the standard finds the existing ones:
//!
//! - `/ogc/tileMatrixSets` and `/ogc/tileMatrixSets/WebMercatorQuad`: the one tiling
//!   scheme, defined in full (OGC 17-083r4, the 2D TileMatrixSet JSON encoding);
//! - `/ogc/tiles` and `/ogc/tiles/WebMercatorQuad`: every layer in one tileset (the
//!   map's composite tile);
//! - `/ogc/collections/{id}/tiles` and `.../tiles/WebMercatorQuad`: one layer's;
//! - `.../tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}`: a tile, answered by
//!   the same handler as `/tiles/{ids}/{z}/{x}/{y}` (row is y, column is x).

use super::super::layers::unknown_layer;
use super::super::tiles::tile as xyz_tile;
use super::super::web::base_url;
use super::super::{ApiError, AppState};
use super::{Crs, link, typed};
use crate::atlas::Atlas;
use crate::service::access::Identity;
use crate::tiles::coord::MAX_ZOOM;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

/// The one tile matrix set.
pub const WEB_MERCATOR_QUAD: &str = "WebMercatorQuad";
const TMS_URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
const EPSG_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
const TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
const MVT: &str = "application/vnd.mapbox-vector-tile";

/// Half the Web Mercator world's width, metres.
const HALF_WORLD_M: f64 = 20_037_508.342_789_244;

/// The conformance classes of OGC API – Tiles claimed.
pub const CONFORMS_TO: [&str; 5] = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
];

/// `GET /ogc/tileMatrixSets`.
pub async fn matrix_sets(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = format!("{}/ogc", base_url(&headers, &state));
    typed(
        json!({"tileMatrixSets": [{
            "id": WEB_MERCATOR_QUAD,
            "title": "Google Maps Compatible for the World",
            "uri": TMS_URI,
            "links": [link(format!("{base}/tileMatrixSets/{WEB_MERCATOR_QUAD}"), "self", "application/json", WEB_MERCATOR_QUAD)],
        }]}),
        "application/json",
    )
}

/// `GET /ogc/tileMatrixSets/{id}`: WebMercatorQuad in full.
pub async fn matrix_set(Path(id): Path<String>) -> Result<Response, ApiError> {
    if id != WEB_MERCATOR_QUAD {
        return Err(ApiError::not_found(format!(
            "tile matrix set {id:?}: only {WEB_MERCATOR_QUAD} is served"
        )));
    }
    Ok(typed(web_mercator_quad(), "application/json"))
}

/// The tile matrix set, zoom 0 to [`MAX_ZOOM`]: 256-pixel tiles, 2ᶻ by 2ᶻ of them,
/// from the top-left corner of the Web Mercator square.
pub fn web_mercator_quad() -> Value {
    let matrices: Vec<Value> = (0..=MAX_ZOOM)
        .map(|z| {
            let n = 1u64 << z;
            let cell = 2.0 * HALF_WORLD_M / 256.0 / n as f64;
            json!({
                "id": z.to_string(),
                // The standard's rendering pixel of 0.28 mm.
                "scaleDenominator": cell / 0.00028,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF_WORLD_M, HALF_WORLD_M],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            })
        })
        .collect();
    json!({
        "id": WEB_MERCATOR_QUAD,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": EPSG_3857,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    })
}

/// The tileset of `ids` (comma-joined layer ids) whose tiles live under `here`.
fn tileset(atlas: &Atlas, ids: &[&str], here: &str, base: &str) -> Value {
    let layers: Vec<Value> = ids
        .iter()
        .filter_map(|id| atlas.layer(id))
        .map(|l| {
            json!({"id": l.id.as_str(), "title": l.name, "dataType": "vector",
                   "geometryDimension": geometry_dimension(l)})
        })
        .collect();
    let bbox = atlas
        .bbox()
        .map(|b| b.to_array())
        .unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    json!({
        "title": atlas.name,
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "boundingBox": {"lowerLeft": [bbox[0], bbox[1]], "upperRight": [bbox[2], bbox[3]], "crs": Crs::Crs84.uri()},
        "layers": layers,
        "links": [
            link(format!("{here}/{WEB_MERCATOR_QUAD}"), "self", "application/json", "this tileset"),
            link(format!("{base}/tileMatrixSets/{WEB_MERCATOR_QUAD}"), TILING_SCHEME, "application/json", WEB_MERCATOR_QUAD),
            json!({"href": format!("{here}/{WEB_MERCATOR_QUAD}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"),
                   "rel": "item", "type": MVT, "templated": true, "title": "a tile"}),
        ],
    })
}

fn geometry_dimension(layer: &crate::atlas::Layer) -> u8 {
    use crate::atlas::GeometryClassSummary as G;
    match layer.geometry_class() {
        Some(G::Point) => 0,
        Some(G::Line) => 1,
        _ => 2,
    }
}

/// The list of tilesets under `here` (one: WebMercatorQuad).
fn tilesets(atlas: &Atlas, here: &str, base: &str) -> Value {
    json!({"tilesets": [{
        "title": atlas.name,
        "dataType": "vector",
        "crs": EPSG_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            link(format!("{here}/{WEB_MERCATOR_QUAD}"), "self", "application/json", "the tileset"),
            link(format!("{base}/tileMatrixSets/{WEB_MERCATOR_QUAD}"), TILING_SCHEME, "application/json", WEB_MERCATOR_QUAD),
        ],
    }]})
}

fn known_set(set: &str) -> Result<(), ApiError> {
    match set {
        WEB_MERCATOR_QUAD => Ok(()),
        other => Err(ApiError::not_found(format!(
            "tile matrix set {other:?}: only {WEB_MERCATOR_QUAD} is served"
        ))),
    }
}

/// `GET /ogc/tiles`: every layer.
pub async fn all_tilesets(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    Ok(typed(
        tilesets(&atlas, &format!("{base}/tiles"), &base),
        "application/json",
    ))
}

/// `GET /ogc/tiles/{set}`: the tileset of every layer.
pub async fn all_tileset(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(set): Path<String>,
) -> Result<Response, ApiError> {
    known_set(&set)?;
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    let ids: Vec<&str> = atlas.layers().iter().map(|l| l.id.as_str()).collect();
    Ok(typed(
        tileset(&atlas, &ids, &format!("{base}/tiles"), &base),
        "application/json",
    ))
}

/// `GET /ogc/collections/{id}/tiles`.
pub async fn layer_tilesets(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    let here = format!("{base}/collections/{id}/tiles");
    Ok(typed(tilesets(&atlas, &here, &base), "application/json"))
}

/// `GET /ogc/collections/{id}/tiles/{set}`.
pub async fn layer_tileset(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path((id, set)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    known_set(&set)?;
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    let here = format!("{base}/collections/{id}/tiles");
    Ok(typed(
        tileset(&atlas, &[id.as_str()], &here, &base),
        "application/json",
    ))
}

/// `GET /ogc/tiles/{set}/{tileMatrix}/{tileRow}/{tileCol}`: every layer's tile.
pub async fn all_tile(
    state: State<AppState>,
    who: Extension<Identity>,
    headers: HeaderMap,
    Path((set, z, row, col)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    known_set(&set)?;
    let ids: Vec<String> = state
        .snapshot_for(&who)
        .await?
        .layers()
        .iter()
        .map(|l| l.id.to_string())
        .collect();
    xyz_tile(state, who, Path((ids.join(","), z, col, row)), headers).await
}

/// `GET /ogc/collections/{id}/tiles/{set}/{tileMatrix}/{tileRow}/{tileCol}`.
pub async fn layer_tile(
    state: State<AppState>,
    who: Extension<Identity>,
    headers: HeaderMap,
    Path((id, set, z, row, col)): Path<(String, String, String, String, String)>,
) -> Result<Response, ApiError> {
    known_set(&set)?;
    xyz_tile(state, who, Path((id, z, col, row)), headers).await
}
