//! Edits: `POST /api/layers/{id}/features`, `PATCH` and `DELETE
//! /api/layers/{id}/features/{feature id}`, and `GET /api/edits` (the audit trail).
//!
//! PATCH and DELETE name the feature by its stable id (the `id` of the edit responses
//! and of `GET /api/edits`; for features loaded without an id, their position at load),
//! not by the tile fid, which a deletion shifts. The editor is the identity the request
//! proved (`api::access`), never what a header claims.
//!
//! A POST may carry `Idempotency-Key` (see [`crate::edits::idempotency`]): sent again
//! with the same key and body, it is answered as the first time (201, the same record)
//! and inserts nothing; with the same key and another body, 422; a malformed key, 400.
//!
//! The audit trail is paged newest first: `?limit=N` (default 100, at most 10,000) and
//! `before=SEQ` for the edits older than `SEQ`; each page says `next_before`, the
//! `before` of the next page (`null` on the last). A page reads only its own records.

use super::{ApiError, ApiJson, AppState};
use crate::edits::{EditRecord, IdempotencyKey, Request};
use crate::service::access::Identity;
use crate::service::store::TrailQuery;
use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;

/// The header a client names a retryable insert with.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// `POST /api/layers/{id}/features`: 201 with the logged record.
pub async fn insert(
    State(state): State<AppState>,
    Path(layer): Path<String>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<EditRecord>), ApiError> {
    let key = idempotency_key(&headers)?;
    let record = state
        .edit(&layer, Request::Insert { body, key }, &who)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// The request's `Idempotency-Key`, if it has one; more than one is refused.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::bad_request(
            "Idempotency-Key is sent more than once; send one key",
        ));
    }
    IdempotencyKey::parse(value.as_bytes())
        .map(Some)
        .map_err(|e| ApiError::bad_request(e.to_string()))
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

/// The largest page of the audit trail.
const MAX_PAGE: usize = 10_000;

#[derive(Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    layer: Option<String>,
    id: Option<String>,
    limit: Option<usize>,
    before: Option<u64>,
}

/// `GET /api/edits?layer=&id=&limit=&before=`: the most recent edits first, a page at
/// a time.
///
/// A user with a scope sees the edits that touch it (see
/// [`crate::service::scope::Jurisdiction::touches`]): their pages are filled from as
/// many pages of the whole trail as [`SCOPED_PAGES`] allows, so one may hold fewer
/// than `limit` edits while `next_before` says more remain.
pub async fn history(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = q.limit.unwrap_or(100).min(MAX_PAGE);
    let mut query = TrailQuery {
        layer: q.layer,
        id: q.id,
        before: q.before,
        limit,
    };
    let jurisdiction = state.view(&who).await?.jurisdiction.clone();
    let atlas = state.snapshot();
    let mut edits = Vec::new();
    let mut next_before = None;
    for _ in 0..SCOPED_PAGES {
        let page = state.edit_history(query.clone()).await?;
        edits.extend(
            page.edits
                .into_iter()
                .filter(|r| jurisdiction.touches(&atlas, r)),
        );
        next_before = page.next_before;
        match next_before {
            Some(before) if edits.len() < limit => query.before = Some(before),
            _ => break,
        }
    }
    if edits.len() > limit {
        // Cut at the limit: the next page resumes after the last edit kept.
        edits.truncate(limit);
        next_before = edits.last().map(|r| r.seq);
    }
    Ok(Json(
        serde_json::json!({"edits": edits, "next_before": next_before}),
    ))
}

/// How many pages of the whole trail one scoped page may read.
pub const SCOPED_PAGES: usize = 8;
