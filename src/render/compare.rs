//! A comparison as a map layer: every unit affected in either scenario, coloured by how
//! its exposure changes, so that the map shows where b differs from a at a glance.

use crate::analysis::compare::{Change, Comparison};
use crate::atlas::Atlas;
use serde_json::{Value, json};

/// The colour a change is drawn in: warm for worse in b, cool for better, grey for no
/// change (ColorBrewer's RdBu, which reads in colour-blind vision and in greyscale).
fn colour(change: Change) -> &'static str {
    match change {
        Change::New => "#b2182b",
        Change::More => "#ef8a62",
        Change::Same => "#bababa",
        Change::Fewer => "#67a9cf",
        Change::Gone => "#2166ac",
    }
}

/// One feature per unit affected in a or b, with `change` (`new`, `gone`, `more`,
/// `fewer`, `same`), its colour and its people a → b. A unit is drawn from side a's
/// atlas, or from side b's when only b has it (a settlement a what-if edit added); the
/// two are one atlas when two scenarios are compared.
pub fn geojson(comparison: &Comparison, atlas_a: &Atlas, atlas_b: &Atlas) -> Value {
    let v = &comparison.villages;
    let features: Vec<Value> = [
        &v.newly_affected,
        &v.no_longer_affected,
        &v.affected_in_both,
    ]
    .into_iter()
    .flatten()
    .filter_map(|u| {
        let (layer, fid) = &u.feature;
        let atlas = if u.change == Change::New {
            atlas_b
        } else {
            atlas_a
        };
        let feature = atlas.layer(layer)?.feature(*fid)?;
        Some(json!({
            "type": "Feature",
            "id": u.id,
            "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&feature.geometry)),
            "properties": {
                "role": "unit", "id": u.id, "name": u.name, "admin_code": u.admin_code,
                "change": u.change, "colour": colour(u.change),
                "people_a": u.people.a, "people_b": u.people.b,
            },
        }))
    })
    .collect();
    json!({"type": "FeatureCollection", "features": features})
}
