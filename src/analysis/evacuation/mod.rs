//! Where they evacuate: each affected unit assigned to usable shelters within their
//! capacity, by travel time, on routes that avoid the hazard; everyone left named with
//! the reason.
//!
//! 1. evacuees are the impact's affected units (people rounded to whole persons);
//!    usable shelters are open, not closed by the scenario's hazards, with room left
//!    (`shelters`);
//! 2. units snap onto the road network as [`crate::routing::travel`] says (a unit
//!    farther than its walk limit from every road is off the network); hazards the unit
//!    starts in do not close its roads, others do;
//! 3. the assignment minimises person-minutes over **every** shelter within
//!    `max_minutes`, by column generation over a min-cost flow, and carries its
//!    certificate (`pricing`, whose doc says why it is exact); `candidates` only sets
//!    how many nearest shelters the first round starts from;
//! 4. people left unplaced are explained (`reasons`): full shelters, a hazard in the
//!    way, shelters the hazard closed, or nothing within reach;
//! 5. without roads, or with `"routing": "straight_line"`, times are geodesic distance
//!    × `detour_factor` at the profile's speed, and the plan says so (`reach`).

mod pricing;
mod reach;
mod reasons;
mod report;
mod setup;
mod shelters;
mod whole;

pub use pricing::{Gap, Optimality, Prices, UNPLACED_COST_S};
pub use reasons::{NearbyShelter, Unassigned};
pub use report::{Assignment, PlanTotals, ShelterLoad};
pub use setup::{ReachTable, reach_table};

use super::impact::Impact;
use super::needs::NeedsProfile;
use super::overlay::HazardOverlay;
use super::scenario::Period;
use crate::atlas::Atlas;
use crate::routing::graph::{GraphError, Profile, RoadGraph};
use crate::routing::travel::{OffNetwork, Place};
use geo::Point;
use pricing::{Limits, Pair};
use report::{Report, compare_whole};
use serde::Serialize;
use setup::{Searches, closures_for, routing_for, searches};
use shelters::Shelters;

/// Nearest usable shelters per unit a plan starts from, unless asked otherwise.
pub const DEFAULT_CANDIDATES: usize = 8;
/// The longest trip a plan considers, unless asked otherwise (minutes).
pub const DEFAULT_MAX_MINUTES: f64 = 180.0;
/// Straight-line detour factor: road distance over straight distance. 1.4 is the usual
/// planning value for rural road networks (circuity studies find 1.2–1.6).
pub const DEFAULT_DETOUR_FACTOR: f64 = 1.4;
/// Pricing rounds at most. Plans of the demo county prove optimal in a handful; the cap
/// only guards against a pathological instance, and a plan it stops says so.
pub const DEFAULT_MAX_ROUNDS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
/// How a plan measures trips.
pub enum Routing {
    /// On the road graph, through `routing::travel`.
    Road,
    /// Geodesic distance × a detour factor, without roads.
    StraightLine,
}

/// Evacuation options, beside the scenario in the request body.
#[derive(Debug, Clone)]
pub struct Options {
    /// The mode asked for; None: road where roads exist.
    pub routing: Option<Routing>,
    /// Walking or driving, and any one speed for every road.
    pub profile: Profile,
    /// Straight-line mode: road distance over straight distance.
    pub detour_factor: f64,
    /// How many nearest shelters per unit the assignment starts from: a performance
    /// knob, never a limit on the answer.
    pub candidates: usize,
    /// The longest trip considered (minutes).
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
/// Where they evacuate: the answer to `POST /api/evacuation` (field names are the API contract of design.md).
pub struct EvacuationPlan {
    /// The routing mode used (road, or straight line when asked or without roads).
    pub routing: Routing,
    /// The travel profile used.
    pub profile: &'static str,
    /// Evacuees, placed, not placed (by reason), mean and clearance minutes.
    pub totals: PlanTotals,
    /// Who goes where, how long, by which route.
    pub assignments: Vec<Assignment>,
    /// Each shelter used, how full, and its needs.
    pub shelters: Vec<ShelterLoad>,
    /// Everyone not placed, with why and the shelter concerned.
    pub unassigned: Vec<Unassigned>,
    /// With `keep_villages_whole`: how far the whole-unit plan is from the split optimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_villages_whole: Option<WholeUnits>,
    /// The assignment's proof of optimality over every shelter within reach.
    pub optimality: Optimality,
    /// What the plan assumed.
    pub assumptions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
/// What keeping villages whole costs against the optimal split.
pub struct WholeUnits {
    /// Person-minutes of the optimal split over every shelter within reach.
    pub split_person_minutes: f64,
    /// Person-minutes of the whole-unit plan.
    pub whole_person_minutes: f64,
    /// `None` when the two plans place different numbers of people, so that
    /// person-minutes do not compare.
    pub extra_person_minutes_percent: Option<f64>,
    /// People the split places.
    pub split_assigned: i64,
    /// People the whole-unit plan places.
    pub whole_assigned: i64,
}

/// Where a unit's trips start.
#[derive(Debug, Clone)]
pub enum Origin {
    /// On the road network, inside these hazards (whose closures do not bind it).
    Road {
        /// The unit on the network.
        place: Place,
        /// Hazards it starts inside (by overlay index).
        inside: Vec<usize>,
    },
    /// Straight-line mode.
    Point(Point<f64>),
    /// Beyond the walk to any road.
    OffNetwork {
        /// The unit's point.
        point: Point<f64>,
        /// How far the road is.
        why: OffNetwork,
    },
}

impl Origin {
    /// The unit's point, whatever its origin.
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
    /// The unit's feature id.
    pub unit_id: String,
    /// Its name, if it has one.
    pub unit_name: Option<String>,
    /// Its point (a polygon unit's interior point).
    pub point: Point<f64>,
    /// People to move, rounded to whole persons.
    pub people: i64,
    /// Where its trips start.
    pub origin: Origin,
    /// Every usable shelter quicker than `radius_s`, with its seconds, quickest first.
    pub known: Vec<(u32, f64)>,
    /// How far this unit's searches have gone (seconds; infinite: the whole limit).
    pub radius_s: f64,
    /// The unit's pairs in the flow.
    pub pairs: Vec<Pair>,
}

/// The assumptions every plan states, around those of its travel model.
fn frame_assumptions(assumptions: &mut Vec<String>, options: &Options, period: Period) {
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
    frame_assumptions(&mut assumptions, options, period);
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
    let assigned_ms = crate::log::millis(started.elapsed());
    let (flows, whole_note) = if options.keep_whole {
        let whole = whole::keep_whole(
            &shelters.usable,
            &mut units,
            &solved.flows,
            &mut finder,
            limit_s,
        );
        let note = compare_whole(&units, &solved.flows, &whole);
        (whole, Some(note))
    } else {
        (solved.flows, None)
    };
    let mut context = reasons::Context {
        shelters: &shelters,
        all: &mut all_finder,
        hazard_ids: &hazard_ids,
        limit_s,
        routing,
    };
    let plan = report::report(
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
    let total_ms = crate::log::millis(started.elapsed());
    let (units, shelters) = (units.len(), shelters.usable.len());
    tracing::debug!(units, shelters, assigned_ms, total_ms, "evacuation plan");
    Ok(plan)
}
