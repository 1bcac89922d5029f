//! `POST /api/warnings`: a targeted warning's audience and call tree (see
//! [`crate::service::warnings`]), as JSON, a map layer (`?format=geojson`), the
//! recipient list for an SMS platform (`?format=csv`) or a CAP 1.2 alert
//! (`?format=cap`, [`crate::render::cap`]).

use super::impact::{FormatQuery, respond};
use super::{ApiError, ApiJson, AppState, blocking};
use crate::render::{self, Format, Output};
use crate::service::access::Identity;
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::Value;

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
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
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
