//! Real OpenStreetMap data (the Monaco extract): roads import as OSM ways, shortest paths
//! agree with a plain Dijkstra and with networkx, and an evacuation from a drawn flood
//! routes along OSM ways to real schools, hospitals and parks.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::{post, repo_path};
use riskatlas::routing::RoadGraph;
use riskatlas::routing::search::{Search, Visit};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::io::Write;

fn monaco() -> riskatlas::import::Loaded {
    riskatlas::import::load_folder(&repo_path("data/real/monaco"))
        .expect("the Monaco extract loads")
}

#[test]
fn every_road_is_an_osm_way_with_a_highway_tag() {
    let loaded = monaco();
    let roads = loaded.atlas.layer("roads").unwrap();
    assert!(roads.len() > 1_000, "{} roads", roads.len());
    // Read the file again with osmpbf directly: the ways and their highway tags.
    let mut highway_ways: HashMap<String, String> = HashMap::new();
    osmpbf::ElementReader::from_path(repo_path("data/real/monaco/monaco.osm.pbf"))
        .unwrap()
        .for_each(|e| {
            if let osmpbf::Element::Way(w) = e
                && let Some((_, h)) = w.tags().find(|(k, _)| *k == "highway")
            {
                highway_ways.insert(format!("way/{}", w.id()), h.to_string());
            }
        })
        .unwrap();
    for f in roads.features().iter().enumerate() {
        let class = roads.value(f.0 as u32, "road_class").as_str().unwrap();
        assert_eq!(
            highway_ways.get(&*f.1.id).map(String::as_str),
            Some(class),
            "{}",
            f.1.id
        );
    }
    let shelters = loaded.atlas.layer("shelters").unwrap();
    let types: HashSet<&str> = (0..shelters.len() as u32)
        .filter_map(|f| shelters.value(f, "shelter_type").as_str())
        .collect();
    assert!(
        types.contains("school") && types.contains("park"),
        "{types:?}"
    );
    assert!(loaded.report.layer("shelters").unwrap().warnings[0].contains("default 500"));
}

/// A plain O(V²) Dijkstra over arrays, to check the heap-based search.
fn plain_dijkstra(n: usize, arcs: &[(u32, u32, f64)], source: usize) -> Vec<f64> {
    let mut out: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for &(f, t, w) in arcs {
        out[f as usize].push((t as usize, w));
    }
    let mut dist = vec![f64::INFINITY; n];
    let mut done = vec![false; n];
    dist[source] = 0.0;
    for _ in 0..n {
        let Some(u) = (0..n)
            .filter(|&v| !done[v] && dist[v].is_finite())
            .min_by(|&a, &b| dist[a].total_cmp(&dist[b]))
        else {
            break;
        };
        done[u] = true;
        for &(v, w) in &out[u] {
            dist[v] = dist[v].min(dist[u] + w);
        }
    }
    dist
}

#[test]
fn shortest_paths_agree_with_a_plain_dijkstra_and_with_networkx() {
    let loaded = monaco();
    let graph = RoadGraph::from_atlas(&loaded.atlas).unwrap();
    let arcs: Vec<(u32, u32, f64)> = graph
        .all_arcs()
        .map(|(f, a)| (f, a.to, a.length_m))
        .collect();
    let n = graph.node_count();
    let mut search = Search::new(&graph);
    let dir = tempfile::tempdir().unwrap();
    let mut edges = std::fs::File::create(dir.path().join("edges.csv")).unwrap();
    writeln!(edges, "from,to,length_m").unwrap();
    for (f, t, w) in &arcs {
        writeln!(edges, "{f},{t},{w}").unwrap();
    }
    let mut queries = std::fs::File::create(dir.path().join("queries.csv")).unwrap();
    writeln!(queries, "source,target,length_m").unwrap();
    for source in [0, n / 3, 2 * n / 3] {
        let expected = plain_dijkstra(n, &arcs, source);
        search.run(
            source as u32,
            0.0,
            f64::INFINITY,
            |_, a| Some(a.length_m),
            |_, _| Visit::Continue,
        );
        for (t, e) in expected.iter().enumerate() {
            let got = search.cost(t as u32);
            assert!(
                (got - e).abs() < 1e-6 || (got.is_infinite() && e.is_infinite()),
                "{source}->{t}: {got} vs {e}"
            );
            if t % 97 == 0 {
                writeln!(queries, "{source},{t},{got}").unwrap();
            }
        }
    }
    drop((edges, queries));
    let out = std::process::Command::new("python3")
        .arg(repo_path("tests/python/networkx_shortest_paths.py"))
        .arg(dir.path().join("edges.csv"))
        .arg(dir.path().join("queries.csv"))
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("No module named 'networkx'"),
        "networkx is missing: run scripts/install-deps (it installs networkx from PyPI)"
    );
    assert!(out.status.success(), "networkx disagrees:\n{text}");
    assert!(text.contains("0 differ"), "{text}");
}

#[tokio::test]
async fn an_evacuation_from_a_drawn_harbour_flood_routes_along_osm_ways() {
    let loaded = monaco();
    let graph = RoadGraph::from_atlas(&loaded.atlas).unwrap();
    // Positions keyed to 1e-9°: JSON parsing may differ from the original f64 by an ulp.
    let k = |x: f64, y: f64| ((x * 1e9).round() as i64, (y * 1e9).round() as i64);
    let arcs: HashSet<((i64, i64), (i64, i64))> = graph
        .all_arcs()
        .map(|(f, a)| {
            let (p, q) = (graph.nodes[f as usize], graph.nodes[a.to as usize]);
            (k(p.x, p.y), k(q.x, q.y))
        })
        .collect();
    let segment_list: Vec<((f64, f64), (f64, f64))> = graph
        .all_arcs()
        .map(|(f, a)| {
            let (p, q) = (graph.nodes[f as usize], graph.nodes[a.to as usize]);
            ((p.x, p.y), (q.x, q.y))
        })
        .collect();
    // A population fixture (ours, not OSM): a 12 × 12 grid of points, 50 people each,
    // over Monaco; the drawn flood covers the harbour, Port Hercule.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_path("data/real/monaco/monaco.osm.pbf"),
        dir.path().join("monaco.osm.pbf"),
    )
    .unwrap();
    let mut csv = String::from("lon,lat,population\n");
    for i in 0..12 {
        for j in 0..12 {
            csv.push_str(&format!(
                "{},{},50\n",
                7.410 + 0.0025 * i as f64,
                43.727 + 0.0020 * j as f64
            ));
        }
    }
    std::fs::write(dir.path().join("people.csv"), csv).unwrap();
    let manifest = std::fs::read_to_string(repo_path("data/real/monaco/atlas.toml")).unwrap()
        + "\n[[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.csv\"\n";
    std::fs::write(dir.path().join("atlas.toml"), manifest).unwrap();
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    let app = riskatlas::api::router(riskatlas::api::AppState::new(loaded.atlas, loaded.report));
    let flood = json!({"type": "Polygon", "coordinates": [[[7.417, 43.7315], [7.4275, 43.7315], [7.4275, 43.7375], [7.417, 43.7375], [7.417, 43.7315]]]});
    let body = json!({"hazards": [{"geometry": flood, "severity": 4, "name": "harbour flood"}], "exposure": "people", "candidates": 4});
    let reply = post(&app, "/api/evacuation", &body).await;
    let plan = reply.ok_json();
    assert_eq!(plan["routing"], "road");
    assert!(plan["totals"]["evacuees"].as_i64().unwrap() > 0);
    assert!(
        plan["totals"]["assigned"].as_i64().unwrap() > 0,
        "{}",
        plan["totals"]
    );
    let mut segments = 0;
    for a in plan["assignments"].as_array().unwrap() {
        let coords: Vec<(f64, f64)> = a["route"]["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
            .collect();
        // Between the walk from the unit and the walk to the shelter, every step is an OSM
        // arc, or (first and last, from and to the points where unit and shelter meet the
        // road) a stretch of one: from a node to a point on an arc leaving that node.
        let on_an_arc = |node: (f64, f64), p: (f64, f64)| {
            segment_list.iter().any(|&(a, b)| {
                (k(a.0, a.1) == k(node.0, node.1) || k(b.0, b.1) == k(node.0, node.1))
                    && distance_to_segment(p, a, b) < 1e-9
            })
        };
        let inner = &coords[1..coords.len() - 1];
        for (i, w) in inner.windows(2).enumerate() {
            let key = (k(w[0].0, w[0].1), k(w[1].0, w[1].1));
            let stretch = (i == 0 && on_an_arc(w[1], w[0]))
                || (i == inner.len() - 2 && on_an_arc(w[0], w[1]));
            assert!(
                arcs.contains(&key) || stretch,
                "route step {w:?} is not on an OSM way"
            );
            segments += 1;
        }
    }
    assert!(segments > 0);
    // On the real network too, the plan is the min-cost flow over every pair within
    // reach (the reference solver and networkx agree), and its certificate holds.
    let atlas = riskatlas::import::load_folder(dir.path()).unwrap().atlas;
    let (plan, table) = common::plans::plan_and_table(&atlas, &body);
    assert!(
        table.pairs.len() > table.units.len(),
        "{} pairs",
        table.pairs.len()
    );
    common::plans::assert_optimal_over_every_pair(&plan, &table, true);
}

/// Planar distance (degrees) from `p` to the segment `a`–`b`: enough to tell "on it".
fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
}
