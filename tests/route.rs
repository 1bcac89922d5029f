//! Point-to-point routes: the contraction hierarchy against this test's own textbook
//! Dijkstra on the demo county and on the real Monaco OpenStreetMap roads; the
//! `/api/route` answer (on road arcs, around a drawn hazard, at a uniform speed worked
//! by hand); and bad requests.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_app, post, repo_path};
use geo::{Coord, Intersects, Line, Polygon};
use rand::{Rng, SeedableRng};
use riskatlas::atlas::Atlas;
use riskatlas::routing::graph::{Profile, RoadGraph};
use riskatlas::routing::travel::{Costing, Trip};
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Textbook Dijkstra on travel seconds, written for this test: the optimum from `s`.
fn textbook_seconds(atlas: &Atlas, graph: &RoadGraph, profile: &Profile, s: u32) -> Vec<f64> {
    let costing = Costing::new(atlas, graph, profile);
    let mut dist = vec![f64::INFINITY; graph.node_count()];
    let mut heap = BinaryHeap::new();
    dist[s as usize] = 0.0;
    // Costs as integer nanoseconds for the heap's ordering.
    heap.push(Reverse((0u64, s)));
    while let Some(Reverse((_, n))) = heap.pop() {
        let d = dist[n as usize];
        for arc in graph.arcs(n) {
            let Some(w) = costing.arc_seconds(n, arc, Trip::OPEN) else {
                continue;
            };
            if d + w < dist[arc.to as usize] {
                dist[arc.to as usize] = d + w;
                heap.push(Reverse((((d + w) * 1e9) as u64, arc.to)));
            }
        }
    }
    dist
}

/// Routes between random node pairs agree with the textbook optimum, to the millisecond
/// per arc the hierarchy rounds to.
fn hierarchy_matches_dijkstra(atlas: &Atlas, pairs: usize, seed: u64) {
    let graph = RoadGraph::from_atlas(atlas).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    for profile in [Profile::walk(), Profile::drive()] {
        let hierarchy = graph
            .hierarchy(atlas, &profile)
            .expect("named profiles have one");
        let mut checked = 0;
        for _ in 0..pairs {
            let s = rng.random_range(0..graph.node_count() as u32);
            let t = rng.random_range(0..graph.node_count() as u32);
            let best = textbook_seconds(atlas, &graph, &profile, s)[t as usize];
            match hierarchy.route(s, t) {
                None => assert!(
                    best.is_infinite(),
                    "{}: {s}→{t} reachable in {best} s",
                    profile.name
                ),
                Some(nodes) => {
                    assert_eq!((nodes[0], *nodes.last().unwrap()), (s, t));
                    let seconds: f64 = nodes
                        .windows(2)
                        .map(|w| {
                            Costing::new(atlas, &graph, &profile)
                                .step(w[0], w[1], Trip::OPEN)
                                .expect("an arc")
                                .1
                        })
                        .sum();
                    let slack = 1e-3 * nodes.len() as f64;
                    assert!(
                        (seconds - best).abs() <= slack,
                        "{}: {s}→{t}: hierarchy {seconds} s, optimum {best} s",
                        profile.name
                    );
                    checked += 1;
                }
            }
        }
        assert!(
            checked > pairs / 2,
            "most pairs are connected ({checked} of {pairs})"
        );
    }
}

#[test]
fn hierarchy_routes_are_optimal_on_the_demo_county() {
    let atlas = riskatlas::import::load_folder(&repo_path("data/demo"))
        .unwrap()
        .atlas;
    hierarchy_matches_dijkstra(&atlas, 60, 7);
}

#[test]
fn hierarchy_routes_are_optimal_on_real_monaco_roads() {
    let atlas = riskatlas::import::load_folder(&repo_path("data/real/monaco"))
        .unwrap()
        .atlas;
    hierarchy_matches_dijkstra(&atlas, 100, 11);
}

fn demo_atlas() -> Atlas {
    riskatlas::import::load_folder(&repo_path("data/demo"))
        .unwrap()
        .atlas
}

/// Two far-apart road nodes of the demo county, as request points.
fn endpoints(graph: &RoadGraph) -> ([f64; 2], [f64; 2]) {
    let a = graph.nodes[graph.node_count() / 5];
    let b = graph.nodes[graph.node_count() * 3 / 5];
    ([a.x, a.y], [b.x, b.y])
}

fn coords(route: &Value) -> Vec<Coord<f64>> {
    route["route"]["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Coord {
            x: c[0].as_f64().unwrap(),
            y: c[1].as_f64().unwrap(),
        })
        .collect()
}

#[tokio::test]
async fn a_route_runs_on_road_arcs_from_point_to_point() {
    let atlas = demo_atlas();
    let graph = RoadGraph::from_atlas(&atlas).unwrap();
    let (from, to) = endpoints(&graph);
    let reply = post(
        &demo_app(),
        "/api/route",
        json!({"from": from, "to": to, "profile": "drive"}),
    )
    .await;
    let r = reply.ok_json();
    assert_eq!(r["reachable"], true);
    assert_eq!(r["engine"], "contraction_hierarchy");
    let line = coords(&r);
    assert_eq!((line[0].x, line[0].y), (from[0], from[1]));
    let last = line.last().unwrap();
    assert_eq!((last.x, last.y), (to[0], to[1]));
    // Consecutive positions are the ends of a road arc.
    let node_at: HashMap<(u64, u64), u32> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, c)| ((c.x.to_bits(), c.y.to_bits()), i as u32))
        .collect();
    let mut metres = 0.0;
    for w in line.windows(2) {
        let a = node_at[&(w[0].x.to_bits(), w[0].y.to_bits())];
        let b = node_at[&(w[1].x.to_bits(), w[1].y.to_bits())];
        let arc = graph.arcs(a).iter().find(|arc| arc.to == b);
        metres += arc
            .unwrap_or_else(|| panic!("no road arc {a}→{b}"))
            .length_m;
    }
    let reported = r["distance_m"].as_f64().unwrap();
    // Answers give whole metres.
    assert!((reported - metres).abs() <= 0.5, "{reported} vs {metres}");
    // The time is the textbook optimum (the endpoints are nodes: no walk to the road).
    let s = node_at[&(from[0].to_bits(), from[1].to_bits())];
    let t = node_at[&(to[0].to_bits(), to[1].to_bits())];
    let best = textbook_seconds(&atlas, &graph, &Profile::drive(), s)[t as usize];
    // Answers give tenths of a minute: 3 s either way.
    let minutes = r["minutes"].as_f64().unwrap();
    assert!(
        (minutes * 60.0 - best).abs() <= 3.0 + 1e-3 * line.len() as f64,
        "{minutes} min vs {best} s"
    );
}

#[tokio::test]
async fn a_route_avoids_a_drawn_hazard_and_a_uniform_speed_is_worked_by_hand() {
    let atlas = demo_atlas();
    let graph = RoadGraph::from_atlas(&atlas).unwrap();
    let (from, to) = endpoints(&graph);
    let app = demo_app();
    let direct = post(&app, "/api/route", json!({"from": from, "to": to}))
        .await
        .json();
    // A square across the middle of the direct route, away from both ends.
    let line = coords(&direct);
    let mid = line[line.len() / 2];
    let d = 0.004;
    let square = vec![
        [mid.x - d, mid.y - d],
        [mid.x + d, mid.y - d],
        [mid.x + d, mid.y + d],
        [mid.x - d, mid.y + d],
        [mid.x - d, mid.y - d],
    ];
    let scenario = json!({"hazards": [{"geometry": {"type": "Polygon", "coordinates": [square]}, "name": "drawn"}]});
    let reply = post(
        &app,
        "/api/route",
        json!({"from": from, "to": to, "scenario": scenario}),
    )
    .await;
    let around = reply.ok_json();
    assert_eq!(around["engine"], "dijkstra");
    assert_eq!(around["through_hazard"], false, "{around}");
    let area = Polygon::new(
        square.iter().map(|p| Coord { x: p[0], y: p[1] }).collect(),
        vec![],
    );
    assert!(
        line.windows(2)
            .any(|w| Line::new(w[0], w[1]).intersects(&area)),
        "the hazard must lie across the direct route for this test to mean anything"
    );
    let around_line = coords(&around);
    for w in around_line.windows(2) {
        assert!(
            !Line::new(w[0], w[1]).intersects(&area),
            "a route segment meets the hazard"
        );
    }
    assert!(around["minutes"].as_f64() >= direct["minutes"].as_f64());

    // Walking at a uniform 6 km/h: road metres / speed, plus no walk to the road.
    let reply = post(
        &app,
        "/api/route",
        json!({"from": from, "to": to, "speed_kmh": 6}),
    )
    .await;
    let uniform = reply.json();
    assert_eq!(uniform["engine"], "dijkstra");
    // Whole metres and tenths of a minute: at 100 m a minute, 0.5 m is 0.005 min.
    let expected_min = uniform["distance_m"].as_f64().unwrap() / (6000.0 / 60.0);
    assert!((uniform["minutes"].as_f64().unwrap() - expected_min).abs() <= 0.05 + 0.005 + 1e-9);
}

#[tokio::test]
async fn bad_route_requests_are_refused_with_the_reason() {
    let app = demo_app();
    for (body, needle) in [
        (json!({"to": [105.5, 34.5]}), "from is missing"),
        (json!({"from": [105.5], "to": [105.5, 34.5]}), "[lon, lat]"),
        (
            json!({"from": [505.5, 34.5], "to": [105.5, 34.5]}),
            "lon/lat",
        ),
        (
            json!({"from": [105.5, 34.5], "to": [105.5, 34.5], "profile": "fly"}),
            "unknown profile",
        ),
        (
            json!({"from": [105.5, 34.5], "to": [105.5, 34.5], "speed_kmh": -1}),
            "speed_kmh",
        ),
        (
            json!({"from": [105.5, 34.5], "to": [105.5, 34.5], "via": []}),
            "unknown key",
        ),
        (
            json!({"from": [105.5, 34.5], "to": [105.5, 34.5], "scenario": {"hazards": [{"layer": "nope"}]}}),
            "nope",
        ),
        (json!([1, 2]), "JSON object"),
    ] {
        let reply = post(&app, "/api/route", &body).await;
        assert_eq!(reply.status, 400, "{body}");
        let error = reply.error();
        assert!(
            error.contains(needle),
            "{body}: {error:?} should mention {needle:?}"
        );
    }
}

/// One straight road, 9.6 km between its only two vertices, with a village and a shelter
/// beside it, 4 km apart.
fn one_long_road() -> (tempfile::TempDir, axum::Router) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "atlas.toml",
        "name = \"one road\"\n\
         [[layer]]\nid = \"roads\"\nkind = \"road\"\nfile = \"roads.geojson\"\n\
         [[layer]]\nid = \"villages\"\nkind = \"population\"\nfile = \"villages.csv\"\n\
         [[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.csv\"\n\
         [[layer]]\nid = \"floods\"\nkind = \"flood\"\nfile = \"floods.geojson\"\n",
    );
    write(
        "roads.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[105.0,30.0],[105.1,30.0]]},"properties":{"name":"long road"}}]}"#,
    );
    write(
        "villages.csv",
        "id,name,lon,lat,population\nv1,东村,105.03,30.001,40\n",
    );
    write(
        "shelters.csv",
        "id,name,lon,lat,capacity\ns1,学校,105.07,30.001,100\n",
    );
    // A flood around the village only, so that the village is affected.
    write(
        "floods.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105.025,30.0005],[105.035,30.0005],[105.035,30.0015],[105.025,30.0015],[105.025,30.0005]]]},"properties":{"return_period_years":20}}]}"#,
    );
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    assert_eq!(loaded.report.rejected(), 0, "{}", loaded.report.to_text());
    let app = riskatlas::api::router(riskatlas::api::AppState::new(loaded.atlas, loaded.report));
    (dir, app)
}

/// Worked by hand: each point walks 0.001° of latitude (≈ 111 m) straight to the road,
/// then the road is followed 4 km between them; snapping to the road's two vertices
/// instead would walk 3 km and 3 km.
#[tokio::test]
async fn points_beside_a_long_road_join_it_where_they_are_not_at_its_ends() {
    use geo::{Distance, Geodesic, Point};
    let (_dir, app) = one_long_road();
    let snap = Geodesic.distance(Point::new(105.03, 30.001), Point::new(105.03, 30.0));
    let road = 0.4 * Geodesic.distance(Point::new(105.0, 30.0), Point::new(105.1, 30.0));
    assert!(
        (road - Geodesic.distance(Point::new(105.03, 30.0), Point::new(105.07, 30.0))).abs() < 0.01
    );
    let walk_m_per_min = 4000.0 / 60.0;

    let r = post(
        &app,
        "/api/route",
        json!({"from": [105.03, 30.001], "to": [105.07, 30.001]}),
    )
    .await
    .json();
    assert_eq!(r["reachable"], true, "{r}");
    let snap_m = r["snap_m"].as_array().unwrap();
    // Whole metres and tenths of a minute in the answer.
    assert!((snap_m[0].as_f64().unwrap() - snap).abs() <= 0.5, "{r}");
    let distance = r["distance_m"].as_f64().unwrap();
    assert!(
        (distance - (2.0 * snap + road)).abs() <= 0.5,
        "{distance} vs {}",
        2.0 * snap + road
    );
    let minutes = r["minutes"].as_f64().unwrap();
    assert!((minutes - distance / walk_m_per_min).abs() <= 0.05 + 0.5 / walk_m_per_min + 1e-9);
    assert_eq!(
        r["route"]["coordinates"],
        json!([
            [105.03, 30.001],
            [105.03, 30.0],
            [105.07, 30.0],
            [105.07, 30.001]
        ])
    );

    // The evacuation plan places the village by the same reckoning.
    let plan = post(
        &app,
        "/api/evacuation",
        json!({"hazards": [{"layer": "floods"}]}),
    )
    .await
    .json();
    let a = &plan["assignments"][0];
    assert_eq!(a["shelter_id"], "s1", "{plan}");
    assert_eq!(a["people"], 40);
    // The plan reports whole metres and tenths of minutes.
    let expected = 2.0 * snap + road;
    assert_eq!(a["distance_m"].as_f64(), Some(expected.round()), "{a}");
    let minutes = a["minutes"].as_f64().unwrap();
    assert!((minutes - expected / walk_m_per_min).abs() <= 0.05, "{a}");
}

/// One travel model: the minutes and metres a plan gives an assignment are those of
/// `/api/route` between the same two points under the same scenario (plans round
/// minutes to a tenth, metres to a metre).
#[tokio::test]
async fn a_plans_minutes_equal_the_route_between_the_same_points() {
    let app = demo_app();
    let scenario = json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}, {"layer": "landslides"}]});
    for profile in ["walk", "drive"] {
        let mut request = scenario.clone();
        request["profile"] = json!(profile);
        let plan = post(&app, "/api/evacuation", &request).await.ok_json();
        let assignments = plan["assignments"].as_array().unwrap();
        assert!(assignments.len() > 10);
        for a in assignments.iter().step_by(assignments.len() / 10) {
            let coords = a["route"]["coordinates"].as_array().unwrap();
            let (from, to) = (&coords[0], coords.last().unwrap());
            let route = post(
                &app,
                "/api/route",
                &json!({"from": from, "to": to, "profile": profile, "scenario": scenario}),
            )
            .await
            .ok_json();
            assert_eq!(route["reachable"], true, "{route}");
            assert_eq!(route["through_hazard"], false, "{route}");
            let (plan_min, route_min) = (
                a["minutes"].as_f64().unwrap(),
                route["minutes"].as_f64().unwrap(),
            );
            assert!(
                (plan_min - route_min).abs() <= 0.05 + 1e-9,
                "{profile} {} → {}: plan {plan_min} min, route {route_min} min",
                a["unit_id"],
                a["shelter_id"]
            );
            let (plan_m, route_m) = (
                a["distance_m"].as_f64().unwrap(),
                route["distance_m"].as_f64().unwrap(),
            );
            assert!(
                (plan_m - route_m).abs() <= 0.5 + 1e-6,
                "{plan_m} m vs {route_m} m"
            );
        }
    }
}
