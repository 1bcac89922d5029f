//! `POST /api/impact` (who is affected) and `GET /report/impact` (printable report).

use super::web::base_url;
use super::{ApiError, ApiJson, AppState};
use crate::analysis::Impact;
use crate::render::{self, Format, Output};
use crate::service::access::Identity;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
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
        Output::Json(mut value) => {
            render::tidy::numbers(&mut value);
            Json(value).into_response()
        }
        Output::Csv(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            )],
            text,
        )
            .into_response(),
        Output::Html(page) => Html(page).into_response(),
        Output::Cap(xml) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(render::cap::CAP_CONTENT_TYPE),
            )],
            xml,
        )
            .into_response(),
    }
}

/// Parses and runs a scenario off the async threads (an overlay can take a while).
/// Returns the atlas snapshot it ran on: whatever uses the result's fids must use it.
async fn run(
    state: &AppState,
    who: &Identity,
    scenario: Value,
) -> Result<(Impact, std::sync::Arc<super::Snapshot>), ApiError> {
    let (snapshot, budget) = (state.snapshot_for(who).await?, state.budget());
    super::blocking(move || {
        let (snapshot, scenario) = within(snapshot, scenario)?;
        let (_, impact) = crate::service::analyses::impact_within(&snapshot, &scenario, &budget)?;
        Ok((impact, snapshot))
    })
    .await
}

/// The snapshot a request runs on: the user's, or the view its `within` names (see
/// [`crate::service::within`]); and the request without `within`.
pub fn within(
    snapshot: std::sync::Arc<super::Snapshot>,
    mut body: Value,
) -> Result<(std::sync::Arc<super::Snapshot>, Value), crate::service::ServiceError> {
    let narrowed = crate::service::within::take_within(&snapshot, &mut body)?;
    Ok((narrowed.map_or(snapshot, std::sync::Arc::new), body))
}

/// A scenario in a few words for the access audit: its hazards' layers (or kinds).
pub fn about(scenario: &Value) -> String {
    let hazards = scenario.get("hazards").and_then(Value::as_array);
    let named: Vec<String> = hazards
        .into_iter()
        .flatten()
        .take(8)
        .map(|h| {
            let layer = h.get("layer").and_then(Value::as_str);
            let kind = h.get("type").and_then(Value::as_str);
            layer.or(kind).unwrap_or("drawn").chars().take(64).collect()
        })
        .collect();
    let more = hazards.map_or(0, |h| h.len().saturating_sub(named.len()));
    match more {
        0 => format!("hazards: {}", named.join(", ")),
        n => format!("hazards: {} and {n} more", named.join(", ")),
    }
}

/// A jurisdiction as the last part of a scenario's key: `all`, or a hash of its codes.
pub fn scope_tag(scope: &[String]) -> String {
    use std::hash::{Hash, Hasher};
    if scope.is_empty() {
        return "all".into();
    }
    let mut h = std::hash::DefaultHasher::new();
    scope.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// A key for a scenario: a hash of its JSON text (object keys are sorted by
/// serde_json, so the same scenario always gives the same key).
pub(super) fn scenario_key(scenario: &Value) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    scenario.to_string().hash(&mut h);
    format!("{:016x}", h.finish())
}

pub async fn impact(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: axum::http::HeaderMap,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(scenario): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
    let key = scenario_key(&scenario);
    let about = about(&scenario);
    let (impact, atlas) = run(&state, &who, scenario).await?;
    let contacts = match format {
        Format::GeoJson => 0, // areas and units only
        _ => impact.report.contact_count(),
    };
    state.audit(&who, "impact", format, about, contacts);
    let layers = crate::analysis::layers::impact_layers(&impact, &atlas);
    // The generation keeps a scenario analysed before an edit apart from one after;
    // the scope, one analysed in one jurisdiction from the same in another.
    let key = format!("{key}-{}-{}", atlas.generation, scope_tag(&who.scope));
    let key = state.remember_scenario(key, layers);
    let mut output = render::impact(&impact, &atlas, format, who.disclosure())?;
    if let (Format::Json, Output::Json(report)) = (format, &mut output) {
        report["scenario_key"] = Value::String(key.clone());
        report["tiles"] = Value::String(format!(
            "{}/tiles/impact/{key}/{{z}}/{{x}}/{{y}}",
            base_url(&headers, &state)
        ));
        // The same layers as OGC API collections, for QGIS and other clients.
        let ogc = format!(
            "{}/ogc/collections/impact-{key}",
            base_url(&headers, &state)
        );
        report["ogc_collections"] = serde_json::json!({
            "affected": format!("{ogc}-affected"),
            "hazards": format!("{ogc}-hazards"),
        });
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
    Extension(who): Extension<Identity>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let scenario = super::json_param(q.scenario, "scenario")?;
    let about = about(&scenario);
    let (impact, atlas) = run(&state, &who, scenario).await?;
    let contacts = impact.report.contact_count();
    state.audit(&who, "report", Format::Html, about, contacts);
    Ok(respond(render::impact(
        &impact,
        &atlas,
        Format::Html,
        who.disclosure(),
    )?))
}
