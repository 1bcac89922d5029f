//! Numbers in a JSON answer as people read them. The analyses compute in `f64` (a unit
//! partly inside a hazard counts a share of its people; a route is 40,605.176… m), and
//! serde writes what it is given: `43389.0` people, `40605.17619540515` m, `-0.0`. The
//! answer is rounded once, here, by what each member's name says it holds (habit 6: the
//! unit is in the name):
//!
//! - people and households: whole numbers (`population`, `people`, `evacuees`, the
//!   displaced by hazard kind, …);
//! - distances in metres: whole metres (`distance_m`, `metres`, `snap_m`, …); other
//!   `_m` members keep their decimals (a flood's `depth_m` of 0.5 is not 1);
//! - minutes: tenths of a minute (every member whose name ends in `minutes`);
//! - and nowhere a negative zero.
//!
//! Coordinates, shares, rates and quantities keep the precision they were given.

use serde_json::{Map, Number, Value};

/// Members that count people or households: whole numbers.
const PEOPLE: &[&str] = &[
    "people",
    "population",
    "population_night",
    "households",
    "elderly",
    "children",
    "disabled",
    "evacuees",
    "placed",
    "unplaced",
    "vulnerable",
    "threatened_people",
    "threatened_households",
    "shelter_population",
    "team_population",
    "people_in_hazard",
    "reached",
];

/// Members under which every number counts people (the displaced by hazard kind), and
/// the member of `displaced` that totals them.
const PEOPLE_WITHIN: &[&str] = &["by_kind"];

/// Members holding a distance in metres: whole metres.
const METRES: &[&str] = &[
    "distance_m",
    "metres",
    "metres_after",
    "length_m",
    "snap_m",
    "radius_m",
    "cluster_gap_m",
    "straight_m",
    "road_m",
];

/// Rounds the numbers of `value` in place (see the module doc).
pub fn numbers(value: &mut Value) {
    walk(value, "", "");
}

fn walk(value: &mut Value, key: &str, parent: &str) {
    match value {
        Value::Object(members) => object(members, key),
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, key, parent)),
        Value::Number(n) => {
            if let Some(rounded) = round(n, key, parent) {
                *value = rounded;
            }
        }
        _ => {}
    }
}

fn object(members: &mut Map<String, Value>, key: &str) {
    for (k, v) in members.iter_mut() {
        // GeoJSON coordinates keep every digit.
        if k != "coordinates" {
            walk(v, k, key);
        }
    }
}

/// The rounded form of `n` held in member `key` of an object under `parent`; None
/// when it stays as it is.
fn round(n: &Number, key: &str, parent: &str) -> Option<Value> {
    let x = n.as_f64().filter(|_| n.is_f64())?;
    let whole = |x: f64| Value::from(x.round() as i64);
    let people = PEOPLE.contains(&key)
        || PEOPLE_WITHIN.contains(&parent)
        || (parent == "displaced" && key == "total");
    if people || METRES.contains(&key) {
        return Some(whole(x));
    }
    let x = if key.ends_with("minutes") {
        (x * 10.0).round() / 10.0
    } else {
        x
    };
    // `+ 0.0` turns -0.0 into 0.0 and leaves every other value alone.
    Number::from_f64(x + 0.0).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn people_are_whole_metres_whole_and_minutes_in_tenths_without_negative_zero() {
        let mut v = json!({
            "totals": {"population": 43389.0, "evacuees": 12.5},
            "assignments": [{"distance_m": 40605.17619540515, "minutes": 44.64, "people": 3.0}],
            "displaced": {"by_kind": {"flood": 34075.5}, "total": 35758.5},
            "detail": {"depth_m": 0.5, "share": 0.25},
            "delta": {"minutes": -0.04, "lon": -0.0},
            "geometry": {"coordinates": [105.123456789, 34.5]}
        });
        numbers(&mut v);
        assert_eq!(
            v.to_string(),
            json!({
                "totals": {"population": 43389, "evacuees": 13},
                "assignments": [{"distance_m": 40605, "minutes": 44.6, "people": 3}],
                "displaced": {"by_kind": {"flood": 34076}, "total": 35759},
                "detail": {"depth_m": 0.5, "share": 0.25},
                "delta": {"minutes": 0.0, "lon": 0.0},
                "geometry": {"coordinates": [105.123456789, 34.5]}
            })
            .to_string()
        );
    }
}
