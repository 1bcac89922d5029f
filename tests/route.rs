//! Point-to-point routes: the contraction hierarchy against this test's own textbook
//! Dijkstra on the demo county and on the real Monaco OpenStreetMap roads; the
//! `/api/route` answer (on road arcs, around a drawn hazard, at a uniform speed worked
//! by hand); and bad requests.

mod common;

use common::{demo_app, post, repo_path};
use geo::{Coord, Intersects, Line, Polygon};
use rand::{Rng, SeedableRng};
use riskatlas::atlas::Atlas;
use riskatlas::routing::graph::{Profile, RoadGraph};
use riskatlas::routing::hierarchy::{arc_seconds, step_arc};
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Textbook Dijkstra on travel seconds, written for this test: the optimum from `s`.
fn textbook_seconds(atlas: &Atlas, graph: &RoadGraph, profile: &Profile, s: u32) -> Vec<f64> {
    let mut dist = vec![f64::INFINITY; graph.node_count()];
    let mut heap = BinaryHeap::new();
    dist[s as usize] = 0.0;
    // Costs as integer nanoseconds for the heap's ordering.
    heap.push(Reverse((0u64, s)));
    while let Some(Reverse((_, n))) = heap.pop() {
        let d = dist[n as usize];
        for arc in graph.arcs(n) {
            let Some(w) = arc_seconds(atlas, graph, profile, arc) else {
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
                            step_arc(atlas, &graph, &profile, w[0], w[1])
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
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let r = reply.json();
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
    assert!((reported - metres).abs() < 1e-6, "{reported} vs {metres}");
    // The time is the textbook optimum (the endpoints are nodes: no walk to the road).
    let s = node_at[&(from[0].to_bits(), from[1].to_bits())];
    let t = node_at[&(to[0].to_bits(), to[1].to_bits())];
    let best = textbook_seconds(&atlas, &graph, &Profile::drive(), s)[t as usize];
    let minutes = r["minutes"].as_f64().unwrap();
    assert!(
        (minutes * 60.0 - best).abs() <= 1e-3 * line.len() as f64,
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
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let around = reply.json();
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
    let expected_min = uniform["distance_m"].as_f64().unwrap() / (6000.0 / 60.0);
    assert!((uniform["minutes"].as_f64().unwrap() - expected_min).abs() < 1e-9);
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
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            error.contains(needle),
            "{body}: {error:?} should mention {needle:?}"
        );
    }
}
