//! Hazard layers of the demo: rivers, nested flood zones, landslide points, fire zones.

use super::admin::County;
use super::terrain::{P, Terrain};
use super::{DemoFeature, Shape};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::f64::consts::TAU;

/// Return periods and the base half-width of their zone (metres), innermost first.
const FLOOD_ZONES: [(i64, f64, f64, i64); 4] = [
    (10, 260.0, 1.6, 4),
    (20, 420.0, 2.2, 3),
    (50, 650.0, 2.9, 2),
    (100, 900.0, 3.6, 1),
];
const REACH_M: f64 = 8_000.0;
const STEP_M: f64 = 250.0;

pub fn rivers(terrain: &Terrain, name_of: &dyn Fn(usize) -> String) -> Vec<DemoFeature> {
    terrain
        .rivers
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let steps = (terrain.width_m / 200.0).ceil() as usize;
            let line = (0..=steps).map(|k| {
                let x = (k as f64 * 200.0).min(terrain.width_m);
                [x, r.y_at(x)]
            });
            DemoFeature::new(
                Shape::Line(line.collect()),
                vec![
                    ("feature_class", json!("river")),
                    ("name", json!(name_of(i))),
                ],
            )
        })
        .collect()
}

/// Nested zones along every river, one polygon per reach and return period: the 10-year
/// zone lies inside the 20-year zone, and so on, because all share one width profile.
pub fn floods(
    rng: &mut ChaCha8Rng,
    terrain: &Terrain,
    name_of: &dyn Fn(usize) -> String,
) -> Vec<DemoFeature> {
    let mut out = Vec::new();
    for (ri, river) in terrain.rivers.iter().enumerate() {
        let reaches = (terrain.width_m / REACH_M).ceil().max(1.0) as usize;
        let phase = rng.random_range(0.0..TAU);
        let widen = |x: f64| 0.75 + 0.5 * (0.5 + 0.5 * (x / 3_100.0 + phase).sin());
        for reach in 0..reaches {
            let x0 = reach as f64 * REACH_M;
            let x1 = ((reach + 1) as f64 * REACH_M).min(terrain.width_m);
            let steps = ((x1 - x0) / STEP_M).ceil().max(1.0) as usize;
            let xs: Vec<f64> = (0..=steps)
                .map(|k| x0 + (x1 - x0) * k as f64 / steps as f64)
                .collect();
            for (period, half_width, depth, severity) in FLOOD_ZONES {
                let north = xs
                    .iter()
                    .map(|&x| [x, river.y_at(x) + half_width * widen(x)]);
                let south = xs
                    .iter()
                    .rev()
                    .map(|&x| [x, river.y_at(x) - half_width * widen(x)]);
                let mut ring: Vec<P> = north.chain(south).collect();
                ring.push(ring[0]);
                out.push(DemoFeature::new(
                    Shape::Polygon(ring),
                    vec![
                        ("return_period_years", json!(period)),
                        (
                            "depth_m",
                            json!((depth * rng.random_range(0.85..1.15) * 10.0).round() / 10.0),
                        ),
                        ("severity", json!(severity)),
                        (
                            "name",
                            json!(format!(
                                "{}{period}年一遇洪水淹没区（第{}段）",
                                name_of(ri),
                                reach + 1
                            )),
                        ),
                    ],
                ));
            }
        }
    }
    out
}

const HAZARD_TYPES: [(&str, f64); 4] = [
    ("滑坡", 0.6),
    ("崩塌", 0.2),
    ("泥石流", 0.15),
    ("地面塌陷", 0.05),
];

/// Landslide-type points on the steepest ground near villages, with Chinese source field
/// names (mapped to canonical names in atlas.toml, as a real census delivery would be).
pub fn landslides(
    rng: &mut ChaCha8Rng,
    terrain: &Terrain,
    county: &County,
    populations: &[i64],
) -> Vec<DemoFeature> {
    let mut out = Vec::new();
    for (vi, village) in county.villages.iter().enumerate() {
        let count = match rng.random_range(0.0..1.0) {
            p if p < 0.25 => 0,
            p if p < 0.8 => 1,
            _ => 2,
        };
        for k in 0..count {
            let spot = (0..20)
                .map(|_| {
                    let (r, a) = (rng.random_range(300.0..1_500.0), rng.random_range(0.0..TAU));
                    clamp(
                        terrain,
                        [
                            village.centre[0] + r * a.cos(),
                            village.centre[1] + r * a.sin(),
                        ],
                    )
                })
                .max_by(|a, b| terrain.slope_deg(*a).total_cmp(&terrain.slope_deg(*b)))
                .expect("twenty candidates");
            let mut pick = rng.random_range(0.0..1.0);
            let hazard = HAZARD_TYPES
                .iter()
                .find(|(_, w)| {
                    pick -= w;
                    pick < 0.0
                })
                .map_or("滑坡", |(h, _)| h);
            let people = rng
                .random_range(5..250)
                .min((populations[vi] as f64 * 0.3) as i64)
                .max(3);
            let severity = match people {
                p if p >= 200 => 4,
                p if p >= 100 => 3,
                p if p >= 30 => 2,
                _ => 1,
            };
            out.push(DemoFeature::new(
                Shape::Point(spot),
                vec![
                    ("编号", json!(format!("{}-{:02}", village.code, k + 1))),
                    (
                        "名称",
                        json!(format!("{}{}{}号隐患点", village.name, hazard, k + 1)),
                    ),
                    ("灾害类型", json!(hazard)),
                    ("威胁人数", json!(people)),
                    ("威胁户数", json!((people as f64 / 3.2).ceil() as i64)),
                    ("威胁半径", json!(rng.random_range(10..50) * 10)),
                    ("险情等级", json!(severity)),
                    ("监测员", json!(super::names::person(rng))),
                    ("联系电话", json!(super::names::phone(rng))),
                    (
                        "坡度",
                        json!((terrain.slope_deg(spot) * 10.0).round() / 10.0),
                    ),
                ],
            ));
        }
    }
    out
}

/// Fire-danger zones on the high forested ground away from the rivers.
pub fn wildfire(rng: &mut ChaCha8Rng, terrain: &Terrain, county: &County) -> Vec<DemoFeature> {
    let mut out = Vec::new();
    for township in &county.townships {
        let bbox = bounds(&township.ring);
        for _ in 0..2 {
            let centre = (0..25)
                .map(|_| {
                    [
                        rng.random_range(bbox.0[0]..bbox.1[0]),
                        rng.random_range(bbox.0[1]..bbox.1[1]),
                    ]
                })
                .max_by(|a, b| terrain.elevation(*a).total_cmp(&terrain.elevation(*b)))
                .expect("candidates");
            let radius = rng.random_range(800.0..2_400.0);
            let mut ring: Vec<P> = (0..18)
                .map(|k| {
                    let a = TAU * k as f64 / 18.0;
                    let r = radius * rng.random_range(0.7..1.25);
                    clamp(terrain, [centre[0] + r * a.cos(), centre[1] + r * a.sin()])
                })
                .collect();
            ring.push(ring[0]);
            let height = terrain.elevation(centre);
            let danger =
                (((height - 1_300.0) / 180.0).floor() as i64 + rng.random_range(0..2)).clamp(1, 5);
            let severity = match danger {
                5 => 4,
                4 => 3,
                3 => 2,
                _ => 1,
            };
            out.push(DemoFeature::new(
                Shape::Polygon(ring),
                vec![
                    ("danger_level", json!(danger)),
                    ("severity", json!(severity)),
                    ("name", json!(format!("{}林区火险区", township.name))),
                    (
                        "forest_type",
                        json!(if height > 1_600.0 {
                            "coniferous"
                        } else {
                            "mixed"
                        }),
                    ),
                ],
            ));
        }
    }
    out
}

/// Pulls a point inside the county: the border wiggles up to 6% of a cell (132 m)
/// around the rectangle, so a 150 m margin keeps every point within it.
pub fn clamp(terrain: &Terrain, p: P) -> P {
    const MARGIN_M: f64 = 150.0;
    [
        p[0].clamp(MARGIN_M, terrain.width_m - MARGIN_M),
        p[1].clamp(MARGIN_M, terrain.height_m - MARGIN_M),
    ]
}

pub fn bounds(ring: &[P]) -> (P, P) {
    ring.iter()
        .fold(([f64::MAX; 2], [f64::MIN; 2]), |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1])],
                [hi[0].max(p[0]), hi[1].max(p[1])],
            )
        })
}
