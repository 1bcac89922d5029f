//! Two scenarios compared, checked against the same analyses run separately: a scenario
//! against itself, the 20-year flood against the 50-year flood on the demo (against
//! two `POST /api/impact` and two `POST /api/evacuation` calls), a shelter lost to a
//! second hazard on a folder small enough to work out by hand, and bad bodies.
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::folder::{collection, data_folder, point, square};
use common::{demo_app, folder_app, post};
use geo::{Distance, Geodesic, Point};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn flood(lte: u32) -> Value {
    json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": lte}}}]})
}

fn ids(rows: &Value) -> BTreeSet<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts every side-by-side total has equal sides.
fn assert_equal_sides(totals: &Value) {
    for (name, sides) in totals.as_object().unwrap() {
        if name == "not_placed_by_reason" {
            assert_equal_sides(sides);
        } else {
            assert_eq!(sides["a"], sides["b"], "{name}");
        }
    }
}

#[tokio::test]
async fn a_scenario_compared_with_itself_changes_nothing() {
    let app = demo_app();
    let scenario = json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}, {"layer": "landslides"}]});
    let c = post(&app, "/api/compare", json!({"a": scenario, "b": scenario}))
        .await
        .ok_json();
    assert_equal_sides(&c["totals"]);
    assert!(c["totals"]["people"]["a"].as_f64().unwrap() > 0.0);
    assert_eq!(c["villages"]["newly_affected"], json!([]));
    assert_eq!(c["villages"]["no_longer_affected"], json!([]));
    let both = c["villages"]["affected_in_both"].as_array().unwrap();
    assert!(!both.is_empty());
    assert!(both.iter().all(|v| v["change"] == "same"));
    assert_eq!(c["shelters"], json!([]));
    assert_eq!(c["evacuees"], json!([]));
}

#[tokio::test]
async fn the_20_and_50_year_floods_differ_as_their_separate_analyses_do() {
    let app = demo_app();
    let (a, b) = (flood(20), flood(50));
    let c = post(&app, "/api/compare", json!({"a": a, "b": b}))
        .await
        .ok_json();

    // Villages: the set differences of the two impact reports' units.
    let impact_a = post(&app, "/api/impact", &a).await.ok_json();
    let impact_b = post(&app, "/api/impact", &b).await.ok_json();
    let (units_a, units_b) = (ids(&impact_a["units"]), ids(&impact_b["units"]));
    let new: BTreeSet<String> = units_b.difference(&units_a).cloned().collect();
    let gone: BTreeSet<String> = units_a.difference(&units_b).cloned().collect();
    let both: BTreeSet<String> = units_a.intersection(&units_b).cloned().collect();
    assert!(!new.is_empty(), "the 50-year flood reaches more units");
    assert_eq!(ids(&c["villages"]["newly_affected"]), new);
    assert_eq!(ids(&c["villages"]["no_longer_affected"]), gone);
    assert_eq!(ids(&c["villages"]["affected_in_both"]), both);

    // Totals: those of the two reports and the two plans.
    let plan_a = post(&app, "/api/evacuation", &a).await.ok_json();
    let plan_b = post(&app, "/api/evacuation", &b).await.ok_json();
    let t = &c["totals"];
    for (side, impact, plan) in [("a", &impact_a, &plan_a), ("b", &impact_b, &plan_b)] {
        let report = &impact["totals"];
        let people = report["population"].as_f64().unwrap();
        assert!((t["people"][side].as_f64().unwrap() - people).abs() <= 0.05);
        let vulnerable: f64 = ["elderly", "children", "disabled"]
            .iter()
            .filter_map(|k| report[k].as_f64())
            .sum();
        assert!((t["vulnerable"][side].as_f64().unwrap() - vulnerable).abs() <= 0.05);
        let p = &plan["totals"];
        assert_eq!(t["evacuees"][side], p["evacuees"]);
        assert_eq!(t["placed"][side], p["assigned"]);
        assert_eq!(t["not_placed"][side], p["unassigned"]);
        assert_eq!(t["clearance_minutes"][side], p["max_minutes"]);
        assert_eq!(t["mean_minutes"][side], p["mean_minutes"]);
        assert_eq!(t["shelters_used"][side], p["shelters_used"]);
        for (reason, people) in p["unassigned_by_reason"].as_object().unwrap() {
            assert_eq!(&t["not_placed_by_reason"][reason][side], people);
        }
    }

    // Shelters: those whose load differs between the two plans.
    let load = |plan: &Value, id: &str| -> i64 {
        plan["shelters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map_or(0, |s| s["assigned"].as_i64().unwrap())
    };
    let used: BTreeSet<String> = ids(&plan_a["shelters"])
        .union(&ids(&plan_b["shelters"]))
        .cloned()
        .collect();
    let changed: BTreeSet<String> = used
        .into_iter()
        .filter(|s| load(&plan_a, s) != load(&plan_b, s))
        .collect();
    assert!(!changed.is_empty(), "more people reach some shelter");
    assert_eq!(ids(&c["shelters"]), changed);
    for s in c["shelters"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        assert_eq!(s["people"]["a"], load(&plan_a, id));
        assert_eq!(s["people"]["b"], load(&plan_b, id));
    }

    // Every newly affected unit's evacuees arrive from no shelter.
    let placed_b: i64 = c["evacuees"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| new.contains(e["unit_id"].as_str().unwrap()))
        .inspect(|e| assert_eq!(e["shelter"]["a"], Value::Null))
        .filter(|e| !e["shelter"]["b"].is_null())
        .map(|e| e["people"].as_i64().unwrap())
        .sum();
    let expected: i64 = plan_b["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| new.contains(x["unit_id"].as_str().unwrap()))
        .map(|x| x["people"].as_i64().unwrap())
        .sum();
    assert_eq!(placed_b, expected);

    // The diff layer: one unit per id in either report, coloured by its change.
    let layer = post(&app, "/api/compare?format=geojson", json!({"a": a, "b": b}))
        .await
        .ok_json();
    let features = layer["features"].as_array().unwrap();
    assert_eq!(features.len(), units_a.union(&units_b).count());
    for f in features {
        let id = f["properties"]["id"].as_str().unwrap();
        let change = f["properties"]["change"].as_str().unwrap();
        match change {
            "new" => assert!(new.contains(id)),
            "gone" => assert!(gone.contains(id)),
            "more" | "fewer" | "same" => assert!(both.contains(id)),
            other => panic!("unknown change {other}"),
        }
    }
}

/// Two villages and two shelters on the parallel 34°N, no roads (trips are straight
/// lines × 1.4 at 4 km/h; 0.01° of longitude there is about 923.8 m):
///
/// ```text
///  105.00   105.01   105.02   105.03   105.04   105.05
///   v1 100   v2 50            S1 1,000          S2 120
///  [--flood--]                [drawn in b]
/// ```
///
/// a (the flood): everyone to S1, v1 0.03° (58.2 min), v2 0.02° (38.8 min); S1 holds
/// 150 (utilisation 0.15). b (the flood and a drawn area over S1, which closes it): only
/// S2 is left, with 120 places; the plan places as many as it can, then the cheapest:
/// all 50 of v2 (0.04°, 77.6 min), 70 of v1 (0.05°, 97.0 min); 30 of v1 are not placed,
/// for capacity. So: S1 150 → 0, S2 0 → 120 (utilisation 1); moves v1 S1 → none 30,
/// v1 S1 → S2 70, v2 S1 → S2 50; both villages affected in both, the same people.
fn two_shelters() -> tempfile::TempDir {
    let manifest = r#"name = "two shelters"
[[layer]]
id = "people"
kind = "population"
file = "people.geojson"
[[layer]]
id = "flood"
kind = "flood"
file = "flood.geojson"
[[layer]]
id = "shelters"
kind = "shelter"
file = "shelters.geojson"
"#;
    data_folder(
        manifest,
        &[
            (
                "people.geojson",
                collection(vec![
                    point("v1", 105.00, 34.0, json!({"population": 100, "name": "V1"})),
                    point("v2", 105.01, 34.0, json!({"population": 50, "name": "V2"})),
                ]),
            ),
            (
                "flood.geojson",
                collection(vec![square(
                    104.995,
                    33.995,
                    105.015,
                    34.005,
                    json!({"return_period_years": 20}),
                )]),
            ),
            (
                "shelters.geojson",
                collection(vec![
                    point("S1", 105.03, 34.0, json!({"capacity": 1000})),
                    point("S2", 105.05, 34.0, json!({"capacity": 120})),
                ]),
            ),
        ],
    )
}

/// Straight-line minutes at 4 km/h with the default detour 1.4, to a tenth.
fn minutes(from_lon: f64, to_lon: f64) -> f64 {
    let metres = Geodesic.distance(Point::new(from_lon, 34.0), Point::new(to_lon, 34.0)) * 1.4;
    (metres / (4000.0 / 60.0) * 10.0).round() / 10.0
}

#[tokio::test]
async fn a_shelter_closed_by_a_second_hazard_moves_its_evacuees_to_the_other() {
    let dir = two_shelters();
    let app = folder_app(dir.path());
    let a = json!({"hazards": [{"layer": "flood"}]});
    let over_s1 = json!({"type": "Polygon", "coordinates": [[[105.025, 33.995], [105.035, 33.995], [105.035, 34.005], [105.025, 34.005], [105.025, 33.995]]]});
    let b = json!({"hazards": [{"layer": "flood"}, {"geometry": over_s1}]});
    let c = post(&app, "/api/compare", json!({"a": a, "b": b}))
        .await
        .ok_json();

    // The hand-worked minutes, against the geodesic computed here.
    let (v1_s1, v2_s1, v1_s2, v2_s2) = (
        minutes(105.00, 105.03),
        minutes(105.01, 105.03),
        minutes(105.00, 105.05),
        minutes(105.01, 105.05),
    );
    assert_eq!((v1_s1, v2_s1, v1_s2, v2_s2), (58.2, 38.8, 97.0, 77.6));

    let t = &c["totals"];
    assert_eq!(t["people"], json!({"a": 150.0, "b": 150.0}));
    assert_eq!(t["placed"], json!({"a": 150, "b": 120}));
    assert_eq!(t["not_placed"], json!({"a": 0, "b": 30}));
    assert_eq!(
        t["not_placed_by_reason"],
        json!({"capacity": {"a": 0, "b": 30}})
    );
    assert_eq!(t["clearance_minutes"], json!({"a": v1_s1, "b": v1_s2}));

    let villages = &c["villages"];
    assert_eq!(villages["newly_affected"], json!([]));
    assert_eq!(villages["no_longer_affected"], json!([]));
    let both: Vec<(&str, &str)> = villages["affected_in_both"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v["change"].as_str().unwrap()))
        .collect();
    assert_eq!(both, [("v1", "same"), ("v2", "same")]);

    assert_eq!(
        c["shelters"],
        json!([
            {"id": "S1", "name": null, "people": {"a": 150, "b": 0}, "utilisation": {"a": 0.15, "b": 0.0}},
            {"id": "S2", "name": null, "people": {"a": 0, "b": 120}, "utilisation": {"a": 0.0, "b": 1.0}},
        ])
    );

    let moves: Vec<Value> = c["evacuees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            json!([
                e["unit_id"],
                e["shelter"]["a"],
                e["shelter"]["b"],
                e["minutes"]["a"],
                e["minutes"]["b"],
                e["people"]
            ])
        })
        .collect();
    assert_eq!(
        moves,
        [
            json!(["v1", "S1", null, v1_s1, null, 30]),
            json!(["v1", "S1", "S2", v1_s1, v1_s2, 70]),
            json!(["v2", "S1", "S2", v2_s1, v2_s2, 50]),
        ]
    );
}

#[tokio::test]
async fn bad_bodies_are_refused_naming_the_problem() {
    let app = demo_app();
    let ok = flood(20);
    let refused = [
        (json!({"a": ok}), "b is missing"),
        (json!({"b": ok}), "a is missing"),
        (json!({"a": [1], "b": ok}), "a must be an object"),
        (json!({"a": ok, "b": "flood"}), "b must be an object"),
        (json!([ok, ok]), "the request must be a JSON object"),
        (json!({"a": ok, "b": ok, "c": ok}), "unknown field \"c\""),
        (
            json!({"a": {"hazards": [{"layer": "no such layer"}]}, "b": ok}),
            "a: ",
        ),
        (
            json!({"a": ok, "b": {"hazards": ok["hazards"], "routing": "teleport"}}),
            "b: routing",
        ),
    ];
    for (body, message) in refused {
        let reply = post(&app, "/api/compare", &body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert!(
            reply.error().starts_with(message),
            "{body}: {}",
            reply.error()
        );
    }
    let reply = post(&app, "/api/compare?format=csv", json!({"a": ok, "b": ok})).await;
    assert_eq!(reply.status, 400);
    assert!(reply.error().contains("json or geojson"));
}
