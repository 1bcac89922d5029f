//! What an update record holds: the difference between the feature before and after,
//! not the two whole features.
//!
//! A record keeps what the edit destroyed and what it created, nothing it left alone:
//! - `properties`: every property whose stored value changed, with its old value in
//!   `before` and its new one in `after` (`null` for "absent": added, or removed);
//! - `geometry`: only when it changed, old in `before` and new in `after`. The old one
//!   is kept because the audit trail must say what an edit replaced, and once the log is
//!   compacted into the layer files it is nowhere else (the files hold the new one).
//!
//! So a record grows with what the request changed, never with the size of the feature
//! it touched. `after` is itself a valid patch body: replay merges it into the feature
//! as it stands (the one before the edit, when the log is replayed in order), which
//! gives back exactly the stored feature, because every property that differs is named
//! and the geometry is carried whenever it differs. Applying it again changes nothing
//! (each field is set to a value, not shifted by one), so replay stays idempotent.
//!
//! Inserts hold the new feature once (`after`) and deletes the deleted one once
//! (`before`); records written before updates became diffs hold whole features and say
//! so by having no `diff` flag.

use super::{EditError, feature_json, merge, parse_feature};
use crate::atlas::{Feature, Layer};
use serde_json::{Map, Value as Json};

/// The `(before, after)` of an update from the stored forms of the feature before and
/// after it (both from [`feature_json`]).
pub fn between(old: &Json, new: &Json) -> (Json, Json) {
    let props = |f: &Json| f["properties"].as_object().cloned().unwrap_or_default();
    let (old_props, new_props) = (props(old), props(new));
    let (mut was, mut now) = (Map::new(), Map::new());
    for key in old_props.keys().chain(new_props.keys()) {
        let (a, b) = (old_props.get(key), new_props.get(key));
        if a != b {
            was.insert(key.clone(), a.cloned().unwrap_or(Json::Null));
            now.insert(key.clone(), b.cloned().unwrap_or(Json::Null));
        }
    }
    let mut before = Map::from_iter([("properties".to_string(), Json::Object(was))]);
    let mut after = Map::from_iter([("properties".to_string(), Json::Object(now))]);
    if old.get("geometry") != new.get("geometry") {
        before.insert("geometry".into(), old["geometry"].clone());
        after.insert("geometry".into(), new["geometry"].clone());
    }
    (Json::Object(before), Json::Object(after))
}

/// The feature `base` with an update record's `after` applied, checked as the edit was.
pub fn apply(layer: &Layer, id: &str, base: &Feature, after: &Json) -> Result<Feature, EditError> {
    let mut patch = after.clone();
    if let Some(members) = patch.as_object_mut() {
        // Says what the validator repaired; the geometry beside it is already repaired.
        members.remove("repairs");
    }
    let merged = merge(&feature_json(layer, base), &patch)?;
    Ok(parse_feature(layer, id, &merged)?.feature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_properties_are_kept_and_the_geometry_only_when_it_changed() {
        let point = json!({"type": "Point", "coordinates": [105.0, 34.0]});
        let old = json!({"type": "Feature", "id": "s1", "geometry": point,
                         "properties": {"name": "东村小学", "capacity": 300, "phone": "1"}});
        let new = json!({"type": "Feature", "id": "s1", "geometry": point,
                         "properties": {"name": "东村小学", "capacity": 450, "note": "new"}});
        let (before, after) = between(&old, &new);
        assert_eq!(
            before,
            json!({"properties": {"capacity": 300, "phone": "1", "note": null}})
        );
        assert_eq!(
            after,
            json!({"properties": {"capacity": 450, "phone": null, "note": "new"}})
        );
        let moved = json!({"type": "Feature", "id": "s1",
                           "geometry": {"type": "Point", "coordinates": [105.5, 34.0]},
                           "properties": old["properties"]});
        let (before, after) = between(&old, &moved);
        assert_eq!(before, json!({"properties": {}, "geometry": point}));
        assert_eq!(after["geometry"]["coordinates"], json!([105.5, 34.0]));
    }
}
