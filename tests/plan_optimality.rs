//! Plans place everyone who can be placed, and prove it: each plan is checked against a
//! min-cost flow over *every* (unit, shelter) pair within reach (the reference solver
//! and networkx), its certificate is re-checked pair by pair, and the answer does not
//! depend on how many candidates the search starts from.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::plans::{
    FullSolve, assert_optimal_over_every_pair, check_certificate, plan_and_table, plan_cost,
    reference,
};
use common::{post, repo_path};
use proptest::prelude::*;
use riskatlas::analysis::evacuation::{plan, reach_table};
use riskatlas::analysis::{Scenario, analyse};
use riskatlas::atlas::Atlas;
use riskatlas::routing::RoadGraph;
use serde_json::{Value, json};
use std::path::Path;

fn demo() -> Atlas {
    riskatlas::import::load_folder(&repo_path("data/demo"))
        .expect("the demo loads")
        .atlas
}

fn fifty_year_floods(extra: Value) -> Value {
    let mut r =
        json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}]});
    for (k, v) in extra.as_object().expect("an object") {
        r[k] = v.clone();
    }
    r
}

#[test]
fn demo_flood_plans_by_road_equal_a_full_min_cost_flow_over_every_pair() {
    let atlas = demo();
    let (plan, table) = plan_and_table(&atlas, &fifty_year_floods(json!({})));
    assert_eq!(plan["routing"], "road");
    assert_optimal_over_every_pair(&plan, &table, true);
    // The first release's k = 8 plan placed 17,150 people here; every pair within reach
    // allows more, and the reference says how many.
    assert!(plan["totals"]["assigned"].as_i64().unwrap() > 17_150);
}

#[test]
fn demo_flood_plans_in_a_straight_line_equal_a_full_min_cost_flow_over_every_pair() {
    let atlas = demo();
    let request = fifty_year_floods(json!({"routing": "straight_line", "max_minutes": 240}));
    let (plan, table) = plan_and_table(&atlas, &request);
    assert_optimal_over_every_pair(&plan, &table, true);
}

#[test]
fn driving_plans_with_landslides_equal_a_full_min_cost_flow_over_every_pair() {
    let atlas = demo();
    let request = json!({"hazards": [{"layer": "floods"}, {"layer": "landslides"}], "profile": "drive", "max_minutes": 45});
    let (plan, table) = plan_and_table(&atlas, &request);
    assert_optimal_over_every_pair(&plan, &table, false);
}

#[test]
fn one_eight_or_fifty_candidates_give_the_same_plan_cost() {
    let atlas = demo();
    for routing in [
        json!({}),
        json!({"routing": "straight_line", "max_minutes": 240}),
    ] {
        let mut costs: Vec<FullSolve> = Vec::new();
        for k in [1, 8, 50] {
            let mut request = fifty_year_floods(routing.clone());
            request["candidates"] = json!(k);
            let (plan, table) = plan_and_table(&atlas, &request);
            costs.push(plan_cost(&plan, &table));
        }
        assert!(
            costs.windows(2).all(|w| w[0] == w[1]),
            "{routing}: {costs:?}"
        );
    }
}

/// Copies the demo into a temporary folder, with `shelters` (GeoJSON features) added
/// to its shelter layer.
fn demo_with_shelters(dir: &Path, shelters: &[Value]) -> Atlas {
    for entry in std::fs::read_dir(common::demo_copy().path()).expect("the copy") {
        let entry = entry.expect("an entry");
        std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copies");
    }
    let path = dir.join("shelters.geojson");
    let mut fc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("shelters")).expect("JSON");
    let features = fc["features"].as_array_mut().expect("features");
    features.extend(shelters.iter().cloned());
    std::fs::write(&path, fc.to_string()).expect("writes");
    riskatlas::import::load_folder(dir)
        .expect("the copy loads")
        .atlas
}

#[test]
fn tiny_shelters_next_to_a_village_never_lower_the_people_placed() {
    let atlas = demo();
    let request = fifty_year_floods(json!({}));
    let (before, _) = plan_and_table(&atlas, &request);
    // Three one-place shelters beside the first unit left unplaced: cheap to reach,
    // they used to crowd the real shelters out of its candidate list.
    let first = &before["unassigned"][0];
    let (lon, lat) = (
        first["lon"].as_f64().unwrap(),
        first["lat"].as_f64().unwrap(),
    );
    let tiny: Vec<Value> = (0..3)
        .map(|i| {
            json!({"type": "Feature", "id": format!("tiny-{i}"),
                "geometry": {"type": "Point", "coordinates": [lon + 0.0004 * (i as f64 + 1.0), lat]},
                "properties": {"name": format!("tiny {i}"), "capacity": 1, "shelter_type": "square"}})
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let more = demo_with_shelters(dir.path(), &tiny);
    for k in [1, 8] {
        let mut request = request.clone();
        request["candidates"] = json!(k);
        let (after, table) = plan_and_table(&more, &request);
        let placed = |p: &Value| p["totals"]["assigned"].as_i64().unwrap();
        assert!(
            placed(&after) >= placed(&before),
            "k = {k}: {} placed with three more shelters, {} without",
            placed(&after),
            placed(&before)
        );
        assert_optimal_over_every_pair(&after, &table, false);
    }
}

#[test]
fn a_plan_stopped_before_pricing_finishes_says_so_and_bounds_its_gap() {
    let atlas = demo();
    let graph = RoadGraph::from_atlas(&atlas);
    let mut body = fifty_year_floods(json!({"candidates": 1}));
    let mut options = riskatlas::service::analyses::evacuation_options(&mut body).unwrap();
    options.max_rounds = 1;
    let scenario = Scenario::parse(&body, &atlas).unwrap();
    let impact = analyse(&atlas, &scenario);
    let stopped = plan(
        &atlas,
        &impact,
        graph.as_ref(),
        &options,
        scenario.period,
        &scenario.needs,
        scenario.days,
    )
    .unwrap();
    let stopped = serde_json::to_value(&stopped).unwrap();
    let o = &stopped["optimality"];
    assert_eq!(o["proved"], false, "{o}");
    assert_eq!(o["rounds"], 1);
    let table = reach_table(&atlas, &impact, graph.as_ref(), &options, scenario.period).unwrap();
    let best = reference(&table);
    let got = plan_cost(&stopped, &table);
    // The bound holds: no more people can be placed than it says.
    let more = best.placed - got.placed;
    assert!(
        more <= o["gap"]["people_possibly_placeable"].as_i64().unwrap(),
        "{more} more placeable; the plan said at most {}",
        o["gap"]
    );
}

#[tokio::test]
async fn every_village_card_accounts_for_all_its_evacuees() {
    let app = common::demo_app();
    for scenario in [
        fifty_year_floods(json!({})),
        json!({"hazards": [{"layer": "landslides"}]}),
        json!({"hazards": [{"layer": "floods"}, {"layer": "landslides"}], "max_minutes": 30}),
    ] {
        let plan = post(&app, "/api/evacuation", &scenario).await.ok_json();
        let encoded: String = scenario
            .to_string()
            .bytes()
            .map(|b| format!("%{b:02X}"))
            .collect();
        let page = common::get(&app, &format!("/cards/evacuation?request={encoded}")).await;
        let html = String::from_utf8(page.body).unwrap();
        // Evacuees per unit, from the plan's own lists.
        let mut evacuees: std::collections::HashMap<String, i64> = Default::default();
        for row in plan["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .chain(plan["unassigned"].as_array().unwrap())
        {
            *evacuees
                .entry(row["unit_id"].as_str().unwrap().to_string())
                .or_default() += row["people"].as_i64().unwrap();
        }
        assert_eq!(
            evacuees.values().sum::<i64>(),
            plan["totals"]["evacuees"].as_i64().unwrap()
        );
        let mut cards = 0;
        for card in html.split("<section class=card").skip(1) {
            let attr = |name: &str| -> String {
                let at = card.find(&format!("{name}=")).expect(name) + name.len() + 1;
                card[at..]
                    .trim_start_matches('"')
                    .split(['"', ' ', '>'])
                    .next()
                    .unwrap()
                    .to_string()
            };
            let unit = attr("data-unit");
            let on_card: i64 = attr("data-placed").parse::<i64>().unwrap()
                + attr("data-unplaced").parse::<i64>().unwrap();
            assert_eq!(
                on_card,
                evacuees.get(&unit).copied().unwrap_or(0),
                "card of unit {unit} in {scenario}"
            );
            if attr("data-unplaced") != "0" {
                assert!(
                    card.contains("未安置") && card.contains("What to do"),
                    "{card}"
                );
            }
            cards += 1;
        }
        assert!(cards > 0);
    }
}

/// Random straight-line instances: units scattered over a few kilometres west of
/// 105.065°E, shelters east of it (so the drawn hazard over the units leaves them open),
/// capacities often short.
fn write_instance(dir: &Path, units: &[(f64, f64, u32)], shelters: &[(f64, f64, u32)]) {
    let mut csv = String::from("lon,lat,population\n");
    for (x, y, p) in units {
        csv.push_str(&format!("{},{},{p}\n", 105.0 + x, 34.0 + y));
    }
    std::fs::write(dir.join("people.csv"), csv).unwrap();
    let features: Vec<Value> = shelters
        .iter()
        .enumerate()
        .map(|(i, (x, y, c))| {
            json!({"type": "Feature", "id": i, "geometry": {"type": "Point", "coordinates": [105.065 + x, 34.0 + y]},
                "properties": {"capacity": c}})
        })
        .collect();
    std::fs::write(
        dir.join("shelters.geojson"),
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("atlas.toml"),
        "name = \"random\"\n[[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.csv\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n",
    )
    .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn random_straight_line_plans_equal_the_full_min_cost_flow(
        units in prop::collection::vec((0.0f64..0.06, 0.0f64..0.06, 1u32..400), 1..25),
        shelters in prop::collection::vec((0.0f64..0.06, 0.0f64..0.06, 0u32..600), 1..12),
        k in 1usize..5,
        max_minutes in 20.0f64..150.0,
    ) {
        let dir = tempfile::tempdir().unwrap();
        write_instance(dir.path(), &units, &shelters);
        let atlas = riskatlas::import::load_folder(dir.path()).unwrap().atlas;
        let over_units = json!({"type": "Polygon", "coordinates": [[[104.99, 33.99], [105.0625, 33.99], [105.0625, 34.07], [104.99, 34.07], [104.99, 33.99]]]});
        let request = json!({"hazards": [{"geometry": over_units}], "candidates": k, "max_minutes": max_minutes});
        let (plan, table) = plan_and_table(&atlas, &request);
        prop_assert_eq!(&plan["optimality"]["proved"], &json!(true));
        prop_assert_eq!(table.units.len(), units.len());
        let full = reference(&table);
        prop_assert_eq!(plan_cost(&plan, &table), full);
        prop_assert_eq!(check_certificate(&plan, &table), table.pairs.len());
    }
}

/// The README's example scenario: floods, landslides, a drawn area and an M6.2
/// earthquake whose bands cover every shelter. Open-space shelters stay usable in the
/// bands (an earthquake closes buildings from intensity VIII, never squares and yards),
/// so the plan places people there instead of calling every village unreachable.
#[tokio::test]
async fn the_readme_earthquake_scenario_places_people_in_open_space_shelters() {
    let app = common::demo_app();
    let scenario = json!({"hazards": [
        {"layer": "floods", "where": {"return_period_years": {"lte": 50}}},
        {"layer": "landslides"},
        {"geometry": {"type": "Polygon", "coordinates": [[[105.70,34.50],[105.78,34.50],[105.78,34.56],[105.70,34.56],[105.70,34.50]]]}, "severity": 4, "name": "drawn"},
        {"earthquake": {"lon": 105.72, "lat": 34.55, "magnitude": 6.2, "depth_km": 10}, "min_intensity": 6}
    ], "exposure": "population", "group_by": "township", "period": "night", "days": 3});
    let plan = post(&app, "/api/evacuation", &scenario).await.ok_json();
    let impact = post(&app, "/api/impact", &scenario).await.ok_json();
    let atlas = demo();
    let shelters = atlas.layer("shelters").unwrap();
    let shelter_type = |id: &str| {
        let fid = (0..shelters.len() as u32)
            .find(|&f| shelters.features()[f as usize].id.to_string() == id)
            .unwrap();
        shelters
            .value(fid, "shelter_type")
            .as_str()
            .unwrap()
            .to_string()
    };
    let in_band: Vec<&Value> = impact["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "shelter")
        .filter(|f| {
            f["hazards"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h.as_str().unwrap().starts_with("earthquake/"))
        })
        .collect();
    assert!(
        !in_band.is_empty(),
        "some shelters lie only in earthquake bands"
    );
    let closed: Vec<&str> = impact["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["unusable"] == true)
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let assignments = plan["assignments"].as_array().unwrap();
    assert!(
        plan["totals"]["assigned"].as_i64().unwrap() > 0,
        "{}",
        plan["totals"]
    );
    let open_space_in_band = assignments.iter().any(|a| {
        let id = a["shelter_id"].as_str().unwrap();
        in_band.iter().any(|f| f["id"] == id)
            && ["square", "school_yard", "county_square"].contains(&shelter_type(id).as_str())
    });
    assert!(
        open_space_in_band,
        "no one goes to an open space inside a band"
    );
    for a in assignments {
        assert!(
            !closed.contains(&a["shelter_id"].as_str().unwrap()),
            "people sent to closed shelter {}",
            a["shelter_id"]
        );
    }
    // Nobody is "unreachable" for want of open roads: the bands close no road.
    for u in plan["unassigned"].as_array().unwrap() {
        assert_ne!(u["reason"], "unreachable", "{u}");
    }
}

/// A village 3 km from the only road is off the network: the plan says so instead of
/// inventing a cross-country walk; its neighbour beside the road is placed. A route
/// from [0, 0] (11,000 km from the county) is unreachable, with the reason.
#[tokio::test]
async fn units_and_routes_beyond_the_walk_to_a_road_are_unreachable_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
    // Two villages: 110 m and 3.3 km north of a 1.8 km east-west road at 34.50°N.
    write(
        "people.csv",
        "name,lon,lat,population\nnear,105.710,34.501,120\nfar,105.710,34.530,80\n".into(),
    );
    write(
        "shelters.geojson",
        json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.716, 34.5005]}, "properties": {"capacity": 500, "name": "school yard"}}]}).to_string(),
    );
    write(
        "roads.geojson",
        json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[105.70, 34.50], [105.72, 34.50]]}, "properties": {}}]}).to_string(),
    );
    write(
        "atlas.toml",
        "name = \"t\"\n[[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.csv\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n[[layer]]\nid = \"roads\"\nkind = \"road\"\nfile = \"roads.geojson\"\n".into(),
    );
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    let app = riskatlas::api::router(riskatlas::api::AppState::new(loaded.atlas, loaded.report));
    let over_both = json!({"type": "Polygon", "coordinates": [[[105.705, 34.5008], [105.712, 34.5008], [105.712, 34.54], [105.705, 34.54], [105.705, 34.5008]]]});
    let plan = post(
        &app,
        "/api/evacuation",
        &json!({"hazards": [{"geometry": over_both}]}),
    )
    .await
    .ok_json();
    assert_eq!(plan["routing"], "road");
    assert_eq!(plan["totals"]["assigned"], 120, "{}", plan["totals"]);
    let far = &plan["unassigned"][0];
    assert_eq!(far["people"], 80);
    assert_eq!(far["reason"], "unreachable");
    let detail = far["detail"].as_str().unwrap();
    assert!(
        detail.contains("off the road network") && detail.contains("2000 m"),
        "{detail}"
    );
    let route = post(
        &app,
        "/api/route",
        &json!({"from": [0.0, 0.0], "to": [105.716, 34.5005]}),
    )
    .await
    .ok_json();
    assert_eq!(route["reachable"], false, "{route}");
    assert!(
        route["reason"]
            .as_str()
            .unwrap()
            .contains("off the road network"),
        "{route}"
    );
    assert!(route.get("minutes").is_none());
}
