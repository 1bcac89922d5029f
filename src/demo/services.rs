//! People and services of the demo: population, roads, facilities, shelters, depots,
//! rescue teams and drill history.

use super::admin::{County, dist};
use super::hazards::clamp;
use super::names::{person, phone};
use super::terrain::{P, Terrain};
use super::{DemoFeature, Shape};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// Resident population per village: more people near the river.
pub fn village_populations(rng: &mut ChaCha8Rng, terrain: &Terrain, county: &County) -> Vec<i64> {
    county
        .villages
        .iter()
        .map(|v| {
            let (_, d) = terrain.nearest_river(v.centre);
            let base = 350.0 + 2_600.0 * (-(d / 4_000.0)).exp();
            (base * rng.random_range(0.6..1.4)).round() as i64
        })
        .collect()
}

/// Population points (one per village), with Chinese column names for the CSV.
pub fn population(rng: &mut ChaCha8Rng, county: &County, pops: &[i64]) -> Vec<DemoFeature> {
    county
        .villages
        .iter()
        .zip(pops)
        .map(|(v, &p)| {
            let share = |lo: f64, hi: f64, rng: &mut ChaCha8Rng| {
                (p as f64 * rng.random_range(lo..hi)).round() as i64
            };
            DemoFeature::new(
                Shape::Point(v.centre),
                vec![
                    ("村名", json!(v.name)),
                    ("户籍人口", json!(p)),
                    (
                        "户数",
                        json!((p as f64 / rng.random_range(2.8..3.6)).round() as i64),
                    ),
                    ("老年人", json!(share(0.14, 0.24, rng))),
                    ("儿童", json!(share(0.10, 0.18, rng))),
                    ("残疾人", json!(share(0.02, 0.04, rng))),
                    ("夜间人口", json!(share(1.05, 1.3, rng))),
                    ("行政区划代码", json!(v.code)),
                ],
            )
        })
        .collect()
}

fn wiggle(
    rng: &mut ChaCha8Rng,
    terrain: &Terrain,
    a: P,
    b: P,
    bends: usize,
    amplitude: f64,
) -> Vec<P> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dist(a, b).max(1e-9);
    let n = [-dy / len, dx / len];
    let mut pts = vec![a];
    for k in 1..bends {
        let t = k as f64 / bends as f64;
        let off = rng.random_range(-amplitude..amplitude);
        pts.push(clamp(
            terrain,
            [a[0] + t * dx + off * n[0], a[1] + t * dy + off * n[1]],
        ));
    }
    pts.push(b);
    pts
}

fn road(line: Vec<P>, class: &str, speed: i64, name: String) -> DemoFeature {
    DemoFeature::new(
        Shape::Line(line),
        vec![
            ("road_class", json!(class)),
            ("speed_kmh", json!(speed)),
            ("oneway", json!(false)),
            ("name", json!(name)),
        ],
    )
}

/// The road network as it grows: the roads so far and every vertex on them.
struct Network {
    /// Every vertex already on the network, indexed so joining a village stays O(log n).
    vertices: rstar::RTree<P>,
    roads: Vec<DemoFeature>,
}

impl Network {
    fn add(&mut self, line: Vec<P>, class: &str, speed: i64, name: String) {
        line.iter().for_each(|p| self.vertices.insert(*p));
        self.roads.push(road(line, class, speed, name));
    }

    /// The vertex on the network nearest `p`: where a new road joins it.
    fn nearest(&self, p: P) -> P {
        *self
            .vertices
            .nearest_neighbor(&p)
            .expect("the network has vertices")
    }
}

/// A connected network: a county road along each river, township roads from each seat to
/// it and between neighbouring seats, village roads joining every village to the
/// nearest point already on the network. Every road ends exactly on an existing vertex,
/// so the network is one connected graph.
pub fn roads(
    rng: &mut ChaCha8Rng,
    terrain: &Terrain,
    county: &County,
    townships_across: usize,
) -> Vec<DemoFeature> {
    let mut network = Network {
        vertices: rstar::RTree::new(),
        roads: Vec::new(),
    };
    county_roads(&mut network, terrain);
    township_roads(&mut network, rng, terrain, county, townships_across);
    village_roads(&mut network, rng, terrain, county);
    network.roads
}

/// A county road along each river, on its north bank.
fn county_roads(network: &mut Network, terrain: &Terrain) {
    for (ri, river) in terrain.rivers.iter().enumerate() {
        let steps = (terrain.width_m / 500.0).ceil() as usize;
        let line: Vec<P> = (0..=steps)
            .map(|k| {
                let x = (k as f64 * 500.0).min(terrain.width_m);
                clamp(terrain, [x, river.y_at(x) + 320.0])
            })
            .collect();
        network.add(line, "county", 60, format!("县道X{:03}", 101 + ri));
    }
}

/// From each township seat to the network, and to the western and southern neighbouring
/// seats (`townships_across` to a row): loops, so one closed road does not cut a
/// township off.
fn township_roads(
    network: &mut Network,
    rng: &mut ChaCha8Rng,
    terrain: &Terrain,
    county: &County,
    townships_across: usize,
) {
    for (t, township) in county.townships.iter().enumerate() {
        let seat = county.villages[township.seat].centre;
        let join = network.nearest(seat);
        let line = wiggle(rng, terrain, seat, join, 5, 150.0);
        network.add(line, "township", 40, format!("{}连接线", township.name));
        let west = (t % townships_across > 0).then(|| t - 1);
        let south = t.checked_sub(townships_across);
        for other in [west, south].into_iter().flatten() {
            let to = county.villages[county.townships[other].seat].centre;
            let line = wiggle(rng, terrain, seat, to, 6, 250.0);
            let name = format!("{}—{}公路", county.townships[other].name, township.name);
            network.add(line, "township", 40, name);
        }
    }
}

/// Every village that is not a seat joins the network at its nearest vertex, township by
/// township, nearest the seat first.
fn village_roads(network: &mut Network, rng: &mut ChaCha8Rng, terrain: &Terrain, county: &County) {
    let mut by_township: Vec<Vec<usize>> = vec![Vec::new(); county.townships.len()];
    for (v, village) in county.villages.iter().enumerate() {
        if county.townships[village.township].seat != v {
            by_township[village.township].push(v);
        }
    }
    for (township, mut members) in county.townships.iter().zip(by_township) {
        let seat = county.villages[township.seat].centre;
        members.sort_by(|&a, &b| {
            dist(county.villages[a].centre, seat).total_cmp(&dist(county.villages[b].centre, seat))
        });
        for v in members {
            let from = county.villages[v].centre;
            let join = network.nearest(from);
            let bends = ((dist(from, join) / 400.0).ceil() as usize).clamp(2, 8);
            let line = wiggle(rng, terrain, from, join, bends, 120.0);
            network.add(
                line,
                "village",
                20,
                format!("{}村道", county.villages[v].name),
            );
        }
    }
}

/// A point `lo..hi` metres from `p` in a random direction, drawn again (up to eight
/// times) when it would fall outside the county, so that two things placed near a
/// border village do not both end up clamped onto the same spot.
fn offset(rng: &mut ChaCha8Rng, terrain: &Terrain, p: P, lo: f64, hi: f64) -> P {
    let mut candidate = p;
    for _ in 0..8 {
        let (r, a) = (
            rng.random_range(lo..hi),
            rng.random_range(0.0..std::f64::consts::TAU),
        );
        candidate = [p[0] + r * a.cos(), p[1] + r * a.sin()];
        if clamp(terrain, candidate) == candidate {
            return candidate;
        }
    }
    clamp(terrain, candidate)
}

fn point(p: P, props: Vec<(&'static str, serde_json::Value)>) -> DemoFeature {
    DemoFeature::new(Shape::Point(p), props)
}

/// `occupants` is i32 because the generator has always drawn it as one: a wider type
/// would draw differently from the seeded stream and change every later layer.
fn facility(p: P, facility_type: &str, name: &str, occupants: i32) -> DemoFeature {
    point(
        p,
        vec![
            ("facility_type", json!(facility_type)),
            ("name", json!(name)),
            ("occupants", json!(occupants)),
        ],
    )
}

/// A school placed among the facilities: its yard doubles as a shelter.
pub struct School {
    /// Where it stands, in local metres.
    pub at: P,
    pub name: String,
}

/// Schools, hospitals and nursing homes. Returns the features and the schools.
pub fn facilities(
    rng: &mut ChaCha8Rng,
    terrain: &Terrain,
    county: &County,
) -> (Vec<DemoFeature>, Vec<School>) {
    let mut out = Vec::new();
    let mut schools = Vec::new();
    let seat_village = county.seat;
    for (t, township) in county.townships.iter().enumerate() {
        let seat = county.villages[township.seat].centre;
        let p = offset(rng, terrain, seat, 80.0, 250.0);
        let name = format!("{}中心小学", township.name);
        out.push(facility(p, "school", &name, rng.random_range(300..900)));
        schools.push(School { at: p, name });
        let p = offset(rng, terrain, seat, 80.0, 250.0);
        out.push(facility(
            p,
            "hospital",
            &format!("{}卫生院", township.name),
            rng.random_range(15..80),
        ));
        if t % 2 == 0 {
            let p = offset(rng, terrain, seat, 150.0, 500.0);
            out.push(facility(
                p,
                "nursing_home",
                &format!("{}敬老院", township.name),
                rng.random_range(20..80),
            ));
        }
    }
    for (v, village) in county.villages.iter().enumerate() {
        if county.townships[village.township].seat != v && rng.random_bool(0.3) {
            let p = offset(rng, terrain, village.centre, 60.0, 200.0);
            let name = format!("{}小学", village.name);
            out.push(facility(p, "school", &name, rng.random_range(30..200)));
            schools.push(School { at: p, name });
        }
    }
    let p = offset(
        rng,
        terrain,
        county.villages[seat_village].centre,
        100.0,
        300.0,
    );
    out.push(facility(p, "hospital", "县人民医院", 320));
    (out, schools)
}

/// A shelter to place: where, what, how many it takes, and whether it is indoors (an
/// indoor shelter takes as many at night; an open one half).
struct NewShelter {
    at: P,
    name: String,
    kind: &'static str,
    capacity: i64,
    indoor: bool,
}

/// A shelter's feature; its status (a few closed or full) and contact are drawn.
fn shelter(rng: &mut ChaCha8Rng, s: NewShelter) -> DemoFeature {
    let status = match rng.random_range(0.0..1.0) {
        x if x < 0.03 => "closed",
        x if x < 0.05 => "full",
        _ => "open",
    };
    let occupancy = if status == "full" { s.capacity } else { 0 };
    let night = if s.indoor {
        s.capacity
    } else {
        (s.capacity as f64 * 0.5).round() as i64
    };
    point(
        s.at,
        vec![
            ("name", json!(s.name)),
            ("shelter_type", json!(s.kind)),
            ("capacity", json!(s.capacity)),
            ("capacity_night", json!(night)),
            ("area_m2", json!(s.capacity * 2)),
            ("status", json!(status)),
            ("occupancy", json!(occupancy)),
            ("contact_name", json!(person(rng))),
            ("contact_phone", json!(phone(rng))),
        ],
    )
}

/// Shelters: township halls, school yards, village squares and the county square.
pub fn shelters(
    rng: &mut ChaCha8Rng,
    terrain: &Terrain,
    county: &County,
    schools: &[School],
) -> Vec<DemoFeature> {
    let mut out = Vec::new();
    for township in &county.townships {
        let at = offset(
            rng,
            terrain,
            county.villages[township.seat].centre,
            50.0,
            200.0,
        );
        let capacity = rng.random_range(6..16) * 100;
        let name = format!("{}政府应急避难场所", township.name);
        out.push(shelter(
            rng,
            NewShelter {
                at,
                name,
                kind: "township_hall",
                capacity,
                indoor: true,
            },
        ));
    }
    for school in schools {
        let capacity = rng.random_range(4..16) * 50;
        let at = offset(rng, terrain, school.at, 10.0, 40.0);
        let name = format!("{}操场", school.name);
        out.push(shelter(
            rng,
            NewShelter {
                at,
                name,
                kind: "school_yard",
                capacity,
                indoor: false,
            },
        ));
    }
    for village in &county.villages {
        if rng.random_bool(0.4) {
            let at = offset(rng, terrain, village.centre, 40.0, 180.0);
            let capacity = rng.random_range(2..9) * 50;
            let name = format!("{}文化广场", village.name);
            out.push(shelter(
                rng,
                NewShelter {
                    at,
                    name,
                    kind: "square",
                    capacity,
                    indoor: false,
                },
            ));
        }
    }
    let at = offset(
        rng,
        terrain,
        county.villages[county.seat].centre,
        200.0,
        400.0,
    );
    let name = "县城中心广场应急避难场所".into();
    out.push(shelter(
        rng,
        NewShelter {
            at,
            name,
            kind: "county_square",
            capacity: 3_000,
            indoor: false,
        },
    ));
    out
}

/// Relief depots: one county depot and one per township seat.
pub fn depots(rng: &mut ChaCha8Rng, terrain: &Terrain, county: &County) -> Vec<DemoFeature> {
    let mut out = Vec::new();
    let mut stock = |rng: &mut ChaCha8Rng, p: P, name: String, size: f64| {
        let q = |base: f64, rng: &mut ChaCha8Rng| {
            (base * size * rng.random_range(0.7..1.3)).round() as i64
        };
        out.push(point(
            p,
            vec![
                ("name", json!(name)),
                ("rice_kg", json!(q(2_000.0, rng))),
                ("water_l", json!(q(6_000.0, rng))),
                ("instant_food_kg", json!(q(800.0, rng))),
                ("tents", json!(q(40.0, rng))),
                ("quilts", json!(q(300.0, rng))),
                ("folding_beds", json!(q(120.0, rng))),
                ("clothing_sets", json!(q(200.0, rng))),
                ("contact_name", json!(person(rng))),
                ("contact_phone", json!(phone(rng))),
            ],
        ));
    };
    let p = offset(
        rng,
        terrain,
        county.villages[county.seat].centre,
        300.0,
        600.0,
    );
    stock(rng, p, "县应急物资储备库".into(), 10.0);
    for township in &county.townships {
        let p = offset(
            rng,
            terrain,
            county.villages[township.seat].centre,
            60.0,
            250.0,
        );
        stock(rng, p, format!("{}应急物资储备点", township.name), 1.0);
    }
    out
}

/// Rescue teams: county fire and rescue, a militia team per township, medical and
/// geohazard teams at the county seat.
pub fn teams(rng: &mut ChaCha8Rng, terrain: &Terrain, county: &County) -> Vec<DemoFeature> {
    let mut out = Vec::new();
    let seat = county.villages[county.seat].centre;
    let mut team = |rng: &mut ChaCha8Rng, p: P, name: String, kind: &str, members: i64| {
        out.push(point(
            p,
            vec![
                ("name", json!(name)),
                ("team_type", json!(kind)),
                ("members", json!(members)),
                ("contact_name", json!(person(rng))),
                ("contact_phone", json!(phone(rng))),
            ],
        ));
    };
    for (name, kind, members) in [
        ("县消防救援大队", "fire", 42),
        ("县医疗救护队", "medical", 18),
        ("县地质灾害应急调查队", "geohazard", 9),
    ] {
        let p = offset(rng, terrain, seat, 200.0, 500.0);
        team(rng, p, name.into(), kind, members);
    }
    for township in &county.townships {
        let p = offset(
            rng,
            terrain,
            county.villages[township.seat].centre,
            50.0,
            300.0,
        );
        let members = rng.random_range(15..31);
        team(
            rng,
            p,
            format!("{}民兵应急分队", township.name),
            "militia",
            members,
        );
    }
    out
}

/// Drill history: when each village last drilled, for about half of them.
pub fn drills(rng: &mut ChaCha8Rng, county: &County) -> Vec<DemoFeature> {
    const SCENARIOS: [&str; 3] = [
        "flood evacuation",
        "landslide evacuation",
        "earthquake evacuation",
    ];
    let mut out = Vec::new();
    for v in &county.villages {
        if !rng.random_bool(0.5) {
            continue;
        }
        let date = format!(
            "{}-{:02}-{:02}",
            rng.random_range(2022..2027),
            rng.random_range(3..11),
            rng.random_range(1..29)
        );
        let scenario = SCENARIOS[rng.random_range(0..SCENARIOS.len())];
        out.push(point(
            v.centre,
            vec![
                ("date", json!(date)),
                ("admin_code", json!(v.code)),
                ("scenario", json!(scenario)),
                ("name", json!(format!("{}{}演练", v.name, date))),
            ],
        ));
    }
    out
}
