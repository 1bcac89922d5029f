//! `POST /api/drills`: candidate drills ranked for drill designers (see
//! [`crate::service::drills`]); `GET /cards/drill`: the card to run one with.
//!
//! Asked with `Accept: application/x-ndjson`, the answer streams: `{"progress":
//! {"done", "total"}}` lines as candidates finish, then one `{"result": …}` line (the
//! plain answer) or `{"error": {"status", "message"}}`. What can be refused before the
//! run starts (a bad body, townships not in view, too many candidates) still is, as a
//! plain 4xx. A client that hangs up stops the run between candidates.

use super::limits::Slot;
use super::ndjson::{self, Lines};
use super::{ApiError, ApiJson, AppState, blocking};
use crate::analysis::drills::card::Timing;
use crate::render::{self, Format, Output, RenderError};
use crate::service::ServiceError;
use crate::service::access::Identity;
use crate::service::budget::Budget;
use crate::service::drills::card::CardRequest;
use crate::service::drills::{Prepared, Progress};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

/// Days since 1970-01-01, today (UTC).
fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64)
}

pub async fn drills(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    slot: Option<Extension<Slot>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let (snapshot, budget) = (state.snapshot_for(&who).await?, state.budget());
    if !ndjson::wanted(&headers) {
        let mut ranking =
            blocking(move || crate::service::drills::drills(&snapshot, body, &budget, today()))
                .await?;
        crate::render::tidy::numbers(&mut ranking);
        audit(&state, &who, &ranking);
        return Ok(Json(ranking).into_response());
    }
    let prepared =
        blocking(move || crate::service::drills::prepare(&snapshot, body, today())).await?;
    let (lines, response) = ndjson::stream();
    let slot = slot.map(|Extension(s)| s);
    // Not awaited: the run writes its lines while the response streams them.
    tokio::task::spawn_blocking(move || {
        streamed(&state, &who, prepared, &budget, &lines);
        drop(slot);
    });
    Ok(response)
}

/// A successful ranking goes in the access audit (it names no one: no contacts).
fn audit(state: &AppState, who: &Identity, ranking: &Value) {
    let about = format!("{} candidates", ranking["candidates_run"]);
    state.audit(who, "drills", crate::render::Format::Json, about, 0);
}

/// Runs `prepared`, writing its progress and then its answer to `lines`; stops when
/// the client has gone.
fn streamed(state: &AppState, who: &Identity, prepared: Prepared, budget: &Budget, lines: &Lines) {
    let progress = {
        let lines = lines.clone();
        Progress::new(move |count| lines.send(&json!({"progress": count})))
    };
    let last = match prepared.run(budget, &progress) {
        Ok(ranking) => result_line(state, who, ranking),
        Err(ServiceError::Cancelled) => {
            let count = progress.count();
            tracing::info!(
                user = %who.name,
                done = count.done,
                total = count.total,
                "drill run cancelled: the client stopped waiting"
            );
            return;
        }
        Err(e) => error_line(e.into()),
    };
    lines.send(&last);
}

/// The `{"result"}` line, or an error line when it is over the answer-size cap (the
/// middleware cannot measure a streamed answer).
fn result_line(state: &AppState, who: &Identity, mut ranking: Value) -> Value {
    // Rounded as the plain answer is (see `render::tidy`).
    crate::render::tidy::numbers(&mut ranking);
    let line = json!({ "result": ranking });
    if let Err(e) = state.limiter().check_size(line.to_string().len()) {
        return error_line(e);
    }
    audit(state, who, &line["result"]);
    line
}

/// An error after the stream has started: its status and message as a plain answer
/// would have given them.
fn error_line(e: ApiError) -> Value {
    let (status, message): (StatusCode, String) = e.into_parts();
    json!({"error": {"status": status.as_u16(), "message": message}})
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

/// `GET /cards/drill`'s parameters.
#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct DrillCardQuery {
    /// The ranked drill's id.
    id: Option<String>,
    /// Its scenario as the ranking returned it (JSON).
    request: Option<String>,
    /// The ranking's `why`: a JSON array of strings, or one sentence.
    why: Option<String>,
    /// `html` (default) or `geojson`.
    format: Option<String>,
    call_minutes: Option<f64>,
    gather_minutes: Option<f64>,
    roll_call_minutes: Option<f64>,
}

impl DrillCardQuery {
    /// The service's request, or why the parameters do not make one.
    fn request(self) -> Result<(CardRequest, Format), ApiError> {
        let format = match self.format.as_deref() {
            None | Some("html") => Format::Html,
            Some("geojson") => Format::GeoJson,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "format {other:?} is not html or geojson"
                )));
            }
        };
        let scenario = match self.request {
            None => None,
            text => Some(super::json_param(text, "request")?),
        };
        let why = match self.why {
            None => Vec::new(),
            Some(text) => serde_json::from_str::<Vec<String>>(&text).unwrap_or_else(|_| vec![text]),
        };
        let defaults = Timing::default();
        let timing = Timing {
            call_minutes: self.call_minutes.unwrap_or(defaults.call_minutes),
            gather_minutes: self.gather_minutes.unwrap_or(defaults.gather_minutes),
            roll_call_minutes: self.roll_call_minutes.unwrap_or(defaults.roll_call_minutes),
        };
        let request = CardRequest {
            id: self.id,
            scenario,
            why,
            timing,
        };
        Ok((request, format))
    }
}

/// `GET /cards/drill?id=…&request=<JSON>[&why=…][&format=html|geojson]`: the card to
/// run a ranked drill with (see [`crate::service::drills::card`]).
pub async fn card(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<DrillCardQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (request, format) = q.request()?;
    let about = request.id.clone().unwrap_or_else(|| "drill card".into());
    let (snapshot, budget) = (state.snapshot_for(&who).await?, state.budget());
    let card = blocking(move || {
        crate::service::drills::card::drill_card(&snapshot, request, &budget, today())
    })
    .await?;
    // The card lists the duty contacts to call.
    let contacts = card.impact.report.calls.len();
    state.audit(&who, "drill card", format, about, contacts);
    let output = match format {
        Format::GeoJson => Output::Json(render::drill_card_geojson(&card, who.disclosure())),
        _ => Output::Html(
            render::drill_card_html(&card, who.disclosure()).map_err(RenderError::from)?,
        ),
    };
    Ok(super::impact::respond(output))
}
