//! `POST /api/drills`: candidate drills ranked for drill designers (see
//! [`crate::service::drills`]).

use super::{ApiError, ApiJson, AppState, blocking};
use crate::service::access::Identity;
use axum::extract::State;
use axum::http::StatusCode;
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

/// `POST /api/drills/records`: a drill held, recorded as features of the drill layer
/// (one per village that took part), each an edit like any other — logged durably,
/// in the audit trail under the planner's name, within their jurisdiction.
pub async fn record(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let snapshot = state.snapshot_for(&who).await?;
    let (layer, features) = crate::service::drills::records::drill_features(&snapshot, body)?;
    let mut records = Vec::with_capacity(features.len());
    for feature in features {
        let request = crate::edits::Request::Insert {
            body: feature,
            key: None,
        };
        records.push(state.edit(&layer, request, &who).await?);
    }
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"records": records})),
    ))
}
