//! Shortest paths on the county road graph: riskatlas's reusable bounded Dijkstra
//! (`routing::search::Search`) against a plain textbook one (fresh arrays and heap per
//! query) for one-to-many and isochrone searches, and against contraction hierarchies
//! (the `fast_paths` crate) for point-to-point queries.
//!
//! Graph: the demo county at `RISKATLAS_BENCH_ROUTING_SCALE` (default 52: 50,457 nodes,
//! 104,148 arcs). RoadArc weights are integer decimetres for every engine (fast_paths takes
//! integers), so all answers can be compared exactly; the benchmark asserts they agree.
//!
//! Run: `cargo bench --bench routing`. The ratios to quote are the interleaved ones printed
//! first (`RISKATLAS_BENCH_ROUNDS`, default 41); criterion's timings follow.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

#[path = "common/interleave.rs"]
mod interleave;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use riskatlas::routing::RoadGraph;
use riskatlas::routing::graph::{Profile, RoadArc};
use riskatlas::routing::search::{Search, Visit};
use riskatlas::routing::travel::{Costing, Trip};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Instant;

fn weight(arc: &RoadArc) -> u64 {
    ((arc.length_m * 10.0).round() as u64).max(1)
}

/// The same weight as a float, computed as a float: what riskatlas's searches take (an
/// arc's seconds). Converting `weight` from u64 instead costs a conversion per arc that
/// no real search pays, and which showed in the k-nearest ratio.
fn weight_f64(arc: &RoadArc) -> f64 {
    (arc.length_m * 10.0).round().max(1.0)
}

/// The textbook bounded Dijkstra: fresh distance array and heap per query; settles nodes
/// in order until `visit` says stop or the bound is passed. With `predecessors` it also
/// records each node's predecessor, as the textbook does so that paths can be read back
/// (and returns them); without, it gives distances only.
fn plain_dijkstra(
    graph: &RoadGraph,
    source: u32,
    bound: u64,
    predecessors: bool,
    mut visit: impl FnMut(u32, u64) -> bool,
) -> Vec<u32> {
    let mut dist = vec![u64::MAX; graph.node_count()];
    let mut pred = if predecessors {
        vec![u32::MAX; graph.node_count()]
    } else {
        Vec::new()
    };
    let mut heap = BinaryHeap::new();
    dist[source as usize] = 0;
    heap.push(Reverse((0u64, source)));
    while let Some(Reverse((d, n))) = heap.pop() {
        if d > dist[n as usize] {
            continue;
        }
        if d > bound || !visit(n, d) {
            break;
        }
        for arc in graph.arcs(n) {
            let next = d + weight(arc);
            if next < dist[arc.to as usize] {
                dist[arc.to as usize] = next;
                if predecessors {
                    pred[arc.to as usize] = n;
                }
                heap.push(Reverse((next, arc.to)));
            }
        }
    }
    pred
}

fn routing(c: &mut Criterion) {
    let scale: f64 = std::env::var("RISKATLAS_BENCH_ROUTING_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(52.0);
    let atlas = riskatlas::demo::generate(7, scale).into_loaded().atlas;
    let graph = RoadGraph::from_atlas(&atlas).expect("the demo has roads");
    let n = graph.node_count() as u32;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let sources: Vec<u32> = (0..200).map(|_| rng.random_range(0..n)).collect();
    let mut is_target = vec![false; n as usize];
    for _ in 0..500 {
        is_target[rng.random_range(0..n) as usize] = true;
    }
    let pairs: Vec<(u32, u32)> = (0..1000)
        .map(|_| (rng.random_range(0..n), rng.random_range(0..n)))
        .collect();
    let k = 8;
    // 15 minutes' walk at 4 km/h, in decimetres.
    let iso_bound = 10_000u64;
    eprintln!(
        "graph: {} nodes, {} arcs; 500 targets, k = {k}",
        graph.node_count(),
        graph.arc_count()
    );

    let mut search = Search::new(&graph);
    let mut costs_only = Search::costs_only(&graph);
    let ours_k_nearest = |search: &mut Search, s: u32| -> Vec<(u32, u64)> {
        let mut found = Vec::new();
        search.run(
            s,
            0.0,
            f64::INFINITY,
            |_, a| Some(weight_f64(a)),
            |node, cost| {
                if is_target[node as usize] {
                    found.push((node, cost as u64));
                }
                if found.len() >= k {
                    Visit::Stop
                } else {
                    Visit::Continue
                }
            },
        );
        found
    };
    let plain_k_nearest = |s: u32, predecessors: bool| -> Vec<(u32, u64)> {
        let mut found = Vec::new();
        let pred = plain_dijkstra(&graph, s, u64::MAX, predecessors, |node, d| {
            if is_target[node as usize] {
                found.push((node, d));
            }
            found.len() < k
        });
        black_box(pred);
        found
    };
    let ours_iso = |search: &mut Search, s: u32| -> usize {
        let mut settled = 0;
        search.run(
            s,
            0.0,
            iso_bound as f64,
            |_, a| Some(weight_f64(a)),
            |_, _| {
                settled += 1;
                Visit::Continue
            },
        );
        settled
    };
    let plain_iso = |s: u32| -> usize {
        let mut settled = 0;
        plain_dijkstra(&graph, s, iso_bound, false, |_, _| {
            settled += 1;
            true
        });
        settled
    };
    let ours_p2p = |search: &mut Search, s: u32, t: u32| -> Option<u64> {
        let mut hit = None;
        search.run(
            s,
            0.0,
            f64::INFINITY,
            |_, a| Some(weight_f64(a)),
            |node, cost| {
                if node == t {
                    hit = Some(cost as u64);
                    Visit::Stop
                } else {
                    Visit::Continue
                }
            },
        );
        hit
    };

    // Contraction hierarchies over the same weights.
    let mut input = fast_paths::InputGraph::new();
    for (from, arc) in graph.all_arcs() {
        if from != arc.to {
            input.add_edge(from as usize, arc.to as usize, weight(arc) as usize);
        }
    }
    input.freeze();
    let started = Instant::now();
    let fast = fast_paths::prepare(&input);
    eprintln!(
        "fast_paths preparation: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut calculator = fast_paths::create_calculator(&fast);

    // The engines agree before anything is timed.
    for &s in &sources {
        let plain = plain_k_nearest(s, false);
        assert_eq!(ours_k_nearest(&mut search, s), plain, "k nearest from {s}");
        assert_eq!(
            ours_k_nearest(&mut costs_only, s),
            plain,
            "k nearest from {s}"
        );
        assert_eq!(plain_k_nearest(s, true), plain, "k nearest from {s}");
        assert_eq!(
            ours_iso(&mut costs_only, s),
            plain_iso(s),
            "isochrone from {s}"
        );
    }
    for &(s, t) in &pairs[..200] {
        let ch = calculator
            .calc_path(&fast, s as usize, t as usize)
            .map(|p| p.get_weight() as u64);
        assert_eq!(ours_p2p(&mut search, s, t), ch, "{s} -> {t}");
    }

    // The engine behind /api/route: riskatlas's drive-profile hierarchy (fast_paths
    // inside, with a pool of query buffers and node ids mapped back), against fast_paths
    // called directly on the same millisecond drive-time weights.
    let drive = Profile::drive();
    let started = Instant::now();
    let hierarchy = graph
        .hierarchy(&atlas, &drive)
        .expect("drive has a hierarchy");
    eprintln!(
        "riskatlas drive hierarchy preparation: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let ms = |seconds: f64| ((seconds * 1000.0).round() as usize).max(1);
    let drive_costing = Costing::new(&atlas, &graph, &drive);
    let mut drive_input = fast_paths::InputGraph::new();
    for (from, arc) in graph.all_arcs() {
        if from != arc.to
            && let Some(s) = drive_costing.arc_seconds(from, arc, Trip::OPEN)
        {
            drive_input.add_edge(from as usize, arc.to as usize, ms(s));
        }
    }
    drive_input.freeze();
    let drive_fast = fast_paths::prepare(&drive_input);
    let mut drive_calc = fast_paths::create_calculator(&drive_fast);
    for &(s, t) in &pairs[..200] {
        let ours = hierarchy.route(s, t).map(|nodes| {
            nodes
                .windows(2)
                .map(|w| ms(drive_costing.step(w[0], w[1], Trip::OPEN).unwrap().1))
                .sum::<usize>()
        });
        let direct = drive_calc
            .calc_path(&drive_fast, s as usize, t as usize)
            .map(|p| p.get_weight());
        assert_eq!(ours, direct, "{s} -> {t}");
    }

    // The ratios, from interleaved rounds (see benches/common/interleave.rs).
    let rounds = std::env::var("RISKATLAS_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(41);
    interleave::interleaved(
        "k nearest with paths: riskatlas / plain Dijkstra with predecessors",
        rounds,
        || {
            for &s in &sources {
                black_box(ours_k_nearest(&mut search, s));
            }
        },
        || {
            for &s in &sources {
                black_box(plain_k_nearest(s, true));
            }
        },
    );
    interleave::interleaved(
        "k nearest, costs only: riskatlas / plain Dijkstra",
        rounds,
        || {
            for &s in &sources {
                black_box(ours_k_nearest(&mut costs_only, s));
            }
        },
        || {
            for &s in &sources {
                black_box(plain_k_nearest(s, false));
            }
        },
    );
    interleave::interleaved(
        "isochrone 15 min: riskatlas / plain Dijkstra",
        rounds,
        || {
            for &s in &sources {
                black_box(ours_iso(&mut costs_only, s));
            }
        },
        || {
            for &s in &sources {
                black_box(plain_iso(s));
            }
        },
    );

    let mut group = c.benchmark_group("routing");
    group.sample_size(10);
    // With paths: what the evacuation plan runs (each candidate gets its route).
    group.bench_function("k_nearest_200_sources/riskatlas_with_paths", |b| {
        b.iter(|| {
            for &s in &sources {
                black_box(ours_k_nearest(&mut search, s));
            }
        })
    });
    group.bench_function(
        "k_nearest_200_sources/plain_dijkstra_with_predecessors",
        |b| {
            b.iter(|| {
                for &s in &sources {
                    black_box(plain_k_nearest(s, true));
                }
            })
        },
    );
    // Costs only: what coverage runs.
    group.bench_function("k_nearest_200_sources/riskatlas_costs_only", |b| {
        b.iter(|| {
            for &s in &sources {
                black_box(ours_k_nearest(&mut costs_only, s));
            }
        })
    });
    group.bench_function("k_nearest_200_sources/plain_dijkstra", |b| {
        b.iter(|| {
            for &s in &sources {
                black_box(plain_k_nearest(s, false));
            }
        })
    });
    group.bench_function("isochrone_15min_200_sources/riskatlas", |b| {
        b.iter(|| {
            for &s in &sources {
                black_box(ours_iso(&mut costs_only, s));
            }
        })
    });
    group.bench_function("isochrone_15min_200_sources/plain_dijkstra", |b| {
        b.iter(|| {
            for &s in &sources {
                black_box(plain_iso(s));
            }
        })
    });
    group.bench_function("point_to_point_1000/riskatlas_dijkstra", |b| {
        b.iter(|| {
            for &(s, t) in &pairs {
                black_box(ours_p2p(&mut search, s, t));
            }
        })
    });
    group.bench_function("point_to_point_1000/riskatlas_route_hierarchy", |b| {
        b.iter(|| {
            for &(s, t) in &pairs {
                black_box(hierarchy.route(s, t));
            }
        })
    });
    group.bench_function("point_to_point_1000/fast_paths_direct_same_weights", |b| {
        b.iter(|| {
            for &(s, t) in &pairs {
                black_box(drive_calc.calc_path(&drive_fast, s as usize, t as usize));
            }
        })
    });
    group.bench_function("point_to_point_1000/fast_paths_ch", |b| {
        b.iter(|| {
            for &(s, t) in &pairs {
                black_box(calculator.calc_path(&fast, s as usize, t as usize));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
