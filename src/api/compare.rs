//! `POST /api/compare`: two evacuation requests on the user's view, or one before and
//! after what-if edits, side by side (see [`crate::service::compare`]).

use super::impact::{FormatQuery, respond};
use super::{ApiError, ApiJson, AppState};
use crate::render::{self, Format};
use crate::service::access::Identity;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::Value;

/// A comparison reads as JSON, or as a diff layer for the map.
fn parse_format(f: Option<&str>) -> Result<Format, ApiError> {
    match f {
        None | Some("json") => Ok(Format::Json),
        Some("geojson") => Ok(Format::GeoJson),
        Some(other) => Err(ApiError::bad_request(format!(
            "format {other:?} is not json or geojson"
        ))),
    }
}

/// What the access audit says a comparison was about: its scenarios, and how many
/// what-if edits (not what they were: the request holds them).
fn about(body: &Value) -> String {
    let scenario = |s: &str| super::impact::about(body.get(s).unwrap_or(&Value::Null));
    match body.get("edits") {
        Some(edits) => {
            let n = edits.as_array().map_or(0, Vec::len);
            format!("scenario: {}; {n} what-if edits", scenario("scenario"))
        }
        None => format!("a: {}; b: {}", scenario("a"), scenario("b")),
    }
}

pub async fn compare(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
    let about = about(&body);
    let ((view, whole), budget) = (state.view_and_whole(&who).await?, state.budget());
    let (compared, view) = super::blocking(move || {
        let compared = crate::service::compare::compare(&view, &whole, body, &budget)?;
        Ok((compared, view))
    })
    .await?;
    // Like a plan, a comparison names units and shelters, not people.
    state.audit(&who, "compare", format, about, 0);
    let a = compared.a.as_ref().unwrap_or(&view.snapshot);
    let b = compared.edited.as_ref().unwrap_or(a);
    Ok(respond(render::comparison(
        &compared.comparison,
        a,
        b,
        format,
    )?))
}
