//! `POST /api/drills`: candidate drills ranked for drill designers (see
//! [`crate::service::drills`]); `GET /cards/drill`: the card to run one with.

use super::{ApiError, ApiJson, AppState, blocking};
use crate::analysis::drills::card::Timing;
use crate::render::{self, Format, Output, RenderError};
use crate::service::access::Identity;
use crate::service::drills::card::CardRequest;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use serde::Deserialize;
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
