//! `POST /api/coverage`: minutes from every population unit to the nearest open shelter
//! and rescue team, the population beyond each threshold, and isochrones.

use super::{ApiError, ApiJson, AppState, blocking};
use crate::analysis::coverage::Coverage;
use crate::service::analyses;
use crate::service::requests::CoverageBody;
use axum::Json;
use axum::extract::State;

pub async fn coverage_handler(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CoverageBody>,
) -> Result<Json<Coverage>, ApiError> {
    let atlas = state.snapshot();
    let coverage = blocking(move || analyses::coverage(&atlas, atlas.road_graph(), &body)).await?;
    Ok(Json(coverage))
}
