//! Who-is-affected benchmark: 1M population points and 1,000 hazard polygons of 50–5,000
//! vertices on a scaled demo county, grouped by township — the same data the PostGIS
//! comparison (`benches/impact_vs_postgis.sh`) loads.
//!
//! Run: `cargo bench --bench impact`. With `RISKATLAS_BENCH_EXPORT=DIR` the data is also
//! written as CSV for PostGIS.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use geo::{BoundingRect, Contains, Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use riskatlas::analysis::overlay::HazardOverlay;
use riskatlas::analysis::{Scenario, analyse};
use riskatlas::atlas::{Atlas, Feature, Field, FieldType, Kind, Layer, LayerId, Schema, Value};
use std::hint::black_box;
use std::io::Write;
use std::sync::OnceLock;

/// The allocator `riskatlas serve` runs with, so analyses are timed as they are served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const POINTS: usize = 1_000_000;
const HAZARDS: usize = 1_000;

fn star(
    rng: &mut ChaCha8Rng,
    centre: Point<f64>,
    radius_deg: f64,
    vertices: usize,
) -> Polygon<f64> {
    let (k, phase) = (
        rng.random_range(2..7) as f64,
        rng.random_range(0.0..std::f64::consts::TAU),
    );
    let mut pts: Vec<Coord<f64>> = (0..vertices)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / vertices as f64;
            let r =
                radius_deg * (1.0 + 0.3 * (k * t + phase).sin() + rng.random_range(-0.05..0.05));
            Coord {
                x: centre.x() + r * t.cos() / centre.y().to_radians().cos(),
                y: centre.y() + r * t.sin(),
            }
        })
        .collect();
    pts.push(pts[0]);
    Polygon::new(LineString(pts), vec![])
}

struct Data {
    atlas: Atlas,
    hazards: Vec<(Polygon<f64>, i64)>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let demo = riskatlas::demo::generate(7, 64.0).into_loaded().atlas;
        let villages = demo.layer("villages").expect("demo villages");
        let townships = demo.layer("townships").expect("demo townships");
        // Population points spread evenly over the villages, each inside its village.
        let per_village = POINTS.div_ceil(villages.len());
        let mut features = Vec::with_capacity(POINTS);
        'fill: for (fid, v) in villages.features().iter().enumerate() {
            let bb = v.geometry.bounding_rect().expect("villages have area");
            let code = villages.value(fid as u32, "code").clone();
            let mut placed = 0;
            while placed < per_village {
                let p = Point::new(
                    rng.random_range(bb.min().x..bb.max().x),
                    rng.random_range(bb.min().y..bb.max().y),
                );
                if v.geometry.contains(&p) {
                    let id = features.len();
                    features.push(Feature {
                        id: id.to_string().into(),
                        geometry: Geometry::Point(p),
                        attrs: vec![Value::Int(rng.random_range(1..40)), code.clone()].into(),
                    });
                    placed += 1;
                    if features.len() == POINTS {
                        break 'fill;
                    }
                }
            }
        }
        let bbox = demo.bbox().expect("non-empty");
        let hazards: Vec<(Polygon<f64>, i64)> = (0..HAZARDS)
            .map(|_| {
                let vertices = (50.0f64 * 100f64.powf(rng.random_range(0.0..1.0))).round() as usize;
                let c = Point::new(
                    rng.random_range(bbox.west..bbox.east),
                    rng.random_range(bbox.south..bbox.north),
                );
                let radius = rng.random_range(0.01..0.05);
                (star(&mut rng, c, radius, vertices), rng.random_range(1..5))
            })
            .collect();
        let field = |n: &str, ty| Field::new(n, ty);
        let population = Layer::new(
            LayerId::parse("population").unwrap(),
            "points".into(),
            Kind::Population,
            Schema::new(vec![
                field("population", FieldType::Integer),
                field("admin_code", FieldType::String),
            ]),
            features,
        );
        let hazard_layer = Layer::new(
            LayerId::parse("hazards").unwrap(),
            "hazards".into(),
            Kind::Hazard,
            Schema::new(vec![field("severity", FieldType::Integer)]),
            hazards
                .iter()
                .enumerate()
                .map(|(i, (p, s))| Feature {
                    id: i.to_string().into(),
                    geometry: Geometry::Polygon(p.clone()),
                    attrs: vec![Value::Int(*s)].into(),
                })
                .collect(),
        );
        let clone_layer = |l: &Layer| {
            Layer::new(
                l.id.clone(),
                l.name.clone(),
                l.kind,
                l.schema.clone(),
                l.features().to_vec(),
            )
        };
        let atlas = Atlas::new(
            "bench".into(),
            String::new(),
            vec![
                clone_layer(townships),
                clone_layer(villages),
                population,
                hazard_layer,
            ],
        );
        if let Ok(dir) = std::env::var("RISKATLAS_BENCH_EXPORT") {
            export(std::path::Path::new(&dir), &atlas, &hazards).expect("export for PostGIS");
        }
        Data { atlas, hazards }
    })
}

fn export(
    dir: &std::path::Path,
    atlas: &Atlas,
    hazards: &[(Polygon<f64>, i64)],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let pop = atlas.layer("population").expect("built above");
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("points.csv"))?);
    for (fid, f) in pop.features().iter().enumerate() {
        let Geometry::Point(p) = f.geometry else {
            unreachable!("points")
        };
        writeln!(
            w,
            "{fid},{:.9},{:.9},{},{}",
            p.x(),
            p.y(),
            pop.value(fid as u32, "population"),
            pop.value(fid as u32, "admin_code")
        )?;
    }
    let villages = atlas.layer("villages").expect("built above");
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("villages.csv"))?);
    for fid in 0..villages.len() as u32 {
        writeln!(
            w,
            "{},{}",
            villages.value(fid, "code"),
            villages.value(fid, "parent_code")
        )?;
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("hazards.csv"))?);
    for (i, (poly, severity)) in hazards.iter().enumerate() {
        let ring: Vec<String> = poly
            .exterior()
            .0
            .iter()
            .map(|c| format!("{:.9} {:.9}", c.x, c.y))
            .collect();
        writeln!(w, "{i},{severity},\"POLYGON(({}))\"", ring.join(","))?;
    }
    Ok(())
}

fn impact(c: &mut Criterion) {
    let d = data();
    let scenario = Scenario::parse(
        &serde_json::json!({"hazards": [{"layer": "hazards"}], "group_by": "township"}),
        &d.atlas,
    )
    .expect("a valid scenario");
    let report = analyse(&d.atlas, &scenario).report;
    eprintln!(
        "impact: {} points, {} hazards ({}–{} vertices): {} affected points, {} people, {} townships",
        d.atlas.layer("population").unwrap().len(),
        d.hazards.len(),
        d.hazards
            .iter()
            .map(|h| h.0.exterior().0.len() - 1)
            .min()
            .unwrap_or(0),
        d.hazards
            .iter()
            .map(|h| h.0.exterior().0.len() - 1)
            .max()
            .unwrap_or(0),
        report.totals.units,
        report.totals.population,
        report.by_admin.len()
    );
    let mut group = c.benchmark_group("impact");
    group.sample_size(10);
    group.bench_function("analyse_1M_points_1000_hazards_by_township", |b| {
        b.iter(|| black_box(analyse(&d.atlas, &scenario).report.totals))
    });

    // Per candidate: every (point, hazard) pair whose bboxes meet gets one exact test.
    let overlay = HazardOverlay::new(riskatlas::analysis::hazards::resolve(&d.atlas, &scenario));
    let points: Vec<Coord<f64>> = d
        .atlas
        .layer("population")
        .unwrap()
        .features()
        .iter()
        .filter_map(|f| {
            if let Geometry::Point(p) = f.geometry {
                Some(p.0)
            } else {
                None
            }
        })
        .collect();
    let index: rstar::RTree<
        rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>,
    > = rstar::RTree::bulk_load(
        d.hazards
            .iter()
            .enumerate()
            .map(|(i, (p, _))| {
                let bb = p.bounding_rect().unwrap();
                rstar::primitives::GeomWithData::new(
                    rstar::primitives::Rectangle::from_corners(bb.min().into(), bb.max().into()),
                    i,
                )
            })
            .collect(),
    );
    let candidates: usize = points
        .iter()
        .map(|p| index.locate_all_at_point(&[p.x, p.y]).count())
        .sum();
    eprintln!("impact: {candidates} candidate (point, hazard) pairs");
    group.throughput(Throughput::Elements(candidates as u64));
    let population = d.atlas.layer("population").unwrap();
    group.bench_function("point_overlay_per_candidate", |b| {
        b.iter(|| {
            overlay
                .unit_hits(population, &riskatlas::analysis::budget::Deadline::none())
                .expect("no deadline")
                .len()
        })
    });
    group.bench_function("point_overlay_per_candidate_one_point_at_a_time", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|p| overlay.hazards_at(*p).len())
                .sum::<usize>()
        })
    });
    // The same exact tests with geo's Contains instead of the prepared index.
    let areas: Vec<MultiPolygon<f64>> = d
        .hazards
        .iter()
        .map(|(p, _)| MultiPolygon(vec![p.clone()]))
        .collect();
    group.bench_function("point_overlay_per_candidate_geo_contains", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|p| {
                    index
                        .locate_all_at_point(&[p.x, p.y])
                        .filter(|e| areas[e.data].contains(&Point(*p)))
                        .count()
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, impact);
criterion_main!(benches);
