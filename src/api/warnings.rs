//! `POST /api/warnings`: a targeted warning's audience and call tree (see
//! [`crate::service::warnings`]), as JSON, a map layer (`?format=geojson`) or the
//! recipient list for an SMS platform (`?format=csv`) or a CAP 1.2 alert (`?format=cap`,
//! [`crate::render::cap`]); with `?issue=true`, issued and
//! tracked. `GET /api/warnings[/{id}]`, `POST /api/warnings/{id}/acks|cancel|update`:
//! call and respond ([`crate::service::warnings::track`]). `GET /cards/calls`: the
//! printable call sheets, one page per township.

use super::impact::respond;
use super::{ApiError, ApiJson, AppState, blocking};
use crate::analysis::warnings::{instant, now_secs};
use crate::render::{self, Format, Output, RenderError};
use crate::service::ServiceError;
use crate::service::access::Identity;
use crate::service::scope::Jurisdiction;
use crate::service::warnings::desk::{Desk, Issued};
use crate::service::warnings::track;
use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

/// `POST /api/warnings`' parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningQuery {
    format: Option<String>,
    /// Issue the warning and track its calls (editors).
    #[serde(default)]
    issue: bool,
}

/// The formats of a warning: the analysis routes' three, and CAP, which only a warning
/// has.
fn parse_format(f: Option<&str>) -> Result<Format, ApiError> {
    match f {
        None | Some("json") => Ok(Format::Json),
        Some("geojson") => Ok(Format::GeoJson),
        Some("csv") => Ok(Format::Csv),
        Some("cap") => Ok(Format::Cap),
        Some(other) => Err(ApiError::bad_request(format!(
            "format {other:?} is not json, geojson, csv or cap"
        ))),
    }
}

pub async fn audience(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<WarningQuery>, QueryRejection>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
    if q.issue {
        return issue(state, who, body, None).await;
    }
    let (snapshot, budget) = (state.snapshot_for(&who).await?, state.budget());
    let (w, snapshot, body) = blocking(move || {
        let w = crate::service::warnings::warning_audience(&snapshot, &body, &budget)?;
        Ok((w, snapshot, body))
    })
    .await?;
    let about = w.warning.headline.clone();
    // The JSON and CSV list every contact of the call tree; the map layer and the CAP
    // alert (meant for the public) none.
    let contacts = match format {
        Format::GeoJson | Format::Cap => 0,
        _ => w.audience.tasks.len(),
    };
    state.audit(&who, "warning audience", format, about, contacts);
    let disclosure = who.disclosure();
    Ok(respond(match format {
        Format::GeoJson => Output::Json(render::warning_geojson(&w, &snapshot)),
        Format::Csv => Output::Csv(render::recipients_csv(&w, disclosure)),
        Format::Cap => {
            let message = crate::service::warnings::alert_message(
                &w,
                &body,
                state.cap_sender(),
                &snapshot.name,
                std::time::SystemTime::now(),
            );
            Output::Cap(render::cap_xml(&w, &message))
        }
        _ => Output::Json(render::warning_json(&w, disclosure)),
    }))
}

/// Issues `body` (updating warning `updates`, if given): 201 with its id and state.
async fn issue(
    state: AppState,
    who: Identity,
    body: Value,
    updates: Option<String>,
) -> Result<Response, ApiError> {
    let view = state.view(&who).await?;
    let (service, budget, name) = (state.service().clone(), state.budget(), who.name.clone());
    let scope = view.jurisdiction.clone();
    let answer = blocking(move || {
        let desk = service.warnings();
        if let Some(old) = &updates {
            track::visible(desk, old, &scope)?;
        }
        let now = now_secs();
        let (id, _) = track::issue(
            desk,
            &view.snapshot,
            &body,
            &budget,
            &name,
            now,
            updates.as_deref(),
        )?;
        let w = track::visible(desk, &id, &scope)?;
        Ok(track::state_json(
            &w,
            now,
            &scope,
            crate::atlas::Disclosure::Full,
            desk,
        ))
    })
    .await?;
    let tasks = answer["tasks_total"].as_u64().unwrap_or(0) as usize;
    let about = format!(
        "{} {}",
        answer["id"].as_str().unwrap_or_default(),
        answer["warning"]["headline"].as_str().unwrap_or_default()
    );
    state.audit(&who, "warning issued", Format::Json, about, tasks);
    Ok((StatusCode::CREATED, Json(mask(answer, &who))).into_response())
}

/// The contacts of a state as `who` may see them, its numbers rounded as every answer's
/// are (see `render::tidy`).
fn mask(mut answer: Value, who: &Identity) -> Value {
    render::tidy::numbers(&mut answer);
    let d = who.disclosure();
    if let Some(tasks) = answer["tasks"].as_array_mut() {
        for t in tasks {
            for field in ["name", "phone"] {
                if let Some(text) = t[field].as_str() {
                    t[field] = Value::String(d.text(text).into_owned());
                }
            }
        }
    }
    answer
}

/// `GET /api/warnings`: the warnings the user may see, newest first.
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
) -> Result<Json<Value>, ApiError> {
    let view = state.view(&who).await?;
    let mut list = track::list_json(state.service().warnings(), now_secs(), &view.jurisdiction);
    render::tidy::numbers(&mut list);
    Ok(Json(list))
}

/// `GET /api/warnings/{id}`' parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateQuery {
    /// The moment to give the state at (RFC 3339; default now): a time ahead shows what
    /// escalates if nobody answers by then.
    at: Option<String>,
    /// `json` (default) or `geojson` (admin units coloured by state).
    format: Option<String>,
}

/// `GET /api/warnings/{id}[?at=…][&format=geojson]`: the live state.
pub async fn status(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<String>,
    query: Result<Query<StateQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let at = match &q.at {
        None => now_secs(),
        Some(t) => instant(t).ok_or_else(|| {
            ApiError::bad_request(format!(
                "at {t:?} is not a time like 2026-07-20T14:30:00+08:00"
            ))
        })?,
    };
    let view = state.view(&who).await?;
    let desk = state.service().warnings();
    let w = track::visible(desk, &id, &view.jurisdiction)?;
    let mut answer = track::state_json(&w, at, &view.jurisdiction, who.disclosure(), desk);
    render::tidy::numbers(&mut answer);
    match q.format.as_deref() {
        None | Some("json") => {
            let contacts = answer["tasks_total"].as_u64().unwrap_or(0) as usize;
            state.audit(&who, "warning state", Format::Json, id, contacts);
            Ok(Json(answer).into_response())
        }
        Some("geojson") => {
            Ok(Json(render::warning_state_geojson(&answer, &view.snapshot)).into_response())
        }
        Some("cap") => cap_of(&state, &who, w, view).await,
        Some(other) => Err(ApiError::bad_request(format!(
            "format {other:?} is not json, geojson or cap"
        ))),
    }
}

/// A change the desk makes to a warning: (desk, warning id, body, who, now, scope).
type Change = fn(&Desk, &str, Value, &str, i64, &Jurisdiction) -> Result<Issued, ServiceError>;

/// A change to warning `id` by `who` (an answer, a cancellation), made off the async
/// threads; its state after, contacts as `who` may see them.
async fn change(
    state: &AppState,
    who: &Identity,
    id: String,
    body: Value,
    act: Change,
) -> Result<Value, ApiError> {
    let view = state.view(who).await?;
    let (service, name) = (state.service().clone(), who.name.clone());
    let answer = blocking(move || {
        let desk = service.warnings();
        let now = now_secs();
        let w = act(desk, &id, body, &name, now, &view.jurisdiction)?;
        let full = crate::atlas::Disclosure::Full;
        Ok(track::state_json(&w, now, &view.jurisdiction, full, desk))
    })
    .await?;
    Ok(mask(answer, who))
}

/// `POST /api/warnings/{id}/acks`: an answer to one task, recorded durably.
pub async fn ack(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let answer = change(&state, &who, id, body, track::answer).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `POST /api/warnings/{id}/cancel`: the warning withdrawn; its tasks close.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let answer = change(&state, &who, id, body, track::cancel).await?;
    let about = answer["id"].as_str().unwrap_or_default().into();
    state.audit(&who, "warning cancelled", Format::Json, about, 0);
    Ok(Json(answer))
}

/// `POST /api/warnings/{id}/update`: a new warning (the body, as `POST /api/warnings`
/// takes it) that supersedes `id`; its call tree starts afresh.
pub async fn update(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    issue(state, who, body, Some(id)).await
}

/// An issued warning as the CAP message it stands for now (its Alert, an Update of the
/// warning it superseded, or its Cancel), the area's audience computed again.
async fn cap_of(
    state: &AppState,
    who: &Identity,
    w: crate::service::warnings::desk::Issued,
    view: std::sync::Arc<crate::service::state::View>,
) -> Result<Response, ApiError> {
    let (service, budget) = (state.service().clone(), state.budget());
    let sender = state.cap_sender().clone();
    let (xml, id) = blocking(move || {
        let snapshot = &view.snapshot;
        let audience =
            crate::service::warnings::warning_audience(snapshot, &track::request_of(&w), &budget)?;
        let message = track::message_of(service.warnings(), &w, &sender, &snapshot.name);
        Ok((render::cap_xml(&audience, &message), w.id))
    })
    .await?;
    state.audit(who, "warning cap", Format::Cap, id, 0);
    Ok(respond(Output::Cap(xml)))
}

/// `GET /cards/calls`' parameters.
#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct SheetQuery {
    /// The warning's id.
    warning: String,
    /// Only this township's page (its admin code).
    township: Option<String>,
}

/// `GET /cards/calls?warning={id}[&township={code}]`: the warning's call sheets, one
/// printable page per township, from its stored tasks (no analysis runs).
pub async fn call_sheets(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<SheetQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let view = state.view(&who).await?;
    let w = track::visible(state.service().warnings(), &q.warning, &view.jurisdiction)?;
    let sheets = track::call_sheets(
        &w,
        &view.snapshot,
        &view.jurisdiction,
        q.township.as_deref(),
    )?;
    let html =
        render::call_sheets_html(&w, &sheets, who.disclosure()).map_err(RenderError::from)?;
    // Every row names a duty contact.
    let calls = sheets.iter().map(|s| s.lines.len()).sum();
    let about = match &q.township {
        Some(code) => format!("{} township {code}", w.id),
        None => w.id.clone(),
    };
    state.audit(&who, "call sheets", Format::Html, about, calls);
    Ok(respond(Output::Html(html)))
}
