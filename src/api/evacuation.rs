//! `POST /api/evacuation`: where they evacuate (scenario + options → plan).

use super::impact::{FormatQuery, parse_format, respond};
use super::web::base_url;
use super::{ApiError, ApiJson, AppState};
use crate::analysis::Impact;
use crate::analysis::evacuation::EvacuationPlan;
use crate::render::{self, Output, RenderError};
use crate::service::access::Identity;
use crate::service::analyses::{evacuate_within, whole_village_alternative};
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

pub async fn evacuation(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: axum::http::HeaderMap,
    query: Result<Query<FormatQuery>, QueryRejection>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = parse_format(q.format.as_deref())?;
    let about = super::impact::about(&body);
    let key = super::impact::scenario_key(&body);
    let printed = format == render::Format::Html;
    let (impact, plan, whole, atlas) = run_blocking(&state, &who, body, printed).await?;
    // A plan names units and shelters, not people; only its cards carry contacts.
    state.audit(&who, "evacuation", format, about, 0);
    // Its routes, affected units and hazards, readable as OGC API collections.
    let mut layers = crate::analysis::layers::impact_layers(&impact, &atlas);
    layers.push(crate::analysis::layers::route_layer(&plan));
    let scope = super::impact::scope_tag(&who.scope);
    let key = format!("plan-{key}-{}-{scope}", atlas.generation);
    let key = state.remember_scenario(key, layers);
    let mut output = render::plan(
        &plan,
        &impact,
        &atlas,
        format,
        who.disclosure(),
        whole.as_ref(),
    )?;
    if let Output::Json(answer) = &mut output {
        let ogc = format!("{}/ogc/collections/{key}", base_url(&headers, &state));
        answer["ogc_collections"] = serde_json::json!({
            "routes": format!("{ogc}-routes"),
            "affected": format!("{ogc}-affected"),
            "hazards": format!("{ogc}-hazards"),
        });
    }
    Ok(respond(output))
}

/// A plan, and for printed cards the same request keeping villages whole when the plan
/// splits one (`whole_village_alternative`).
type Planned = (
    Impact,
    EvacuationPlan,
    Option<EvacuationPlan>,
    std::sync::Arc<super::Snapshot>,
);

/// Runs an evacuation request off the async threads; with `printed`, the
/// whole-village alternative too.
async fn run_blocking(
    state: &AppState,
    who: &Identity,
    body: Value,
    printed: bool,
) -> Result<Planned, ApiError> {
    let (snapshot, budget) = (state.snapshot_for(who).await?, state.budget());
    super::blocking(move || {
        let (snapshot, body) = super::impact::within(snapshot, body)?;
        let graph = snapshot.road_graph();
        let (impact, plan) = evacuate_within(&snapshot, graph, body.clone(), &budget)?;
        let whole = match printed {
            true => whole_village_alternative(&snapshot, graph, &body, &plan, &budget)?,
            false => None,
        };
        Ok((impact, plan, whole, snapshot))
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
    Extension(who): Extension<Identity>,
    query: Result<Query<CardsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let body = super::json_param(q.request, "request")?;
    let about = super::impact::about(&body);
    let village = matches!(q.kind.as_deref(), None | Some("village"));
    let (impact, plan, whole, atlas) = run_blocking(&state, &who, body, village).await?;
    if let Some(unit) = q.unit.as_deref()
        && !impact.report.units.iter().any(|u| u.id == unit)
    {
        // An empty page would read as "nobody to move here", which a typo must not say.
        return Err(ApiError::not_found(format!(
            "unit {unit:?} is not among the units this scenario affects"
        )));
    }
    // Each village card names its duty officers.
    let cards = impact.report.units.len();
    state.audit(&who, "cards", crate::render::Format::Html, about, cards);
    let html = match q.kind.as_deref() {
        None | Some("village") => {
            let (only, shown) = (q.unit.as_deref(), who.disclosure());
            render::village_cards(&atlas, &impact, &plan, whole.as_ref(), only, shown)
        }
        Some("shelter") => render::shelter_cards(&plan),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "kind {other:?} is not village or shelter"
            )));
        }
    };
    Ok(respond(Output::Html(html.map_err(RenderError::from)?)))
}
