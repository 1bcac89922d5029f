//! County-scale evacuation plan, end to end: every village of a scaled demo county
//! evacuates (a drawn area over the whole county, with its shelters kept usable and no
//! road closed), walking, k = 8 candidates to start from, priced to optimality over
//! every shelter within reach (the plan's certificate is printed).
//!
//! Run: `RISKATLAS_BENCH_EVAC_SCALE=52 cargo bench --bench evacuation`; add
//! `RISKATLAS_BENCH_EVAC_SHELTERS=500` to keep only that many shelters.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use riskatlas::analysis::evacuation::{Options, plan};
use riskatlas::analysis::{Impact, Scenario, analyse};
use riskatlas::atlas::Atlas;
use riskatlas::routing::RoadGraph;
use serde_json::json;
use std::hint::black_box;
use std::time::Instant;

fn setup() -> (Atlas, RoadGraph, Impact, Scenario) {
    let scale: f64 = std::env::var("RISKATLAS_BENCH_EVAC_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(52.0);
    let mut demo = riskatlas::demo::generate(7, scale);
    // The county has 500 shelters; the demo at scale 52 has ~8,500.
    if let Some(keep) = std::env::var("RISKATLAS_BENCH_EVAC_SHELTERS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        demo.thin("shelters", keep);
    }
    let atlas = demo.into_loaded().atlas;
    let started = Instant::now();
    let graph = RoadGraph::from_atlas(&atlas).expect("the demo has roads");
    eprintln!(
        "road graph: {} nodes, {} arcs, built in {:.2} s",
        graph.node_count(),
        graph.arc_count(),
        started.elapsed().as_secs_f64()
    );
    let b = atlas.bbox().expect("non-empty");
    let (w, s, e, n) = (b.west - 0.01, b.south - 0.01, b.east + 0.01, b.north + 0.01);
    let scenario = Scenario::parse(
        &json!({"hazards": [{"geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}, "severity": 1}]}),
        &atlas,
    )
    .expect("a valid scenario");
    let mut impact = analyse(&atlas, &scenario);
    // Everyone moves, but shelters stay usable and no road is closed.
    impact.report.facilities.clear();
    impact.hazards.clear();
    let shelters: usize = atlas
        .layers()
        .iter()
        .filter(|l| l.kind == riskatlas::atlas::Kind::Shelter)
        .map(|l| l.len())
        .sum();
    eprintln!("units: {}, shelters: {shelters}", impact.report.units.len());
    (atlas, graph, impact, scenario)
}

fn county_plan(c: &mut Criterion) {
    // RUST_LOG=riskatlas=debug splits each plan's time into searches and assignment.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    let (atlas, graph, impact, scenario) = setup();
    let options = Options::default();
    let run = || {
        plan(
            &atlas,
            &impact,
            Ok(&graph),
            &options,
            scenario.period,
            &scenario.needs,
            scenario.days,
        )
        .expect("a plan")
    };
    let started = Instant::now();
    let p = run();
    eprintln!(
        "one plan: {:.2} s; evacuees {}, assigned {}, unassigned {}, mean {} min, max {} min",
        started.elapsed().as_secs_f64(),
        p.totals.evacuees,
        p.totals.assigned,
        p.totals.unassigned,
        p.totals.mean_minutes,
        p.totals.max_minutes
    );
    let o = &p.optimality;
    eprintln!(
        "optimality: proved {}, {} rounds, {} pairs priced, {} pairs in the flow (the first round's k = {} nearest: {})",
        o.proved,
        o.rounds,
        o.pairs_priced,
        o.pairs_in_flow,
        options.candidates,
        o.pairs_first_round
    );
    let mut group = c.benchmark_group("evacuation");
    group.sample_size(10);
    group.bench_function("county_plan_end_to_end", |b| {
        b.iter(|| black_box(run().totals.assigned))
    });
    group.finish();
}

criterion_group!(benches, county_plan);
criterion_main!(benches);
