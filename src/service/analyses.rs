//! The analyses as services: a typed request in, the domain called, typed errors out.
//! Handlers and the command line call these, so both read requests the same way.

pub use super::budget::Budget;
use super::error::{RequestError, ServiceError};
use super::requests::{
    self, CANDIDATES, CoverageBody, DETOUR_FACTOR, EvacuationOptionsBody, IsochronesFrom,
    MAX_MINUTES, MAX_THRESHOLDS, ProfileSpec, RouteBody, THRESHOLD_MINUTES, bounded,
};
use crate::analysis::coverage::{Coverage, DEFAULT_THRESHOLDS, IsochroneFrom, coverage as cover};
use crate::analysis::evacuation::{self, EvacuationPlan, Options, Routing};
use crate::analysis::overlay::HazardOverlay;
use crate::analysis::route::{Route, RouteRequest, route as find_route};
use crate::analysis::scenario::exposure_layer;
use crate::analysis::{Impact, Scenario, analyse_within};
use crate::atlas::Atlas;
use crate::routing::{GraphError, RoadGraph};
use serde_json::Value as Json;

/// The keys of an evacuation request that are options rather than scenario fields.
const EVACUATION_OPTION_KEYS: [&str; 7] = [
    "routing",
    "profile",
    "speed_kmh",
    "detour_factor",
    "candidates",
    "max_minutes",
    "keep_villages_whole",
];

/// Takes the evacuation options out of a request object, leaving the scenario.
pub fn evacuation_options(body: &mut Json) -> Result<Options, RequestError> {
    let obj = body
        .as_object_mut()
        .ok_or_else(|| RequestError::Invalid("the request must be a JSON object".into()))?;
    let taken: serde_json::Map<String, Json> = EVACUATION_OPTION_KEYS
        .iter()
        .filter_map(|k| obj.remove(*k).map(|v| (k.to_string(), v)))
        .collect();
    let raw: EvacuationOptionsBody = requests::from_value(Json::Object(taken))?;
    let routing = match raw.routing.as_deref() {
        None => None,
        Some("road") => Some(Routing::Road),
        Some("straight_line") => Some(Routing::StraightLine),
        Some(other) => {
            return Err(RequestError::Invalid(format!(
                "routing {other:?} is not \"road\" or \"straight_line\""
            )));
        }
    };
    let profile = ProfileSpec {
        profile: raw.profile,
        speed_kmh: raw.speed_kmh,
    }
    .resolve()?;
    let or = |v: Option<f64>, name: &str, range, default: f64| match v {
        Some(v) => bounded(name, v, range),
        None => Ok(default),
    };
    Ok(Options {
        routing,
        profile,
        detour_factor: or(
            raw.detour_factor,
            "detour_factor",
            &DETOUR_FACTOR,
            evacuation::DEFAULT_DETOUR_FACTOR,
        )?,
        candidates: or(
            raw.candidates,
            "candidates",
            &CANDIDATES,
            evacuation::DEFAULT_CANDIDATES as f64,
        )? as usize,
        max_minutes: or(
            raw.max_minutes,
            "max_minutes",
            &MAX_MINUTES,
            evacuation::DEFAULT_MAX_MINUTES,
        )?,
        keep_whole: raw.keep_villages_whole.unwrap_or(false),
        max_rounds: evacuation::DEFAULT_MAX_ROUNDS,
    })
}

/// `POST /api/impact`: who is affected, with no budget (the command line).
pub fn impact(atlas: &Atlas, body: &Json) -> Result<(Scenario, Impact), ServiceError> {
    impact_within(atlas, body, &Budget::unlimited())
}

/// As [`impact`], refused before it runs when its estimated work is over the budget's
/// cap, and stopped when it runs past the budget's deadline.
pub fn impact_within(
    atlas: &Atlas,
    body: &Json,
    budget: &Budget,
) -> Result<(Scenario, Impact), ServiceError> {
    let scenario = Scenario::parse(body, atlas)?;
    budget.admit(atlas, &scenario)?;
    let impact = analyse_within(atlas, &scenario, &budget.deadline)?;
    Ok((scenario, impact))
}

/// `POST /api/evacuation`: options and scenario from one body → the impact and the plan,
/// with no budget (the command line).
pub fn evacuate(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    body: Json,
) -> Result<(Impact, EvacuationPlan), ServiceError> {
    evacuate_within(atlas, graph, body, &Budget::unlimited())
}

/// As [`evacuate`], within a budget: the impact as [`impact_within`]; the plan itself
/// is bounded by the impact's size, and the deadline is checked again after it.
pub fn evacuate_within(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    mut body: Json,
    budget: &Budget,
) -> Result<(Impact, EvacuationPlan), ServiceError> {
    let options = evacuation_options(&mut body)?;
    let (scenario, impact) = impact_within(atlas, &body, budget)?;
    let plan = evacuation::plan(
        atlas,
        &impact,
        graph,
        &options,
        scenario.period,
        &scenario.needs,
        scenario.days,
    )?;
    budget.deadline.check()?;
    Ok((impact, plan))
}

/// The same request with `keep_villages_whole`, when `plan` sends a village to more
/// than one shelter and the request did not already keep villages whole: a split
/// nobody can read out ("175 people to each of six shelters": which 175?), so a
/// village card offers this plan's one destination beside it, with its cost.
pub fn whole_village_alternative(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    body: &Json,
    plan: &EvacuationPlan,
    budget: &Budget,
) -> Result<Option<EvacuationPlan>, ServiceError> {
    let already_whole = body.get("keep_villages_whole") == Some(&Json::Bool(true));
    let mut shelters_of_unit: std::collections::HashMap<&str, usize> = Default::default();
    for a in &plan.assignments {
        *shelters_of_unit.entry(a.unit_id.as_str()).or_default() += 1;
    }
    if already_whole || shelters_of_unit.values().all(|&n| n < 2) {
        return Ok(None);
    }
    let mut whole = body.clone();
    if let Some(object) = whole.as_object_mut() {
        object.insert("keep_villages_whole".into(), Json::Bool(true));
    }
    evacuate_within(atlas, graph, whole, budget).map(|(_, plan)| Some(plan))
}

/// `POST /api/route`: one trip.
pub fn route(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    body: &RouteBody,
    budget: &Budget,
) -> Result<Route, ServiceError> {
    let point = |name: &str, v: &Option<Json>| -> Result<geo::Point<f64>, RequestError> {
        let v = v.as_ref().ok_or_else(|| {
            RequestError::Invalid(format!("{name} is missing: give it as [lon, lat]"))
        })?;
        let xy: [f64; 2] = serde_json::from_value(v.clone())
            .map_err(|_| RequestError::Invalid(format!("{name} {v} must be [lon, lat]")))?;
        requests::position(name, xy)
    };
    let overlay = match &body.scenario {
        None | Some(Json::Null) => None,
        Some(s) => {
            // Only the hazard areas matter to a route, not who they affect.
            let scenario = Scenario::parse(s, atlas).map_err(|e| e.at("scenario"))?;
            budget.admit(atlas, &scenario)?;
            Some(HazardOverlay::new(crate::analysis::hazards::resolve(
                atlas, &scenario,
            )))
        }
    };
    let request = RouteRequest {
        from: point("from", &body.from)?,
        to: point("to", &body.to)?,
        profile: ProfileSpec {
            profile: body.profile.clone(),
            speed_kmh: body.speed_kmh,
        }
        .resolve()?,
        overlay,
    };
    Ok(find_route(atlas, graph, &request)?)
}

/// `POST /api/coverage`: how far every unit is from shelter and rescue.
pub fn coverage(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    body: &CoverageBody,
) -> Result<Coverage, ServiceError> {
    let profile = ProfileSpec {
        profile: body.profile.clone(),
        speed_kmh: body.speed_kmh,
    }
    .resolve()?;
    // Residents walk to shelter; a rescue team comes in its vehicle unless told otherwise.
    let team_profile = ProfileSpec {
        profile: Some(body.team_profile.clone().unwrap_or_else(|| "drive".into())),
        speed_kmh: None,
    }
    .resolve()?;
    let thresholds = body
        .thresholds
        .clone()
        .unwrap_or_else(|| DEFAULT_THRESHOLDS.to_vec());
    if thresholds.is_empty()
        || thresholds.len() > MAX_THRESHOLDS
        || thresholds
            .iter()
            .any(|t| bounded("thresholds", *t, &THRESHOLD_MINUTES).is_err())
    {
        return Err(RequestError::Invalid(format!(
            "thresholds: give 1 to {MAX_THRESHOLDS} minute values from {} to {}",
            THRESHOLD_MINUTES.start(),
            THRESHOLD_MINUTES.end()
        ))
        .into());
    }
    let from = match &body.isochrones_from {
        None => IsochroneFrom::Shelters,
        Some(IsochronesFrom::Named(s)) if s == "shelters" => IsochroneFrom::Shelters,
        Some(IsochronesFrom::Point { lon, lat }) => IsochroneFrom::Point(
            requests::position("isochrones_from", [*lon, *lat])
                .map_err(|_| bad_isochrones_from())?,
        ),
        Some(IsochronesFrom::Named(_)) => return Err(bad_isochrones_from().into()),
    };
    let exposure = exposure_layer(atlas, body.exposure.as_deref())?;
    let graph =
        graph.map_err(|e| ServiceError::Unprocessable(format!("coverage needs roads: {e}")))?;
    Ok(cover(
        atlas,
        graph,
        exposure.as_str(),
        &profile,
        &team_profile,
        &thresholds,
        from,
    ))
}

fn bad_isochrones_from() -> RequestError {
    RequestError::Invalid("isochrones_from: \"shelters\" or {\"lon\": .., \"lat\": ..}".into())
}
