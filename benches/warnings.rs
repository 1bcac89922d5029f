//! Targeted warnings at scale: the audience and call tree of a warning over a
//! one-million-person area with ten thousand duty contacts, and answers recorded
//! durably (each `fsync`ed before it returns) into the warnings journal.
//!
//! Data: the demo county at scale 5 (972 villages, 978,652 people), each village's
//! population split over eight grid units with a grid worker each (the call tree's
//! last level, as bureaus organise it): 7,776 grid workers + the county's, townships',
//! villages', shelters' and hazard points' contacts ≈ 9,700 tasks. The warning covers
//! the whole county.
//!
//! Run: `cargo bench --bench warnings`.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use riskatlas::analysis::warnings::tracking::Answer;
use riskatlas::service::budget::Budget;
use riskatlas::service::warnings::desk::Desk;
use riskatlas::service::warnings::warning_audience;
use serde_json::{Value, json};
use std::path::Path;

const GRIDS_PER_VILLAGE: usize = 8;

/// Splits each population row over eight grid units around it, each an admin unit with
/// its grid worker, and adds the grid layer to the manifest.
fn add_grids(dir: &Path) {
    let mut reader = csv::Reader::from_path(dir.join("population.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (lon, lat, people, code) = (
        col("经度"),
        col("纬度"),
        col("户籍人口"),
        col("行政区划代码"),
    );
    let mut writer = csv::Writer::from_path(dir.join("population.grid.csv")).unwrap();
    writer.write_record(&headers).unwrap();
    let mut grids = Vec::new();
    for row in reader.records() {
        let row = row.unwrap();
        let (x, y): (f64, f64) = (row[lon].parse().unwrap(), row[lat].parse().unwrap());
        let total: i64 = row[people].parse().unwrap();
        for g in 0..GRIDS_PER_VILLAGE {
            let grid = format!("{}{:03}", &row[code], g + 1);
            let (gx, gy) = (x + 0.003 * (g % 4) as f64, y + 0.003 * (g / 4) as f64);
            let mut out: Vec<String> = row.iter().map(str::to_string).collect();
            out[lon] = format!("{gx:.6}");
            out[lat] = format!("{gy:.6}");
            out[people] = (total / GRIDS_PER_VILLAGE as i64).to_string();
            out[code] = grid.clone();
            writer.write_record(&out).unwrap();
            let square = [
                [gx - 0.001, gy - 0.001],
                [gx + 0.001, gy - 0.001],
                [gx + 0.001, gy + 0.001],
                [gx - 0.001, gy + 0.001],
                [gx - 0.001, gy - 0.001],
            ];
            grids.push(json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [square]},
                "properties": {"code": grid, "name": format!("网格{}", g + 1), "level": "grid", "parent_code": &row[code],
                    "contact_name": format!("网格员{g}"), "contact_phone": format!("555-{:04}-{:04}", grids.len() / 10_000, grids.len() % 10_000)}}));
        }
    }
    writer.flush().unwrap();
    std::fs::rename(dir.join("population.grid.csv"), dir.join("population.csv")).unwrap();
    let collection = json!({"type": "FeatureCollection", "features": grids});
    std::fs::write(dir.join("grids.geojson"), collection.to_string()).unwrap();
    let mut manifest = std::fs::read_to_string(dir.join("atlas.toml")).unwrap();
    manifest.push_str("\n[[layer]]\nid = \"grids\"\nkind = \"admin\"\nname = \"Grid units 网格\"\nfile = \"grids.geojson\"\n");
    std::fs::write(dir.join("atlas.toml"), manifest).unwrap();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    riskatlas::demo::write_demo(dir.path(), 7, 5.0).unwrap();
    add_grids(dir.path());
    let atlas = riskatlas::import::load_folder(dir.path()).unwrap().atlas;
    let county = atlas
        .layer("county")
        .unwrap()
        .value(0, "code")
        .as_str()
        .unwrap()
        .to_string();
    let body: Value = json!({"area": {"admin_codes": [county]}, "level": "red", "hazard_type": "flood",
        "headline": "全县洪水红色预警", "instruction": "立即转移"});
    let w = warning_audience(&atlas, &body, &Budget::unlimited()).unwrap();
    println!(
        "warning over {:.0} people in {} units: {} tasks (contacts) in the call tree",
        w.audience.totals.people,
        w.audience.units.len(),
        w.audience.tasks.len()
    );
    let mut group = c.benchmark_group("warnings");
    group.sample_size(10);
    group.bench_function("audience_and_call_tree_1m_people", |b| {
        b.iter(|| warning_audience(&atlas, &body, &Budget::unlimited()).unwrap())
    });
    // Answers, each durable (written and fsynced) before it returns.
    let journal_dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(journal_dir.path()).unwrap();
    let tasks = w.audience.tasks.clone();
    let at = riskatlas::analysis::warnings::now_secs();
    let issue = || {
        desk.issue(
            "bench",
            at,
            w.warning.clone(),
            tasks.clone(),
            Value::Null,
            None,
        )
        .unwrap()
    };
    let mut id = issue();
    let mut next = 0usize;
    group.throughput(criterion::Throughput::Elements(1));
    group.bench_function("one_durable_answer", |b| {
        b.iter(|| {
            if next == tasks.len() {
                id = issue();
                next = 0;
            }
            let answer = Answer {
                task_id: tasks[next].id.clone(),
                by: "bench".into(),
                at,
                means: "phone".into(),
                note: None,
            };
            desk.answer("bench", at, &id, answer).unwrap();
            next += 1;
        })
    });
    // Eight duty officers answering at once: their answers share fsyncs (group commit).
    group.bench_function("durable_answers_8_writers", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = std::time::Duration::ZERO;
            let mut remaining = iters as usize;
            while remaining > 0 {
                let n = remaining.min(tasks.len());
                let id = issue();
                let next = std::sync::atomic::AtomicUsize::new(0);
                let started = std::time::Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..WRITERS {
                        s.spawn(|| {
                            loop {
                                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                let Some(task) = tasks.get(i).filter(|_| i < n) else {
                                    break;
                                };
                                let answer = Answer {
                                    task_id: task.id.clone(),
                                    by: "bench".into(),
                                    at,
                                    means: "phone".into(),
                                    note: None,
                                };
                                desk.answer("bench", at, &id, answer).unwrap();
                            }
                        });
                    }
                });
                elapsed += started.elapsed();
                remaining -= n;
            }
            elapsed
        })
    });
    group.finish();
}

/// Answering threads in the concurrent benchmark.
const WRITERS: usize = 8;

criterion_group!(benches, bench);
criterion_main!(benches);
