//! Who is affected: totals checked against independent computations — a hand-worked
//! grid, brute-force loops with a different point-in-polygon, real GeoNames places,
//! earthquake radii computed by hand — plus invariants and bad input.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;
// The report's honesty about its data and its shelters, and its exports, in files of
// their own.
#[path = "impact/assumptions.rs"]
mod assumptions;
#[path = "impact/depots.rs"]
mod depots;
#[path = "impact/exports.rs"]
mod exports;
#[path = "impact/shelters.rs"]
mod shelters;

use common::folder::{POPULATION_AND_FLOOD, collection, data_folder, point, square};
use common::{demo_app, folder_app, post, repo_path};
use geo::{Contains, Distance, Geodesic, Geometry, Point};
use riskatlas::analysis::{Scenario, analyse};
use riskatlas::atlas::Atlas;
use riskatlas::import::load_folder;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn demo() -> Atlas {
    load_folder(&repo_path("data/demo")).unwrap().atlas
}

fn run(atlas: &Atlas, scenario: Value) -> riskatlas::analysis::Impact {
    analyse(atlas, &Scenario::parse(&scenario, atlas).unwrap())
}

/// A 3×3 grid of 0.01° population squares at the equator, 900 people each, and a
/// square flood from 0.005° to 0.025°: it covers the centre cell whole, the four edge
/// cells by half and the four corner cells by a quarter, so 900 × (1 + 4·½ + 4·¼) = 3,600.
#[test]
fn a_square_flood_over_a_grid_of_squares_counts_the_known_shares() {
    let dir = tempfile::tempdir().unwrap();
    let mut cells = Vec::new();
    for i in 0..3 {
        for j in 0..3 {
            let (x, y) = (i as f64 * 0.01, j as f64 * 0.01);
            cells.push(json!({"type": "Feature", "id": format!("c{i}{j}"),
                "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]]},
                "properties": {"population": 900, "elderly": 90}}));
        }
    }
    std::fs::write(
        dir.path().join("cells.geojson"),
        json!({"type": "FeatureCollection", "features": cells}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("flood.geojson"),
        json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[0.005, 0.005], [0.025, 0.005], [0.025, 0.025], [0.005, 0.025], [0.005, 0.005]]]},
            "properties": {"return_period_years": 20}}]})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("atlas.toml"),
        "name = \"grid\"\n[[layer]]\nid = \"cells\"\nkind = \"population\"\nfile = \"cells.geojson\"\n[[layer]]\nid = \"flood\"\nkind = \"flood\"\nfile = \"flood.geojson\"\n",
    )
    .unwrap();
    let atlas = load_folder(dir.path()).unwrap().atlas;
    let impact = run(&atlas, json!({"hazards": [{"layer": "flood"}]}));
    let r = &impact.report;
    assert_eq!(r.totals.units, 9);
    assert!(
        (r.totals.population - 3_600.0).abs() < 1e-3,
        "{}",
        r.totals.population
    );
    assert!((r.totals.elderly.unwrap() - 360.0).abs() < 1e-4);
    let share = |id: &str| r.units.iter().find(|u| u.id == id).unwrap().share;
    for (id, expected) in [
        ("c11", 1.0),
        ("c01", 0.5),
        ("c10", 0.5),
        ("c00", 0.25),
        ("c22", 0.25),
    ] {
        assert!((share(id) - expected).abs() < 1e-6, "{id}: {}", share(id));
    }
    // No return period ≤ 10 zone: the flood has severity 3 (derived from 20 years).
    assert_eq!(r.units[0].severity, 3);
}

/// Brute force over every demo population point with geo's `Contains` on the flood
/// polygons and geodesic distance to landslide points.
#[test]
fn flood_and_landslide_totals_match_a_brute_force_loop() {
    let atlas = demo();
    let impact = run(
        &atlas,
        json!({
            "hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}, {"layer": "landslides"}],
            "group_by": "township"
        }),
    );
    let floods = atlas.layer("floods").unwrap();
    let slides = atlas.layer("landslides").unwrap();
    let pop = atlas.layer("population").unwrap();
    let mut expected = BTreeSet::new();
    let mut uncertain = BTreeSet::new();
    for (fid, f) in pop.features().iter().enumerate() {
        let Geometry::Point(p) = f.geometry else {
            panic!()
        };
        let in_flood = floods.features().iter().enumerate().any(|(i, z)| {
            floods
                .value(i as u32, "return_period_years")
                .as_i64()
                .unwrap()
                <= 50
                && z.geometry.contains(&p)
        });
        let mut in_slide = false;
        for (i, s) in slides.features().iter().enumerate() {
            let Geometry::Point(c) = s.geometry else {
                panic!()
            };
            let r = slides.value(i as u32, "threat_radius_m").as_f64().unwrap();
            let d = Geodesic.distance(c, p);
            in_slide |= d <= r;
            // The 64-gon buffer lies within 0.12% of the radius: too close to call.
            if (d - r).abs() < 0.0013 * r {
                uncertain.insert(fid as u32);
            }
        }
        if in_flood || in_slide {
            expected.insert(fid as u32);
        }
    }
    let got: BTreeSet<u32> = impact.report.units.iter().map(|u| u.fid).collect();
    let differ: Vec<&u32> = got
        .symmetric_difference(&expected)
        .filter(|f| !uncertain.contains(f))
        .collect();
    assert!(
        differ.is_empty(),
        "units differ from the brute force: {differ:?}"
    );
    assert!(
        expected.len() > 10,
        "the scenario should affect several villages, got {}",
        expected.len()
    );
    let brute_people: f64 = got
        .iter()
        .map(|&fid| pop.value(fid, "population").as_f64().unwrap())
        .sum();
    assert!((impact.report.totals.population - brute_people).abs() < 1e-6);
    let grouped: f64 = impact
        .report
        .by_admin
        .iter()
        .map(|a| a.counts.population)
        .sum();
    assert!(
        (grouped - impact.report.totals.population).abs() < 1e-6,
        "by_admin must add up to the totals"
    );
}

#[test]
fn shelters_inside_the_hazard_are_unusable_and_exposed_schools_are_listed() {
    let atlas = demo();
    let impact = run(&atlas, json!({"hazards": [{"layer": "floods"}]}));
    let floods = atlas.layer("floods").unwrap();
    for layer in ["shelters", "facilities"] {
        let l = atlas.layer(layer).unwrap();
        let expected: BTreeSet<u32> = (0..l.len() as u32)
            .filter(|&fid| {
                let Geometry::Point(p) = l.feature(fid).unwrap().geometry else {
                    panic!()
                };
                floods.features().iter().any(|z| z.geometry.contains(&p))
            })
            .collect();
        let got: BTreeSet<u32> = impact
            .report
            .facilities
            .iter()
            .filter(|f| f.layer == layer)
            .map(|f| f.fid)
            .collect();
        assert_eq!(got, expected, "{layer}");
    }
    for f in impact
        .report
        .facilities
        .iter()
        .filter(|f| f.category == "shelter")
    {
        assert!(f.unusable, "{f:?}");
        let rule = f.closed_by.as_deref().unwrap();
        assert!(rule.starts_with("inside flood zone floods/"), "{rule}");
        assert!(
            f.hazards.iter().any(|h| rule.ends_with(h.as_str())),
            "{rule}"
        );
    }
    assert!(
        impact
            .report
            .facilities
            .iter()
            .any(|f| f.category == "shelter")
    );
}

#[test]
fn the_call_list_names_every_affected_village_and_its_duty_contact() {
    let atlas = demo();
    let impact = run(
        &atlas,
        json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"eq": 10}}}]}),
    );
    let villages = atlas.layer("villages").unwrap();
    for u in &impact.report.units {
        let code = u.admin_code.as_deref().unwrap();
        let fid = (0..villages.len() as u32)
            .find(|&f| villages.value(f, "code").as_str() == Some(code))
            .unwrap();
        let phone = villages.value(fid, "contact_phone").as_str().unwrap();
        assert!(
            impact
                .report
                .calls
                .iter()
                .any(|c| c.phone == phone && c.role == "village duty officer"),
            "no call for {code}"
        );
    }
    let first = &impact.report.calls[0];
    assert_eq!(first.severity, 4, "the most severe calls come first");
}

#[test]
fn needs_are_displaced_people_times_the_profile_against_depot_stock() {
    let atlas = demo();
    let impact = run(
        &atlas,
        json!({"hazards": [{"layer": "landslides"}], "days": 5}),
    );
    let r = &impact.report;
    // Landslides displace everyone affected (rate 1.0).
    assert!((r.displaced.total - r.totals.population).abs() < 1e-6);
    let depots = atlas.layer("depots").unwrap();
    let rice_stock: f64 = (0..depots.len() as u32)
        .map(|f| depots.value(f, "rice_kg").as_f64().unwrap())
        .sum();
    let rice = r.needs.items.iter().find(|n| n.item == "rice_kg").unwrap();
    assert_eq!(rice.quantity, (r.displaced.total * 0.5 * 5.0).ceil());
    assert_eq!(rice.stock, rice_stock);
    assert_eq!(rice.shortfall, (rice.quantity - rice_stock).max(0.0));
}

/// GeoNames places in China (real, CC BY 4.0) against a drawn box around Chengdu. The
/// expected 9 places and 18,705,468 people were counted in Python from the source JSON.
#[test]
fn real_geonames_places_in_a_drawn_polygon_match_python_and_a_brute_force() {
    let atlas = load_folder(&repo_path("data/real")).unwrap().atlas;
    let ring = json!([
        [103.0, 30.0],
        [105.0, 30.0],
        [105.0, 31.5],
        [103.0, 31.5],
        [103.0, 30.0]
    ]);
    let impact = run(
        &atlas,
        json!({
            "hazards": [{"geometry": {"type": "Polygon", "coordinates": [ring]}, "severity": 4, "name": "Chengdu box"}],
            "exposure": "geonames-cn"
        }),
    );
    assert_eq!(impact.report.totals.units, 9);
    assert_eq!(impact.report.totals.population, 18_705_468.0);
    let places = atlas.layer("geonames-cn").unwrap();
    let brute: f64 = places
        .features()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            let Geometry::Point(p) = f.geometry else {
                panic!()
            };
            p.x() > 103.0 && p.x() < 105.0 && p.y() > 30.0 && p.y() < 31.5
        })
        .map(|(i, _)| places.value(i as u32, "population").as_f64().unwrap())
        .sum();
    assert_eq!(brute, impact.report.totals.population);
}

/// Radii computed by hand in Python from Yu, Li & Xiao (2013), Qinghai-Tibet zone,
/// M 6.2: intensity VI long/short axes 49.1/30.0 km, VII 19.3/10.5 km, VIII 1.5/0.7 km.
#[test]
fn earthquake_rings_follow_the_cited_relation() {
    let atlas = demo();
    let epicentre = Point::new(105.72, 34.55);
    let impact = run(
        &atlas,
        json!({"hazards": [{"earthquake": {"lon": 105.72, "lat": 34.55, "magnitude": 6.2, "depth_km": 10}}]}),
    );
    let rings: Vec<_> = impact.hazards.iter().collect();
    assert_eq!(rings.len(), 3, "VI, VII and VIII");
    for (ring, (long, short)) in rings.iter().zip([(49.1, 30.0), (19.3, 10.5), (1.5, 0.7)]) {
        assert!(
            (ring.detail["long_axis_km"].as_f64().unwrap() - long).abs() < 0.06,
            "{}",
            ring.detail
        );
        assert!(
            (ring.detail["short_axis_km"].as_f64().unwrap() - short).abs() < 0.06,
            "{}",
            ring.detail
        );
        // Without a strike the ring is the equal-area circle, radius √(a·b).
        let radius_m = (long * short).sqrt() * 1_000.0;
        for p in ring.area.0[0].exterior().points() {
            let d = Geodesic.distance(epicentre, p);
            assert!(
                (d - radius_m).abs() < 0.002 * radius_m + 60.0,
                "{d} vs {radius_m}"
            );
        }
    }
    assert_eq!(
        rings.iter().map(|r| r.severity).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    // The VI band excludes the VII disc: a village at the epicentre is counted in VIII only.
    let units_in_two: usize = impact
        .report
        .units
        .iter()
        .filter(|u| u.hazards.len() > 1)
        .count();
    assert_eq!(units_in_two, 0);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn rect(x: f64, y: f64, w: f64, h: f64) -> Value {
        json!({"geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]}, "severity": 2})
    }

    fn boxes() -> impl Strategy<Value = Vec<(f64, f64, f64, f64)>> {
        prop::collection::vec(
            (
                105.55f64..105.9,
                34.40f64..34.65,
                0.005f64..0.08,
                0.005f64..0.08,
            ),
            1..5,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn affected_never_exceeds_total_and_more_hazards_never_lower_it(hs in boxes(), extra in boxes()) {
            let atlas = demo();
            let total: f64 = {
                let pop = atlas.layer("population").unwrap();
                (0..pop.len() as u32).map(|f| pop.value(f, "population").as_f64().unwrap()).sum()
            };
            let base: Vec<Value> = hs.iter().map(|b| rect(b.0, b.1, b.2, b.3)).collect();
            let more: Vec<Value> = base.iter().cloned().chain(extra.iter().map(|b| rect(b.0, b.1, b.2, b.3))).collect();
            let a = run(&atlas, json!({"hazards": base})).report.totals;
            let b = run(&atlas, json!({"hazards": more})).report.totals;
            prop_assert!(a.population <= total + 1e-6);
            prop_assert!(b.population >= a.population - 1e-9);
            prop_assert!(b.units >= a.units);
        }

        #[test]
        fn results_do_not_depend_on_hazard_order(hs in boxes()) {
            let atlas = demo();
            let fwd: Vec<Value> = hs.iter().map(|b| rect(b.0, b.1, b.2, b.3)).collect();
            let rev: Vec<Value> = fwd.iter().rev().cloned().collect();
            let a = run(&atlas, json!({"hazards": fwd})).report;
            let b = run(&atlas, json!({"hazards": rev})).report;
            prop_assert_eq!(a.totals, b.totals);
            let ids = |r: &riskatlas::analysis::ImpactReport| r.units.iter().map(|u| u.fid).collect::<BTreeSet<_>>();
            prop_assert_eq!(ids(&a), ids(&b));
        }
    }
}

#[tokio::test]
async fn the_api_answers_json_geojson_csv_and_a_printable_report() {
    let app = demo_app();
    let scenario = json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 20}}}], "period": "night"});
    let body = scenario.to_string();
    let report = post(&app, "/api/impact", &body).await;
    let r = report.ok_json();
    for key in [
        "totals",
        "by_hazard",
        "by_admin",
        "units",
        "facilities",
        "calls",
        "displaced",
        "needs",
    ] {
        assert!(!r[key].is_null(), "missing {key}");
    }
    for key in [
        "population",
        "households",
        "elderly",
        "children",
        "disabled",
        "units",
    ] {
        assert!(r["totals"][key].is_number(), "totals.{key}");
    }
    let geo = post(&app, "/api/impact?format=geojson", &body).await.json();
    let roles: BTreeSet<&str> = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, BTreeSet::from(["hazard", "unit"]));
    let csv = post(&app, "/api/impact?format=csv", &body).await;
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = String::from_utf8(csv.body).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    assert!(text.starts_with("code,name,level,population"));
    assert_eq!(
        text.lines().count(),
        r["by_admin"].as_array().unwrap().len() + 1
    );
    let encoded: String = body.bytes().map(|b| format!("%{b:02X}")).collect();
    let page = common::get(&app, &format!("/report/impact?scenario={encoded}")).await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains(r["by_admin"][0]["name"].as_str().unwrap()));
}

const BAD_SCENARIOS: &[(&str, &str)] = &[
    ("not json", "scenario"),
    (
        r#"{"hazards": [{"layer": "nope"}]}"#,
        "hazards[0]: unknown layer",
    ),
    (r#"{"hazards": [{"layer": "shelters"}]}"#, "not a hazard"),
    (
        r#"{"hazards": [{"layer": "floods", "where": {"colour": {"eq": 1}}}]}"#,
        "unknown field",
    ),
    (
        r#"{"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": "fifty"}}}]}"#,
        "not a number",
    ),
    (
        r#"{"hazards": [{"layer": "floods", "where": {"name": {"gte": 3}}}]}"#,
        "only numeric",
    ),
    (
        r#"{"hazards": [{"layer": "landslides", "buffer_m": -5}]}"#,
        "buffer_m",
    ),
    (
        r#"{"hazards": [{"layer": "floods", "geometry": {"type": "Point", "coordinates": [1, 2]}}]}"#,
        "exactly one",
    ),
    (
        r#"{"hazards": [{"geometry": {"type": "Point", "coordinates": [1, 2]}}]}"#,
        "Polygon or MultiPolygon",
    ),
    (
        r#"{"hazards": [{"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}}]}"#,
        "not closed",
    ),
    (
        r#"{"hazards": [{"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]}}]}"#,
        "leaves no area",
    ),
    (
        r#"{"hazards": [{"geometry": {"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]}}]}"#,
        "larger than 100000 km²",
    ),
    (
        r#"{"hazards": [{"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, "severity": 9}]}"#,
        "severity 9",
    ),
    (
        r#"{"hazards": [{"earthquake": {"lon": 105, "lat": 34, "magnitude": 11}}]}"#,
        "magnitude 11",
    ),
    (
        r#"{"hazards": [{"earthquake": {"lon": 105, "lat": 34, "magnitude": 6, "region": "mars"}}]}"#,
        "region",
    ),
    (
        r#"{"hazards": [{"earthquake": {"lon": 505, "lat": 34, "magnitude": 6}}]}"#,
        "epicentre",
    ),
    (
        r#"{"hazards": [], "exposure": "shelters"}"#,
        "exposure needs a population layer",
    ),
    (r#"{"hazards": [], "group_by": "province"}"#, "group_by"),
    (r#"{"hazards": [], "period": "noon"}"#, "period"),
    (r#"{"hazards": [], "days": 0}"#, "days"),
    (r#"{"hazards": [], "colour": "red"}"#, "unknown field"),
];

#[tokio::test]
async fn bad_scenarios_get_400_naming_the_problem() {
    let app = demo_app();
    for (body, needle) in BAD_SCENARIOS {
        let reply = post(&app, "/api/impact", body).await;
        assert_eq!(
            reply.status,
            400,
            "{body}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let error = reply.json()["error"].as_str().unwrap().to_string();
        assert!(
            error.contains(needle),
            "{body}: {error:?} should mention {needle:?}"
        );
    }
    let huge: Vec<[f64; 2]> = (0..25_000)
        .map(|i| {
            [
                105.0 + (i as f64 * 0.001).sin(),
                34.0 + (i as f64 * 0.001).cos(),
            ]
        })
        .collect();
    let body =
        json!({"hazards": [{"geometry": {"type": "Polygon", "coordinates": [huge]}}]}).to_string();
    let reply = post(&app, "/api/impact", &body).await;
    assert_eq!(reply.status, 400);
    assert!(reply.json()["error"].as_str().unwrap().contains("vertices"));
    assert_eq!(
        post(&app, "/api/impact?format=xml", "{\"hazards\": []}")
            .await
            .status,
        400
    );
}

/// Regression: a scenario naming a layer whose file could not be read answered
/// `unknown layer "flood"`, which sends the planner looking for a typo rather than at
/// the broken file. The reason must be the one in the load report.
#[tokio::test]
async fn a_layer_that_failed_to_load_is_named_as_failed_with_its_reason_not_unknown() {
    let dir = data_folder(
        POPULATION_AND_FLOOD,
        &[(
            "people.geojson",
            collection(vec![point("a", 0.002, 0.002, json!({"population": 10}))]),
        )],
    );
    std::fs::write(
        dir.path().join("flood.geojson"),
        r#"{"type": "FeatureCollection", "features": [{"type": "#,
    )
    .unwrap();
    let loaded = load_folder(dir.path()).unwrap();
    let reason = loaded.report.layer("flood").unwrap().error.clone();
    let reason = reason.expect("the truncated file fails to load");
    let app = folder_app(dir.path());

    let reply = post(&app, "/api/impact", r#"{"hazards": [{"layer": "flood"}]}"#).await;
    assert_eq!(reply.status, 400, "{}", reply.error());
    let error = reply.error();
    assert!(
        error.starts_with(r#"hazards[0]: layer "flood" failed to load: "#),
        "{error}"
    );
    assert!(
        error.contains(&reason),
        "{error:?} should give the reason {reason:?}"
    );
    assert!(!error.contains("unknown"), "{error}");

    let reply = post(
        &app,
        "/api/evacuation",
        r#"{"hazards": [{"layer": "flood"}]}"#,
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.error().contains(r#"layer "flood" failed to load"#),
        "{}",
        reply.error()
    );

    // A name that was never in the manifest is still unknown.
    let reply = post(&app, "/api/impact", r#"{"hazards": [{"layer": "floods"}]}"#).await;
    assert_eq!(reply.error(), r#"hazards[0]: unknown layer "floods""#);
}

/// The exposure layer failing to load is said the same way, given by name or not.
#[tokio::test]
async fn a_failed_exposure_layer_is_named_as_failed() {
    let dir = data_folder(
        POPULATION_AND_FLOOD,
        &[(
            "flood.geojson",
            collection(vec![square(
                0.0,
                0.0,
                0.01,
                0.01,
                json!({"return_period_years": 20}),
            )]),
        )],
    );
    // people.geojson is missing altogether.
    let app = folder_app(dir.path());
    let named = post(
        &app,
        "/api/impact",
        r#"{"hazards": [{"layer": "flood"}], "exposure": "people"}"#,
    )
    .await;
    assert_eq!(named.status, 400);
    assert!(
        named
            .error()
            .starts_with(r#"exposure: layer "people" failed to load: "#),
        "{}",
        named.error()
    );
    let unnamed = post(&app, "/api/impact", r#"{"hazards": [{"layer": "flood"}]}"#).await;
    assert_eq!(unnamed.status, 400);
    assert_eq!(
        unnamed.error(),
        "exposure: the atlas has no population layer; layers that failed to load: people"
    );
}

#[tokio::test]
async fn repeated_vertices_in_a_drawn_polygon_are_repaired_and_reported() {
    let app = demo_app();
    let body = json!({"hazards": [{"geometry": {"type": "Polygon", "coordinates": [[[105.6, 34.45], [105.7, 34.45], [105.7, 34.45], [105.7, 34.55], [105.6, 34.55], [105.6, 34.45]]]}}]});
    let r = post(&app, "/api/impact", &body.to_string()).await.json();
    let repairs = &r["by_hazard"][0]["detail"]["repairs"];
    assert!(
        repairs[0].as_str().unwrap().contains("removed 1 repeated"),
        "{repairs}"
    );
}

/// A drawn bow-tie is repaired the way a flood layer's is: split where its ring crosses
/// itself into its two triangles, which affect exactly who the two triangles drawn as one
/// MultiPolygon affect.
#[tokio::test]
async fn a_drawn_bow_tie_is_split_into_its_two_triangles_and_the_repair_reported() {
    let app = demo_app();
    let (w, s, e, n) = (105.6, 34.45, 105.8, 34.6);
    let bow_tie = json!({"hazards": [{"geometry": {"type": "Polygon",
        "coordinates": [[[w, s], [e, n], [e, s], [w, n], [w, s]]]}}]});
    let (mid_x, mid_y) = ((w + e) / 2.0, (s + n) / 2.0);
    let triangles = json!({"hazards": [{"geometry": {"type": "MultiPolygon", "coordinates": [
        [[[w, s], [mid_x, mid_y], [w, n], [w, s]]],
        [[[e, s], [e, n], [mid_x, mid_y], [e, s]]]]}}]});
    let repaired = post(&app, "/api/impact", &bow_tie.to_string())
        .await
        .ok_json();
    let repairs = &repaired["by_hazard"][0]["detail"]["repairs"];
    let repair = repairs[0].as_str().unwrap();
    assert!(
        repair.starts_with("polygon 0: its rings cross or overlap at [105.7")
            && repair.ends_with("repaired by the even-odd rule into 2 valid polygons"),
        "{repairs}"
    );
    let drawn = post(&app, "/api/impact", &triangles.to_string())
        .await
        .ok_json();
    assert!(drawn["totals"]["population"].as_f64().unwrap() > 0.0);
    assert_eq!(repaired["totals"], drawn["totals"]);
    assert_eq!(repaired["units"], drawn["units"]);
}

#[tokio::test]
async fn an_empty_scenario_is_an_empty_report() {
    let r = post(&demo_app(), "/api/impact", r#"{"hazards": []}"#)
        .await
        .json();
    assert_eq!(r["totals"]["units"], 0);
    assert_eq!(r["units"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_scenario_is_served_as_tiles_of_its_hazards_and_affected_units() {
    let app = demo_app();
    let body =
        json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}]})
            .to_string();
    let report = post(&app, "/api/impact", &body).await.json();
    let key = report["scenario_key"].as_str().unwrap().to_string();
    let template = report["tiles"].as_str().unwrap();
    assert_eq!(
        template,
        format!("http://127.0.0.1:8080/tiles/impact/{key}/{{z}}/{{x}}/{{y}}")
    );
    // The same scenario always gets the same key.
    assert_eq!(
        post(&app, "/api/impact", &body).await.json()["scenario_key"],
        key.as_str()
    );
    // One z8 tile holds the whole demo county: every affected unit and hazard is in it.
    let (x, y) = common::tile_of(105.74, 34.53, 8);
    let tile = common::get(&app, &format!("/tiles/impact/{key}/8/{x}/{y}")).await;
    assert_eq!(tile.status, 200);
    let layers = common::mvt::decode(&tile.body);
    let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["hazards", "affected"]);
    let unit_ids: BTreeSet<String> = layers[1]
        .features
        .iter()
        .map(|f| f.props["id"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(unit_ids, expected);
    assert_eq!(
        layers[0].features.len(),
        report["by_hazard"].as_array().unwrap().len()
    );
    let missing = common::get(&app, "/tiles/impact/0000000000000000/8/0/0").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.json()["error"]
            .as_str()
            .unwrap()
            .contains("POST it")
    );
}
