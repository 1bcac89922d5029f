//! `POST /api/evacuation`: where they evacuate (scenario + options → plan).

use super::impact::{Format, FormatQuery, parse_format};
use super::{ApiError, ApiJson, AppState};
use crate::analysis::Impact;
use crate::analysis::cards;
use crate::analysis::evacuation::EvacuationPlan;
use crate::service::analyses::evacuate;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

pub async fn evacuation(
    State(state): State<AppState>,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
    let (_, result, _) = run_blocking(&state, body).await?;
    Ok(match format {
        Format::Json => {
            Json(serde_json::to_value(&result).map_err(|e| ApiError::Internal(e.into()))?)
                .into_response()
        }
        Format::GeoJson => Json(plan_geojson(&result)).into_response(),
        Format::Csv => {
            let mut r = plan_csv(&result).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            r
        }
    })
}

/// Runs an evacuation request off the async threads.
async fn run_blocking(
    state: &AppState,
    body: Value,
) -> Result<(Impact, EvacuationPlan, std::sync::Arc<super::Snapshot>), ApiError> {
    let snapshot = state.atlas();
    super::blocking(move || {
        let (impact, plan) = evacuate(&snapshot, snapshot.road_graph(), body)?;
        Ok((impact, plan, snapshot))
    })
    .await
}

#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct CardsQuery {
    request: Option<String>,
    kind: Option<String>,
    unit: Option<String>,
}

/// `GET /cards/evacuation?request=<JSON>&kind=village|shelter[&unit=ID]`: printable
/// cards, one page per village (or per shelter).
pub async fn cards(
    State(state): State<AppState>,
    query: Result<Query<CardsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let body = super::json_param(q.request, "request")?;
    let (impact, plan, atlas) = run_blocking(&state, body).await?;
    let html = match q.kind.as_deref() {
        None | Some("village") => cards::village_cards(&atlas, &impact, &plan, q.unit.as_deref()),
        Some("shelter") => cards::shelter_cards(&plan),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "kind {other:?} is not village or shelter"
            )));
        }
    };
    Ok(Html(html).into_response())
}

/// Routes as LineStrings, one feature per assignment.
fn plan_geojson(plan: &EvacuationPlan) -> Value {
    let features: Vec<Value> = plan
        .assignments
        .iter()
        .map(|a| {
            json!({"type": "Feature", "geometry": a.route, "properties": {
                "role": "route", "unit_id": a.unit_id, "shelter_id": a.shelter_id, "shelter_name": a.shelter_name,
                "people": a.people, "minutes": a.minutes, "distance_m": a.distance_m}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// One row per assignment, then one per unassigned unit.
fn plan_csv(plan: &EvacuationPlan) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<[String; 7]> = vec![[
        "unit_id".into(),
        "shelter_id".into(),
        "shelter_name".into(),
        "people".into(),
        "minutes".into(),
        "distance_m".into(),
        "unassigned_reason".into(),
    ]];
    for a in &plan.assignments {
        rows.push([
            a.unit_id.clone(),
            a.shelter_id.clone(),
            a.shelter_name.clone().unwrap_or_default(),
            a.people.to_string(),
            a.minutes.to_string(),
            a.distance_m.to_string(),
            String::new(),
        ]);
    }
    for u in &plan.unassigned {
        rows.push([
            u.unit_id.clone(),
            String::new(),
            String::new(),
            u.people.to_string(),
            String::new(),
            String::new(),
            u.reason.into(),
        ]);
    }
    for r in rows {
        w.write_record(&r).expect("writing to memory cannot fail");
    }
    let csv = String::from_utf8(w.into_inner().expect("flushing memory cannot fail"))
        .expect("UTF-8 in, UTF-8 out");
    format!("\u{feff}{csv}")
}
