//! `POST /api/route`: one road route between two points (see `analysis::route`).

use super::{ApiError, ApiJson, AppState, blocking};
use crate::service::access::Identity;
use crate::service::analyses;
use crate::service::requests::RouteBody;
use axum::extract::State;
use axum::{Extension, Json};

pub async fn route_handler(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    ApiJson(body): ApiJson<RouteBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let snapshot = state.snapshot_for(&who).await?;
    let budget = state.budget();
    let about = if body.scenario.is_some() {
        "around a scenario"
    } else {
        "on open roads"
    };
    state.audit(&who, "route", crate::render::Format::Json, about.into(), 0);
    let route =
        blocking(move || analyses::route(&snapshot, snapshot.road_graph(), &body, &budget)).await?;
    Ok(Json(super::tidy(&route)?))
}
