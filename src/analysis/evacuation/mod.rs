//! Where they evacuate: each affected unit assigned to usable shelters within their
//! capacity, by travel time, on routes that avoid the hazard; everyone left named with
//! the reason.
//!
//! 1. evacuees are the impact's affected units (people rounded to whole persons);
//!    usable shelters are open, not closed by the scenario's hazards, with room left
//!    ([`shelters`]);
//! 2. units snap onto the road network as [`crate::routing::travel`] says (a unit
//!    farther than its walk limit from every road is off the network); hazards the unit
//!    starts in do not close its roads, others do;
//! 3. the assignment minimises person-minutes over **every** shelter within
//!    `max_minutes`, by column generation over a min-cost flow, and carries its
//!    certificate ([`pricing`], whose doc says why it is exact); `candidates` only sets
//!    how many nearest shelters the first round starts from;
//! 4. people left unplaced are explained ([`reasons`]): full shelters, a hazard in the
//!    way, shelters the hazard closed, or nothing within reach;
//! 5. without roads, or with `"routing": "straight_line"`, times are geodesic distance
//!    × `detour_factor` at the profile's speed, and the plan says so ([`reach`]).

mod pricing;
mod reach;
mod reasons;
mod shelters;
mod whole;

pub use pricing::{Gap, Optimality, Prices, UNPLACED_COST_S};
pub use reasons::{NearbyShelter, Unassigned};

use super::hazards::anchor;
use super::impact::{HazardOverlay, Impact};
use super::needs::{Need, NeedsProfile, needs_for};
use super::scenario::Period;
use crate::atlas::Atlas;
use crate::routing::graph::{GraphError, Profile, RoadGraph};
use crate::routing::travel::{Closures, Costing, Destinations, OffNetwork, Place};
use geo::{LineString, Point};
use pricing::{Limits, Pair};
use reach::{Finder, RoadFinder, StraightFinder};
use serde::Serialize;
use serde_json::Value as Json;
use shelters::Shelters;

pub const DEFAULT_CANDIDATES: usize = 8;
pub const MAX_CANDIDATES: usize = 50;
pub const DEFAULT_MAX_MINUTES: f64 = 180.0;
/// Straight-line detour factor: road distance over straight distance. 1.4 is the usual
/// planning value for rural road networks (circuity studies find 1.2–1.6).
pub const DEFAULT_DETOUR_FACTOR: f64 = 1.4;
/// Pricing rounds at most. Plans of the demo county prove optimal in a handful; the cap
/// only guards against a pathological instance, and a plan it stops says so.
pub const DEFAULT_MAX_ROUNDS: usize = 100;

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
    /// How many nearest shelters per unit the assignment starts from: a performance
    /// knob, never a limit on the answer.
    pub candidates: usize,
    pub max_minutes: f64,
    /// Send each unit whole to one shelter (round the optimal split, then repair).
    pub keep_whole: bool,
    /// Pricing rounds at most (not a request option: tests lower it to see a plan that
    /// stopped early say so).
    pub max_rounds: usize,
}

impl Default for Options {
    /// Road routing where roads exist, walking, 8 candidates to start from, 3 hours.
    fn default() -> Options {
        Options {
            routing: None,
            profile: Profile::walk(),
            detour_factor: DEFAULT_DETOUR_FACTOR,
            candidates: DEFAULT_CANDIDATES,
            max_minutes: DEFAULT_MAX_MINUTES,
            keep_whole: false,
            max_rounds: DEFAULT_MAX_ROUNDS,
        }
    }
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvacuationError {
    /// The request asked for road routing on an atlas without usable roads.
    #[error("routing \"road\" is impossible: {0}")]
    NoRoads(GraphError),
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanTotals {
    pub evacuees: i64,
    pub assigned: i64,
    pub unassigned: i64,
    /// Unplaced people by reason.
    pub unassigned_by_reason: std::collections::BTreeMap<&'static str, i64>,
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
    /// The assignment's proof of optimality over every shelter within reach.
    pub optimality: Optimality,
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

/// Where a unit's trips start.
#[derive(Debug, Clone)]
pub enum Origin {
    /// On the road network, inside these hazards (whose closures do not bind it).
    Road { place: Place, inside: Vec<usize> },
    /// Straight-line mode.
    Point(Point<f64>),
    /// Beyond the walk to any road.
    OffNetwork { point: Point<f64>, why: OffNetwork },
}

impl Origin {
    pub fn point(&self) -> Point<f64> {
        match self {
            Origin::Road { place, .. } => place.point,
            Origin::Point(p) | Origin::OffNetwork { point: p, .. } => *p,
        }
    }
}

/// An affected unit with people to move, and what the plan knows of its reach.
#[derive(Debug, Clone)]
pub struct Unit {
    pub unit_id: String,
    pub unit_name: Option<String>,
    pub point: Point<f64>,
    pub people: i64,
    pub origin: Origin,
    /// Every usable shelter quicker than `radius_s`, with its seconds, quickest first.
    pub known: Vec<(u32, f64)>,
    /// How far this unit's searches have gone (seconds; infinite: the whole limit).
    pub radius_s: f64,
    /// The unit's pairs in the flow.
    pub pairs: Vec<Pair>,
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
) -> Result<EvacuationPlan, EvacuationError> {
    let routing = routing_for(options, &graph)?;
    let shelters = Shelters::new(atlas, impact, period);
    let overlay = HazardOverlay::new(impact.hazards.clone());
    let hazard_ids: Vec<String> = overlay.areas.iter().map(|h| h.id.clone()).collect();
    let limit_s = options.max_minutes * 60.0;
    let started = std::time::Instant::now();
    let closures = closures_for(routing, graph, &overlay);
    let Searches {
        mut finder,
        mut all_finder,
        mut units,
        mut assumptions,
    } = searches(
        atlas, impact, graph, options, routing, &shelters, &overlay, &closures,
    );
    assumptions.insert(
        0,
        format!(
            "evacuees are the affected units' people ({}), rounded to whole persons",
            match period {
                Period::Day => "day population",
                Period::Night => "night population",
            }
        ),
    );
    assumptions.push(format!(
        "shelters within {} minutes are all considered; the plan places as many people as possible, then minimises person-minutes (see optimality)",
        options.max_minutes
    ));
    let solved = pricing::assign(
        &mut units,
        &shelters.usable,
        &mut finder,
        Limits {
            candidates: options.candidates,
            limit_s,
            max_rounds: options.max_rounds,
        },
    );
    let assigned_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut whole_note = None;
    let flows = if options.keep_whole {
        let whole = whole::keep_whole(
            &shelters.usable,
            &mut units,
            &solved.flows,
            &mut finder,
            limit_s,
        );
        whole_note = Some(compare_whole(&units, &solved.flows, &whole));
        whole
    } else {
        solved.flows
    };
    let mut context = reasons::Context {
        shelters: &shelters,
        all: &mut all_finder,
        hazard_ids: &hazard_ids,
        limit_s,
        routing,
    };
    let plan = report(
        &shelters,
        &units,
        &flows,
        &mut context,
        Report {
            routing,
            profile: options.profile.name,
            needs,
            days,
            whole: whole_note,
            optimality: solved.optimality,
            assumptions,
        },
    );
    tracing::debug!(
        units = units.len(),
        shelters = shelters.usable.len(),
        rounds = plan.optimality.rounds,
        pairs_in_flow = plan.optimality.pairs_in_flow,
        assigned_ms,
        total_ms = started.elapsed().as_secs_f64() * 1e3,
        "evacuation plan"
    );
    Ok(plan)
}

/// The routing mode a request gets: road when asked for or when roads exist.
fn routing_for(
    options: &Options,
    graph: &Result<&RoadGraph, &GraphError>,
) -> Result<Routing, EvacuationError> {
    match (options.routing, graph) {
        (Some(Routing::Road), Err(e)) => Err(EvacuationError::NoRoads((*e).clone())),
        (Some(Routing::StraightLine), _) | (None, Err(_)) => Ok(Routing::StraightLine),
        (_, Ok(_)) => Ok(Routing::Road),
    }
}

/// The roads each hazard closes (none without road routing).
fn closures_for(
    routing: Routing,
    graph: Result<&RoadGraph, &GraphError>,
    overlay: &HazardOverlay,
) -> Closures {
    match (routing, graph) {
        (Routing::Road, Ok(graph)) => overlay.road_closures(graph),
        _ => Closures::default(),
    }
}

/// The units and the searches a plan runs from them.
struct Searches<'a> {
    /// To the usable shelters.
    finder: Finder<'a>,
    /// To every shelter, usable or not (for the reasons).
    all_finder: Finder<'a>,
    units: Vec<Unit>,
    assumptions: Vec<String>,
}

#[allow(clippy::too_many_arguments)] // one caller shape, each input distinct
fn searches<'a>(
    atlas: &'a Atlas,
    impact: &Impact,
    graph: Result<&'a RoadGraph, &GraphError>,
    options: &Options,
    routing: Routing,
    shelters: &Shelters,
    overlay: &HazardOverlay,
    closures: &'a Closures,
) -> Searches<'a> {
    if let (Routing::Road, Ok(graph)) = (routing, graph) {
        let costing = Costing::new(atlas, graph, &options.profile).with_closures(closures);
        let units = evacuees(impact, atlas, |p| match costing.place(p) {
            Ok(place) => Origin::Road {
                place,
                inside: overlay.hazards_at(p.0),
            },
            Err(why) => Origin::OffNetwork { point: p, why },
        });
        let usable = Destinations::new(&costing, &shelters.usable_points());
        let every = Destinations::new(&costing, &shelters.all_points());
        let assumptions = vec![
            format!(
                "travel by road, profile {} ({}); units and shelters walk straight to the nearest point on a road at {} km/h, at most {} m",
                options.profile.name,
                options.profile.uniform_kmh.map_or("speeds by road class".to_string(), |v| format!("{v} km/h on every road")),
                crate::routing::travel::WALK_KMH,
                crate::routing::travel::MAX_WALK_TO_ROAD_M,
            ),
            "roads meeting a hazard are closed, except within the hazard a unit starts in; earthquake intensity bands close no road (add cut roads as drawn areas)".into(),
        ];
        return Searches {
            finder: Finder::Road(Box::new(RoadFinder::new(costing.clone(), usable, graph))),
            all_finder: Finder::Road(Box::new(RoadFinder::new(costing, every, graph))),
            units,
            assumptions,
        };
    }
    let units = evacuees(impact, atlas, Origin::Point);
    let kmh = straight_speed(options);
    let extent: Vec<Point<f64>> = units.iter().map(|u| u.point).collect();
    let straight = |points| StraightFinder::new(points, &extent, options.detour_factor, kmh);
    Searches {
        finder: Finder::Straight(straight(shelters.usable_points())),
        all_finder: Finder::Straight(straight(shelters.all_points())),
        assumptions: vec![format!(
            "no road routing: straight-line distance × {} at {kmh} km/h{}",
            options.detour_factor,
            graph.err().map(|e| format!(" ({e})")).unwrap_or_default()
        )],
        units,
    }
}

/// Every (unit, usable shelter) pair within reach of a plan's request, found by one
/// complete search per unit: what a plan would be if it materialised all pairs. For
/// checking plans (tests, audits); a plan itself never builds this.
#[derive(Debug, Clone, Serialize)]
pub struct ReachTable {
    pub routing: Routing,
    /// (unit id, people)
    pub units: Vec<(String, i64)>,
    /// (shelter id, places left)
    pub shelters: Vec<(String, i64)>,
    /// (unit index, shelter index, seconds door to door)
    pub pairs: Vec<(usize, usize, f64)>,
}

/// The [`ReachTable`] of a request, on the same travel model and shelters as [`plan`].
pub fn reach_table(
    atlas: &Atlas,
    impact: &Impact,
    graph: Result<&RoadGraph, &GraphError>,
    options: &Options,
    period: Period,
) -> Result<ReachTable, EvacuationError> {
    let routing = routing_for(options, &graph)?;
    let shelters = Shelters::new(atlas, impact, period);
    let overlay = HazardOverlay::new(impact.hazards.clone());
    let closures = closures_for(routing, graph, &overlay);
    let Searches {
        mut finder, units, ..
    } = searches(
        atlas, impact, graph, options, routing, &shelters, &overlay, &closures,
    );
    let limit_s = options.max_minutes * 60.0;
    let trip = crate::routing::travel::Trip {
        inside: &[],
        respect_closures: true,
    };
    let mut pairs = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        let found = finder.find(
            &unit.origin,
            trip,
            limit_s,
            crate::routing::travel::Until::Within(limit_s),
        );
        pairs.extend(
            found
                .arrivals
                .iter()
                .map(|&(s, secs)| (u, s as usize, secs)),
        );
    }
    Ok(ReachTable {
        routing,
        units: units
            .iter()
            .map(|u| (u.unit_id.clone(), u.people))
            .collect(),
        shelters: shelters.usable.iter().map(|s| (s.id(), s.room)).collect(),
        pairs,
    })
}

/// The impact's affected units with people to move, each placed by `origin`.
fn evacuees(impact: &Impact, atlas: &Atlas, origin: impl Fn(Point<f64>) -> Origin) -> Vec<Unit> {
    let exposure = atlas.layer(&impact.report.exposure);
    impact
        .report
        .units
        .iter()
        .filter_map(|u| {
            let point = anchor(&exposure?.feature(u.fid)?.geometry)?;
            let people = u.people.round() as i64;
            (people > 0).then(|| Unit {
                unit_id: u.id.clone(),
                unit_name: u.name.clone(),
                point,
                people,
                origin: origin(point),
                known: Vec::new(),
                radius_s: 0.0,
                pairs: Vec::new(),
            })
        })
        .collect()
}

fn straight_speed(options: &Options) -> f64 {
    options
        .profile
        .uniform_kmh
        .unwrap_or(options.profile.default_kmh)
}

fn person_seconds(units: &[Unit], flows: &[Vec<(usize, i64)>]) -> f64 {
    flows
        .iter()
        .zip(units)
        .flat_map(|(fs, u)| fs.iter().map(move |&(i, f)| f as f64 * u.pairs[i].seconds))
        .sum()
}

fn compare_whole(
    units: &[Unit],
    split: &[Vec<(usize, i64)>],
    whole: &[Vec<(usize, i64)>],
) -> WholeUnits {
    let (a, b) = (
        person_seconds(units, split) / 60.0,
        person_seconds(units, whole) / 60.0,
    );
    let placed = |flows: &[Vec<(usize, i64)>]| -> i64 { flows.iter().flatten().map(|f| f.1).sum() };
    let (placed_split, placed_whole) = (placed(split), placed(whole));
    WholeUnits {
        // `+ 0.0` turns a rounded -0.0 into 0.
        split_person_minutes: a.round() + 0.0,
        whole_person_minutes: b.round() + 0.0,
        extra_person_minutes_percent: (placed_split == placed_whole && a > 0.0)
            .then(|| ((b - a) / a * 1000.0).round() / 10.0 + 0.0),
        split_assigned: placed_split,
        whole_assigned: placed_whole,
    }
}

/// What the report carries besides the flows.
struct Report<'n> {
    routing: Routing,
    profile: &'static str,
    needs: &'n NeedsProfile,
    days: u32,
    whole: Option<WholeUnits>,
    optimality: Optimality,
    assumptions: Vec<String>,
}

/// The plan: assignments with routes, shelter loads, the unplaced with reasons, totals.
fn report(
    shelters: &Shelters,
    units: &[Unit],
    flows: &[Vec<(usize, i64)>],
    reasons: &mut reasons::Context,
    r: Report,
) -> EvacuationPlan {
    let usable = &shelters.usable;
    let mut assignments = Vec::new();
    let mut unassigned = Vec::new();
    let mut load = vec![0i64; usable.len()];
    for (unit, flows) in units.iter().zip(flows) {
        let mut placed = 0;
        for &(i, people) in flows {
            let pair = &unit.pairs[i];
            let s = &usable[pair.shelter];
            load[pair.shelter] += people;
            placed += people;
            let route = geojson::Geometry::new(geojson::GeometryValue::from(&LineString(
                pair.route.clone(),
            )));
            assignments.push(Assignment {
                unit_id: unit.unit_id.clone(),
                unit_name: unit.unit_name.clone(),
                shelter_id: s.id(),
                shelter_name: s.name(),
                people,
                minutes: (pair.seconds / 60.0 * 10.0).round() / 10.0,
                distance_m: pair.metres.round(),
                route: serde_json::to_value(route).unwrap_or(Json::Null),
            });
        }
        if placed < unit.people {
            unassigned.push(reasons.explain(unit, unit.people - placed));
        }
    }
    let total: i64 = units.iter().map(|u| u.people).sum();
    let assigned: i64 = assignments.iter().map(|a| a.people).sum();
    let person_minutes: f64 = assignments
        .iter()
        .map(|a| a.people as f64 * a.minutes)
        .sum();
    let mut by_reason = std::collections::BTreeMap::new();
    for u in &unassigned {
        *by_reason.entry(u.reason).or_insert(0) += u.people;
    }
    let shelters_out: Vec<ShelterLoad> = usable
        .iter()
        .zip(&load)
        .filter(|(_, l)| **l > 0)
        .map(|(s, &l)| ShelterLoad {
            id: s.id(),
            name: s.name(),
            lon: s.point.x(),
            lat: s.point.y(),
            capacity: s.room,
            assigned: l,
            utilisation: (l as f64 / s.room as f64 * 1000.0).round() / 1000.0,
            // Depot stock is compared county-wide in the impact report; here, what each
            // shelter must receive (stock 0, so the shortfall is the whole need).
            needs: needs_for(r.needs, l as f64, r.days, |_| 0.0),
        })
        .collect();
    let totals = PlanTotals {
        evacuees: total,
        assigned,
        unassigned: total - assigned,
        unassigned_by_reason: by_reason,
        mean_minutes: if assigned > 0 {
            (person_minutes / assigned as f64 * 10.0).round() / 10.0
        } else {
            0.0
        },
        max_minutes: assignments.iter().map(|a| a.minutes).fold(0.0, f64::max),
        shelters_used: shelters_out.len(),
    };
    EvacuationPlan {
        routing: r.routing,
        profile: r.profile,
        totals,
        assignments,
        shelters: shelters_out,
        unassigned,
        keep_villages_whole: r.whole,
        optimality: r.optimality,
        assumptions: r.assumptions,
    }
}
