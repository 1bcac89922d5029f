//! `POST /api/drills`: candidate drills ranked for drill designers (see
//! [`crate::service::drills`]).

use super::{ApiError, ApiJson, AppState, blocking};
use crate::service::access::Identity;
use axum::extract::State;
use axum::{Extension, Json};
use serde_json::Value;

/// Days since 1970-01-01, today (UTC).
fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64)
}

pub async fn drills(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let (snapshot, budget) = (state.snapshot_for(&who).await?, state.budget());
    let ranking =
        blocking(move || crate::service::drills::drills(&snapshot, body, &budget, today())).await?;
    let about = format!("{} candidates", ranking["candidates_run"]);
    state.audit(&who, "drills", crate::render::Format::Json, about, 0);
    Ok(Json(ranking))
}
