//! `POST /api/compare`: two evacuation requests run on the same atlas view, and the
//! difference between them ([`crate::analysis::compare`]).
//!
//! Each side is exactly the body `POST /api/evacuation` takes, run through the same
//! [`evacuate_within`], so a comparison's totals are those of two separate evacuation
//! calls and nothing can drift between the two routes. The two sides run on two
//! threads under the request's one budget: they are independent, and a designer
//! comparing two rows waits for the slower, not for the sum.
//!
//! Comparing one scenario on two data versions (two folders, before and after edits)
//! is not built: a request reads one snapshot.

use super::ServiceError;
use super::analyses::evacuate_within;
use super::budget::Budget;
use super::error::RequestError;
use crate::analysis::compare::{Comparison, compare as diff};
use crate::analysis::{Impact, evacuation::EvacuationPlan};
use crate::atlas::Atlas;
use crate::routing::{GraphError, RoadGraph};
use serde_json::Value as Json;

/// The two sides of a comparison, named as the request names them.
const SIDES: [&str; 2] = ["a", "b"];

/// One side's result: its impact and plan.
pub type Run = (Impact, EvacuationPlan);

/// Takes `a` and `b` out of a compare request, each an evacuation request object.
pub fn sides(body: Json) -> Result<(Json, Json), RequestError> {
    let Json::Object(mut obj) = body else {
        return Err(RequestError::Invalid(
            "the request must be a JSON object {\"a\": <evacuation request>, \"b\": <evacuation request>}".into(),
        ));
    };
    let mut take = |side: &str| match obj.remove(side) {
        None => Err(RequestError::Invalid(format!(
            "{side} is missing: give two evacuation requests as {{\"a\": {{..}}, \"b\": {{..}}}}"
        ))),
        Some(v @ Json::Object(_)) => Ok(v),
        Some(_) => Err(RequestError::Invalid(format!(
            "{side} must be an object: an evacuation request (a scenario and its options)"
        ))),
    };
    let (a, b) = (take("a")?, take("b")?);
    if let Some(other) = obj.keys().next() {
        return Err(RequestError::Invalid(format!(
            "unknown field {other:?}: a comparison has only a and b"
        )));
    }
    Ok((a, b))
}

/// Runs both sides and compares them; returns the runs too, for the map.
pub fn compare(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    body: Json,
    budget: &Budget,
) -> Result<(Comparison, Run, Run), ServiceError> {
    let (a, b) = sides(body)?;
    let run = |side: &str, body: Json| {
        evacuate_within(atlas, graph, body, budget).map_err(|e| within(side, e))
    };
    let (a, b) = std::thread::scope(|s| {
        let b = s.spawn(|| run(SIDES[1], b));
        let a = run(SIDES[0], a);
        (a, b.join())
    });
    let a = a?;
    let b = b.map_err(|_| ServiceError::Internal(anyhow::anyhow!("scenario b panicked")))??;
    let comparison = diff((&a.0, &a.1), (&b.0, &b.1));
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
        sides(body).expect_err("refused").to_string()
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
    }
}
