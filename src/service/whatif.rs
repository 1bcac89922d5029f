//! What-if edits: the atlas as a list of edits would leave it, built for one comparison
//! and dropped with it. A planner asks "what if this shelter closes, what if this new
//! settlement is counted" before anyone changes the data, so nothing is logged, saved
//! or installed, and no one else sees it.
//!
//! An edit here is one the feature routes would make, checked and applied by the same
//! code, so a what-if accepts exactly what a real edit would:
//!
//! 1. **read** each `{"layer", "op", "id", "feature"}` into the [`Request`] the routes
//!    build (`insert` is the POST body, `update` the PATCH body, `delete` the DELETE),
//!    at most [`MAX_EDITS`];
//! 2. **check** it against the user's jurisdiction ([`Jurisdiction::check_edit`], as
//!    the edit routes do) and **prepare** it ([`crate::edits::prepare`], the same
//!    validation), on the whole atlas as the edits before it left it — so a later edit
//!    may change a feature an earlier one inserted;
//! 3. **apply** it ([`crate::edits::Prepared::layer`]: its one layer rebuilt);
//! 4. **view**: the user's scope resolved again on the result and the view cut, as the
//!    next request after real edits would see it; a snapshot of it keeps the road graph
//!    unless an edit touched a road layer.
//!
//! A failure names its edit, `edits[2]: ...`. A feature outside the jurisdiction reads
//! as absent, as on the feature routes; since the feature is named in a body, not a
//! path, both are 400, and a geometry put outside the jurisdiction stays 403.

use super::error::{RequestError, ServiceError};
use super::scope::Jurisdiction;
use super::snapshot::Snapshot;
use crate::analysis::budget::Deadline;
use crate::atlas::{Atlas, Kind};
use crate::edits::{Request, prepare};
use serde_json::Value as Json;

/// The most edits one comparison applies. Each rebuilds its layer and R-tree, as a real
/// edit does: in a debug build 200 edits of the demo's shelters take 0.2 s, while one
/// edit of a 100,000-unit population layer takes half a second, so many edits of a
/// layer that size meet the request's time limit, which is checked between edits.
pub const MAX_EDITS: usize = 200;

/// The members an edit may have.
const MEMBERS: [&str; 4] = ["layer", "op", "id", "feature"];

/// One what-if edit: the layer and the request the feature routes would make of it.
#[derive(Debug, Clone)]
pub struct WhatIfEdit {
    /// The layer edited.
    pub layer: String,
    /// Insert, patch or delete, with its body.
    pub request: Request,
}

/// Reads a request's `edits`: an array of at most [`MAX_EDITS`] edits.
pub fn parse(edits: Json) -> Result<Vec<WhatIfEdit>, RequestError> {
    let Json::Array(list) = edits else {
        return Err(RequestError::Invalid(
            "edits must be an array of edits, each {\"layer\", \"op\", \"id\", \"feature\"}".into(),
        ));
    };
    if list.len() > MAX_EDITS {
        return Err(RequestError::Invalid(format!(
            "edits: {} edits, over the limit of {MAX_EDITS} in one comparison; compare fewer at once",
            list.len()
        )));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, edit)| {
            parse_one(edit).map_err(|m| RequestError::Invalid(format!("edits[{i}]: {m}")))
        })
        .collect()
}

/// One edit, or what is wrong with it (without its index).
fn parse_one(edit: Json) -> Result<WhatIfEdit, String> {
    let Json::Object(mut obj) = edit else {
        return Err("an edit must be an object {\"layer\", \"op\", \"id\", \"feature\"}".into());
    };
    if let Some(key) = obj.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field {key:?}: an edit has layer, op, id and feature"
        ));
    }
    let layer = match obj.remove("layer") {
        Some(Json::String(s)) => s,
        None => return Err("layer is missing: the id of the layer edited".into()),
        Some(other) => return Err(format!("layer must be a layer id (a string), not {other}")),
    };
    let op = match obj.remove("op") {
        Some(Json::String(s)) => s,
        None => return Err("op is missing: insert, update or delete".into()),
        Some(other) => return Err(format!("op must be insert, update or delete, not {other}")),
    };
    let id = obj.remove("id").map(|v| feature_id(&v)).transpose()?;
    let feature = match obj.remove("feature") {
        None | Some(Json::Null) => None,
        Some(f @ Json::Object(_)) => Some(f),
        Some(_) => return Err("feature must be a GeoJSON Feature object".into()),
    };
    let request = request(&op, id, feature)?;
    Ok(WhatIfEdit { layer, request })
}

/// The request an edit stands for, as the feature routes build it.
fn request(op: &str, id: Option<String>, feature: Option<Json>) -> Result<Request, String> {
    match (op, id, feature) {
        ("insert", id, Some(body)) => Ok(Request::Insert {
            body: with_id(body, id)?,
            key: None,
        }),
        ("insert", _, None) => Err("an insert needs a feature (a GeoJSON Feature)".into()),
        ("update", Some(id), Some(body)) => Ok(Request::Patch { id, body }),
        ("update", None, _) => Err("an update needs the id of the feature it changes".into()),
        ("update", Some(_), None) => Err(
            "an update needs a feature: a GeoJSON Feature with the geometry and/or properties that change"
                .into(),
        ),
        ("delete", Some(id), None) => Ok(Request::Delete { id }),
        ("delete", None, _) => Err("a delete needs the id of the feature it removes".into()),
        ("delete", Some(_), Some(_)) => Err("a delete takes no feature, only its id".into()),
        (other, _, _) => Err(format!("op {other:?} is not insert, update or delete")),
    }
}

/// A feature id as the routes take it: a non-empty string, or a number as its text.
fn feature_id(v: &Json) -> Result<String, String> {
    match v {
        Json::String(s) if !s.is_empty() => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "id must be a non-empty string or a number, not {other}"
        )),
    }
}

/// An insert's feature with the edit's `id`, which must agree with the feature's own.
fn with_id(mut feature: Json, id: Option<String>) -> Result<Json, String> {
    let Some(id) = id else {
        return Ok(feature);
    };
    match feature.get("id").filter(|v| !v.is_null()) {
        Some(own) if feature_id(own).as_ref() != Ok(&id) => {
            Err(format!("id {id:?} and the feature's id {own} differ"))
        }
        _ => {
            feature["id"] = Json::String(id);
            Ok(feature)
        }
    }
}

/// The whole atlas after the edits, and whether any touched a road layer.
struct Edited {
    atlas: Atlas,
    touches_roads: bool,
}

/// Checks, prepares and applies each edit in turn on `whole` (see the module doc).
fn apply(
    whole: &Atlas,
    jurisdiction: &Jurisdiction,
    edits: Vec<WhatIfEdit>,
    deadline: &Deadline,
) -> Result<Edited, ServiceError> {
    let mut atlas = whole.clone();
    let mut touches_roads = false;
    // Resolved again after an admin edit, as the next real edit would be.
    let mut moved: Option<Jurisdiction> = None;
    for (i, edit) in edits.into_iter().enumerate() {
        deadline.check()?;
        let scope = moved.as_ref().unwrap_or(jurisdiction);
        scope
            .check_edit(&atlas, &edit.layer, &edit.request)
            .map_err(|e| at(i, e))?;
        let prepared = prepare(&atlas, &edit.layer, edit.request).map_err(|e| at(i, e.into()))?;
        let layer = prepared.layer(&atlas);
        let kind = layer.kind;
        atlas = atlas.with_layer(layer);
        touches_roads |= kind == Kind::Road;
        if kind == Kind::Admin {
            moved = Some(jurisdiction.again(&atlas));
        }
    }
    Ok(Edited {
        atlas,
        touches_roads,
    })
}

/// An edit's failure, named by its index (see the module doc for the statuses).
fn at(i: usize, e: ServiceError) -> ServiceError {
    let named = |m: String| format!("edits[{i}]: {m}");
    match e {
        ServiceError::Forbidden(m) => ServiceError::Forbidden(named(m)),
        ServiceError::NotFound(m) => RequestError::Invalid(named(m)).into(),
        ServiceError::Edit(e) => RequestError::Invalid(named(e.to_string())).into(),
        other => other,
    }
}

/// What the user would see after `edits`: their view of `whole` with the edits
/// applied, as a snapshot whose road graph is `whole`'s unless a road layer changed.
pub fn view_after(
    whole: &Snapshot,
    jurisdiction: &Jurisdiction,
    edits: Vec<WhatIfEdit>,
    deadline: &Deadline,
) -> Result<Snapshot, ServiceError> {
    let edited = apply(&whole.atlas, jurisdiction, edits, deadline)?;
    let view = jurisdiction.again(&edited.atlas).view(&edited.atlas);
    Ok(whole.after_edit(view, edited.touches_roads))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refused(edits: Json) -> String {
        parse(edits).expect_err("refused").to_string()
    }

    #[test]
    fn each_op_becomes_the_request_its_route_makes() {
        let feature = json!({"type": "Feature", "geometry": null, "properties": {"capacity": 0}});
        let edits = parse(json!([
            {"layer": "shelters", "op": "insert", "id": 7, "feature": feature},
            {"layer": "shelters", "op": "update", "id": "7", "feature": feature},
            {"layer": "shelters", "op": "delete", "id": "7"},
        ]))
        .expect("three good edits");
        assert!(
            matches!(&edits[0].request, Request::Insert { body, key: None } if body["id"] == "7")
        );
        assert!(matches!(&edits[1].request, Request::Patch { id, .. } if id == "7"));
        assert!(matches!(&edits[2].request, Request::Delete { id } if id == "7"));
        assert!(edits.iter().all(|e| e.layer == "shelters"));
    }

    #[test]
    fn a_bad_edit_is_refused_naming_its_index() {
        let ok = json!({"layer": "shelters", "op": "delete", "id": "1"});
        let cases = [
            (
                json!({"layer": "s", "op": "upsert", "id": "1"}),
                "op \"upsert\"",
            ),
            (
                json!({"layer": "s", "op": "delete"}),
                "a delete needs the id",
            ),
            (
                json!({"layer": "s", "op": "update", "id": "1"}),
                "an update needs a feature",
            ),
            (
                json!({"layer": "s", "op": "insert"}),
                "an insert needs a feature",
            ),
            (json!({"op": "delete", "id": "1"}), "layer is missing"),
            (
                json!({"layer": "s", "op": "delete", "id": "1", "x": 1}),
                "unknown field \"x\"",
            ),
            (
                json!({"layer": "s", "op": "delete", "id": ""}),
                "id must be",
            ),
            (
                json!({"layer": "s", "op": "delete", "id": "1", "feature": {}}),
                "a delete takes no feature",
            ),
            (json!(["delete"]), "an edit must be an object"),
        ];
        for (bad, message) in cases {
            let said = refused(json!([ok, bad]));
            assert!(said.starts_with(&format!("edits[1]: {message}")), "{said}");
        }
    }

    #[test]
    fn an_insert_whose_two_ids_differ_is_refused() {
        let feature = json!({"type": "Feature", "id": "a", "geometry": null});
        let said = refused(json!([{"layer": "s", "op": "insert", "id": "b", "feature": feature}]));
        assert!(
            said.starts_with("edits[0]: id \"b\" and the feature's id"),
            "{said}"
        );
    }

    #[test]
    fn more_edits_than_the_cap_are_refused_before_any_is_read() {
        let many = vec![json!("not even an edit"); MAX_EDITS + 1];
        let said = refused(Json::Array(many));
        assert!(
            said.starts_with("edits: 201 edits, over the limit of 200"),
            "{said}"
        );
        assert!(refused(json!({"layer": "s"})).starts_with("edits must be an array"));
    }
}
