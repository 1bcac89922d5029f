//! Where they evacuate: shortest paths against a plain Bellman-Ford, plan invariants
//! (capacities, everyone accounted for, routes clear of hazards), straight-line mode by
//! hand, and bad input.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_app, post, repo_path};
use geo::{Contains, Distance, Geodesic, Geometry, Point};
use riskatlas::routing::RoadGraph;
use riskatlas::routing::search::{Search, Visit};
use serde_json::{Value, json};
use std::collections::HashMap;

#[test]
fn dijkstra_distances_equal_a_plain_bellman_ford() {
    let atlas = riskatlas::import::load_folder(&repo_path("data/demo"))
        .unwrap()
        .atlas;
    let graph = RoadGraph::from_atlas(&atlas).unwrap();
    let arcs: Vec<(u32, u32, f64)> = graph
        .all_arcs()
        .map(|(f, a)| (f, a.to, a.length_m))
        .collect();
    let mut search = Search::new(&graph);
    for source in [
        0u32,
        graph.node_count() as u32 / 2,
        graph.node_count() as u32 - 1,
    ] {
        // Bellman-Ford: relax every arc until nothing changes.
        let mut dist = vec![f64::INFINITY; graph.node_count()];
        dist[source as usize] = 0.0;
        loop {
            let mut changed = false;
            for &(f, t, w) in &arcs {
                if dist[f as usize] + w < dist[t as usize] - 1e-9 {
                    dist[t as usize] = dist[f as usize] + w;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        search.run(
            source,
            0.0,
            f64::INFINITY,
            |_, a| Some(a.length_m),
            |_, _| Visit::Continue,
        );
        for n in 0..graph.node_count() as u32 {
            let (a, b) = (search.cost(n), dist[n as usize]);
            assert!(
                (a - b).abs() < 1e-6 || (a.is_infinite() && b.is_infinite()),
                "node {n}: {a} vs {b}"
            );
        }
        // The demo network is connected: every node is reached.
        assert!(dist.iter().all(|d| d.is_finite()));
        // And a reconstructed path adds up to its cost.
        let far = (0..graph.node_count() as u32)
            .max_by(|&a, &b| dist[a as usize].total_cmp(&dist[b as usize]))
            .unwrap();
        let length: f64 = search.path(far).iter().map(|(_, a)| a.length_m).sum();
        assert!((length - dist[far as usize]).abs() < 1e-6);
    }
}

fn flood_scenario() -> Value {
    json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}, {"layer": "landslides"}]})
}

#[tokio::test]
async fn a_flood_plan_respects_capacities_and_accounts_for_everyone() {
    let app = demo_app();
    let plan = post(&app, "/api/evacuation", &flood_scenario()).await;
    assert_eq!(plan.status, 200, "{}", String::from_utf8_lossy(&plan.body));
    let plan = plan.json();
    assert_eq!(plan["routing"], "road");
    let t = &plan["totals"];
    assert!(t["evacuees"].as_i64().unwrap() > 0);
    let assigned: i64 = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["people"].as_i64().unwrap())
        .sum();
    let unassigned: i64 = plan["unassigned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["people"].as_i64().unwrap())
        .sum();
    assert_eq!(assigned, t["assigned"].as_i64().unwrap());
    assert_eq!(
        assigned + unassigned,
        t["evacuees"].as_i64().unwrap(),
        "every evacuee is assigned or listed"
    );
    for u in plan["unassigned"].as_array().unwrap() {
        assert!(
            ["unreachable", "capacity", "through_hazard"].contains(&u["reason"].as_str().unwrap())
        );
    }
    // No shelter over its capacity, counted from the assignments themselves.
    let mut load: HashMap<String, i64> = HashMap::new();
    for a in plan["assignments"].as_array().unwrap() {
        *load
            .entry(a["shelter_id"].as_str().unwrap().to_string())
            .or_default() += a["people"].as_i64().unwrap();
    }
    for s in plan["shelters"].as_array().unwrap() {
        let l = load[s["id"].as_str().unwrap()];
        assert_eq!(l, s["assigned"].as_i64().unwrap());
        assert!(
            l <= s["capacity"].as_i64().unwrap(),
            "shelter {} over capacity",
            s["id"]
        );
    }
    // No assignment to a shelter the impact marked unusable.
    let impact = post(&app, "/api/impact", &flood_scenario()).await.json();
    let unusable: Vec<String> = impact["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["unusable"] == true)
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!unusable.is_empty());
    assert!(
        plan["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| !unusable.contains(&a["shelter_id"].as_str().unwrap().to_string()))
    );
    let max = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["minutes"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert_eq!(t["max_minutes"].as_f64().unwrap(), max);
}

#[tokio::test]
async fn routes_stay_out_of_hazards_other_than_the_one_they_start_in() {
    let app = demo_app();
    let plan = post(&app, "/api/evacuation", &flood_scenario())
        .await
        .json();
    let hazards = post(&app, "/api/impact?format=geojson", &flood_scenario())
        .await
        .json();
    let areas: Vec<Geometry<f64>> = hazards["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["role"] == "hazard")
        .map(|f| {
            serde_json::from_value::<geojson::Geometry>(f["geometry"].clone())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    let mut checked = 0;
    for a in plan["assignments"].as_array().unwrap() {
        let route: geojson::Geometry = serde_json::from_value(a["route"].clone()).unwrap();
        let Geometry::LineString(line) = Geometry::<f64>::try_from(route).unwrap() else {
            panic!("routes are lines")
        };
        let start = line.0[0];
        let start_zones: Vec<usize> = (0..areas.len())
            .filter(|&i| areas[i].contains(&Point(start)))
            .collect();
        // Interior vertices (road nodes) must lie outside every hazard the unit did not start in.
        for c in &line.0[1..line.0.len() - 1] {
            for (i, area) in areas.iter().enumerate() {
                if !start_zones.contains(&i) {
                    assert!(
                        !area.contains(&Point(*c)),
                        "route of unit {} enters hazard {i}",
                        a["unit_id"]
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[tokio::test]
async fn straight_line_plans_use_distance_times_detour_at_the_profile_speed() {
    let app = demo_app();
    let mut body = flood_scenario();
    body["routing"] = json!("straight_line");
    body["speed_kmh"] = json!(5.0);
    body["detour_factor"] = json!(1.5);
    let plan = post(&app, "/api/evacuation", &body).await.json();
    assert_eq!(plan["routing"], "straight_line");
    let a = &plan["assignments"][0];
    let coords = a["route"]["coordinates"].as_array().unwrap();
    let p = |v: &Value| Point::new(v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    let metres = Geodesic.distance(p(&coords[0]), p(&coords[1])) * 1.5;
    // 5 km/h is 83.33 m per minute.
    assert!(
        (a["minutes"].as_f64().unwrap() - metres / (5_000.0 / 60.0)).abs() < 0.06,
        "{a}"
    );
    assert!((a["distance_m"].as_f64().unwrap() - metres).abs() < 0.6);
    assert!(
        plan["assumptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("straight-line"))
    );
}

#[tokio::test]
async fn an_empty_scenario_is_an_empty_plan() {
    let plan = post(&demo_app(), "/api/evacuation", &json!({"hazards": []}))
        .await
        .json();
    assert_eq!(plan["totals"]["evacuees"], 0);
    assert!(plan["assignments"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn bad_evacuation_options_are_refused_with_the_reason() {
    let app = demo_app();
    let cases = [
        (json!({"hazards": [], "profile": "fly"}), "unknown profile"),
        (json!({"hazards": [], "speed_kmh": -3}), "speed_kmh"),
        (json!({"hazards": [], "candidates": 0}), "candidates"),
        (json!({"hazards": [], "routing": "teleport"}), "routing"),
        (
            json!({"hazards": [], "keep_villages_whole": "yes"}),
            "true or false",
        ),
        (json!({"hazards": [{"layer": "nope"}]}), "unknown layer"),
        (json!([1, 2]), "JSON object"),
    ];
    for (body, needle) in cases {
        let reply = post(&app, "/api/evacuation", &body).await;
        assert_eq!(reply.status, 400, "{body}");
        let e = reply.json()["error"].as_str().unwrap().to_string();
        assert!(e.contains(needle), "{body}: {e}");
    }
}

#[tokio::test]
async fn plans_export_as_geojson_routes_and_csv_rows() {
    let app = demo_app();
    let plan = post(&app, "/api/evacuation", &flood_scenario())
        .await
        .json();
    let geo = post(&app, "/api/evacuation?format=geojson", &flood_scenario())
        .await
        .json();
    assert_eq!(
        geo["features"].as_array().unwrap().len(),
        plan["assignments"].as_array().unwrap().len()
    );
    assert_eq!(geo["features"][0]["geometry"]["type"], "LineString");
    let csv = post(&app, "/api/evacuation?format=csv", &flood_scenario()).await;
    let text = String::from_utf8(csv.body).unwrap();
    let rows = text.lines().count() - 1;
    assert_eq!(
        rows,
        plan["assignments"].as_array().unwrap().len()
            + plan["unassigned"].as_array().unwrap().len()
    );
}

/// A folder with a population point, a shelter, a drawn-flood-ready area, and a road
/// layer whose only road has no length.
fn no_usable_roads_app() -> axum::Router {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "people.csv",
        "lon,lat,population\n105.700,34.500,120\n".into(),
    );
    write(
        "shelters.geojson",
        json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.72, 34.51]}, "properties": {"capacity": 500, "name": "school yard"}}]}).to_string(),
    );
    write(
        "roads.geojson",
        json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[105.71, 34.5], [105.71, 34.5]]}, "properties": {}}]}).to_string(),
    );
    write(
        "atlas.toml",
        "name = \"t\"\n[[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.csv\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n[[layer]]\nid = \"roads\"\nkind = \"road\"\nfile = \"roads.geojson\"\n".into(),
    );
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    riskatlas::api::router(riskatlas::api::AppState::new(loaded.atlas, loaded.report))
}

#[tokio::test]
async fn roads_with_no_usable_ways_fall_back_to_straight_lines_and_say_why() {
    let app = no_usable_roads_app();
    let flood = json!({"type": "Polygon", "coordinates": [[[105.69, 34.49], [105.71, 34.49], [105.71, 34.505], [105.69, 34.505], [105.69, 34.49]]]});
    let body = json!({"hazards": [{"geometry": flood}]});
    let plan = post(&app, "/api/evacuation", &body).await.json();
    assert_eq!(plan["routing"], "straight_line");
    assert_eq!(plan["totals"]["assigned"], 120);
    let notes = plan["assumptions"].to_string();
    assert!(notes.contains("no usable line"), "{notes}");
    let mut forced = body.clone();
    forced["routing"] = json!("road");
    let reply = post(&app, "/api/evacuation", &forced).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("no usable line")
    );
}

#[test]
fn a_file_that_is_not_osm_fails_its_layer_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("roads.osm.pbf"),
        b"this is not a protobuf file at all",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("atlas.toml"),
        "name = \"t\"\n[[layer]]\nid = \"roads\"\nkind = \"road\"\nfile = \"roads.osm.pbf\"\n",
    )
    .unwrap();
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    let error = loaded
        .report
        .layer("roads")
        .unwrap()
        .error
        .clone()
        .expect("the layer fails");
    assert!(
        error.contains("roads.osm.pbf") && error.contains("OSM"),
        "{error}"
    );
    assert!(loaded.atlas.layer("roads").is_none());
}

#[tokio::test]
async fn keeping_villages_whole_sends_each_unit_to_one_shelter_and_reports_the_cost() {
    let app = demo_app();
    let split = post(&app, "/api/evacuation", &flood_scenario())
        .await
        .json();
    let mut body = flood_scenario();
    body["keep_villages_whole"] = json!(true);
    let whole = post(&app, "/api/evacuation", &body).await.json();
    let mut seen = std::collections::HashSet::new();
    for a in whole["assignments"].as_array().unwrap() {
        assert!(
            seen.insert(a["unit_id"].as_str().unwrap().to_string()),
            "unit {} split",
            a["unit_id"]
        );
    }
    for s in whole["shelters"].as_array().unwrap() {
        assert!(s["assigned"].as_i64().unwrap() <= s["capacity"].as_i64().unwrap());
    }
    let note = &whole["keep_villages_whole"];
    // The split optimum it compares with is the default plan's person-minutes.
    let split_pm: f64 = split["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["people"].as_f64().unwrap() * a["minutes"].as_f64().unwrap())
        .sum();
    assert!(
        (note["split_person_minutes"].as_f64().unwrap() - split_pm).abs() / split_pm < 0.002,
        "{note} vs {split_pm}"
    );
    assert_eq!(note["split_assigned"], split["totals"]["assigned"]);
    assert_eq!(note["whole_assigned"], whole["totals"]["assigned"]);
    assert!(
        whole["totals"]["assigned"].as_i64().unwrap()
            <= split["totals"]["assigned"].as_i64().unwrap()
    );
    assert!(split.get("keep_villages_whole").is_none());
}

#[tokio::test]
async fn coverage_minutes_match_a_forward_search_to_every_open_shelter() {
    use riskatlas::routing::snap::{Leg, RoadSnap, SegmentIndex};
    let app = demo_app();
    let reply = post(
        &app,
        "/api/coverage",
        &json!({"thresholds": [5, 10, 15, 30]}),
    )
    .await;
    let cov = reply.ok_json();
    let atlas = riskatlas::import::load_folder(&repo_path("data/demo"))
        .unwrap()
        .atlas;
    let graph = RoadGraph::from_atlas(&atlas).unwrap();
    let index = SegmentIndex::new(&graph);
    let shelters = atlas.layer("shelters").unwrap();
    let open: Vec<RoadSnap> = (0..shelters.len() as u32)
        .filter(|&f| matches!(shelters.value(f, "status").as_str(), None | Some("open")))
        .map(|f| {
            let Geometry::Point(p) = shelters.feature(f).unwrap().geometry else {
                panic!()
            };
            index.snap(&graph, p).unwrap()
        })
        .collect();
    let pop = atlas.layer("population").unwrap();
    let per_m = 60.0 / 4_000.0; // minutes per metre at 4 km/h, on and off the road
    let mut search = Search::new(&graph);
    for fid in (0..pop.len() as u32).step_by(23) {
        let Geometry::Point(p) = pop.feature(fid).unwrap().geometry else {
            panic!()
        };
        // Forward, from the unit's road point to every open shelter's road point: the
        // coverage itself searches backwards from all shelters at once.
        let unit = index.snap(&graph, p).unwrap();
        let sources: Vec<(u32, f64)> = unit.entries.iter().map(|e| (e.node, e.metres)).collect();
        search.run_from(
            &sources,
            f64::INFINITY,
            |_, a| Some(a.length_m),
            |_, _| Visit::Continue,
        );
        let mut best_m = f64::INFINITY;
        for s in &open {
            for x in &s.exits {
                best_m = best_m.min(search.cost(x.node) + x.metres + s.distance_m);
                for e in &unit.entries {
                    if let Some(m) = Leg::direct(e, x) {
                        best_m = best_m.min(m + s.distance_m);
                    }
                }
            }
        }
        let best = (best_m + unit.distance_m) * per_m;
        let got = cov["units"][fid as usize]["shelter_minutes"]
            .as_f64()
            .unwrap();
        assert!((got - best).abs() <= 0.051, "unit {fid}: {got} vs {best}");
    }
    for b in cov["beyond"].as_array().unwrap() {
        let t = b["minutes"].as_f64().unwrap();
        let expected: f64 = cov["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["shelter_minutes"].as_f64().is_none_or(|m| m > t))
            .map(|u| u["people"].as_f64().unwrap())
            .sum();
        assert_eq!(b["shelter_population"].as_f64().unwrap(), expected);
    }
    let isos = cov["isochrones"]["features"].as_array().unwrap();
    assert_eq!(isos.len(), 4);
    let areas: Vec<f64> = isos
        .iter()
        .map(|f| {
            let g: Geometry<f64> =
                serde_json::from_value::<geojson::Geometry>(f["geometry"].clone())
                    .unwrap()
                    .try_into()
                    .unwrap();
            geo::Area::unsigned_area(&g)
        })
        .collect();
    assert!(
        areas.windows(2).all(|w| w[0] <= w[1] + 1e-12),
        "isochrones grow with time: {areas:?}"
    );
}

#[tokio::test]
async fn bad_coverage_requests_are_refused() {
    let app = demo_app();
    for (body, needle) in [
        (json!({"thresholds": []}), "thresholds"),
        (json!({"thresholds": [0.1]}), "thresholds"),
        (json!({"profile": "swim"}), "unknown profile"),
        (
            json!({"isochrones_from": {"lon": 500, "lat": 1}}),
            "isochrones_from",
        ),
        (json!({"exposure": "shelters"}), "not population"),
        (json!({"colour": 1}), "unknown field"),
    ] {
        let reply = post(&app, "/api/coverage", &body).await;
        assert!(reply.status.is_client_error(), "{body}");
        assert!(
            reply.json()["error"].as_str().unwrap().contains(needle),
            "{body}: {}",
            reply.json()
        );
    }
}

#[tokio::test]
async fn village_and_shelter_cards_say_when_who_where_and_whom_to_call() {
    let app = demo_app();
    let plan = post(&app, "/api/evacuation", &flood_scenario())
        .await
        .json();
    let impact = post(&app, "/api/impact", &flood_scenario()).await.json();
    let encoded: String = flood_scenario()
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let page = common::get(&app, &format!("/cards/evacuation?request={encoded}")).await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();
    assert_eq!(
        html.matches("class=card").count(),
        impact["units"].as_array().unwrap().len(),
        "one card per affected unit"
    );
    // The first assigned unit's card names its shelter and its village duty phone.
    let a = &plan["assignments"][0];
    assert!(html.contains(a["shelter_name"].as_str().unwrap()));
    let unit = impact["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == a["unit_id"])
        .unwrap();
    let atlas = riskatlas::import::load_folder(&repo_path("data/demo"))
        .unwrap()
        .atlas;
    let villages = atlas.layer("villages").unwrap();
    let code = unit["admin_code"].as_str().unwrap();
    let fid = (0..villages.len() as u32)
        .find(|&f| villages.value(f, "code").as_str() == Some(code))
        .unwrap();
    assert!(html.contains(villages.value(fid, "contact_phone").as_str().unwrap()));
    // Red hazards say "move now".
    if impact["units"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["severity"] == 4)
    {
        assert!(html.contains("立即转移") && html.contains("Move now"));
    }
    let one = common::get(
        &app,
        &format!(
            "/cards/evacuation?request={encoded}&unit={}",
            a["unit_id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        String::from_utf8(one.body)
            .unwrap()
            .matches("class=card")
            .count(),
        1
    );
    let shelters = String::from_utf8(
        common::get(
            &app,
            &format!("/cards/evacuation?request={encoded}&kind=shelter"),
        )
        .await
        .body,
    )
    .unwrap();
    assert_eq!(
        shelters.matches("class=card").count(),
        plan["shelters"].as_array().unwrap().len()
    );
    assert_eq!(
        common::get(
            &app,
            &format!("/cards/evacuation?request={encoded}&kind=poster")
        )
        .await
        .status,
        400
    );
    assert_eq!(common::get(&app, "/cards/evacuation").await.status, 400);
}

/// A 10-minute drive isochrone from a point holds every road node reached within 10
/// minutes, and no node more than the outline's 200 m from every reached node.
#[tokio::test]
async fn an_isochrone_outlines_the_roads_reached_and_nothing_far_from_them() {
    use geo::Intersects;
    use riskatlas::routing::graph::Profile;
    use riskatlas::routing::travel::{Costing, Trip};
    let atlas = riskatlas::import::load_folder(&repo_path("data/demo"))
        .unwrap()
        .atlas;
    let graph = RoadGraph::from_atlas(&atlas).unwrap();
    let centre = graph.nodes[graph.node_count() / 2];
    let reply = post(
        &demo_app(),
        "/api/coverage",
        &json!({"profile": "drive", "thresholds": [10], "isochrones_from": {"lon": centre.x, "lat": centre.y}}),
    )
    .await;
    let coverage = reply.ok_json();
    let iso = &coverage["isochrones"]["features"][0];
    let area: Geometry<f64> = serde_json::from_value::<geojson::Geometry>(iso["geometry"].clone())
        .unwrap()
        .try_into()
        .unwrap();

    // Forward drive times from the point's node (it is a node: no walk).
    // The point is a node, so the search starts there with no walk.
    let start = (graph.node_count() / 2) as u32;
    let drive = Costing::new(&atlas, &graph, &Profile::drive());
    let mut search = Search::new(&graph);
    search.run(
        start,
        0.0,
        f64::INFINITY,
        |from, a| drive.arc_seconds(from, a, Trip::OPEN),
        |_, _| Visit::Continue,
    );
    let minutes: Vec<f64> = (0..graph.node_count() as u32)
        .map(|n| search.cost(n) / 60.0)
        .collect();
    let reached: Vec<Point<f64>> = (0..graph.node_count())
        .filter(|&n| minutes[n] <= 10.0)
        .map(|n| Point(graph.nodes[n]))
        .collect();
    assert!(
        reached.len() > 10,
        "a 10-minute drive reaches some roads ({})",
        reached.len()
    );
    for p in &reached {
        assert!(
            area.intersects(p),
            "reached node {p:?} is outside the isochrone"
        );
    }
    // Every reached stretch lies within one arc of a reached node, and the outline within
    // 200 m of a reached stretch: a node farther than that (with 50 m to spare) from
    // every reached node must be outside.
    let longest_arc = graph
        .all_arcs()
        .map(|(_, a)| a.length_m)
        .fold(0.0, f64::max);
    let tree = rstar::RTree::bulk_load(reached.iter().map(|p| [p.x(), p.y()]).collect());
    let mut far_checked = 0;
    for n in 0..graph.node_count() {
        let p = Point(graph.nodes[n]);
        let nearest = tree.nearest_neighbor(&[p.x(), p.y()]).unwrap();
        let gap = Geodesic.distance(p, Point::new(nearest[0], nearest[1]));
        if gap > 250.0 + longest_arc {
            assert!(
                !area.intersects(&p),
                "node {n}, {gap:.0} m from the reached roads, is inside"
            );
            far_checked += 1;
        }
    }
    assert!(
        far_checked > 100,
        "the test checked far nodes ({far_checked})"
    );
}

/// The plan CSV's columns, as the README documents them.
const PLAN_COLUMNS: [&str; 8] = [
    "unit_id",
    "shelter_id",
    "shelter_name",
    "people",
    "minutes",
    "distance_m",
    "unassigned_reason",
    "unassigned_detail",
];

#[test]
fn riskatlas_evacuate_honours_format_json_geojson_csv_and_html() {
    use common::cli::{csv_rows, riskatlas, scenario_file};
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_file(
        dir.path(),
        &json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}, {"layer": "landslides"}]}),
    );
    let run = |command: &str, format: &str| riskatlas(&[command, &scenario, "--format", format]);

    let plan: Value = serde_json::from_str(&run("evacuate", "json")).expect("the plan is JSON");
    let assigned = plan["assignments"].as_array().unwrap();
    let unassigned = plan["unassigned"].as_array().unwrap();
    assert!(!assigned.is_empty() && !unassigned.is_empty());

    let routes: Value = serde_json::from_str(&run("evacuate", "geojson")).expect("GeoJSON");
    let features = routes["features"].as_array().unwrap();
    assert_eq!(features.len(), assigned.len(), "one route per assignment");
    for f in features {
        let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).unwrap();
        assert!(matches!(g.value, geojson::GeometryValue::LineString { .. }));
    }

    let rows = csv_rows(&run("evacuate", "csv"));
    assert_eq!(rows[0], PLAN_COLUMNS);
    assert_eq!(rows.len() - 1, assigned.len() + unassigned.len());
    let reasons: Vec<&str> = rows[1..]
        .iter()
        .filter(|r| !r[6].is_empty())
        .map(|r| r[6].as_str())
        .collect();
    let expected: Vec<&str> = unassigned
        .iter()
        .map(|u| u["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, expected, "the unplaced rows carry their reasons");
    assert!(rows[1..].iter().all(|r| r[6].is_empty() == r[7].is_empty()));

    // The village cards: one per affected unit of the same scenario's report.
    let impact: Value = serde_json::from_str(&run("impact", "json")).unwrap();
    let html = run("evacuate", "html");
    let units = impact["units"].as_array().unwrap();
    assert_eq!(html.matches("<section class=card").count(), units.len());
    for u in units {
        let id = u["id"].as_str().unwrap();
        assert!(
            html.contains(&format!("data-unit=\"{id}\"")),
            "no card for {id}"
        );
    }
}

/// The text of HTML with its character references decoded (the five that escaping
/// writes, named or numeric), tags left in place.
fn decoded(html: &str) -> String {
    let mut out = html.to_string();
    for (entity, c) in [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#34;", "\""),
        ("&#39;", "'"),
        ("&#60;", "<"),
        ("&#62;", ">"),
        ("&amp;", "&"),
        ("&#38;", "&"),
    ] {
        out = out.replace(entity, c);
    }
    out
}

#[tokio::test]
async fn plan_csv_cells_that_would_run_as_formulas_start_with_an_apostrophe_and_cards_escape_markup()
 {
    use common::cli::csv_rows;
    use common::folder::{
        FORMULA_SHELTER, MINUS_UNIT_ID, SCRIPT_UNIT_NAME, hostile_names_folder, hostile_scenario,
    };
    let dir = hostile_names_folder();
    let app = common::folder_app(dir.path());
    let reply = post(&app, "/api/evacuation?format=csv", hostile_scenario()).await;
    assert_eq!(reply.status, 200);
    let rows = csv_rows(&String::from_utf8(reply.body).unwrap());
    // 120 people, a shelter for 50: one row placed, one row not placed.
    assert_eq!(rows.len(), 3, "{rows:?}");
    let (placed, unplaced) = (&rows[1], &rows[2]);
    assert_eq!(placed[0], format!("'{MINUS_UNIT_ID}"));
    assert_eq!(placed[2], format!("'{FORMULA_SHELTER}"));
    assert_eq!(placed[3], "50");
    assert_eq!(unplaced[0], format!("'{MINUS_UNIT_ID}"));
    assert_eq!(
        (unplaced[3].as_str(), unplaced[6].as_str()),
        ("70", "capacity")
    );
    assert!(!unplaced[7].is_empty(), "the reason's sentence");

    let encoded: String = hostile_scenario()
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let page = common::get(&app, &format!("/cards/evacuation?request={encoded}")).await;
    let html = String::from_utf8(page.body).unwrap();
    assert!(!html.contains("<script"), "markup from the data ran");
    assert!(
        decoded(&html).contains(SCRIPT_UNIT_NAME),
        "the name is shown"
    );
}
