//! `GET /api/audit?limit=`: the access audit's latest records, newest first (admins;
//! see [`crate::service::audit`]).

use super::{ApiError, AppState};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

/// The most records one request may ask for.
const MAX_LIMIT: usize = crate::service::audit::RECENT;

#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct TrailQuery {
    limit: Option<usize>,
}

/// `GET /api/audit`
pub async fn trail(
    State(state): State<AppState>,
    query: Result<Query<TrailQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = q.limit.unwrap_or(100).min(MAX_LIMIT);
    Ok(Json(json!({"access": state.audit_trail(limit)})))
}
