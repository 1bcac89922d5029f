//! `POST /api/route`: one road route between two points (see `analysis::route`).

use super::{ApiError, AppState};
use crate::analysis::route::{RouteRequest, route};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde_json::Value;

pub async fn route_handler(
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) =
        body.map_err(|e| ApiError::bad_request(format!("request: {}", e.body_text())))?;
    let snapshot = state.atlas();
    let result = tokio::task::spawn_blocking(move || {
        let req = RouteRequest::parse(&body, &snapshot).map_err(ApiError::bad_request)?;
        route(&snapshot, snapshot.road_graph(), &req).map_err(ApiError::bad_request)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("route worker failed: {e}")))??;
    Ok(Json(
        serde_json::to_value(result).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}
