//! Benchmarks of the in-memory atlas on a scaled demo county (default about 1M features):
//! R-tree window queries, R-tree bulk loading, and cold tile rendering at several zooms.
//!
//! Run: `RISKATLAS_BENCH_SCALE=800 cargo bench --bench atlas` (see benches/README.md).
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use riskatlas::atlas::{Atlas, BboxWgs84, Disclosure, IndexEntry, Layer};
use riskatlas::tiles::{TileCoord, TileOptions, render_tile};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

/// The allocator `riskatlas serve` runs with, so tiles are timed as they are served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| {
        let scale: f64 = std::env::var("RISKATLAS_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(800.0);
        let started = Instant::now();
        let demo = riskatlas::demo::generate(7, scale);
        let generated = started.elapsed();
        let loaded = demo.into_loaded();
        eprintln!(
            "scale {scale}: {} features in {} layers; generated in {:.2} s, validated and indexed in {:.2} s",
            loaded.atlas.feature_count(),
            loaded.atlas.layers().len(),
            generated.as_secs_f64(),
            (started.elapsed() - generated).as_secs_f64()
        );
        loaded.atlas
    })
}

fn random_windows(bbox: BboxWgs84, size_deg: f64, n: usize) -> Vec<BboxWgs84> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    (0..n)
        .map(|_| {
            let west = rng.random_range(bbox.west..bbox.east - size_deg);
            let south = rng.random_range(bbox.south..bbox.north - size_deg);
            BboxWgs84 {
                west,
                south,
                east: west + size_deg,
                north: south + size_deg,
            }
        })
        .collect()
}

fn rtree_query(c: &mut Criterion) {
    let atlas = atlas();
    let mut group = c.benchmark_group("rtree_query");
    for id in ["villages", "roads", "population"] {
        let layer = atlas.layer(id).expect("demo layer");
        // About 1 km × 1 km windows.
        let windows = random_windows(layer.bbox().expect("non-empty"), 0.01, 1_000);
        group.bench_with_input(
            BenchmarkId::new("1km_window", format!("{id}_{}", layer.len())),
            &windows,
            |b, w| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % w.len();
                    black_box(layer.candidates_in(w[i]).len())
                })
            },
        );
    }
    group.finish();
}

fn rtree_bulk_load(c: &mut Criterion) {
    let atlas = atlas();
    let entries: Vec<IndexEntry> = atlas
        .layers()
        .iter()
        .flat_map(|l| l.index().iter().cloned())
        .map(|e| {
            GeomWithData::new(
                Rectangle::from_corners(e.geom().lower(), e.geom().upper()),
                e.data,
            )
        })
        .collect();
    let mut group = c.benchmark_group("rtree_bulk_load");
    group.sample_size(10);
    group.bench_function(format!("all_{}", entries.len()), |b| {
        b.iter(|| black_box(RTree::bulk_load(entries.clone()).size()))
    });
    group.finish();
}

fn tile_render(c: &mut Criterion) {
    let atlas = atlas();
    let layers: Vec<&Layer> = atlas.layers().iter().map(|l| &**l).collect();
    let bbox = atlas.bbox().expect("non-empty");
    let opts = TileOptions::default();
    generalisation(atlas);
    let mut group = c.benchmark_group("tile_render_cold_all_layers");
    group.sample_size(20);
    for z in [6u8, 8, 9, 10, 12, 14] {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(u64::from(z));
        let tiles: Vec<TileCoord> = (0..64)
            .map(|_| {
                let lon = rng.random_range(bbox.west..bbox.east);
                let lat = rng.random_range(bbox.south..bbox.north);
                let (wx, wy) = riskatlas::tiles::coord::lonlat_to_world(lon, lat);
                let n = (1u64 << z) as f64;
                TileCoord::new(u64::from(z), (wx * n) as u64, (wy * n) as u64)
                    .expect("inside the world")
            })
            .collect();
        let sizes: Vec<usize> = tiles
            .iter()
            .map(|&t| render_tile(&layers, t, &opts, Disclosure::Full).map_or(0, |b| b.len()))
            .collect();
        eprintln!(
            "zoom {z}: tiles of {} bytes on average, {} at most",
            sizes.iter().sum::<usize>() / sizes.len(),
            sizes.iter().max().unwrap()
        );
        group.bench_with_input(BenchmarkId::new("zoom", z), &tiles, |b, tiles| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % tiles.len();
                black_box(render_tile(&layers, tiles[i], &opts, Disclosure::Full).map(|t| t.len()))
            })
        });
    }
    group.finish();
}

/// Builds every layer's low-zoom generalisation (once, as `serve` does at start-up) and
/// reports its time, detail zooms and memory.
fn generalisation(atlas: &Atlas) {
    let started = Instant::now();
    let mut bytes = 0;
    for layer in atlas.layers() {
        let g = layer.generalised();
        bytes += g.heap_bytes();
        eprintln!(
            "{}: {} features, detail zoom {}",
            layer.id,
            layer.len(),
            g.detail_zoom()
        );
    }
    eprintln!(
        "generalised {} features in {:.2} s, {:.1} bytes a feature",
        atlas.feature_count(),
        started.elapsed().as_secs_f64(),
        bytes as f64 / atlas.feature_count() as f64
    );
}

criterion_group!(benches, rtree_query, rtree_bulk_load, tile_render);
criterion_main!(benches);
