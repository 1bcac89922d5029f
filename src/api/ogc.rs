//! OGC API – Features, Part 1 (Core), GeoJSON encoding, under `/ogc`: the atlas's
//! layers as collections any standard client (QGIS, ArcGIS, GDAL's OAPIF driver) can
//! browse and page through without glue code. The shape follows pg_featureserv:
//!
//! 1. `/ogc`: the landing page, linking the conformance classes and the collections;
//! 2. `/ogc/conformance`: the classes claimed (Core and GeoJSON);
//! 3. `/ogc/collections` and `/ogc/collections/{id}`: one per layer, with its extent
//!    (CRS84) and the link to its items;
//! 4. `/ogc/collections/{id}/items`: `bbox`, `limit` (default 10, at most 10,000, as
//!    the standard's example), `offset`, paging by `next` links, and property filters
//!    (`?severity=4`, any field of the layer, each an equality, all together), read as
//!    the `where` filter reads values (`hazard_type=滑坡` finds `landslide`);
//! 5. `/ogc/collections/{id}/items/{featureId}`: one feature by its stable id.
//!
//! Features are the same GeoJSON as `/api/layers/{id}/features` (personal fields masked
//! as the caller's role sees them), with the links the standard asks for. Everything
//! else of the standard (HTML, CRS by reference, CQL2, Tiles) is not claimed.

use super::features::{has_personal, parse_bbox, parse_count, parse_filter, select};
use super::layers::unknown_layer;
use super::web::base_url;
use super::{ApiError, AppState};
use crate::atlas::{Disclosure, Layer};
use crate::service::access::Identity;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The conformance classes claimed.
pub const CONFORMS_TO: [&str; 2] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// The only CRS served: longitude, latitude in degrees (WGS84, axis order lon/lat).
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// Items per page when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 10;
/// The most items one page holds.
pub const MAX_LIMIT: usize = 10_000;

/// The query parameters that are not property filters.
const RESERVED: [&str; 4] = ["bbox", "limit", "offset", "f"];

const GEOJSON: &str = "application/geo+json";

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

/// A JSON answer with its media type.
fn typed(body: Value, media: &'static str) -> Response {
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    response
}

/// `f` asks for JSON or nothing else.
fn json_only(query: &BTreeMap<String, String>) -> Result<(), ApiError> {
    match query.get("f").map(String::as_str) {
        None | Some("json") => Ok(()),
        Some(other) => Err(ApiError::bad_request(format!(
            "f={other:?}: only f=json is served"
        ))),
    }
}

/// `GET /ogc`: the landing page.
pub async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot();
    typed(
        json!({
            "title": atlas.name,
            "description": "riskatlas: risk-census layers as OGC API – Features collections",
            "links": [
                link(base.clone(), "self", "application/json", "this document"),
                link(format!("{base}/conformance"), "conformance", "application/json", "conformance classes"),
                link(format!("{base}/collections"), "data", "application/json", "the layers"),
            ],
        }),
        "application/json",
    )
}

/// `GET /ogc/conformance`.
pub async fn conformance() -> Response {
    typed(json!({"conformsTo": CONFORMS_TO}), "application/json")
}

fn collection(layer: &Layer, base: &str) -> Value {
    let id = layer.id.as_str();
    let here = format!("{base}/collections/{id}");
    let bbox = layer
        .bbox()
        .map(|b| vec![b.west, b.south, b.east, b.north])
        .unwrap_or_else(|| vec![-180.0, -90.0, 180.0, 90.0]);
    json!({
        "id": id,
        "title": layer.name,
        "description": format!("{} ({} features)", layer.kind.code(), layer.len()),
        "extent": {"spatial": {"bbox": [bbox], "crs": CRS84}},
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(here.clone(), "self", "application/json", "this collection"),
            link(format!("{here}/items"), "items", GEOJSON, "its features"),
        ],
    })
}

/// `GET /ogc/collections`.
pub async fn collections(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    let all: Vec<Value> = atlas
        .layers()
        .iter()
        .map(|l| collection(l, &base))
        .collect();
    Ok(typed(
        json!({
            "links": [link(format!("{base}/collections"), "self", "application/json", "the layers")],
            "collections": all,
        }),
        "application/json",
    ))
}

/// `GET /ogc/collections/{id}`.
pub async fn one_collection(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    let layer = atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    Ok(typed(collection(layer, &base), "application/json"))
}

/// Property filters as a `where` text: `field = 'value'` for each, all together.
fn property_filter(
    layer: &Layer,
    query: &BTreeMap<String, String>,
) -> Result<Option<String>, ApiError> {
    let mut parts = Vec::new();
    for (name, value) in query
        .iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
    {
        if layer.schema.position(name).is_none() {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {name:?}: collection {:?} has no such property (the \
                 parameters are bbox, limit, offset, f and its properties)",
                layer.id.as_str()
            )));
        }
        let quote = if value.contains('\'') { '"' } else { '\'' };
        if value.contains('"') && value.contains('\'') {
            return Err(ApiError::bad_request(format!(
                "{name}: a value with both kinds of quote cannot be matched"
            )));
        }
        parts.push(format!("\"{name}\" = {quote}{value}{quote}"));
    }
    Ok((!parts.is_empty()).then(|| parts.join(" and ")))
}

/// `GET /ogc/collections/{id}/items?bbox=&limit=&offset=&{property}=`.
pub async fn items(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    json_only(&query)?;
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    let layer = atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    let limit = parse_count(
        "limit",
        query.get("limit").map(String::as_str),
        DEFAULT_LIMIT,
        MAX_LIMIT,
    )?;
    let offset = parse_count(
        "offset",
        query.get("offset").map(String::as_str),
        0,
        usize::MAX,
    )?;
    let bbox = query.get("bbox").map(|b| parse_bbox(b)).transpose()?;
    let filter = parse_filter(layer, property_filter(layer, &query)?.as_deref(), &who)?;
    let matched = select(layer, bbox, filter.as_ref());
    let shown = who.disclosure();
    let page: Vec<u32> = matched.iter().skip(offset).take(limit).copied().collect();
    let features: Vec<Value> = page
        .iter()
        .filter_map(|&fid| layer.feature(fid).map(|f| layer.to_geojson_as(f, shown)))
        .collect();
    let with_contacts = page.iter().filter(|&&fid| has_personal(layer, fid)).count();
    if shown == Disclosure::Full && with_contacts > 1 {
        let about = format!("layer {id} (OGC API)");
        state.audit(
            &who,
            "features",
            crate::render::Format::GeoJson,
            about,
            with_contacts,
        );
    }
    let page_url = |offset: usize| {
        let mut params: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| !["offset", "limit"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        params.push(("limit".into(), limit.to_string()));
        params.push(("offset".into(), offset.to_string()));
        let encoded: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", urlencoding(k), urlencoding(v)))
            .collect();
        let encoded = encoded.join("&");
        format!("{base}/collections/{id}/items?{encoded}")
    };
    let mut links = vec![
        link(page_url(offset), "self", GEOJSON, "this page"),
        link(
            format!("{base}/collections/{id}"),
            "collection",
            "application/json",
            "the collection",
        ),
    ];
    if offset + page.len() < matched.len() {
        links.push(link(
            page_url(offset + page.len()),
            "next",
            GEOJSON,
            "the next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            page_url(offset.saturating_sub(limit)),
            "prev",
            GEOJSON,
            "the page before",
        ));
    }
    Ok(typed(
        json!({
            "type": "FeatureCollection",
            "numberMatched": matched.len(),
            "numberReturned": features.len(),
            "features": features,
            "links": links,
        }),
        GEOJSON,
    ))
}

/// `GET /ogc/collections/{id}/items/{featureId}`.
pub async fn item(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path((id, feature)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let base = format!("{}/ogc", base_url(&headers, &state));
    let atlas = state.snapshot_for(&who).await?;
    let layer = atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    let found = layer.feature_by_id(&feature).ok_or_else(|| {
        ApiError::not_found(format!(
            "collection {id:?} has no feature with id {feature:?}"
        ))
    })?;
    let mut body = layer.to_geojson_as(found, who.disclosure());
    let here = format!("{base}/collections/{id}");
    body["links"] = json!([
        link(
            format!("{here}/items/{}", urlencoding(&feature)),
            "self",
            GEOJSON,
            "this feature"
        ),
        link(here, "collection", "application/json", "the collection"),
    ]);
    Ok(typed(body, GEOJSON))
}

/// `text` percent-encoded: a path segment or a query key or value.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
