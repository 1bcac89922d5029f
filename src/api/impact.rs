//! `POST /api/impact` (who is affected) and `GET /report/impact` (printable report).

use super::web::base_url;
use super::{ApiError, ApiJson, AppState};
use crate::analysis::Impact;
use crate::render::{self, Format, Output};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    pub format: Option<String>,
}

/// The formats the analysis routes answer in; a printable page has routes of its own
/// (`/report/impact`, `/cards/evacuation`).
pub fn parse_format(f: Option<&str>) -> Result<Format, ApiError> {
    match f {
        None | Some("json") => Ok(Format::Json),
        Some("geojson") => Ok(Format::GeoJson),
        Some("csv") => Ok(Format::Csv),
        Some(other) => Err(ApiError::bad_request(format!(
            "format {other:?} is not json, geojson or csv"
        ))),
    }
}

/// A rendered answer as a response with its content type.
pub fn respond(output: Output) -> Response {
    match output {
        Output::Json(value) => Json(value).into_response(),
        Output::Csv(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Output::Html(page) => Html(page).into_response(),
    }
}

/// Parses and runs a scenario off the async threads (an overlay can take a while).
/// Returns the atlas snapshot it ran on: whatever uses the result's fids must use it.
async fn run(
    state: &AppState,
    scenario: Value,
) -> Result<(Impact, std::sync::Arc<super::Snapshot>), ApiError> {
    let (snapshot, budget) = (state.snapshot(), state.budget());
    super::blocking(move || {
        let (_, impact) = crate::service::analyses::impact_within(&snapshot, &scenario, &budget)?;
        Ok((impact, snapshot))
    })
    .await
}

/// A key for a scenario: a hash of its JSON text (object keys are sorted by
/// serde_json, so the same scenario always gives the same key).
fn scenario_key(scenario: &Value) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    scenario.to_string().hash(&mut h);
    format!("{:016x}", h.finish())
}

pub async fn impact(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(scenario): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
    let key = scenario_key(&scenario);
    let (impact, atlas) = run(&state, scenario).await?;
    let layers = crate::analysis::layers::impact_layers(&impact, &atlas);
    // The generation keeps a scenario analysed before an edit apart from one after.
    let key = state.remember_scenario(format!("{key}-{}", atlas.generation), layers);
    let mut output = render::impact(&impact, &atlas, format)?;
    if let (Format::Json, Output::Json(report)) = (format, &mut output) {
        report["scenario_key"] = Value::String(key.clone());
        report["tiles"] = Value::String(format!(
            "{}/tiles/impact/{key}/{{z}}/{{x}}/{{y}}",
            base_url(&headers, &state)
        ));
    }
    Ok(respond(output))
}

#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    scenario: Option<String>,
}

/// `GET /report/impact?scenario=<JSON>`: the printable HTML report.
pub async fn report(
    State(state): State<AppState>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let scenario = super::json_param(q.scenario, "scenario")?;
    let (impact, atlas) = run(&state, scenario).await?;
    Ok(respond(render::impact(&impact, &atlas, Format::Html)?))
}
