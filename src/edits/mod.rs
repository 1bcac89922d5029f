//! Edits of the data that changes every day: a shelter closes, a landslide point is
//! found, capacities are recounted.
//!
//! An edit names a feature by its stable id (the source's id, or for features loaded
//! without one, their position at load as text), never by its current position, which a
//! deletion shifts. Each accepted edit becomes an [`EditRecord`] holding the whole
//! feature before and after (who, when, what), appended to the [`log::EditLog`] and made
//! durable before the edit is acknowledged; the log is the audit trail.
//!
//! Records are state-based ("feature X is now F", "feature X is gone"), so replaying
//! the log over layer files that already hold some of its edits ends in the same state:
//! replay is idempotent, which makes recovery after a crash at any moment safe.
//!
//! Applying an edit rebuilds the one layer it touches (validation of the new feature,
//! then a fresh R-tree by `bulk_load`): simple and exact, and cheap next to a person
//! typing; other layers are shared with the previous atlas.
//!
//! An edited feature goes through the validation a layer file's features do (the same
//! bounds, the same admin-code uniqueness, the same polygon repair). A polygon the
//! validator repaired is stored repaired, and the record's `after` says what was done in
//! a `repairs` member (a GeoJSON foreign member, which replay ignores).

pub mod compact;
pub mod log;

/// The edit log's file name inside a data folder.
pub const LOG_FILE: &str = "edits.log";

use crate::atlas::{Atlas, Feature, Layer};
use crate::import::geometry::to_geo;
use crate::import::unique::unique_in_layer;
use crate::import::validate::{Validated, validate_for_layer};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::HashMap;

/// What an edit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// A new feature.
    Insert,
    /// A feature changed.
    Update,
    /// A feature removed.
    Delete,
}

/// One accepted edit, as logged: who, when, and the feature before and after (GeoJSON
/// Features with canonical property names; `None` for "did not exist" / "deleted").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditRecord {
    /// Its place in the log: 1, 2, …, never reused, even after a compaction.
    pub seq: u64,
    /// RFC 3339, UTC.
    pub at: String,
    /// Who made it: the identity the request proved (`local` on a loopback server without users).
    pub who: String,
    /// The edited layer's id.
    pub layer: String,
    /// What was done.
    pub op: Op,
    /// The feature's stable id.
    pub id: String,
    /// The feature before the edit; None for an insert.
    pub before: Option<Json>,
    /// The feature after the edit; None for a delete.
    pub after: Option<Json>,
}

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The atlas has no layer of this id.
    #[error("no layer {0:?}")]
    UnknownLayer(String),
    /// No feature of the layer has this id.
    #[error("layer {layer:?} has no feature with id {id:?}")]
    NotFound {
        /// The layer's id.
        layer: String,
        /// The feature id asked for.
        id: String,
    },
    /// An insert gave an id a feature of the layer already has.
    #[error("layer {layer:?} already has a feature with id {id:?}")]
    Exists {
        /// The layer's id.
        layer: String,
        /// The repeated id.
        id: String,
    },
    /// The feature breaks the data contract; the validator's reason.
    #[error("{0}")]
    Invalid(String),
}

/// The stored form of a feature: a GeoJSON Feature with its stable id and non-null
/// attributes under their field names (the form `GET .../features/{feature id}` serves).
pub fn feature_json(layer: &Layer, feature: &Feature) -> Json {
    layer.to_geojson(feature)
}

/// Reads a GeoJSON Feature (or bare `{geometry, properties}`) from an edit body.
fn parse_feature(layer: &Layer, id: &str, body: &Json) -> Result<Validated, EditError> {
    let invalid = |m: String| EditError::Invalid(m);
    let obj = body
        .as_object()
        .ok_or_else(|| invalid("the body must be a GeoJSON Feature object".into()))?;
    let geometry = obj
        .get("geometry")
        .filter(|g| !g.is_null())
        .ok_or_else(|| invalid("the feature has no geometry".into()))?;
    let geometry: geojson::Geometry =
        serde_json::from_value(geometry.clone()).map_err(|e| invalid(format!("geometry: {e}")))?;
    let geometry = to_geo(&geometry.value).map_err(|e| invalid(format!("geometry: {e}")))?;
    let props = match obj.get("properties") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(_) => return Err(invalid("properties must be an object".into())),
    };
    validate_for_layer(layer, id, geometry, props).map_err(EditError::Invalid)
}

/// A requested edit, before it is checked.
#[derive(Debug, Clone)]
pub enum Request {
    /// A new feature; `id` is generated when the body has none.
    Insert {
        /// The GeoJSON Feature.
        body: Json,
    },
    /// Geometry and/or properties merged into the feature (`null` removes a property).
    Patch {
        /// The feature's stable id.
        id: String,
        /// A GeoJSON Feature with what changes.
        body: Json,
    },
    /// The feature removed.
    Delete {
        /// The feature's stable id.
        id: String,
    },
}

/// A checked edit: the record to log (with `seq`, `at` and `who` still to fill) and the
/// validated feature it puts in place.
#[derive(Debug)]
pub struct Prepared {
    /// What the log will say.
    pub record: EditRecord,
    after: Option<Feature>,
}

impl Prepared {
    /// The edited layer, for a server that applies the edit itself (one R-tree rebuild;
    /// the PostGIS path skips it and replays the committed record instead).
    pub fn layer(&self, atlas: &Atlas) -> Layer {
        let layer = atlas
            .layer(&self.record.layer)
            .expect("prepared against this atlas");
        rebuilt(layer, [(self.record.id.clone(), self.after.clone())])
    }
}

/// Checks a request against the current atlas.
pub fn prepare(atlas: &Atlas, layer_id: &str, request: Request) -> Result<Prepared, EditError> {
    let layer = atlas
        .layer(layer_id)
        .ok_or_else(|| EditError::UnknownLayer(layer_id.to_string()))?;
    let position = |id: &str| layer.fid_of(id).map(|fid| fid as usize);
    let not_found = |id: &str| EditError::NotFound {
        layer: layer_id.to_string(),
        id: id.to_string(),
    };
    let (op, id, before, after) = match request {
        Request::Insert { body } => {
            let id = match body.get("id") {
                Some(Json::String(s)) if !s.is_empty() => s.clone(),
                Some(Json::Number(n)) => n.to_string(),
                None | Some(Json::Null) => fresh_id(layer),
                Some(other) => {
                    return Err(EditError::Invalid(format!(
                        "id must be a string or a number, not {other}"
                    )));
                }
            };
            if position(&id).is_some() {
                return Err(EditError::Exists {
                    layer: layer_id.to_string(),
                    id,
                });
            }
            let feature = parse_feature(layer, &id, &body)?;
            (Op::Insert, id, None, Some(feature))
        }
        Request::Patch { id, body } => {
            let at = position(&id).ok_or_else(|| not_found(&id))?;
            let old = feature_json(layer, &layer.features()[at]);
            let merged = merge(&old, &body)?;
            let feature = parse_feature(layer, &id, &merged)?;
            (Op::Update, id, Some(old), Some(feature))
        }
        Request::Delete { id } => {
            let at = position(&id).ok_or_else(|| not_found(&id))?;
            let old = feature_json(layer, &layer.features()[at]);
            (Op::Delete, id, Some(old), None)
        }
    };
    if let Some(v) = &after {
        unique_in_layer(layer, &v.feature).map_err(|e| EditError::Invalid(e.to_string()))?;
    }
    let after_json = after.as_ref().map(|v| {
        let mut json = feature_json(layer, &v.feature);
        if !v.repairs.is_empty() {
            json["repairs"] = v.repairs.clone().into();
        }
        json
    });
    let after = after.map(|v| v.feature);
    let record = EditRecord {
        seq: 0,
        at: String::new(),
        who: String::new(),
        layer: layer_id.to_string(),
        op,
        id: id.clone(),
        before,
        after: after_json,
    };
    Ok(Prepared { record, after })
}

/// `old` with a patch body's geometry and properties merged in.
fn merge(old: &Json, patch: &Json) -> Result<Json, EditError> {
    let patch = patch
        .as_object()
        .ok_or_else(|| EditError::Invalid("the body must be a JSON object".into()))?;
    if let Some(key) = patch
        .keys()
        .find(|k| !matches!(k.as_str(), "type" | "id" | "geometry" | "properties"))
    {
        return Err(EditError::Invalid(format!(
            "unexpected member {key:?}: a patch holds geometry and/or properties"
        )));
    }
    let mut merged = old.clone();
    if let Some(g) = patch.get("geometry") {
        merged["geometry"] = g.clone();
    }
    match patch.get("properties") {
        None => {}
        Some(Json::Object(props)) => {
            let target = merged["properties"]
                .as_object_mut()
                .expect("stored features have a properties object");
            for (k, v) in props {
                if v.is_null() {
                    target.remove(k);
                } else {
                    target.insert(k.clone(), v.clone());
                }
            }
        }
        Some(_) => return Err(EditError::Invalid("properties must be an object".into())),
    }
    Ok(merged)
}

/// An id not yet used in the layer: `new-1`, `new-2`, …
fn fresh_id(layer: &Layer) -> String {
    (1..)
        .map(|i| format!("new-{i}"))
        .find(|id| layer.fid_of(id).is_none())
        .expect("some id is free")
}

/// A feature's new state by id: `Some` to put in place, `None` to remove.
type Change = (String, Option<Feature>);

/// The layer with each `(id, Some(feature))` put in place (replacing or appending) and
/// each `(id, None)` removed, in order; one R-tree rebuild for the lot.
fn rebuilt(layer: &Layer, changes: impl IntoIterator<Item = Change>) -> Layer {
    let mut features: Vec<Option<Feature>> = layer.features().iter().cloned().map(Some).collect();
    let mut at: HashMap<Box<str>, usize> = layer
        .features()
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.clone(), i))
        .collect();
    for (id, change) in changes {
        match (at.get(id.as_str()).copied(), change) {
            (Some(i), new) => {
                if new.is_none() {
                    at.remove(id.as_str());
                }
                features[i] = new;
            }
            (None, Some(new)) => {
                at.insert(id.into(), features.len());
                features.push(Some(new));
            }
            (None, None) => {}
        }
    }
    Layer::new(
        layer.id.clone(),
        layer.name.clone(),
        layer.kind,
        layer.schema.clone(),
        features.into_iter().flatten().collect(),
    )
}

/// Replays logged records over a freshly loaded atlas, one rebuild per touched layer.
/// Records are state-based, so records already folded into the files change nothing.
/// A record that no longer fits its layer (the files were changed by hand) is reported
/// and left in the log, never dropped.
pub fn replay(atlas: &Atlas, records: &[EditRecord]) -> (Atlas, Vec<String>) {
    let mut problems = Vec::new();
    let mut by_layer: Vec<(String, Vec<Change>)> = Vec::new();
    for r in records {
        let Some(layer) = atlas.layer(&r.layer) else {
            problems.push(format!(
                "edit {} names layer {:?}, which is not loaded",
                r.seq, r.layer
            ));
            continue;
        };
        let change = match &r.after {
            None => None,
            Some(after) => match parse_feature(layer, &r.id, after) {
                Ok(v) => Some(v.feature),
                Err(e) => {
                    problems.push(format!("edit {} ({} {:?}): {e}", r.seq, r.layer, r.id));
                    continue;
                }
            },
        };
        match by_layer.iter_mut().find(|(l, _)| *l == r.layer) {
            Some((_, changes)) => changes.push((r.id.clone(), change)),
            None => by_layer.push((r.layer.clone(), vec![(r.id.clone(), change)])),
        }
    }
    let mut next = atlas.clone();
    for (layer_id, changes) in by_layer {
        let layer = atlas.layer(&layer_id).expect("checked above");
        next = next.with_layer(rebuilt(layer, changes));
    }
    (next, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Atlas {
        crate::demo::generate(7, 1.0).into_loaded().atlas
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let atlas = demo();
        let shelters = atlas.layer("shelters").unwrap();
        let first = &shelters.features()[0];
        let prepared = prepare(
            &atlas,
            "shelters",
            Request::Patch {
                id: first.id.to_string(),
                body: serde_json::json!({"properties": {"capacity": 7}}),
            },
        )
        .unwrap();
        assert_eq!(prepared.layer(&atlas).len(), shelters.len());
        let record = prepared.record;
        let after = record.after.unwrap();
        let before = record.before.unwrap();
        assert_eq!(after["properties"]["capacity"], 7);
        assert_eq!(after["geometry"], before["geometry"]);
        let mut expected = before["properties"].clone();
        expected["capacity"] = 7.into();
        assert_eq!(after["properties"], expected);
    }

    #[test]
    fn bad_edits_are_refused_with_the_reason() {
        let atlas = demo();
        let id = atlas.layer("shelters").unwrap().features()[0]
            .id
            .to_string();
        let cases = [
            (
                Request::Patch {
                    id: id.clone(),
                    body: serde_json::json!({"properties": {"capacity": -5}}),
                },
                "capacity",
            ),
            (
                Request::Patch {
                    id: id.clone(),
                    body: serde_json::json!({"properties": {"colour": "red"}}),
                },
                "no field \"colour\"",
            ),
            (
                Request::Patch {
                    id: id.clone(),
                    body: serde_json::json!({"geometry": {"type": "LineString", "coordinates": [[105.0, 34.0], [105.1, 34.1]]}}),
                },
                "got a line",
            ),
            (
                Request::Insert {
                    body: serde_json::json!({"id": id.clone(), "geometry": {"type": "Point", "coordinates": [105.0, 34.0]}}),
                },
                "already has",
            ),
            (
                Request::Delete {
                    id: "no-such".into(),
                },
                "no feature",
            ),
        ];
        for (request, want) in cases {
            let err = prepare(&atlas, "shelters", request.clone())
                .map(|p| p.record)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{request:?}: {err}");
        }
    }

    #[test]
    fn replaying_twice_is_the_same_as_once() {
        let atlas = demo();
        let shelters = atlas.layer("shelters").unwrap();
        let ids: Vec<String> = shelters.features()[..3]
            .iter()
            .map(|f| f.id.to_string())
            .collect();
        let mut records = Vec::new();
        let mut current = atlas.clone();
        for (i, request) in [
            Request::Delete { id: ids[0].clone() },
            Request::Patch {
                id: ids[1].clone(),
                body: serde_json::json!({"properties": {"capacity": 11}}),
            },
            Request::Insert {
                body: serde_json::json!({"geometry": {"type": "Point", "coordinates": [105.6, 34.5]}, "properties": {"name": "新增安置点", "capacity": 300}}),
            },
        ]
        .into_iter()
        .enumerate()
        {
            let prepared = prepare(&current, "shelters", request).unwrap();
            let layer = prepared.layer(&current);
            let mut record = prepared.record;
            record.seq = i as u64 + 1;
            current = current.with_layer(layer);
            records.push(record);
        }
        let (once, problems) = replay(&atlas, &records);
        assert!(problems.is_empty(), "{problems:?}");
        let (twice, _) = replay(&once, &records);
        for a in [&once, &twice] {
            assert_eq!(
                a.layer("shelters").unwrap().features(),
                current.layer("shelters").unwrap().features()
            );
        }
        assert_eq!(current.layer("shelters").unwrap().len(), shelters.len());
    }
}
