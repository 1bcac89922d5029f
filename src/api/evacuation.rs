//! `POST /api/evacuation`: where they evacuate (scenario + options → plan).

use super::impact::{Format, FormatQuery, parse_format};
use super::{ApiError, AppState};
use crate::analysis::evacuation::{EvacuationPlan, Options, plan};
use crate::analysis::{Scenario, analyse};
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub async fn evacuation(
    State(state): State<AppState>,
    query: Result<Query<FormatQuery>, QueryRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
    let Json(mut body) =
        body.map_err(|e| ApiError::bad_request(format!("request: {}", e.body_text())))?;
    let options = Options::take_from(&mut body).map_err(ApiError::bad_request)?;
    let worker = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        let atlas = worker.atlas();
        let scenario =
            Scenario::parse(&body, atlas).map_err(|e| ApiError::bad_request(e.to_string()))?;
        let impact = analyse(atlas, &scenario);
        plan(
            atlas,
            &impact,
            worker.road_graph(),
            &options,
            scenario.period,
            &scenario.needs,
            scenario.days,
        )
        .map_err(ApiError::bad_request)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("evacuation worker failed: {e}")))??;
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
