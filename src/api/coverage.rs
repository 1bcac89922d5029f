//! `POST /api/coverage`: minutes from every population unit to the nearest open shelter
//! and rescue team, the population beyond each threshold, and isochrones.

use super::{ApiError, ApiJson, AppState, blocking};
use crate::analysis::coverage::Coverage;
use crate::service::access::Identity;
use crate::service::analyses;
use crate::service::requests::CoverageBody;
use axum::extract::State;
use axum::{Extension, Json};

pub async fn coverage_handler(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    ApiJson(body): ApiJson<CoverageBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let atlas = state.snapshot_for(&who).await?;
    let about = format!(
        "exposure: {}",
        body.exposure.as_deref().unwrap_or("default")
    );
    state.audit(&who, "coverage", crate::render::Format::Json, about, 0);
    let coverage = blocking(move || analyses::coverage(&atlas, atlas.road_graph(), &body)).await?;
    Ok(Json(super::tidy::<Coverage>(&coverage)?))
}
