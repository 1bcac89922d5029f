//! OGC API – Features (Part 1 Core with GeoJSON, Part 2 CRS) and Tiles (`tiles.rs`),
//! under `/ogc`: the atlas's layers as collections any standard client (QGIS, ArcGIS,
//! GDAL's OAPIF driver) can browse and page through without glue code. The shape
//! follows pg_featureserv and pg_tileserv:
//!
//! 1. `/ogc`: the landing page, linking the conformance classes and the collections;
//! 2. `/ogc/conformance`: the classes claimed;
//! 3. `/ogc/collections` and `/ogc/collections/{id}`: one per layer, with its extent
//!    (CRS84) and the link to its items;
//! 4. `/ogc/collections/{id}/items` (`items.rs`): `bbox`, `limit` (default 10, at most
//!    10,000), `offset`, paging by `next` links, `datetime` on a layer with dates
//!    (drills, by day), property filters (`?severity=4`, any field of the layer, each an
//!    equality, all together) and `filter` in CQL2 text for the subset the `where`
//!    filter reads, values read as import reads them (`hazard_type=滑坡` finds
//!    `landslide`); `crs` and `bbox-crs` in CRS84, EPSG:4326 or CGCS2000 (`crs.rs`);
//! 5. `/ogc/collections/{id}/items/{featureId}`: one feature by its stable id;
//! 6. `/ogc/collections/{id}/queryables`: what filters may name.
//!
//! Features are the same GeoJSON as `/api/layers/{id}/features` (personal fields masked
//! as the caller's role sees them), with the links the standard asks for, as JSON or as
//! a page (`html.rs`). Not claimed: Part 3's conformance classes (CQL2 is read only as
//! far as `where` goes).

use super::web::base_url;
use super::{ApiError, AppState};
use crate::atlas::Layer;
use crate::service::access::Identity;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use std::collections::BTreeMap;

mod crs;
mod html;
mod items;
mod source;
mod tiles;

pub use crs::Crs;
use html::Encoding;
pub use items::{item, items};
pub use tiles::{
    all_tile, all_tileset, all_tilesets, layer_tile, layer_tileset, layer_tilesets, matrix_set,
    matrix_sets,
};

/// The conformance classes claimed.
pub const CONFORMS_TO: [&str; 4] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

const GEOJSON: &str = "application/geo+json";

pub(super) fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

/// A JSON answer with its media type.
pub(super) fn typed(body: Value, media: &'static str) -> Response {
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    response
}

/// The encoding asked for: `f`, else the `Accept` header (`html::Encoding::of`).
pub(super) fn encoding(
    query: &BTreeMap<String, String>,
    headers: &HeaderMap,
) -> Result<Encoding, ApiError> {
    let accept = headers.get(header::ACCEPT).and_then(|a| a.to_str().ok());
    Encoding::of(query.get("f").map(String::as_str), accept).map_err(ApiError::bad_request)
}

/// A query parameter other than `allowed` is a 400 naming it (/req/core/query-param-unknown).
pub(super) fn only(query: &BTreeMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match query.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(ApiError::bad_request(format!(
            "unknown parameter {k:?}: this resource takes {}",
            allowed.join(", ")
        ))),
    }
}

/// `body` in `encoding`: JSON of `media`, or a page; either links to the other as
/// `alternate` (/req/core/fc-links, /req/html/definition).
pub(super) fn answer(mut body: Value, media: &'static str, encoding: Encoding) -> Response {
    let own = body["links"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["rel"] == "self"))
        .and_then(|l| l["href"].as_str())
        .map(str::to_string);
    if let (Some(href), Some(links)) = (own, body["links"].as_array_mut()) {
        let (kind, f) = match encoding {
            Encoding::Json => ("text/html", "html"),
            Encoding::Html => (media, "json"),
        };
        let separator = if href.contains('?') { '&' } else { '?' };
        links.push(link(
            format!("{href}{separator}f={f}"),
            "alternate",
            kind,
            "this document in another format",
        ));
    }
    match encoding {
        Encoding::Json => typed(body, media),
        Encoding::Html => html::page(&body),
    }
}

/// `GET /ogc`: the landing page.
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&query, &["f"])?;
    let encoding = encoding(&query, &headers)?;
    let root = base_url(&headers, &state);
    let base = format!("{root}/ogc");
    let atlas = state.snapshot();
    Ok(answer(
        json!({
            "title": atlas.name,
            "description": "riskatlas: risk-census layers as OGC API – Features collections",
            "links": [
                link(base.clone(), "self", "application/json", "this document"),
                link(format!("{base}/conformance"), "conformance", "application/json", "conformance classes"),
                // QGIS's OAPIF provider refuses a landing page without the API document.
                link(format!("{root}/api/openapi.json"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", "the API as OpenAPI 3.0"),
                link(format!("{root}/api/docs"), "service-doc", "text/html", "the API as a page"),
                link(format!("{base}/collections"), "data", "application/json", "the layers"),
                link(format!("{base}/tiles"), "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json", "vector tiles of every layer"),
                link(format!("{base}/tileMatrixSets"), "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "application/json", "tile matrix sets"),
            ],
        }),
        "application/json",
        encoding,
    ))
}

/// `GET /ogc/conformance`: Features and Tiles.
pub async fn conformance(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&query, &["f"])?;
    let encoding = encoding(&query, &headers)?;
    let classes: Vec<&str> = CONFORMS_TO.into_iter().chain(tiles::CONFORMS_TO).collect();
    let body = json!({
        "title": "Conformance 符合的标准",
        "conformsTo": classes,
        "links": [link(
            format!("{}/ogc/conformance", base_url(&headers, &state)),
            "self",
            "application/json",
            "this document",
        )],
    });
    Ok(answer(body, "application/json", encoding))
}

/// A layer's extent: its bbox in CRS84, and for a layer with dates (drills) the first
/// and last.
fn extent(layer: &Layer, bbox: Vec<f64>) -> Value {
    let mut extent = json!({"spatial": {"bbox": [bbox], "crs": Crs::Crs84.uri()}});
    if let Some(field) = items::date_field(layer) {
        let dates: Vec<&str> = (0..layer.len() as u32)
            .filter_map(|fid| layer.value(fid, field).as_str())
            .collect();
        if let (Some(first), Some(last)) = (dates.iter().min(), dates.iter().max()) {
            extent["temporal"] = json!({"interval": [[first, last]]});
        }
    }
    extent
}

fn collection(layer: &Layer, id: &str, base: &str) -> Value {
    let here = format!("{base}/collections/{id}");
    let bbox = layer
        .bbox()
        .map(|b| vec![b.west, b.south, b.east, b.north])
        .unwrap_or_else(|| vec![-180.0, -90.0, 180.0, 90.0]);
    json!({
        "id": id,
        "title": layer.name,
        "description": format!("{} ({} features)", layer.kind.code(), layer.len()),
        "extent": extent(layer, bbox),
        "itemType": "feature",
        "crs": Crs::ALL.map(Crs::uri),
        "storageCrs": Crs::Crs84.uri(),
        "links": [
            link(here.clone(), "self", "application/json", "this collection"),
            link(format!("{here}/items"), "items", GEOJSON, "its features"),
            link(format!("{here}/tiles"), "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json", "its vector tiles"),
            link(format!("{here}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "what filters may name"),
        ],
    })
}

/// `GET /ogc/collections`.
pub async fn collections(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&query, &["f"])?;
    let encoding = encoding(&query, &headers)?;
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    let all: Vec<Value> = atlas
        .layers()
        .iter()
        .map(|l| collection(l, l.id.as_str(), &base))
        .collect();
    let body = json!({
        "title": format!("{} — 图层 Collections", atlas.name),
        "links": [link(format!("{base}/collections"), "self", "application/json", "the layers")],
        "collections": all,
    });
    Ok(answer(body, "application/json", encoding))
}

/// `GET /ogc/collections/{id}`.
pub async fn one_collection(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&query, &["f"])?;
    let encoding = encoding(&query, &headers)?;
    let base = format!("{}/ogc", base_url(&headers, &state));
    let source = source::Source::find(&state, &who, &id).await?;
    let layer = source.layer();
    Ok(answer(
        collection(layer, &id, &base),
        "application/json",
        encoding,
    ))
}

/// `GET /ogc/collections/{id}/queryables`: the properties `filter` and property
/// filters may name, as a JSON Schema.
pub async fn queryables(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let base = format!("{}/ogc", base_url(&headers, &state));
    let source = source::Source::find(&state, &who, &id).await?;
    let layer = source.layer();
    let shown = who.disclosure();
    let mut properties = serde_json::Map::new();
    for field in layer.schema.fields().iter().filter(|f| !shown.hides(f)) {
        // FieldType prints as the JSON Schema type: integer, number, boolean, string.
        properties.insert(field.name.clone(), json!({"type": field.ty.to_string()}));
    }
    Ok(typed(
        json!({
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": format!("{base}/collections/{id}/queryables"),
            "type": "object",
            "title": layer.name,
            "properties": properties,
        }),
        "application/schema+json",
    ))
}

/// `text` percent-encoded: a path segment or a query key or value.
pub(super) fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
