//! `POST /api/coverage`: minutes from every population unit to the nearest open shelter
//! and rescue team, the population beyond each threshold, and isochrones.

use super::{ApiError, AppState};
use crate::analysis::coverage::{DEFAULT_THRESHOLDS, IsochroneFrom, coverage};
use crate::atlas::Kind;
use crate::routing::Profile;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use geo::Point;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageRequest {
    exposure: Option<String>,
    profile: Option<String>,
    speed_kmh: Option<f64>,
    thresholds: Option<Vec<f64>>,
    isochrones_from: Option<Value>,
}

pub async fn coverage_handler(
    State(state): State<AppState>,
    body: Result<Json<CoverageRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(req) =
        body.map_err(|e| ApiError::bad_request(format!("request: {}", e.body_text())))?;
    let mut profile = match req.profile.as_deref() {
        None => Profile::walk(),
        Some(p) => Profile::by_name(p).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown profile {p:?}; profiles are walk and drive"
            ))
        })?,
    };
    if let Some(v) = req.speed_kmh {
        if !(v.is_finite() && (0.5..=200.0).contains(&v)) {
            return Err(ApiError::bad_request(format!(
                "speed_kmh {v} must be from 0.5 to 200"
            )));
        }
        profile.uniform_kmh = Some(v);
    }
    let thresholds = req
        .thresholds
        .unwrap_or_else(|| DEFAULT_THRESHOLDS.to_vec());
    if thresholds.is_empty()
        || thresholds.len() > 10
        || thresholds
            .iter()
            .any(|t| !(t.is_finite() && (1.0..=1440.0).contains(t)))
    {
        return Err(ApiError::bad_request(
            "thresholds: give 1 to 10 minute values from 1 to 1440",
        ));
    }
    let from = match req.isochrones_from {
        None => IsochroneFrom::Shelters,
        Some(Value::String(s)) if s == "shelters" => IsochroneFrom::Shelters,
        Some(v) => {
            let (lon, lat) = (
                v.get("lon").and_then(Value::as_f64),
                v.get("lat").and_then(Value::as_f64),
            );
            match (lon, lat) {
                (Some(x), Some(y))
                    if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) =>
                {
                    IsochroneFrom::Point(Point::new(x, y))
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "isochrones_from: \"shelters\" or {\"lon\": .., \"lat\": ..}",
                    ));
                }
            }
        }
    };
    let atlas = state.atlas();
    let exposure = match req.exposure {
        Some(id) => {
            let layer = atlas
                .layer(&id)
                .ok_or_else(|| ApiError::not_found(format!("unknown layer {id:?}")))?;
            if layer.kind != Kind::Population {
                return Err(ApiError::bad_request(format!(
                    "exposure {id:?} is a {} layer, not population",
                    layer.kind
                )));
            }
            id
        }
        None => atlas
            .layers()
            .iter()
            .find(|l| l.kind == Kind::Population)
            .map(|l| l.id.to_string())
            .ok_or_else(|| ApiError::bad_request("the atlas has no population layer"))?,
    };
    let result = tokio::task::spawn_blocking(move || {
        let graph = atlas
            .road_graph()
            .map_err(|e| ApiError::bad_request(format!("coverage needs roads: {e}")))?;
        Ok::<_, ApiError>(coverage(
            &atlas,
            graph,
            &exposure,
            &profile,
            &thresholds,
            from,
        ))
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("coverage worker failed: {e}")))??;
    Ok(Json(
        serde_json::to_value(result).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}
