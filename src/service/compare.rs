//! `POST /api/compare` and `riskatlas compare`: one evacuation request against another,
//! or one request on two versions of the data, and the difference between them
//! ([`crate::analysis::compare`]). The request takes one of two forms:
//!
//! - `{"a": .., "b": ..}`: two evacuation requests on the user's view of the current
//!   atlas (a 20-year flood against a 50-year one);
//! - `{"scenario": .., "edits": [..]}`: one request on the current view (a) and on the
//!   view as the what-if edits would leave it (b; see [`super::whatif`]), a shelter
//!   closed or a settlement added before anyone edits the data.
//!
//! The command line compares one request on two data folders with [`run_sides`].
//!
//! Each side is exactly the body `POST /api/evacuation` takes, run through the same
//! [`evacuate_within`], so a comparison's totals are those of two separate evacuation
//! calls and nothing can drift between the two routes. The two sides run on two
//! threads under the request's one budget: they are independent, and a designer
//! comparing two rows waits for the slower, not for the sum.

use super::ServiceError;
use super::analyses::evacuate_within;
use super::budget::Budget;
use super::error::RequestError;
use super::snapshot::Snapshot;
use super::state::View;
use super::whatif::{self, WhatIfEdit};
use super::within::take_within;
use crate::analysis::compare::{Comparison, Sides, compare as diff};
use crate::analysis::{Impact, evacuation::EvacuationPlan};
use serde_json::Value as Json;

/// One side's result: its impact and plan.
pub type Run = (Impact, EvacuationPlan);

/// What a compare request asks.
#[derive(Debug)]
pub enum Form {
    /// Two evacuation requests on the current atlas.
    Scenarios {
        /// Side a's request.
        a: Json,
        /// Side b's request.
        b: Json,
    },
    /// One evacuation request on the current atlas and after what-if edits.
    WhatIf {
        /// The request both sides run.
        scenario: Json,
        /// The edits side b's atlas has.
        edits: Vec<WhatIfEdit>,
    },
}

/// The members of each form.
const SCENARIOS: [&str; 2] = ["a", "b"];
const WHAT_IF: [&str; 2] = ["scenario", "edits"];

impl Form {
    /// Reads a compare request: one form or the other, never a mix.
    pub fn parse(body: Json) -> Result<Form, RequestError> {
        let Json::Object(mut obj) = body else {
            return Err(RequestError::Invalid(
                "the request must be a JSON object: {\"a\": <evacuation request>, \"b\": <evacuation request>}, or {\"scenario\": <evacuation request>, \"edits\": [..]}".into(),
            ));
        };
        if let Some(other) = obj
            .keys()
            .find(|k| !SCENARIOS.contains(&k.as_str()) && !WHAT_IF.contains(&k.as_str()))
        {
            return Err(RequestError::Invalid(format!(
                "unknown field {other:?}: a comparison has a and b, or scenario and edits"
            )));
        }
        if obj.is_empty() {
            return Err(RequestError::Invalid(
                "the request is empty: give two scenarios {\"a\": {..}, \"b\": {..}}, or one scenario and what-if edits {\"scenario\": {..}, \"edits\": [..]}".into(),
            ));
        }
        let has = |keys: [&str; 2]| keys.iter().any(|k| obj.contains_key(*k));
        if has(SCENARIOS) && has(WHAT_IF) {
            let found: Vec<&str> = obj.keys().map(String::as_str).collect();
            return Err(RequestError::Invalid(format!(
                "a comparison is either two scenarios {{a, b}} or one scenario before and after edits {{scenario, edits}}, not both: this one has {}",
                found.join(" and ")
            )));
        }
        if has(WHAT_IF) {
            let scenario = request(
                &mut obj,
                "scenario",
                "{\"scenario\": {..}, \"edits\": [..]}",
            )?;
            let edits = obj.remove("edits").ok_or_else(|| {
                RequestError::Invalid(
                    "edits is missing: give the what-if edits as {\"scenario\": {..}, \"edits\": [..]}".into(),
                )
            })?;
            let edits = whatif::parse(edits)?;
            return Ok(Form::WhatIf { scenario, edits });
        }
        let shape = "{\"a\": {..}, \"b\": {..}}";
        let a = request(&mut obj, "a", shape)?;
        let b = request(&mut obj, "b", shape)?;
        Ok(Form::Scenarios { a, b })
    }
}

/// Takes the evacuation request `name` out of a compare request.
fn request(
    obj: &mut serde_json::Map<String, Json>,
    name: &str,
    shape: &str,
) -> Result<Json, RequestError> {
    match obj.remove(name) {
        None => Err(RequestError::Invalid(format!(
            "{name} is missing: give the evacuation requests as {shape}"
        ))),
        Some(v @ Json::Object(_)) => Ok(v),
        Some(_) => Err(RequestError::Invalid(format!(
            "{name} must be an object: an evacuation request (a scenario and its options)"
        ))),
    }
}

/// One side of a comparison: the name its errors carry, the atlas it runs on, and
/// the evacuation request it runs.
pub struct Side<'a> {
    /// Prefixed to its errors (`a: ...`).
    pub name: &'a str,
    /// The atlas version, with its road graph.
    pub snapshot: &'a Snapshot,
    /// The evacuation request.
    pub request: Json,
}

impl<'a> Side<'a> {
    /// The side `name`, running `request` on `snapshot`.
    pub fn new(name: &'a str, snapshot: &'a Snapshot, request: Json) -> Side<'a> {
        Side {
            name,
            snapshot,
            request,
        }
    }
}

/// A comparison, and the atlas each side ran on when it is not the user's view (a
/// side's `within`, what-if edits), which a diff layer draws the units from.
pub struct Compared {
    /// The difference between the sides.
    pub comparison: Comparison,
    /// Side a's atlas, when its request was kept `within` some units.
    pub a: Option<Snapshot>,
    /// Side b's atlas, after what-if edits or kept `within` some units.
    pub edited: Option<Snapshot>,
}

/// Runs a compare request on `view`, the user's view of `whole`: what-if edits are
/// checked and applied on the whole atlas, as real edits are, then viewed alike.
pub fn compare(
    view: &View,
    whole: &Snapshot,
    body: Json,
    budget: &Budget,
) -> Result<Compared, ServiceError> {
    match Form::parse(body)? {
        Form::Scenarios { mut a, mut b } => {
            let current = &view.snapshot;
            let in_a = take_within(current, &mut a).map_err(|e| within_side("a", e))?;
            let in_b = take_within(current, &mut b).map_err(|e| within_side("b", e))?;
            let (comparison, _, _) = run_sides(
                Side::new("a", in_a.as_ref().unwrap_or(current), a),
                Side::new("b", in_b.as_ref().unwrap_or(current), b),
                Sides::new("current", "current"),
                budget,
            )?;
            Ok(Compared {
                comparison,
                a: in_a,
                edited: in_b,
            })
        }
        Form::WhatIf { scenario, edits } => what_if(view, whole, scenario, edits, budget),
    }
}

/// One scenario on the user's view and on the view after `edits`.
fn what_if(
    view: &View,
    whole: &Snapshot,
    scenario: Json,
    edits: Vec<WhatIfEdit>,
    budget: &Budget,
) -> Result<Compared, ServiceError> {
    let mut scenario = scenario;
    let versions = Sides::new("current", &with_edits(edits.len()));
    let within = scenario.get(super::within::WITHIN).cloned();
    let in_a =
        take_within(&view.snapshot, &mut scenario).map_err(|e| within_side("scenario", e))?;
    let mut edited = whatif::view_after(whole, &view.jurisdiction, edits, &budget.deadline)?;
    // The same units after the edits.
    if let Some(within) = within {
        let mut keyed = serde_json::json!({ super::within::WITHIN: within });
        if let Some(cut) =
            take_within(&edited, &mut keyed).map_err(|e| within_side("scenario", e))?
        {
            edited = cut;
        }
    }
    let (comparison, _, _) = run_sides(
        Side::new(
            "scenario",
            in_a.as_ref().unwrap_or(&view.snapshot),
            scenario.clone(),
        ),
        Side::new("scenario after the edits", &edited, scenario),
        versions,
        budget,
    )?;
    Ok(Compared {
        comparison,
        a: in_a,
        edited: Some(edited),
    })
}

/// A side's bad `within`, named by the side.
fn within_side(side: &str, e: RequestError) -> ServiceError {
    RequestError::Invalid(format!("{side}: {e}")).into()
}

/// How side b of a what-if is named: "current with 3 edits".
fn with_edits(n: usize) -> String {
    match n {
        0 => "current with no edits".into(),
        1 => "current with 1 edit".into(),
        n => format!("current with {n} edits"),
    }
}

/// Runs both sides, each on its own atlas, and compares them; returns the runs too.
pub fn run_sides(
    a: Side<'_>,
    b: Side<'_>,
    versions: Sides<String>,
    budget: &Budget,
) -> Result<(Comparison, Run, Run), ServiceError> {
    let run = |side: Side<'_>| {
        let graph = side.snapshot.road_graph();
        evacuate_within(side.snapshot, graph, side.request, budget)
            .map_err(|e| within(side.name, e))
    };
    let (a, b) = std::thread::scope(|s| {
        let b = s.spawn(|| run(b));
        let a = run(a);
        (a, b.join())
    });
    let a = a?;
    let b = b.map_err(|_| ServiceError::Internal(anyhow::anyhow!("side b panicked")))??;
    let comparison = diff((&a.0, &a.1), (&b.0, &b.1), versions);
    Ok((comparison, a, b))
}

/// The same failure, its message prefixed with the side it came from and its kind
/// (and so its status) kept.
fn within(side: &str, e: ServiceError) -> ServiceError {
    let invalid = |m: String| ServiceError::Request(RequestError::Invalid(format!("{side}: {m}")));
    match e {
        ServiceError::Scenario(s) => ServiceError::Scenario(s.at(side)),
        ServiceError::Request(r) => invalid(r.to_string()),
        ServiceError::Evacuation(r) => invalid(r.to_string()),
        ServiceError::Route(r) => invalid(r.to_string()),
        ServiceError::Unprocessable(m) => ServiceError::Unprocessable(format!("{side}: {m}")),
        ServiceError::OverBudget(m) => ServiceError::OverBudget(format!("{side}: {m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(body: Json) -> String {
        Form::parse(body).expect_err("refused").to_string()
    }

    #[test]
    fn a_body_without_b_is_refused_naming_b() {
        assert!(refused(json!({"a": {}})).starts_with("b is missing"));
        assert!(refused(json!({"b": {}})).starts_with("a is missing"));
    }

    #[test]
    fn sides_that_are_not_objects_are_refused_by_name() {
        assert!(refused(json!({"a": [], "b": {}})).starts_with("a must be an object"));
        assert!(refused(json!({"a": {}, "b": 3})).starts_with("b must be an object"));
        assert!(refused(json!([1])).starts_with("the request must be a JSON object"));
        assert!(refused(json!({"a": {}, "b": {}, "c": {}})).contains("\"c\""));
        assert!(refused(json!({})).starts_with("the request is empty"));
    }

    #[test]
    fn the_two_forms_mixed_are_refused_naming_both() {
        let said = refused(json!({"a": {}, "b": {}, "edits": []}));
        assert!(
            said.contains("not both: this one has a and b and edits"),
            "{said}"
        );
        let said = refused(json!({"scenario": {}, "b": {}}));
        assert!(
            said.contains("not both: this one has b and scenario"),
            "{said}"
        );
    }

    #[test]
    fn a_what_if_needs_its_scenario_and_its_edits() {
        assert!(refused(json!({"edits": []})).starts_with("scenario is missing"));
        assert!(refused(json!({"scenario": {}})).starts_with("edits is missing"));
        assert!(
            refused(json!({"scenario": 1, "edits": []})).starts_with("scenario must be an object")
        );
        let form = Form::parse(json!({"scenario": {"hazards": []}, "edits": [
            {"layer": "shelters", "op": "delete", "id": "3"}
        ]}))
        .expect("a what-if");
        assert!(matches!(form, Form::WhatIf { edits, .. } if edits.len() == 1));
    }
}
