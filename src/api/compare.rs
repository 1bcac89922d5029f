//! `POST /api/compare`: two evacuation requests on the user's view, side by side (see
//! [`crate::service::compare`]).

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

pub async fn compare(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
    let side = |s: &str| super::impact::about(body.get(s).unwrap_or(&Value::Null));
    let about = format!("a: {}; b: {}", side("a"), side("b"));
    let (snapshot, budget) = (state.snapshot_for(&who).await?, state.budget());
    let (comparison, snapshot) = super::blocking(move || {
        let (comparison, _, _) =
            crate::service::compare::compare(&snapshot, snapshot.road_graph(), body, &budget)?;
        Ok((comparison, snapshot))
    })
    .await?;
    // Like a plan, a comparison names units and shelters, not people.
    state.audit(&who, "compare", format, about, 0);
    Ok(respond(render::comparison(&comparison, &snapshot, format)?))
}
