//! `POST /api/warnings`: a targeted warning's audience and call tree (see
//! [`crate::service::warnings`]), as JSON, a map layer (`?format=geojson`) or the
//! recipient list for an SMS platform (`?format=csv`).

use super::impact::{FormatQuery, respond};
use super::{ApiError, ApiJson, AppState, blocking};
use crate::render::{self, Format, Output};
use crate::service::access::Identity;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::Value;

pub async fn audience(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = super::impact::parse_format(q.format.as_deref())?;
    let (snapshot, budget) = (state.snapshot_for(&who).await?, state.budget());
    let (w, snapshot) = blocking(move || {
        let w = crate::service::warnings::warning_audience(&snapshot, &body, &budget)?;
        Ok((w, snapshot))
    })
    .await?;
    let about = w.warning.headline.clone();
    // The JSON and CSV list every contact of the call tree; the map layer none.
    let contacts = match format {
        Format::GeoJson => 0,
        _ => w.audience.tasks.len(),
    };
    state.audit(&who, "warning audience", format, about, contacts);
    let disclosure = who.disclosure();
    Ok(respond(match format {
        Format::GeoJson => Output::Json(render::warning_geojson(&w, &snapshot)),
        Format::Csv => Output::Csv(render::recipients_csv(&w, disclosure)),
        _ => Output::Json(render::warning_json(&w, disclosure)),
    }))
}
