//! Edits of the data that changes every day: a shelter closes, a landslide point is
//! found, capacities are recounted.
//!
//! An edit names a feature by its stable id (the source's id, or for features loaded
//! without one, their position at load as text), never by its current position, which a
//! deletion shifts. Each accepted edit becomes an [`EditRecord`] (who, when, what),
//! appended to the [`log::EditLog`] and made durable before the edit is acknowledged;
//! the log is the audit trail.
//!
//! A record holds what the edit created and what it destroyed, nothing it left alone
//! (see [`diff`]): an insert the new feature, a delete the feature deleted, an update
//! the properties it changed (before and after) and, only if it changed, the geometry
//! (old and new). A 32-byte patch of a 75,000-vertex polygon logs its one property, not
//! the polygon twice.
//!
//! Records are state-based ("feature X is now F", "X is gone", "X's capacity is now
//! 9"), so replaying the log over layer files that already hold some of its edits ends
//! in the same state: replay is idempotent, which makes recovery after a crash at any
//! moment safe.
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
pub mod diff;
pub mod idempotency;
pub mod log;
mod replay;
pub mod trail;

pub use idempotency::{Idempotency, IdempotencyKey};
pub use replay::replay;

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

/// One accepted edit, as logged: who, when, and what it changed. `before` and `after`
/// are GeoJSON Features with canonical property names (`None` for "did not exist" /
/// "deleted"), except in an update whose `diff` is set, where they hold only what
/// changed (see [`diff`]).
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
    /// An update whose `before` and `after` hold only what changed: every update written
    /// since records became diffs. Older logs' updates hold whole features and are read
    /// and replayed as they were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub diff: bool,
    /// The `Idempotency-Key` an insert was sent with, and its request's fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<Idempotency>,
}

impl EditRecord {
    /// Whether this is an update holding only what changed.
    pub fn is_diff(&self) -> bool {
        self.op == Op::Update && self.diff
    }
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
    /// An `Idempotency-Key` sent again with a different request.
    #[error(
        "Idempotency-Key {key:?} was used for edit {seq}, a different request (another layer or body); a new request needs a new key"
    )]
    KeyReused {
        /// The key.
        key: String,
        /// The edit first made with it.
        seq: u64,
    },
}

/// The stored form of a feature: a GeoJSON Feature with its stable id and non-null
/// attributes under their field names (the form `GET .../features/{feature id}` serves).
pub fn feature_json(layer: &Layer, feature: &Feature) -> Json {
    layer.to_geojson(feature)
}

/// Reads a GeoJSON Feature (or bare `{geometry, properties}`) from an edit body.
pub(crate) fn parse_feature(layer: &Layer, id: &str, body: &Json) -> Result<Validated, EditError> {
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
        /// The client's `Idempotency-Key`: a retry with the same key gets the first
        /// insert's record back instead of a second feature.
        key: Option<IdempotencyKey>,
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

impl Request {
    /// The idempotency key and request fingerprint of an insert sent with a key.
    pub fn idempotency(&self, layer: &str) -> Option<Idempotency> {
        match self {
            Request::Insert {
                body,
                key: Some(key),
            } => Some(Idempotency::of(key, layer, body)),
            _ => None,
        }
    }
}

/// A checked edit: the record to log (with `seq`, `at` and `who` still to fill) and the
/// validated feature it puts in place.
#[derive(Debug)]
pub struct Prepared {
    /// What the log will say.
    pub record: EditRecord,
    after: Option<Feature>,
    /// The feature after the edit in its stored form (a whole GeoJSON Feature, also for
    /// an update whose record holds only a diff); None for a delete.
    pub feature: Option<Json>,
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
    let idempotency = request.idempotency(layer_id);
    let (op, id, before, after) = match request {
        Request::Insert { body, .. } => {
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
    let feature = after.as_ref().map(|v| feature_json(layer, &v.feature));
    let (before, mut after_json, diff) = match (&before, &feature) {
        (Some(old), Some(new)) if op == Op::Update => {
            let (before, after) = diff::between(old, new);
            (Some(before), Some(after), true)
        }
        _ => (before, feature.clone(), false),
    };
    if let (Some(json), Some(v)) = (&mut after_json, &after)
        && !v.repairs.is_empty()
    {
        json["repairs"] = v.repairs.clone().into();
    }
    let record = EditRecord {
        seq: 0,
        at: String::new(),
        who: String::new(),
        layer: layer_id.to_string(),
        op,
        id: id.clone(),
        before,
        after: after_json,
        diff,
        idempotency,
    };
    Ok(Prepared {
        record,
        after: after.map(|v| v.feature),
        feature,
    })
}

/// `old` with a patch body's geometry and properties merged in.
pub(crate) fn merge(old: &Json, patch: &Json) -> Result<Json, EditError> {
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
pub(crate) type Change = (String, Option<Feature>);

/// The layer with each `(id, Some(feature))` put in place (replacing or appending) and
/// each `(id, None)` removed, in order; one R-tree rebuild for the lot.
pub(crate) fn rebuilt(layer: &Layer, changes: impl IntoIterator<Item = Change>) -> Layer {
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

#[cfg(test)]
mod tests;
