//! Shelter assignment as min-cost flow: riskatlas's network simplex against LEMON's
//! (the C++ library the `mcmf` crate builds and links) on the same instances.
//!
//! Instance: units and shelters scattered over a 40 km square; each unit (1–200 people)
//! has arcs to its k nearest shelters costed by travel seconds at 4 km/h, and a costly
//! unplaced arc; shelters hold 1.1× the people in all. That is the network
//! `analysis::evacuation` builds.
//!
//! LEMON is called through the `network_simplex_mcmf_i64` entry point that `mcmf`
//! compiles: the crate's public `GraphBuilder` keys vertices in a `BTreeMap`, decomposes
//! the answer into paths and limits costs to `i32`, which would time the wrapper rather
//! than the algorithm and overflow on person-seconds.
//!
//! Run: `cargo bench --bench flow` (set `RISKATLAS_BENCH_FLOW_UNITS=10000` etc. to vary,
//! `RISKATLAS_BENCH_ROUNDS` for the interleaved rounds). The ratio to quote is the
//! interleaved one printed first; criterion's timings follow.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

#[path = "common/interleave.rs"]
mod interleave;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use riskatlas::routing::simplex::NetworkSimplex;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::hint::black_box;
use std::time::Instant;

// Links the static library that `mcmf` builds (the crate itself is not called).
use mcmf as _;

unsafe extern "C" {
    fn network_simplex_mcmf_i64(
        num_vertices: i64,
        num_edges: i64,
        node_supply: *const i64,
        edge_a: *const i64,
        edge_b: *const i64,
        edge_capacity: *const i64,
        edge_cost: *const i64,
        edge_flow_result: *mut i64,
    ) -> i64;
}

const UNPLACED_COST: i64 = 1_000_000_000;

/// Nodes 0..units are units, then shelters, then the sink.
struct Instance {
    supply: Vec<i64>,
    from: Vec<i64>,
    to: Vec<i64>,
    cap: Vec<i64>,
    cost: Vec<i64>,
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn instance(units: usize, shelters: usize, k: usize, seed: u64) -> Instance {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let side_m = 40_000.0;
    let mut point = || [rng.random::<f64>() * side_m, rng.random::<f64>() * side_m];
    let shelter_at: Vec<[f64; 2]> = (0..shelters).map(|_| point()).collect();
    let unit_at: Vec<[f64; 2]> = (0..units).map(|_| point()).collect();
    let index = RTree::bulk_load(
        shelter_at
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(*p, i))
            .collect(),
    );
    let sink = units + shelters;
    let mut inst = Instance {
        supply: vec![0; sink + 1],
        from: Vec::new(),
        to: Vec::new(),
        cap: Vec::new(),
        cost: Vec::new(),
    };
    let arc = |inst: &mut Instance, a: usize, b: usize, cap: i64, cost: i64| {
        inst.from.push(a as i64);
        inst.to.push(b as i64);
        inst.cap.push(cap);
        inst.cost.push(cost);
    };
    let walk_m_per_s = 4_000.0 / 3_600.0;
    let mut total = 0;
    for (u, p) in unit_at.iter().enumerate() {
        let people = rng.random_range(1..=200);
        total += people;
        inst.supply[u] = people;
        arc(&mut inst, u, sink, people, UNPLACED_COST);
        for s in index.nearest_neighbor_iter(p).take(k) {
            let d = ((s.geom()[0] - p[0]).powi(2) + (s.geom()[1] - p[1]).powi(2)).sqrt();
            arc(
                &mut inst,
                u,
                units + s.data,
                people,
                (d / walk_m_per_s).round() as i64,
            );
        }
    }
    inst.supply[sink] = -total;
    // Capacities: 1.1× the people in all, split unevenly (0.2–1.8× the mean).
    let mean = total as f64 * 1.1 / shelters as f64;
    for s in 0..shelters {
        let cap = (mean * rng.random_range(0.2..1.8)).round() as i64;
        arc(&mut inst, units + s, sink, cap, 0);
    }
    inst
}

/// The optimal cost, and whether the solve needed 64-bit potentials.
fn solve_riskatlas(inst: &Instance) -> (i64, bool) {
    let mut ns = NetworkSimplex::new(inst.supply.len());
    for (u, &b) in inst.supply.iter().enumerate() {
        ns.add_supply(u, b);
    }
    for i in 0..inst.from.len() {
        ns.add_arc(
            inst.from[i] as usize,
            inst.to[i] as usize,
            inst.cap[i],
            inst.cost[i],
        );
    }
    let cost = ns.solve().expect("feasible");
    (cost, ns.used_wide_potentials())
}

fn solve_lemon(inst: &Instance) -> i64 {
    let mut flow = vec![0i64; inst.from.len()];
    // SAFETY: every array has the lengths passed, and node indices are in range.
    unsafe {
        network_simplex_mcmf_i64(
            inst.supply.len() as i64,
            inst.from.len() as i64,
            inst.supply.as_ptr(),
            inst.from.as_ptr(),
            inst.to.as_ptr(),
            inst.cap.as_ptr(),
            inst.cost.as_ptr(),
            flow.as_mut_ptr(),
        )
    }
}

fn assignment(c: &mut Criterion) {
    let (units, shelters, k) = (
        env("RISKATLAS_BENCH_FLOW_UNITS", 100_000),
        env("RISKATLAS_BENCH_FLOW_SHELTERS", 25_000),
        env("RISKATLAS_BENCH_FLOW_K", 8),
    );
    let inst = instance(units, shelters, k, 42);
    eprintln!(
        "instance: {units} units, {shelters} shelters, k = {k}: {} nodes, {} arcs",
        inst.supply.len(),
        inst.from.len()
    );
    let started = Instant::now();
    let (ours, wide) = solve_riskatlas(&inst);
    let ours_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let lemon = solve_lemon(&inst);
    let lemon_s = started.elapsed().as_secs_f64();
    assert_eq!(
        ours, lemon,
        "both solvers are exact: the optimal costs agree"
    );
    eprintln!(
        "optimal cost {ours} (both); first run: riskatlas {ours_s:.3} s ({} potentials), LEMON {lemon_s:.3} s",
        if wide {
            "64-bit, after a 32-bit attempt"
        } else {
            "32-bit"
        }
    );

    // The ratio, from interleaved rounds (see benches/common/interleave.rs).
    interleave::interleaved(
        &format!("assignment {units}x{shelters}x{k}: riskatlas / LEMON"),
        env("RISKATLAS_BENCH_ROUNDS", 9),
        || {
            black_box(solve_riskatlas(&inst));
        },
        || {
            black_box(solve_lemon(&inst));
        },
    );

    let mut group = c.benchmark_group(format!("assignment_{units}x{shelters}x{k}"));
    group.sample_size(10);
    group.bench_function("riskatlas_network_simplex", |b| {
        b.iter(|| black_box(solve_riskatlas(&inst)))
    });
    group.bench_function("lemon_network_simplex", |b| {
        b.iter(|| black_box(solve_lemon(&inst)))
    });
    group.finish();
}

criterion_group!(benches, assignment);
criterion_main!(benches);
