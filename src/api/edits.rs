//! Edits: `POST /api/layers/{id}/features`, `PATCH` and `DELETE
//! /api/layers/{id}/features/{feature id}`, and `GET /api/edits` (the audit trail).
//!
//! PATCH and DELETE name the feature by its stable id (the `id` of the edit responses
//! and of `GET /api/edits`; for features loaded without an id, their position at load),
//! not by the tile fid, which a deletion shifts. The editor is the identity the request
//! proved (`api::access`), never what a header claims.

use super::{ApiError, ApiJson, AppState};
use crate::edits::{EditRecord, Request};
use crate::service::access::Identity;
use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

/// `POST /api/layers/{id}/features`: 201 with the logged record.
pub async fn insert(
    State(state): State<AppState>,
    Path(layer): Path<String>,
    Extension(who): Extension<Identity>,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<EditRecord>), ApiError> {
    let record = state.edit(&layer, Request::Insert { body }, &who).await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// `PATCH /api/layers/{id}/features/{feature id}`
pub async fn patch(
    State(state): State<AppState>,
    Path((layer, id)): Path<(String, String)>,
    Extension(who): Extension<Identity>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<EditRecord>, ApiError> {
    let record = state
        .edit(&layer, Request::Patch { id, body }, &who)
        .await?;
    Ok(Json(record))
}

/// `DELETE /api/layers/{id}/features/{feature id}`
pub async fn delete(
    State(state): State<AppState>,
    Path((layer, id)): Path<(String, String)>,
    Extension(who): Extension<Identity>,
) -> Result<Json<EditRecord>, ApiError> {
    let record = state.edit(&layer, Request::Delete { id }, &who).await?;
    Ok(Json(record))
}

#[derive(Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    layer: Option<String>,
    id: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/edits?layer=&id=&limit=`: the most recent edits first.
pub async fn history(
    State(state): State<AppState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let records = state.edit_history().await?;
    let limit = q.limit.unwrap_or(100).min(10_000);
    let edits: Vec<&EditRecord> = records
        .iter()
        .rev()
        .filter(|r| q.layer.as_deref().is_none_or(|l| r.layer == l))
        .filter(|r| q.id.as_deref().is_none_or(|i| r.id == i))
        .take(limit)
        .collect();
    Ok(Json(serde_json::json!({"edits": edits})))
}
