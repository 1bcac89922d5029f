//! Catalogue endpoints: health, the layer list, the load report, TileJSON.

use super::{ApiError, AppState, web::base_url};
use crate::service::access::Identity;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde_json::{Value, json};

/// `GET /api/health`. A server loaded from a streaming replica adds the replica's lag;
/// a replica out of reach is reported there without degrading the status, since the
/// atlas is served from memory and edits follow the primary.
pub async fn health(State(state): State<AppState>) -> Json<Value> {
    let atlas = state.snapshot();
    let failed = state.report().failed().count();
    let unreplayed = state.report().edit_log.len();
    let store = state.store_problem();
    let mut health = json!({
        "status": if failed == 0 && unreplayed == 0 && store.is_none() { "ok" } else { "degraded" },
        "unreplayed_edits": unreplayed,
        "store": store.unwrap_or_else(|| "ok".into()),
        "layers": atlas.layers().len(),
        "features": atlas.feature_count(),
        "failed_layers": failed,
    });
    match state.service().replica_lag().await {
        Ok(None) => {}
        Ok(Some(lag)) => health["replica"] = json!(lag),
        Err(e) => health["replica"] = json!({"error": e.to_string()}),
    }
    Json(health)
}

/// `GET /api/layers`: every layer with counts, bbox and fields; failed layers listed too.
pub async fn catalogue(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Result<Json<Value>, ApiError> {
    let atlas = state.snapshot_for(&who).await?;
    let mut layers: Vec<Value> = atlas
        .layers()
        .iter()
        .map(|l| {
            let report = state.report().layer(l.id.as_str());
            l.catalogue_json(report.map(|r| r.rejected).unwrap_or(0))
        })
        .collect();
    layers.extend(state.report().failed().map(|r| {
        json!({"id": r.layer, "file": r.file, "count": 0, "rejected": 0, "status": "failed", "error": r.error})
    }));
    Ok(Json(json!({
        "name": atlas.name,
        "attribution": atlas.attribution,
        "bbox": atlas.bbox(),
        "layers": layers,
    })))
}

/// `GET /api/report`: the full validation report (every refused feature and why).
/// It covers the whole atlas (every refused feature, wherever it lies), so a user with
/// a jurisdiction is refused it.
pub async fn report(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Result<Json<Value>, ApiError> {
    if !who.scope.is_empty() {
        return Err(ApiError::Forbidden(
            "the load report covers the whole atlas; it is for users without a scope".into(),
        ));
    }
    Ok(Json(
        serde_json::to_value(state.report()).unwrap_or(Value::Null),
    ))
}

/// `GET /api/layers/{id}`: TileJSON 3.0.0 for one layer.
pub async fn tilejson(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let atlas = state.snapshot_for(&who).await?;
    let layer = atlas.layer(&id).ok_or_else(|| unknown_layer(&id))?;
    let base = base_url(&headers, &state);
    let fields = layer.tilejson_fields();
    let bounds = layer.bbox().map(|b| b.to_array()).unwrap_or([
        -180.0,
        -85.051_128_78,
        180.0,
        85.051_128_78,
    ]);
    let (cx, cy) = layer.bbox().map(|b| b.center()).unwrap_or((0.0, 0.0));
    let max_zoom = state.tile_options().full_detail_zoom;
    let mut vector_layers =
        vec![json!({"id": layer.id, "fields": fields, "minzoom": 0, "maxzoom": max_zoom})];
    if let Some(clusters) = crate::tiles::cluster_vector_layer(layer) {
        vector_layers.push(clusters);
    }
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": layer.name,
        "description": format!("{} layer {} of {}", layer.kind, layer.id, atlas.name),
        "attribution": atlas.attribution,
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}", layer.id)],
        "minzoom": 0,
        "maxzoom": state.tile_options().full_detail_zoom,
        "bounds": bounds,
        "center": [cx, cy, 10],
        "vector_layers": vector_layers,
    })))
}

pub fn unknown_layer(id: &str) -> ApiError {
    ApiError::not_found(format!("unknown layer {id:?}; see /api/layers"))
}
