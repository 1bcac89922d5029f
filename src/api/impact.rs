//! `POST /api/impact` (who is affected) and `GET /report/impact` (printable report).

use super::web::base_url;
use super::{ApiError, ApiJson, AppState};
use crate::analysis::{Impact, export};
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

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Json,
    GeoJson,
    Csv,
}

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

/// Parses and runs a scenario off the async threads (an overlay can take a while).
/// Returns the atlas snapshot it ran on: whatever uses the result's fids must use it.
async fn run(
    state: &AppState,
    scenario: Value,
) -> Result<(Impact, std::sync::Arc<super::Snapshot>), ApiError> {
    let snapshot = state.atlas();
    super::blocking(move || {
        let (_, impact) = crate::service::analyses::impact(&snapshot, &scenario)?;
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
    Ok(match format {
        Format::Json => {
            let mut report =
                serde_json::to_value(&impact.report).map_err(|e| ApiError::Internal(e.into()))?;
            report["scenario_key"] = Value::String(key.clone());
            report["tiles"] = Value::String(format!(
                "{}/tiles/impact/{key}/{{z}}/{{x}}/{{y}}",
                base_url(&headers, &state)
            ));
            Json(report).into_response()
        }
        Format::GeoJson => Json(export::geojson(&impact, &atlas)).into_response(),
        Format::Csv => {
            let mut r = export::csv_by_admin(&impact).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            r
        }
    })
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
    Ok(Html(export::html(&impact, &atlas.name)).into_response())
}
