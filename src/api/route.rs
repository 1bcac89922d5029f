//! `POST /api/route`: one road route between two points (see `analysis::route`).

use super::{ApiError, ApiJson, AppState, blocking};
use crate::service::analyses;
use crate::service::requests::RouteBody;
use axum::Json;
use axum::extract::State;

pub async fn route_handler(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RouteBody>,
) -> Result<Json<crate::analysis::route::Route>, ApiError> {
    let snapshot = state.snapshot();
    let budget = state.budget();
    let route =
        blocking(move || analyses::route(&snapshot, snapshot.road_graph(), &body, &budget)).await?;
    Ok(Json(route))
}
