//! One scenario on two versions of the data: what-if edits through `POST /api/compare`
//! and two data folders through `riskatlas compare`. Each expectation comes from the
//! side-a plan's own assignments, the side-a impact report or a folder small enough to
//! work out by hand, never from the comparison itself.
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::cli::{riskatlas, scenario_file};
use common::folder::{collection, data_folder, point, square};
use common::{demo_app, demo_copy, get, post};
use geo::{Distance, Geodesic, Point};
use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::service::Service;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn flood(lte: u32) -> Value {
    json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": lte}}}]})
}

fn rows(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap()
}

/// People the plan sends to each shelter, summed from its assignments.
fn loads(plan: &Value) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for a in rows(&plan["assignments"]) {
        *out.entry(a["shelter_id"].as_str().unwrap().to_string())
            .or_insert(0) += a["people"].as_i64().unwrap();
    }
    out
}

/// The shelter the plan sends most people to, and how many.
fn busiest(plan: &Value) -> (String, i64) {
    loads(plan).into_iter().max_by_key(|(_, n)| *n).unwrap()
}

fn delete_shelter(id: &str) -> Value {
    json!({"layer": "shelters", "op": "delete", "id": id})
}

/// Asserts a comparison closed `shelter`, which held `load` people in a: its row reads
/// `load → 0`, no other shelter empties, and exactly its `load` evacuees move away
/// from it (elsewhere, or to no shelter).
fn assert_closed(c: &Value, shelter: &str, load: i64) {
    let row = rows(&c["shelters"])
        .iter()
        .find(|s| s["id"] == shelter)
        .unwrap_or_else(|| panic!("{shelter} is not in {}", c["shelters"]));
    assert_eq!(row["people"], json!({"a": load, "b": 0}));
    let emptied: Vec<&Value> = rows(&c["shelters"])
        .iter()
        .filter(|s| s["people"]["a"].as_i64() > Some(0) && s["people"]["b"] == 0)
        .map(|s| &s["id"])
        .collect();
    assert_eq!(emptied, [shelter]);
    let from_it: Vec<&Value> = rows(&c["evacuees"])
        .iter()
        .filter(|e| e["shelter"]["a"] == shelter)
        .collect();
    assert!(from_it.iter().all(|e| e["shelter"]["b"] != shelter));
    let moved: i64 = from_it.iter().map(|e| e["people"].as_i64().unwrap()).sum();
    assert_eq!(moved, load);
    // Closing a shelter moves people; it does not change who is affected.
    let t = &c["totals"];
    assert_eq!(t["people"]["a"], t["people"]["b"]);
    assert_eq!(t["evacuees"]["a"], t["evacuees"]["b"]);
    assert_eq!(c["villages"]["newly_affected"], json!([]));
    assert_eq!(c["villages"]["no_longer_affected"], json!([]));
}

#[tokio::test]
async fn closing_the_busiest_shelter_moves_exactly_its_evacuees() {
    let app = demo_app();
    let scenario = flood(50);
    let plan = post(&app, "/api/evacuation", &scenario).await.ok_json();
    let (shelter, load) = busiest(&plan);
    assert!(load > 0);
    let closures = [
        delete_shelter(&shelter),
        json!({"layer": "shelters", "op": "update", "id": shelter,
               "feature": {"properties": {"capacity": 0, "capacity_night": 0, "occupancy": 0}}}),
    ];
    for edit in closures {
        let body = json!({"scenario": scenario, "edits": [edit]});
        let c = post(&app, "/api/compare", &body).await.ok_json();
        assert_eq!(
            c["versions"],
            json!({"a": "current", "b": "current with 1 edit"}),
            "{edit}"
        );
        assert_closed(&c, &shelter, load);
    }
}

#[tokio::test]
async fn a_village_added_in_a_flood_is_newly_affected_with_its_people_alone() {
    let app = demo_app();
    let scenario = flood(50);
    let impact = post(&app, "/api/impact", &scenario).await.ok_json();
    let units: BTreeSet<String> = rows(&impact["units"])
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    // A new settlement where an affected unit stands is inside the flood too.
    let neighbour = rows(&impact["units"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let at = get(
        &app,
        &format!("/api/layers/population/features/{neighbour}"),
    )
    .await
    .ok_json()["geometry"]
        .clone();
    let village = |population: u32| {
        json!({"type": "Feature", "geometry": at,
               "properties": {"name": "新安置点", "population": population}})
    };
    let inserted = json!({"layer": "population", "op": "insert", "id": "new-settlement",
                          "feature": village(321)});
    // The same village inserted with 1 person, then recounted: edits apply in order.
    let recounted = [
        json!({"layer": "population", "op": "insert", "id": "new-settlement",
               "feature": village(1)}),
        json!({"layer": "population", "op": "update", "id": "new-settlement",
               "feature": {"properties": {"population": 321}}}),
    ];
    for edits in [json!([inserted]), json!(recounted)] {
        let body = json!({"scenario": scenario, "edits": edits});
        let c = post(&app, "/api/compare", &body).await.ok_json();
        let villages = &c["villages"];
        assert_eq!(
            villages["newly_affected"],
            json!([{"id": "new-settlement", "name": "新安置点", "admin_code": null,
                    "people": {"a": 0.0, "b": 321.0}, "change": "new"}]),
            "{edits}"
        );
        assert_eq!(villages["no_longer_affected"], json!([]));
        let both = rows(&villages["affected_in_both"]);
        assert!(both.iter().all(|v| v["change"] == "same"));
        let ids: BTreeSet<String> = both
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, units);
        let people = &c["totals"]["people"];
        let added = people["b"].as_f64().unwrap() - people["a"].as_f64().unwrap();
        assert!((added - 321.0).abs() < 0.05, "{people}");
    }

    // The diff layer draws the new village from the edited atlas, where it is.
    let body = json!({"scenario": scenario, "edits": [inserted]});
    let layer = post(&app, "/api/compare?format=geojson", &body)
        .await
        .ok_json();
    let new: Vec<&Value> = rows(&layer["features"])
        .iter()
        .filter(|f| f["properties"]["change"] == "new")
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["id"], "new-settlement");
    assert_eq!(new[0]["geometry"], at);
    assert_eq!(rows(&layer["features"]).len(), units.len() + 1);
}

/// The demo copied, served with its edit log (and so an audit trail), open on loopback.
fn editable_demo() -> (tempfile::TempDir, axum::Router) {
    let dir = demo_copy();
    let service = Service::open_folder(dir.path()).unwrap();
    let state = AppState::serving(Arc::new(service), HttpOptions::default());
    (dir, router(state))
}

#[tokio::test]
async fn a_what_if_changes_nothing_anyone_can_read_afterwards() {
    let (dir, app) = editable_demo();
    let scenario = flood(50);
    let plan_before = post(&app, "/api/evacuation", &scenario).await.ok_json();
    let (shelter, _) = busiest(&plan_before);
    let shelter_uri = format!("/api/layers/shelters/features/{shelter}");
    let shelter_before = get(&app, &shelter_uri).await.ok_json();
    let trail_before = get(&app, "/api/edits").await.ok_json();
    let census = get(&app, "/api/layers/population/features?limit=10000")
        .await
        .ok_json();

    let settlement = json!({"type": "Feature", "id": "what-if-village",
        "geometry": {"type": "Point", "coordinates": [105.7, 34.5]},
        "properties": {"population": 50}});
    let body = json!({"scenario": scenario, "edits": [
        delete_shelter(&shelter),
        {"layer": "population", "op": "insert", "feature": settlement},
    ]});
    let c = post(&app, "/api/compare", &body).await.ok_json();
    assert_eq!(c["versions"]["b"], "current with 2 edits");

    assert_eq!(get(&app, &shelter_uri).await.ok_json(), shelter_before);
    let absent = get(&app, "/api/layers/population/features/what-if-village").await;
    assert_eq!(absent.status, 404);
    assert_eq!(
        get(&app, "/api/layers/population/features?limit=10000")
            .await
            .ok_json(),
        census
    );
    assert_eq!(get(&app, "/api/edits").await.ok_json(), trail_before);
    let log = std::fs::read(dir.path().join(riskatlas::edits::LOG_FILE)).unwrap_or_default();
    assert!(log.is_empty(), "the edit log holds {} bytes", log.len());
    let plan_after = post(&app, "/api/evacuation", &scenario).await.ok_json();
    assert_eq!(plan_after, plan_before);
}

#[tokio::test]
async fn bad_edits_are_refused_naming_their_index() {
    let app = demo_app();
    let scenario = flood(20);
    let good = delete_shelter("0");
    let refused = [
        (
            json!([good, {"layer": "nope", "op": "delete", "id": "0"}]),
            "edits[1]: no layer \"nope\"",
        ),
        (
            json!([{"layer": "shelters", "op": "close", "id": "0"}]),
            "edits[0]: op \"close\" is not insert, update or delete",
        ),
        (
            json!([good, good]),
            "edits[1]: layer \"shelters\" has no feature with id \"0\"",
        ),
        (
            json!([{"layer": "shelters", "op": "insert", "feature": {"properties": {"capacity": 10}}}]),
            "edits[0]: the feature has no geometry",
        ),
        (
            json!([{"layer": "shelters", "op": "update", "id": "0", "feature": {"properties": {"capacity": "many"}}}]),
            "edits[0]: ",
        ),
        (
            json!([{"layer": "shelters", "op": "insert", "id": "1",
                    "feature": {"geometry": {"type": "Point", "coordinates": [105.7, 34.5]}}}]),
            "edits[0]: layer \"shelters\" already has a feature with id \"1\"",
        ),
        (
            Value::Array(vec![good.clone(); 201]),
            "edits: 201 edits, over the limit of 200",
        ),
        (json!({"layer": "shelters"}), "edits must be an array"),
    ];
    for (edits, message) in refused {
        let reply = post(
            &app,
            "/api/compare",
            json!({"scenario": scenario, "edits": edits}),
        )
        .await;
        assert_eq!(reply.status, 400, "{edits}: {}", reply.error());
        assert!(
            reply.error().starts_with(message),
            "{message} / {}",
            reply.error()
        );
    }
    let mixed = json!({"a": scenario, "scenario": scenario, "edits": [good]});
    let reply = post(&app, "/api/compare", &mixed).await;
    assert_eq!(reply.status, 400);
    assert!(reply.error().contains("not both"), "{}", reply.error());
}

/// A village, two shelters and two roads on the parallel 34°N, flooded at the village:
///
/// ```text
///  S2 (105.00, 34.04)
///  |  R2, 0.04° north (4.4 km)
///  v1 100 -------- R1, 0.03° east (2.8 km) -------- S1 (105.03, 34.00)
/// ```
///
/// By road v1 reaches S1 first. Without R1, S1 is 2.8 km from the nearest road (R2),
/// beyond the 2 km anyone walks to a road, so it is off the network and v1's 100 go
/// to S2: only a road graph built for the edited roads knows that.
fn two_roads() -> tempfile::TempDir {
    let manifest = "name = \"two roads\"\n\
        [[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.geojson\"\n\
        [[layer]]\nid = \"flood\"\nkind = \"flood\"\nfile = \"flood.geojson\"\n\
        [[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n\
        [[layer]]\nid = \"roads\"\nkind = \"road\"\nfile = \"roads.geojson\"\n";
    let road = |id: &str, to: [f64; 2]| {
        json!({"type": "Feature", "id": id, "properties": {},
               "geometry": {"type": "LineString", "coordinates": [[105.00, 34.00], to]}})
    };
    data_folder(
        manifest,
        &[
            (
                "people.geojson",
                collection(vec![point("v1", 105.00, 34.00, json!({"population": 100}))]),
            ),
            (
                "flood.geojson",
                collection(vec![square(
                    104.995,
                    33.995,
                    105.005,
                    34.005,
                    json!({"return_period_years": 20}),
                )]),
            ),
            (
                "shelters.geojson",
                collection(vec![
                    point("S1", 105.03, 34.00, json!({"capacity": 1000})),
                    point("S2", 105.00, 34.04, json!({"capacity": 1000})),
                ]),
            ),
            (
                "roads.geojson",
                collection(vec![
                    road("R1", [105.03, 34.00]),
                    road("R2", [105.00, 34.04]),
                ]),
            ),
        ],
    )
}

#[tokio::test]
async fn a_road_edit_routes_side_b_on_the_edited_roads() {
    let dir = two_roads();
    let app = common::folder_app(dir.path());
    let body = json!({"scenario": {"hazards": [{"layer": "flood"}], "routing": "road"},
                      "edits": [{"layer": "roads", "op": "delete", "id": "R1"}]});
    let c = post(&app, "/api/compare", &body).await.ok_json();
    let shelters: Vec<(&Value, &Value)> = rows(&c["shelters"])
        .iter()
        .map(|s| (&s["id"], &s["people"]))
        .collect();
    assert_eq!(
        shelters,
        [
            (&json!("S1"), &json!({"a": 100, "b": 0})),
            (&json!("S2"), &json!({"a": 0, "b": 100})),
        ]
    );
    // Each trip is its road's geodesic length walked at 4 km/h, to a tenth of a minute.
    let minutes = |to: (f64, f64)| {
        let metres = Geodesic.distance(Point::new(105.0, 34.0), Point::new(to.0, to.1));
        (metres / (4000.0 / 60.0) * 10.0).round() / 10.0
    };
    let (to_s1, to_s2) = (minutes((105.03, 34.0)), minutes((105.0, 34.04)));
    assert_eq!((to_s1, to_s2), (41.6, 66.6));
    assert_eq!(
        c["evacuees"],
        json!([{"unit_id": "v1", "unit_name": null, "people": 100,
                "shelter": {"a": "S1", "b": "S2"}, "minutes": {"a": to_s1, "b": to_s2}}])
    );
}

/// The demo's shelters file without shelter `id`, every other shelter given its
/// position in the demo as an explicit id, so that the ids stay those of the demo.
fn shelters_without(id: &str) -> Value {
    let path = common::repo_path("data/demo/shelters.geojson");
    let mut file: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let features = file["features"].as_array_mut().unwrap();
    for (i, f) in features.iter_mut().enumerate() {
        f["id"] = json!(i.to_string());
    }
    features.retain(|f| f["id"] != id);
    file
}

#[tokio::test]
async fn two_folders_compare_as_the_what_if_that_makes_one_the_other() {
    let app = demo_app();
    let scenario = flood(50);
    let plan = post(&app, "/api/evacuation", &scenario).await.ok_json();
    let (shelter, load) = busiest(&plan);
    let body = json!({"scenario": scenario, "edits": [delete_shelter(&shelter)]});
    let what_if = post(&app, "/api/compare", &body).await.ok_json();

    let after = demo_copy();
    let file = after.path().join("shelters.geojson");
    std::fs::write(&file, shelters_without(&shelter).to_string()).unwrap();
    let request = scenario_file(after.path(), &scenario);
    let folder = after.path().to_str().unwrap();
    let args = ["compare", &request, "--a", "data/demo", "--b", folder];
    let text = riskatlas(&[&args[..], &["--json"][..]].concat());
    let c: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(c["versions"], json!({"a": "data/demo", "b": folder}));
    assert_closed(&c, &shelter, load);
    for part in ["totals", "villages", "shelters", "evacuees"] {
        assert_eq!(c[part], what_if[part], "{part}");
    }

    // The summary counts the same rows.
    let summary = riskatlas(&args);
    let shelters = rows(&c["shelters"]).len();
    assert!(
        summary.contains(&format!("shelters whose load changed: {shelters}\n")),
        "{summary}"
    );
    let moved: i64 = rows(&c["evacuees"])
        .iter()
        .map(|e| e["people"].as_i64().unwrap())
        .sum();
    assert!(summary.contains(&format!(
        "evacuees whose shelter or minutes changed: {moved} people in {} rows",
        rows(&c["evacuees"]).len()
    )));
}

/// A folder a server is serving is read as the server reads it, its edit log replayed,
/// without waiting for the log's lock: a shelter deleted by a real edit compares as the
/// what-if delete of it does.
#[tokio::test]
async fn a_served_folder_compares_with_its_edits_replayed() {
    let scenario = flood(50);
    let (dir, app) = editable_demo();
    let plan = post(&app, "/api/evacuation", &scenario).await.ok_json();
    let (shelter, load) = busiest(&plan);
    let body = json!({"scenario": scenario, "edits": [delete_shelter(&shelter)]});
    let what_if = post(&app, "/api/compare", &body).await.ok_json();
    let uri = format!("/api/layers/shelters/features/{shelter}");
    let deleted = common::users::send(&app, "DELETE", &uri, None, None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.error());

    let request = scenario_file(dir.path(), &scenario);
    let folder = dir.path().to_str().unwrap();
    let text = riskatlas(&[
        "compare",
        &request,
        "--a",
        "data/demo",
        "--b",
        folder,
        "--json",
    ]);
    let c: Value = serde_json::from_str(&text).unwrap();
    assert_closed(&c, &shelter, load);
    assert_eq!(c["shelters"], what_if["shelters"]);
    assert_eq!(c["evacuees"], what_if["evacuees"]);
}

#[test]
fn a_bad_folder_or_request_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let request = scenario_file(dir.path(), &flood(50));
    let missing = dir.path().join("no-such-folder");
    let missing = missing.to_str().unwrap();
    let two_form = dir.path().join("two.json");
    std::fs::write(
        &two_form,
        json!({"a": flood(20), "b": flood(50)}).to_string(),
    )
    .unwrap();
    let cases: [(Vec<&str>, String); 3] = [
        (
            vec![&request, "--a", "data/demo", "--b", missing],
            format!("--b: loading data folder {missing}"),
        ),
        (
            vec![
                two_form.to_str().unwrap(),
                "--a",
                "data/demo",
                "--b",
                "data/demo",
            ],
            "\"a\" belongs to the API's other forms".into(),
        ),
        (vec![&request, "--a", "data/demo"], "--b <B>".into()),
    ];
    for (args, message) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
            .arg("compare")
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(&message), "{message} / {stderr}");
    }
}
