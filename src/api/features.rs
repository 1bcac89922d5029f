//! Feature queries as GeoJSON: `GET /api/layers/{id}/features`, one feature by its stable
//! id at `.../features/{feature id}` (the id `PATCH`, `DELETE`, edit records and plans'
//! `unit_id`/`shelter_id` use), and one by tile fid at `.../fid/{fid}` for the map's
//! click, whose vector tiles number features by position.

use super::layers::unknown_layer;
use super::{ApiError, AppState};
use crate::atlas::{BboxWgs84, Disclosure, Filter};
use crate::service::access::Identity;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use geo::Intersects;
use serde::Deserialize;
use serde_json::{Value, json};

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 10_000;

#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct FeatureQuery {
    bbox: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    #[serde(rename = "where")]
    filter: Option<String>,
}

/// Parses `w,s,e,n` in degrees (see [`BboxWgs84::parse`]).
pub fn parse_bbox(text: &str) -> Result<BboxWgs84, ApiError> {
    BboxWgs84::parse(text).map_err(|e| ApiError::bad_request(format!("bbox {e}")))
}

pub fn parse_count(
    name: &str,
    text: Option<&str>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match text {
        None => Ok(default),
        Some(t) => t
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| {
                ApiError::bad_request(format!("{name} {t:?} must be an integer from 0 to {max}"))
            }),
    }
}

/// `GET /api/layers/{id}/features?bbox=&limit=&offset=&where=`
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<String>,
    query: Result<Query<FeatureQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let atlas = state.snapshot_for(&who).await?;
    let layer = atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    let limit = parse_count("limit", q.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = parse_count("offset", q.offset.as_deref(), 0, usize::MAX)?;
    let bbox = q.bbox.as_deref().map(parse_bbox).transpose()?;
    let filter = parse_filter(layer, q.filter.as_deref(), &who)?;
    let matched = select(layer, bbox, filter.as_ref());
    let page: Vec<u32> = matched.iter().skip(offset).take(limit).copied().collect();
    let features = page_geojson(&state, &who, layer, &page, format!("layer {id}"));
    Ok(Json(json!({
        "type": "FeatureCollection",
        "numberMatched": matched.len(),
        "numberReturned": features.len(),
        "features": features,
    })))
}

/// The `where` text as a filter on `layer` (none when empty), refused when it names a
/// field `who` sees masked: matching on it would reveal it one guess at a time.
pub fn parse_filter(
    layer: &crate::atlas::Layer,
    text: Option<&str>,
    who: &Identity,
) -> Result<Option<Filter>, ApiError> {
    let filter = text
        .filter(|w| !w.trim().is_empty())
        .map(|w| Filter::parse(w, &layer.schema, layer.kind))
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let shown = who.disclosure();
    if let Some(hidden) = filter.iter().flat_map(Filter::columns).find_map(|c| {
        let field = &layer.schema.fields()[c];
        shown.hides(field).then_some(&field.name)
    }) {
        return Err(ApiError::Forbidden(format!(
            "{hidden:?} holds personal data, which a {} may not filter on",
            who.role
        )));
    }
    Ok(filter)
}

/// The features of `layer` meeting `bbox` and `filter`, by fid, in layer order.
pub fn select(
    layer: &crate::atlas::Layer,
    bbox: Option<BboxWgs84>,
    filter: Option<&Filter>,
) -> Vec<u32> {
    let candidates: Vec<u32> = match bbox {
        Some(b) => {
            let rect = b.to_rect();
            layer
                .candidates_in(b)
                .into_iter()
                .filter(|&fid| layer.features()[fid as usize].geometry.intersects(&rect))
                .collect()
        }
        None => (0..layer.len() as u32).collect(),
    };
    match filter {
        Some(f) => candidates
            .into_iter()
            .filter(|&fid| f.matches(&layer.features()[fid as usize].attrs))
            .collect(),
        None => candidates,
    }
}

/// The features `page` names as GeoJSON, as `who` may see them; a page giving more than
/// one contact in full goes into the access audit (`about` says what was read).
pub fn page_geojson(
    state: &AppState,
    who: &Identity,
    layer: &crate::atlas::Layer,
    page: &[u32],
    about: String,
) -> Vec<Value> {
    let shown = who.disclosure();
    let with_contacts = page.iter().filter(|&&fid| has_personal(layer, fid)).count();
    if shown == Disclosure::Full && with_contacts > 1 {
        let format = crate::render::Format::GeoJson;
        state.audit(who, "features", format, about, with_contacts);
    }
    page.iter()
        .filter_map(|&fid| layer.feature(fid).map(|f| layer.to_geojson_as(f, shown)))
        .collect()
}

/// Whether feature `fid` has a value in a personal field.
fn has_personal(layer: &crate::atlas::Layer, fid: u32) -> bool {
    let fields = layer.schema.fields();
    layer.feature(fid).is_some_and(|f| {
        fields
            .iter()
            .zip(f.attrs.iter())
            .any(|(field, value)| field.personal && !value.is_null())
    })
}

/// `GET /api/layers/{id}/features/{feature id}`: 404 naming the id when none has it.
pub async fn one(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path((id, feature)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let atlas = state.snapshot_for(&who).await?;
    let layer = atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    layer
        .feature_by_id(&feature)
        .map(|f| Json(layer.to_geojson_as(f, who.disclosure())))
        .ok_or_else(|| {
            ApiError::not_found(format!("layer {id:?} has no feature with id {feature:?}"))
        })
}

/// `GET /api/layers/{id}/fid/{fid}`: the feature a vector tile numbers `fid` (its
/// position in the current atlas, which a deletion shifts; the answer's `id` is the
/// stable one).
pub async fn at_fid(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let atlas = state.snapshot_for(&who).await?;
    let layer = atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    let n: u32 = fid.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "fid {fid:?} must be a non-negative integer (a tile's feature number)"
        ))
    })?;
    let shown = who.disclosure();
    let feature = layer
        .feature(n)
        .map(|f| Json(layer.to_geojson_as(f, shown)));
    feature.ok_or_else(|| {
        ApiError::not_found(format!(
            "layer {id:?} has no fid {n} (it has {} features)",
            layer.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_parsing_accepts_four_ordered_numbers_only() {
        assert!(parse_bbox("105.5, 34.4,106,34.7").is_ok());
        for bad in [
            "1,2,3",
            "a,b,c,d",
            "1,2,3,4,5",
            "10,0,5,1",
            "0,10,1,5",
            "-200,0,0,1",
            "0,0,1,95",
            "NaN,0,1,1",
            "",
        ] {
            assert!(parse_bbox(bad).is_err(), "{bad:?}");
        }
    }
}
