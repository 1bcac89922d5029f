//! `GET /cards/drill`: the card to run one candidate drill with. The candidate runs as
//! the ranking ran it — on its township's view, through the same
//! [`evacuate_within`] — so the card's plan is the ranked one; then the depots'
//! stock is assigned to the shelters it fills ([`crate::analysis::supply`]) and the
//! drill clock is laid over the plan ([`crate::analysis::drills::card`]).
//!
//! A candidate is named by its ranking `id` (`{township}/{kind}/{detail}`), with its
//! `scenario` as the ranking returned it; without a scenario, the id is looked up among
//! the township's candidates generated with the default options.

use super::super::ServiceError;
use super::super::analyses::evacuate_within;
use super::super::budget::Budget;
use super::super::error::RequestError;
use super::super::snapshot::Snapshot;
use super::super::within::take_within;
use super::{Township, townships};
use crate::analysis::Impact;
use crate::analysis::drills::card::{CardFacts, Timing, card_facts};
use crate::analysis::drills::metrics::{NAMES, in_words, last_drills, measure};
use crate::analysis::drills::{CandidateOptions, candidates_for};
use crate::analysis::evacuation::EvacuationPlan;
use crate::analysis::supply::{SupplyPlan, supply_plan};
use serde_json::Value as Json;

/// What a card is asked for.
#[derive(Debug, Default)]
pub struct CardRequest {
    /// The candidate's ranking id.
    pub id: Option<String>,
    /// Its scenario (an evacuation request body); looked up by `id` when absent.
    pub scenario: Option<Json>,
    /// Why it was chosen, as the ranking said; measured here when absent.
    pub why: Vec<String>,
    /// The drill clock.
    pub timing: Timing,
}

/// Everything a drill card shows.
pub struct DrillCard {
    /// The candidate's id, if named.
    pub id: Option<String>,
    /// What is rehearsed, in words.
    pub title: String,
    /// The township it runs in: (code, name); None for the whole view.
    pub township: Option<(String, String)>,
    /// Why this drill, in words.
    pub why: Vec<String>,
    /// The scenario run.
    pub scenario: Json,
    /// Who is affected.
    pub impact: Impact,
    /// Where they go.
    pub plan: EvacuationPlan,
    /// The clock, villages, shelters and facilities.
    pub facts: CardFacts,
    /// Which depot supplies which shelter.
    pub supply: SupplyPlan,
    /// The view the drill ran on (its township's): the impact's feature numbers are
    /// this atlas's.
    pub atlas: crate::atlas::Atlas,
}

/// The metrics a card's `why` names when the ranking's is not given.
const WHY_METRICS: [&str; 4] = ["people", "vulnerable", "unplaced", "clearance_minutes"];

/// The card of `request` on `snapshot` (the user's view).
pub fn drill_card(
    snapshot: &Snapshot,
    request: CardRequest,
    budget: &Budget,
    today: i64,
) -> Result<DrillCard, ServiceError> {
    request.timing.check().map_err(RequestError::Invalid)?;
    let town = township_of(snapshot, request.id.as_deref())?;
    let view = town.as_ref().map_or(snapshot, |t| &t.view);
    let (mut scenario, title) = scenario_of(&request, town.as_ref())?;
    // A ranked row's scenario is kept `within` its township: the view already is.
    let narrowed = take_within(view, &mut scenario)?;
    let view = narrowed.as_ref().unwrap_or(view);
    let (impact, plan) = evacuate_within(view, view.road_graph(), scenario.clone(), budget)?;
    // Depots serve the whole of the user's view, not only the drill's township.
    let supply = supply_plan(snapshot, view.road_graph(), &impact, &plan);
    let names: Vec<&str> = request
        .id
        .iter()
        .map(String::as_str)
        .chain([title.as_str()])
        .collect();
    let facts = card_facts(view, &impact, &plan, &names, request.timing);
    let why = if request.why.is_empty() {
        let metrics = measure(&last_drills(view), &impact, &plan, today);
        let values = metrics.values();
        NAMES
            .iter()
            .zip(values)
            .filter(|(n, v)| WHY_METRICS.contains(n) && *v > 0.0)
            .map(|(n, _)| in_words(n, &metrics))
            .collect()
    } else {
        request.why
    };
    let atlas = view.atlas.clone();
    Ok(DrillCard {
        id: request.id,
        title,
        township: town.map(|t| (t.code, t.name)),
        why,
        scenario,
        impact,
        plan,
        facts,
        supply,
        atlas,
    })
}

/// The township an id names (`{township}/…`), when there is one the user can see.
fn township_of(snapshot: &Snapshot, id: Option<&str>) -> Result<Option<Township>, ServiceError> {
    let Some((code, _)) = id.and_then(|id| id.split_once('/')) else {
        return Ok(None);
    };
    if code.is_empty() {
        return Ok(None);
    }
    let mut found = townships(snapshot, Some(&[code.to_string()]));
    match found.pop() {
        Some(t) => Ok(Some(t)),
        None => Err(RequestError::Invalid(format!(
            "id {:?} names township {code:?}, which is not a township you can see",
            id.unwrap_or_default()
        ))
        .into()),
    }
}

/// The scenario to run and its title: the one given, or the candidate the id names
/// (whose title the card uses either way).
fn scenario_of(
    request: &CardRequest,
    town: Option<&Township>,
) -> Result<(Json, String), ServiceError> {
    let id = request.id.as_deref();
    let candidate = match (id, town) {
        (Some(id), Some(t)) => candidates_for(&t.view, &t.code, &CandidateOptions::default())
            .into_iter()
            .find(|c| c.id == id),
        _ => None,
    };
    let invalid = |m: String| -> ServiceError { RequestError::Invalid(m).into() };
    match (&request.scenario, candidate) {
        (Some(scenario), _) if !scenario.is_object() => Err(invalid(
            "request must be a JSON object: the candidate's scenario, as POST /api/evacuation takes it".into(),
        )),
        (Some(scenario), candidate) => {
            let title = candidate.map(|c| c.title).or(id.map(str::to_string));
            Ok((scenario.clone(), title.unwrap_or_else(|| "drill 演练".into())))
        }
        (None, Some(c)) => Ok((c.scenario, c.title)),
        (None, None) => Err(invalid(match id {
            None => "give id (a ranked drill's id) or request (its scenario), or both".into(),
            Some(id) => format!(
                "no candidate {id:?} among the township's default candidates: give request, the candidate's scenario as the ranking returned it"
            ),
        })),
    }
}
