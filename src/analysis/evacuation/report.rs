//! The plan as its reader sees it: assignments with routes, shelter loads and their
//! needs, the unplaced with reasons, totals; and the price of keeping villages whole.

use super::pricing::Pair;
use super::reasons::{self, Unassigned};
use super::shelters::Shelter;
use super::shelters::Shelters;
use super::{EvacuationPlan, Optimality, Routing, Unit, WholeUnits};
use crate::analysis::needs::{Need, NeedsProfile, needs_for};
use geo::LineString;
use serde::Serialize;
use serde_json::Value as Json;

#[derive(Debug, Clone, Serialize)]
/// People of one unit sent to one shelter.
pub struct Assignment {
    /// The unit's feature id.
    pub unit_id: String,
    /// Its name, if it has one.
    pub unit_name: Option<String>,
    /// The shelter's feature id.
    pub shelter_id: String,
    /// Its name, if it has one.
    pub shelter_name: Option<String>,
    /// How many people take this trip.
    pub people: i64,
    /// Door to door, to a tenth of a minute.
    pub minutes: f64,
    /// Door to door, walks included (metres).
    pub distance_m: f64,
    /// The route as a GeoJSON LineString: unit → road → shelter.
    pub route: Json,
}

#[derive(Debug, Clone, Serialize)]
/// A shelter the plan uses, and how full it gets.
pub struct ShelterLoad {
    /// The shelter's feature id.
    pub id: String,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Where it is (WGS84).
    pub lon: f64,
    /// Latitude of the same point.
    pub lat: f64,
    /// Places it had left (capacity, or capacity_night at night, minus occupancy).
    pub capacity: i64,
    /// People the plan sends there.
    pub assigned: i64,
    /// `assigned / capacity`, to three decimals.
    pub utilisation: f64,
    /// What it must receive for them, for the scenario's days.
    pub needs: Vec<Need>,
}

#[derive(Debug, Clone, Default, Serialize)]
/// A plan's totals.
pub struct PlanTotals {
    /// People to move: the affected units' people, rounded to whole persons.
    pub evacuees: i64,
    /// People placed in a shelter.
    pub assigned: i64,
    /// People not placed (`unassigned_by_reason` says why).
    pub unassigned: i64,
    /// Unplaced people by reason.
    pub unassigned_by_reason: std::collections::BTreeMap<&'static str, i64>,
    /// Mean trip of the people placed (minutes).
    pub mean_minutes: f64,
    /// The longest trip: the clearance time (minutes).
    pub max_minutes: f64,
    /// Shelters that receive anyone.
    pub shelters_used: usize,
}

fn person_seconds(units: &[Unit], flows: &[Vec<(usize, i64)>]) -> f64 {
    flows
        .iter()
        .zip(units)
        .flat_map(|(fs, u)| fs.iter().map(move |&(i, f)| f as f64 * u.pairs[i].seconds))
        .sum()
}

pub(super) fn compare_whole(
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
pub(super) struct Report<'n> {
    pub routing: Routing,
    pub profile: &'static str,
    pub needs: &'n NeedsProfile,
    pub days: u32,
    pub whole: Option<WholeUnits>,
    pub optimality: Optimality,
    pub assumptions: Vec<String>,
}

/// The plan: assignments with routes, shelter loads, the unplaced with reasons, totals.
pub(super) fn report(
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
            load[pair.shelter] += people;
            placed += people;
            assignments.push(assignment(unit, pair, &usable[pair.shelter], people));
        }
        if placed < unit.people {
            unassigned.push(reasons.explain(unit, unit.people - placed));
        }
    }
    let shelters_out: Vec<ShelterLoad> = usable
        .iter()
        .zip(&load)
        .filter(|(_, l)| **l > 0)
        .map(|(s, &l)| shelter_load(s, l, r.needs, r.days))
        .collect();
    let total: i64 = units.iter().map(|u| u.people).sum();
    EvacuationPlan {
        routing: r.routing,
        profile: r.profile,
        totals: totals(total, &assignments, &unassigned, shelters_out.len()),
        assignments,
        shelters: shelters_out,
        unassigned,
        keep_villages_whole: r.whole,
        optimality: r.optimality,
        assumptions: r.assumptions,
    }
}

/// People of `unit` travelling `pair` to `shelter`.
fn assignment(unit: &Unit, pair: &Pair, shelter: &Shelter, people: i64) -> Assignment {
    let route = geojson::Geometry::new(geojson::GeometryValue::from(&LineString(
        pair.route.clone(),
    )));
    Assignment {
        unit_id: unit.unit_id.clone(),
        unit_name: unit.unit_name.clone(),
        shelter_id: shelter.id(),
        shelter_name: shelter.name(),
        people,
        minutes: (pair.seconds / 60.0 * 10.0).round() / 10.0,
        distance_m: pair.metres.round(),
        route: serde_json::to_value(route).unwrap_or(Json::Null),
    }
}

/// A shelter the plan sends `load` people to, and what it must receive for them.
fn shelter_load(s: &Shelter, load: i64, needs: &NeedsProfile, days: u32) -> ShelterLoad {
    ShelterLoad {
        id: s.id(),
        name: s.name(),
        lon: s.point.x(),
        lat: s.point.y(),
        capacity: s.room,
        assigned: load,
        utilisation: (load as f64 / s.room as f64 * 1000.0).round() / 1000.0,
        // Depot stock is compared county-wide in the impact report; here, what each
        // shelter must receive (stock 0, so the shortfall is the whole need).
        needs: needs_for(needs, load as f64, days, |_| 0.0),
    }
}

fn totals(
    evacuees: i64,
    assignments: &[Assignment],
    unassigned: &[Unassigned],
    shelters_used: usize,
) -> PlanTotals {
    let assigned: i64 = assignments.iter().map(|a| a.people).sum();
    let person_minutes: f64 = assignments
        .iter()
        .map(|a| a.people as f64 * a.minutes)
        .sum();
    let mut by_reason = std::collections::BTreeMap::new();
    for u in unassigned {
        *by_reason.entry(u.reason).or_insert(0) += u.people;
    }
    PlanTotals {
        evacuees,
        assigned,
        unassigned: evacuees - assigned,
        unassigned_by_reason: by_reason,
        mean_minutes: if assigned > 0 {
            (person_minutes / assigned as f64 * 10.0).round() / 10.0
        } else {
            0.0
        },
        max_minutes: assignments.iter().map(|a| a.minutes).fold(0.0, f64::max),
        shelters_used,
    }
}
