//! Where they evacuate: each affected unit assigned to usable shelters within their
//! capacity, by road travel time, on routes that avoid the hazard.
//!
//! 1. evacuees are the impact's affected units (people rounded to whole persons);
//!    usable shelters are open, outside every hazard, with room left
//!    (capacity or capacity_night, minus occupancy);
//! 2. units and shelters snap to the nearest point on a road (the snap is walked
//!    straight) and join the graph at both ends of that road segment;
//! 3. one bounded Dijkstra per unit finds its `candidates` nearest usable shelters
//!    within `max_minutes`, with arcs that meet a hazard closed unless the unit starts
//!    inside that same hazard; a unit that can reach shelters only through a hazard is
//!    reported as `through_hazard`, one that reaches none as `unreachable`;
//! 4. an exact min-cost flow assigns people to candidates minimising person-minutes
//!    within capacities, with an "unplaced" arc so a plan always exists (`capacity`);
//! 5. without roads, or with `"routing": "straight_line"`, times are geodesic distance
//!    × `detour_factor` at the profile's speed, and the plan says so.

use super::hazards::anchor;
use super::impact::{HazardOverlay, Impact};
use super::needs::{Need, NeedsProfile, needs_for};
use super::scenario::Period;
use crate::atlas::{Atlas, Kind, Layer};
use crate::routing::graph::{GraphError, NodeId, Profile, RoadGraph};
use crate::routing::search::{Search, Visit};
use crate::routing::simplex::{Arc as FlowArc, NetworkSimplex};
use crate::routing::snap::Leg;
use geo::{Coord, Distance, Geodesic, Intersects, Line, LineString, Point};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;

pub const DEFAULT_CANDIDATES: usize = 8;
pub const MAX_CANDIDATES: usize = 50;
pub const DEFAULT_MAX_MINUTES: f64 = 180.0;
/// Straight-line detour factor: road distance over straight distance. 1.4 is the usual
/// planning value for rural road networks (circuity studies find 1.2–1.6).
pub const DEFAULT_DETOUR_FACTOR: f64 = 1.4;
/// Cost of leaving one person unplaced: far above any real route (in seconds).
const UNPLACED_COST_S: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    Road,
    StraightLine,
}

/// Evacuation options, beside the scenario in the request body.
#[derive(Debug, Clone)]
pub struct Options {
    pub routing: Option<Routing>,
    pub profile: Profile,
    pub detour_factor: f64,
    pub candidates: usize,
    pub max_minutes: f64,
    /// Send each unit whole to one shelter (round the optimal split, then repair).
    pub keep_whole: bool,
}

/// The request keys that are evacuation options rather than scenario fields.
pub const OPTION_KEYS: [&str; 7] = [
    "routing",
    "profile",
    "speed_kmh",
    "detour_factor",
    "candidates",
    "max_minutes",
    "keep_villages_whole",
];

impl Options {
    /// Takes the option keys out of a request object, leaving the scenario.
    pub fn take_from(body: &mut Json) -> Result<Options, String> {
        let obj = body
            .as_object_mut()
            .ok_or("the request must be a JSON object")?;
        let mut take = |k: &str| obj.remove(k);
        let routing = match take("routing") {
            None => None,
            Some(Json::String(s)) if s == "road" => Some(Routing::Road),
            Some(Json::String(s)) if s == "straight_line" => Some(Routing::StraightLine),
            Some(other) => {
                return Err(format!(
                    "routing {other} is not \"road\" or \"straight_line\""
                ));
            }
        };
        let mut profile = match take("profile") {
            None => Profile::walk(),
            Some(Json::String(s)) => Profile::by_name(&s)
                .ok_or_else(|| format!("unknown profile {s:?}; profiles are walk and drive"))?,
            Some(other) => return Err(format!("profile {other} is not a name")),
        };
        let number =
            |v: Option<Json>, name: &str, lo: f64, hi: f64| -> Result<Option<f64>, String> {
                match v {
                    None => Ok(None),
                    Some(v) => v
                        .as_f64()
                        .filter(|x| x.is_finite() && *x >= lo && *x <= hi)
                        .map(Some)
                        .ok_or_else(|| format!("{name} {v} must be a number from {lo} to {hi}")),
                }
            };
        if let Some(speed) = number(take("speed_kmh"), "speed_kmh", 0.5, 200.0)? {
            profile.uniform_kmh = Some(speed);
        }
        let detour_factor = number(take("detour_factor"), "detour_factor", 1.0, 5.0)?
            .unwrap_or(DEFAULT_DETOUR_FACTOR);
        let candidates = number(take("candidates"), "candidates", 1.0, MAX_CANDIDATES as f64)?
            .map_or(DEFAULT_CANDIDATES, |k| k as usize);
        let max_minutes = number(take("max_minutes"), "max_minutes", 1.0, 24.0 * 60.0)?
            .unwrap_or(DEFAULT_MAX_MINUTES);
        let keep_whole = match take("keep_villages_whole") {
            None | Some(Json::Bool(false)) => false,
            Some(Json::Bool(true)) => true,
            Some(other) => return Err(format!("keep_villages_whole {other} is not true or false")),
        };
        Ok(Options {
            keep_whole,
            routing,
            profile,
            detour_factor,
            candidates,
            max_minutes,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Assignment {
    pub unit_id: String,
    pub unit_name: Option<String>,
    pub shelter_id: String,
    pub shelter_name: Option<String>,
    pub people: i64,
    pub minutes: f64,
    pub distance_m: f64,
    /// The route as a GeoJSON LineString: unit → road → shelter.
    pub route: Json,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShelterLoad {
    pub id: String,
    pub name: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub capacity: i64,
    pub assigned: i64,
    pub utilisation: f64,
    pub needs: Vec<Need>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unassigned {
    pub unit_id: String,
    pub unit_name: Option<String>,
    /// Where the unit evacuates from.
    pub lon: f64,
    pub lat: f64,
    pub people: i64,
    /// `unreachable`, `capacity` or `through_hazard`.
    pub reason: &'static str,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanTotals {
    pub evacuees: i64,
    pub assigned: i64,
    pub unassigned: i64,
    pub mean_minutes: f64,
    pub max_minutes: f64,
    pub shelters_used: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvacuationPlan {
    pub routing: Routing,
    pub profile: &'static str,
    pub totals: PlanTotals,
    pub assignments: Vec<Assignment>,
    pub shelters: Vec<ShelterLoad>,
    pub unassigned: Vec<Unassigned>,
    /// With `keep_villages_whole`: how far the whole-unit plan is from the split optimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_villages_whole: Option<WholeUnits>,
    pub assumptions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WholeUnits {
    pub split_person_minutes: f64,
    pub whole_person_minutes: f64,
    /// `None` when the two plans place different numbers of people, so that
    /// person-minutes do not compare.
    pub extra_person_minutes_percent: Option<f64>,
    pub split_assigned: i64,
    pub whole_assigned: i64,
}

/// A usable shelter.
struct Shelter<'a> {
    layer: &'a Layer,
    fid: u32,
    point: Point<f64>,
    room: i64,
}

fn usable_shelters<'a>(atlas: &'a Atlas, impact: &Impact, period: Period) -> Vec<Shelter<'a>> {
    let unusable: std::collections::HashSet<(&str, u32)> = impact
        .report
        .facilities
        .iter()
        .filter(|f| f.unusable)
        .map(|f| (f.layer.as_str(), f.fid))
        .collect();
    let mut out = Vec::new();
    for layer in atlas.layers().iter().filter(|l| l.kind == Kind::Shelter) {
        for (fid, f) in layer.features().iter().enumerate() {
            let fid = fid as u32;
            if unusable.contains(&(layer.id.as_str(), fid)) {
                continue;
            }
            if !matches!(layer.value(fid, "status").as_str(), None | Some("open")) {
                continue;
            }
            let capacity = match period {
                Period::Night => layer
                    .value(fid, "capacity_night")
                    .as_i64()
                    .or(layer.value(fid, "capacity").as_i64()),
                Period::Day => layer.value(fid, "capacity").as_i64(),
            }
            .unwrap_or(0);
            let room = capacity - layer.value(fid, "occupancy").as_i64().unwrap_or(0);
            if let (true, Some(point)) = (room > 0, anchor(&f.geometry)) {
                out.push(Shelter {
                    layer,
                    fid,
                    point,
                    room,
                });
            }
        }
    }
    out
}

/// A reachable shelter for one unit.
#[derive(Clone)]
struct Candidate {
    shelter: usize,
    seconds: f64,
    metres: f64,
    route: Vec<Coord<f64>>,
}

struct Evacuee {
    unit_id: String,
    unit_name: Option<String>,
    point: Point<f64>,
    people: i64,
    candidates: Vec<Candidate>,
    only_through_hazard: bool,
}

/// The whole request: evacuation options and scenario from one JSON body → the
/// impact it rests on and the plan. Errors are messages for the requester.
pub fn run(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    mut body: Json,
) -> Result<(Impact, EvacuationPlan), String> {
    let options = Options::take_from(&mut body)?;
    let scenario = super::Scenario::parse(&body, atlas).map_err(|e| e.to_string())?;
    let impact = super::analyse(atlas, &scenario);
    let plan = plan(
        atlas,
        &impact,
        graph,
        &options,
        scenario.period,
        &scenario.needs,
        scenario.days,
    )?;
    Ok((impact, plan))
}

/// Builds the plan for an impact (whose scenario was parsed against `atlas`).
pub fn plan(
    atlas: &Atlas,
    impact: &Impact,
    graph: Result<&RoadGraph, &GraphError>,
    options: &Options,
    period: Period,
    needs: &NeedsProfile,
    days: u32,
) -> Result<EvacuationPlan, String> {
    let routing = match (options.routing, &graph) {
        (Some(Routing::Road), Err(e)) => {
            return Err(format!("routing \"road\" is impossible: {e}"));
        }
        (Some(Routing::StraightLine), _) | (None, Err(_)) => Routing::StraightLine,
        (_, Ok(_)) => Routing::Road,
    };
    let shelters = usable_shelters(atlas, impact, period);
    let exposure = atlas.layer(&impact.report.exposure);
    let mut evacuees: Vec<Evacuee> = impact
        .report
        .units
        .iter()
        .filter_map(|u| {
            let point = anchor(&exposure?.feature(u.fid)?.geometry)?;
            let people = u.people.round() as i64;
            (people > 0).then(|| Evacuee {
                unit_id: u.id.clone(),
                unit_name: u.name.clone(),
                point,
                people,
                candidates: Vec::new(),
                only_through_hazard: false,
            })
        })
        .collect();
    let overlay = HazardOverlay::new(impact.hazards.clone());
    let started = std::time::Instant::now();
    let mut assumptions = vec![format!(
        "evacuees are the affected units' people ({}), rounded to whole persons",
        match period {
            Period::Day => "day population",
            Period::Night => "night population",
        }
    )];
    match (routing, graph) {
        (Routing::Road, Ok(graph)) => {
            road_candidates(atlas, graph, &overlay, &shelters, &mut evacuees, options);
            assumptions.push(format!(
                "travel by road, profile {} ({}); units and shelters walk straight to the nearest point on a road",
                options.profile.name,
                options.profile.uniform_kmh.map_or("speeds by road class".to_string(), |v| format!("{v} km/h on every road"))
            ));
            assumptions.push(
                "roads meeting a hazard are closed, except within the hazard a unit starts in"
                    .into(),
            );
        }
        (_, graph) => {
            straight_candidates(&shelters, &mut evacuees, options);
            assumptions.push(format!(
                "no road routing: straight-line distance × {} at {} km/h{}",
                options.detour_factor,
                straight_speed(options),
                graph.err().map(|e| format!(" ({e})")).unwrap_or_default()
            ));
        }
    }
    let searched = started.elapsed();
    let plan = assign(
        &shelters,
        &evacuees,
        routing,
        options,
        needs,
        days,
        assumptions,
    );
    tracing::debug!(
        units = evacuees.len(),
        shelters = shelters.len(),
        candidates_ms = searched.as_secs_f64() * 1e3,
        assignment_ms = (started.elapsed() - searched).as_secs_f64() * 1e3,
        "evacuation plan"
    );
    Ok(plan)
}

fn straight_speed(options: &Options) -> f64 {
    options
        .profile
        .uniform_kmh
        .unwrap_or(options.profile.default_kmh)
}

fn straight_candidates(shelters: &[Shelter], evacuees: &mut [Evacuee], options: &Options) {
    let mps = straight_speed(options) / 3.6;
    for e in evacuees {
        let mut all: Vec<Candidate> = shelters
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let metres = Geodesic.distance(e.point, s.point) * options.detour_factor;
                Candidate {
                    shelter: i,
                    seconds: metres / mps,
                    metres,
                    route: vec![e.point.0, s.point.0],
                }
            })
            .filter(|c| c.seconds <= options.max_minutes * 60.0)
            .collect();
        all.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        all.truncate(options.candidates);
        e.candidates = all;
    }
}

/// Hazards each arc meets, keyed by (from, to) node.
pub(crate) fn closed_arcs(
    graph: &RoadGraph,
    overlay: &HazardOverlay,
) -> HashMap<(NodeId, NodeId), Vec<usize>> {
    let mut closed = HashMap::new();
    if overlay.areas.is_empty() {
        return closed;
    }
    for (from, arc) in graph.all_arcs() {
        let line = Line::new(graph.nodes[from as usize], graph.nodes[arc.to as usize]);
        let hits: Vec<usize> = overlay
            .areas
            .iter()
            .enumerate()
            .filter(|(_, h)| h.area.intersects(&line))
            .map(|(i, _)| i)
            .collect();
        if !hits.is_empty() {
            closed.insert((from, arc.to), hits);
        }
    }
    closed
}

/// A shelter a unit's search reached: (shelter, the node the road part ends at (None:
/// straight along the unit's own arc), seconds, metres after that node (or all the road
/// metres), where the shelter meets the road).
type Found = (usize, Option<NodeId>, f64, f64, Coord<f64>);

fn road_candidates(
    atlas: &Atlas,
    graph: &RoadGraph,
    overlay: &HazardOverlay,
    shelters: &[Shelter],
    evacuees: &mut [Evacuee],
    options: &Options,
) {
    let index = graph.segment_index();
    let walk_mps = 4.0 / 3.6;
    // Speeds per road feature, looked up once.
    let mut speed: HashMap<(u16, u32), f64> = HashMap::new();
    for (_, arc) in graph.all_arcs() {
        speed.entry(arc.road).or_insert_with(|| {
            options
                .profile
                .speed_kmh(graph.road_layer(atlas, arc.road.0), arc.road.1)
                / 3.6
        });
    }
    let closed = closed_arcs(graph, overlay);
    // Whether `arc` (leaving `from`) may be used: one-way rules and, when hazards are
    // respected, closures except those of a hazard in `inside`; its seconds per metre.
    let usable =
        |from: NodeId, arc: &crate::routing::graph::Arc, respect: bool, inside: &[usize]| {
            if arc.against_oneway && options.profile.respects_oneway {
                return None;
            }
            if respect
                && let Some(hs) = closed.get(&(from, arc.to))
                && hs.iter().any(|h| !inside.contains(h))
            {
                return None;
            }
            Some(1.0 / speed[&arc.road])
        };
    // Shelters are reached from the nodes at either end of their road segment.
    struct Arrival {
        shelter: usize,
        leg: Leg,
        /// Metres from the road to the shelter, walked straight.
        walk_m: f64,
        on_road: Coord<f64>,
    }
    let mut at_node: HashMap<NodeId, Vec<Arrival>> = HashMap::new();
    // The same arrivals by the arc they run along: a unit on that arc may go straight.
    let mut on_arc: HashMap<(NodeId, NodeId), Vec<Arrival>> = HashMap::new();
    for (i, s) in shelters.iter().enumerate() {
        if let Some(snap) = index.snap(graph, s.point) {
            for &leg in &snap.exits {
                let arrival = || Arrival {
                    shelter: i,
                    leg,
                    walk_m: snap.distance_m,
                    on_road: snap.on_road,
                };
                on_arc
                    .entry((leg.from, leg.arc.to))
                    .or_default()
                    .push(arrival());
                at_node.entry(leg.node).or_default().push(arrival());
            }
        }
    }
    let mut search = Search::new(graph);
    let max_s = options.max_minutes * 60.0;
    for e in evacuees {
        let Some(start) = index.snap(graph, e.point) else {
            continue;
        };
        let inside = overlay.hazards_at(e.point.0);
        let start_s = start.distance_m / walk_mps;
        for respect_hazards in [true, false] {
            // The unit walks to the road, then along it to either end of its segment.
            let mut entry_m: HashMap<NodeId, f64> = HashMap::new();
            let sources: Vec<(NodeId, f64)> = start
                .entries
                .iter()
                .filter_map(|leg| {
                    let per_m = usable(leg.from, &leg.arc, respect_hazards, &inside)?;
                    entry_m.insert(leg.node, leg.metres);
                    Some((leg.node, start_s + leg.metres * per_m))
                })
                .collect();
            let mut found: Vec<Found> = Vec::new();
            for entry in &start.entries {
                for a in on_arc
                    .get(&(entry.from, entry.arc.to))
                    .into_iter()
                    .flatten()
                {
                    let (Some(metres), Some(per_m)) = (
                        Leg::direct(entry, &a.leg),
                        usable(entry.from, &entry.arc, respect_hazards, &inside),
                    ) else {
                        continue;
                    };
                    let seconds = start_s + metres * per_m + a.walk_m / walk_mps;
                    found.push((a.shelter, None, seconds, metres + a.walk_m, a.on_road));
                }
            }
            let mut seen = std::collections::HashSet::new();
            search.run_from(
                &sources,
                max_s,
                |from, arc| {
                    usable(from, arc, respect_hazards, &inside).map(|per_m| arc.length_m * per_m)
                },
                |node, cost| {
                    if let Some(list) = at_node.get(&node) {
                        for a in list {
                            let Some(per_m) =
                                usable(a.leg.from, &a.leg.arc, respect_hazards, &inside)
                            else {
                                continue;
                            };
                            let seconds = cost + a.leg.metres * per_m + a.walk_m / walk_mps;
                            found.push((
                                a.shelter,
                                Some(node),
                                seconds,
                                a.leg.metres + a.walk_m,
                                a.on_road,
                            ));
                            seen.insert(a.shelter);
                        }
                    }
                    if seen.len() >= options.candidates {
                        Visit::Stop
                    } else {
                        Visit::Continue
                    }
                },
            );
            // A shelter reached from both ends of its segment keeps the quicker arrival.
            found.sort_by(|a, b| a.2.total_cmp(&b.2));
            let mut kept = std::collections::HashSet::new();
            found.retain(|f| f.2 <= max_s && kept.insert(f.0));
            found.truncate(options.candidates);
            if found.is_empty() {
                continue;
            }
            e.candidates = found
                .into_iter()
                .map(|(s, node, seconds, shelter_m, shelter_on_road)| {
                    let mut route = vec![e.point.0, start.on_road];
                    let (mut first, mut road_m) = (None, 0.0);
                    if let Some(node) = node {
                        let path = search.path(node);
                        let from = path.first().map_or(node, |(from, _)| *from);
                        route.push(graph.nodes[from as usize]);
                        route.extend(path.iter().map(|(_, a)| graph.nodes[a.to as usize]));
                        road_m = path.iter().map(|(_, a)| a.length_m).sum();
                        first = Some(from);
                    }
                    route.push(shelter_on_road);
                    route.push(shelters[s].point.0);
                    // A unit or shelter that sits on its road has a zero-length walk.
                    route.dedup();
                    if route.len() == 1 {
                        // Unit and shelter at one spot: still a (zero-length) line.
                        route.push(route[0]);
                    }
                    Candidate {
                        shelter: s,
                        seconds,
                        metres: start.distance_m
                            + first.and_then(|f| entry_m.get(&f)).copied().unwrap_or(0.0)
                            + road_m
                            + shelter_m,
                        route,
                    }
                })
                .collect();
            e.only_through_hazard = !respect_hazards;
            break;
        }
    }
}

fn assign(
    shelters: &[Shelter],
    evacuees: &[Evacuee],
    routing: Routing,
    options: &Options,
    needs: &NeedsProfile,
    days: u32,
    assumptions: Vec<String>,
) -> EvacuationPlan {
    let (n, m) = (evacuees.len(), shelters.len());
    // Units supply their people, the sink takes them all: via a candidate shelter (its
    // travel time, within the shelter's room) or, at a prohibitive cost, unplaced.
    let sink = n + m;
    let mut net = NetworkSimplex::new(n + m + 1);
    let mut arcs: Vec<Vec<(usize, FlowArc)>> = Vec::with_capacity(n);
    for (u, e) in evacuees.iter().enumerate() {
        net.add_supply(u, e.people);
        net.add_supply(sink, -e.people);
        net.add_arc(u, sink, e.people, UNPLACED_COST_S);
        let usable = if e.only_through_hazard {
            &[][..]
        } else {
            &e.candidates[..]
        };
        arcs.push(
            usable
                .iter()
                .enumerate()
                .map(|(ci, c)| {
                    (
                        ci,
                        net.add_arc(u, n + c.shelter, e.people, c.seconds.round() as i64),
                    )
                })
                .collect(),
        );
    }
    for (j, s) in shelters.iter().enumerate() {
        net.add_arc(n + j, sink, s.room, 0);
    }
    let total: i64 = evacuees.iter().map(|e| e.people).sum();
    net.solve()
        .expect("balanced, and the unplaced arcs make every instance feasible");
    // flows[u]: (candidate index, people) of the optimal split.
    let split: Vec<Vec<(usize, i64)>> = arcs
        .iter()
        .map(|a| {
            a.iter()
                .map(|&(ci, arc)| (ci, net.flow(arc)))
                .filter(|&(_, f)| f > 0)
                .collect()
        })
        .collect();
    let person_seconds = |flows: &[Vec<(usize, i64)>]| -> f64 {
        flows
            .iter()
            .zip(evacuees)
            .flat_map(|(fs, e)| {
                fs.iter()
                    .map(move |&(ci, f)| f as f64 * e.candidates[ci].seconds)
            })
            .sum()
    };
    let mut whole_note = None;
    let flows = if options.keep_whole {
        let whole = keep_whole(shelters, evacuees, &split);
        let (a, b) = (person_seconds(&split) / 60.0, person_seconds(&whole) / 60.0);
        let (placed_split, placed_whole): (i64, i64) = (
            split.iter().flatten().map(|f| f.1).sum(),
            whole.iter().flatten().map(|f| f.1).sum(),
        );
        whole_note = Some(WholeUnits {
            // `+ 0.0` turns a rounded -0.0 into 0.
            split_person_minutes: a.round() + 0.0,
            whole_person_minutes: b.round() + 0.0,
            extra_person_minutes_percent: (placed_split == placed_whole && a > 0.0)
                .then(|| ((b - a) / a * 1000.0).round() / 10.0 + 0.0),
            split_assigned: placed_split,
            whole_assigned: placed_whole,
        });
        whole
    } else {
        split
    };

    let mut assignments = Vec::new();
    let mut unassigned = Vec::new();
    let mut load = vec![0i64; m];
    for (u, e) in evacuees.iter().enumerate() {
        let mut placed = 0;
        for &(ci, f) in &flows[u] {
            let c = &e.candidates[ci];
            let s = &shelters[c.shelter];
            load[c.shelter] += f;
            placed += f;
            let route =
                geojson::Geometry::new(geojson::GeometryValue::from(&LineString(c.route.clone())));
            assignments.push(Assignment {
                unit_id: e.unit_id.clone(),
                unit_name: e.unit_name.clone(),
                shelter_id: s.layer.features()[s.fid as usize].id.to_string(),
                shelter_name: s.layer.value(s.fid, "name").as_str().map(str::to_string),
                people: f,
                minutes: (c.seconds / 60.0 * 10.0).round() / 10.0,
                distance_m: c.metres.round(),
                route: serde_json::to_value(route).unwrap_or(Json::Null),
            });
        }
        if placed < e.people {
            let reason = if e.only_through_hazard {
                "through_hazard"
            } else if e.candidates.is_empty() {
                "unreachable"
            } else {
                "capacity"
            };
            unassigned.push(Unassigned {
                unit_id: e.unit_id.clone(),
                unit_name: e.unit_name.clone(),
                lon: e.point.x(),
                lat: e.point.y(),
                people: e.people - placed,
                reason,
            });
        }
    }
    let assigned: i64 = assignments.iter().map(|a| a.people).sum();
    let person_minutes: f64 = assignments
        .iter()
        .map(|a| a.people as f64 * a.minutes)
        .sum();
    let shelters_out: Vec<ShelterLoad> = shelters
        .iter()
        .zip(&load)
        .filter(|(_, l)| **l > 0)
        .map(|(s, &l)| ShelterLoad {
            id: s.layer.features()[s.fid as usize].id.to_string(),
            name: s.layer.value(s.fid, "name").as_str().map(str::to_string),
            lon: s.point.x(),
            lat: s.point.y(),
            capacity: s.room,
            assigned: l,
            utilisation: (l as f64 / s.room as f64 * 1000.0).round() / 1000.0,
            // Depot stock is compared county-wide in the impact report; here, what each
            // shelter must receive (stock 0, so the shortfall is the whole need).
            needs: needs_for(needs, l as f64, days, |_| 0.0),
        })
        .collect();
    let totals = PlanTotals {
        evacuees: total,
        assigned,
        unassigned: total - assigned,
        mean_minutes: if assigned > 0 {
            (person_minutes / assigned as f64 * 10.0).round() / 10.0
        } else {
            0.0
        },
        max_minutes: assignments.iter().map(|a| a.minutes).fold(0.0, f64::max),
        shelters_used: shelters_out.len(),
    };
    EvacuationPlan {
        routing,
        profile: options.profile.name,
        totals,
        assignments,
        shelters: shelters_out,
        unassigned,
        keep_villages_whole: whole_note,
        assumptions,
    }
}

/// Rounds an optimal split so that each unit goes whole to one shelter, then repairs
/// capacity: units are placed largest first, each at the shelter that took most of
/// it in the split if it still has room, else at its next-fastest candidate with room;
/// a unit that fits nowhere stays unplaced (reason `capacity`).
fn keep_whole(
    shelters: &[Shelter],
    evacuees: &[Evacuee],
    split: &[Vec<(usize, i64)>],
) -> Vec<Vec<(usize, i64)>> {
    let mut room: Vec<i64> = shelters.iter().map(|s| s.room).collect();
    let mut order: Vec<usize> = (0..evacuees.len()).collect();
    order.sort_by_key(|&u| std::cmp::Reverse(evacuees[u].people));
    let mut out = vec![Vec::new(); evacuees.len()];
    for u in order {
        let e = &evacuees[u];
        if e.only_through_hazard {
            continue;
        }
        let preferred = split[u].iter().max_by_key(|&&(_, f)| f).map(|&(ci, _)| ci);
        let mut by_time: Vec<usize> = (0..e.candidates.len()).collect();
        by_time.sort_by(|&a, &b| e.candidates[a].seconds.total_cmp(&e.candidates[b].seconds));
        let choice = preferred
            .into_iter()
            .chain(by_time)
            .find(|&ci| room[e.candidates[ci].shelter] >= e.people);
        if let Some(ci) = choice {
            room[e.candidates[ci].shelter] -= e.people;
            out[u].push((ci, e.people));
        }
    }
    out
}
