//! Why people are left unplaced, and what a duty officer can do about it.
//!
//! The reasons are exact statements about the shelters within reach (the trip limit,
//! and by road not through another hazard), which the optimal plan makes checkable:
//!
//! - `capacity`: shelters are within reach, and every one is full (an optimal plan
//!   leaves nobody unplaced while a shelter within reach has room);
//! - `through_hazard`: no shelter is within reach on open roads, but one with room is
//!   beyond another hazard (the roads it would take are named);
//! - `closed_by_hazard`: the only shelters within reach are closed by the hazard (the
//!   rule is named);
//! - `unreachable`: no shelter at all within reach, or the unit is off the road network.
//!
//! Each comes with the nearest relevant shelter, so a card can say "the nearest shelter,
//! X, is full: call the township" rather than only "no room".

use super::reach::Finder;
use super::shelters::{Availability, Shelters};
use super::{Origin, Routing, Unit};
use crate::routing::travel::{Trip, Until};
use serde::Serialize;

/// People of a unit the plan could not place, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unassigned {
    /// The unit's feature id.
    pub unit_id: String,
    /// Its name, if it has one.
    pub unit_name: Option<String>,
    /// Where the unit evacuates from.
    pub lon: f64,
    /// Latitude of the same point.
    pub lat: f64,
    /// People of the unit not placed.
    pub people: i64,
    /// `capacity`, `through_hazard`, `closed_by_hazard` or `unreachable`.
    pub reason: &'static str,
    /// The reason in a sentence.
    pub detail: String,
    /// The nearest shelter the reason is about (full, beyond a hazard, or closed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest_shelter: Option<NearbyShelter>,
    /// Hazards whose closed roads cut the way to `nearest_shelter` (`through_hazard`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cut_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
/// A shelter an unplaced unit's reason is about.
pub struct NearbyShelter {
    /// The shelter's feature id.
    pub id: String,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Minutes from the unit (by the plan's travel model).
    pub minutes: f64,
    /// `full`, `closed` (by its status), `closed_by_hazard` or `beyond_hazard` (room,
    /// but only through a hazard).
    pub state: &'static str,
    /// What closed it: the status, or the hazard rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// What the reasons are worked out from.
pub struct Context<'s, 'a, 'f> {
    pub shelters: &'s Shelters<'a>,
    /// Searches to every shelter (usable or not).
    pub all: &'s mut Finder<'f>,
    pub hazard_ids: &'s [String],
    pub limit_s: f64,
    pub routing: Routing,
}

fn minutes(seconds: f64) -> f64 {
    (seconds / 60.0 * 10.0).round() / 10.0
}

impl Context<'_, '_, '_> {
    fn nearby(&self, index: usize, seconds: f64) -> NearbyShelter {
        let s = &self.shelters.all[index];
        let (state, rule) = match &s.availability {
            Availability::Usable(_) => ("beyond_hazard", None),
            Availability::Full => ("full", None),
            Availability::ClosedByStatus(status) => ("closed", Some(format!("status {status}"))),
            Availability::ClosedByHazard(rule) => ("closed_by_hazard", Some(rule.clone())),
        };
        NearbyShelter {
            id: s.id(),
            name: s.name(),
            minutes: minutes(seconds),
            state,
            rule,
        }
    }

    fn name(&self, index: usize) -> String {
        let s = &self.shelters.all[index];
        s.name().unwrap_or_else(|| s.id())
    }

    /// Why `people` of `unit` are unplaced: the first of the reasons (module doc) that
    /// holds.
    pub fn explain(&mut self, unit: &Unit, people: i64) -> Unassigned {
        let mut out = Unassigned {
            unit_id: unit.unit_id.clone(),
            unit_name: unit.unit_name.clone(),
            lon: unit.point.x(),
            lat: unit.point.y(),
            people,
            reason: "unreachable",
            detail: String::new(),
            nearest_shelter: None,
            cut_by: Vec::new(),
        };
        if let Origin::OffNetwork { why, .. } = &unit.origin {
            out.detail = format!("off the road network: {why}");
            return out;
        }
        if let Some(&(s, seconds)) = unit.known.first() {
            self.filled(&mut out, unit, s, seconds);
            return out;
        }
        if self.routing == Routing::Road && self.beyond_hazard(&mut out, unit) {
            return out;
        }
        let closed_trip = Trip::CLOSED;
        let within = self.all.find(
            &unit.origin,
            closed_trip,
            self.limit_s,
            Until::Within(self.limit_s),
        );
        self.none_open(&mut out, &within.arrivals);
        out
    }

    /// `capacity`: usable shelters are within reach, and the plan fills every one.
    fn filled(&self, out: &mut Unassigned, unit: &Unit, nearest: u32, seconds: f64) {
        let index = self.shelters.usable[nearest as usize].index_in_all;
        out.reason = "capacity";
        out.detail = format!(
            "the {} shelters within {:.0} minutes are full (this plan fills them); the nearest is {}, {:.0} minutes away",
            unit.known.len(),
            self.limit_s / 60.0,
            self.name(index),
            minutes(seconds)
        );
        out.nearest_shelter = Some(NearbyShelter {
            state: "full",
            ..self.nearby(index, seconds)
        });
    }

    /// `through_hazard`, when a shelter with room is within reach only if the roads a
    /// hazard closes are taken; names the hazards. False when there is none.
    fn beyond_hazard(&mut self, out: &mut Unassigned, unit: &Unit) -> bool {
        let open = self.all.find(
            &unit.origin,
            Trip::OPEN,
            self.limit_s,
            Until::Within(self.limit_s),
        );
        let beyond = open.arrivals.iter().find(|&&(i, _)| {
            matches!(
                self.shelters.all[i as usize].availability,
                Availability::Usable(_)
            )
        });
        let (Some(&(i, seconds)), Finder::Road(road)) = (beyond, &*self.all) else {
            return false;
        };
        out.reason = "through_hazard";
        out.cut_by = road
            .hazards_crossed(&unit.origin, i)
            .into_iter()
            .filter_map(|h| self.hazard_ids.get(h).cloned())
            .collect();
        out.detail = format!(
            "no shelter within {:.0} minutes on open roads; {} has room {:.0} minutes away, through {}",
            self.limit_s / 60.0,
            self.name(i as usize),
            minutes(seconds),
            if out.cut_by.is_empty() {
                "a hazard".to_string()
            } else {
                out.cut_by.join(", ")
            }
        );
        out.nearest_shelter = Some(self.nearby(i as usize, seconds));
        true
    }

    /// No usable shelter within reach at all: `closed_by_hazard` when the hazard closed
    /// the ones there are, `capacity` when they are full or closed by their status,
    /// `unreachable` when there are none. `within` is every shelter within reach.
    fn none_open(&self, out: &mut Unassigned, within: &[(u32, f64)]) {
        let limit_min = self.limit_s / 60.0;
        let by_hazard = within.iter().find_map(|&(i, seconds)| {
            match &self.shelters.all[i as usize].availability {
                Availability::ClosedByHazard(rule) => Some((i as usize, seconds, rule)),
                _ => None,
            }
        });
        if let Some((i, seconds, rule)) = by_hazard {
            out.reason = "closed_by_hazard";
            out.detail = format!(
                "every shelter within {limit_min:.0} minutes is closed by the hazard; the nearest, {}, is {rule}",
                self.name(i),
            );
            out.nearest_shelter = Some(self.nearby(i, seconds));
        } else if let Some(&(i, seconds)) = within.first() {
            out.reason = "capacity";
            out.detail = format!(
                "every shelter within {limit_min:.0} minutes is full or closed; the nearest is {}",
                self.name(i as usize)
            );
            out.nearest_shelter = Some(self.nearby(i as usize, seconds));
        } else {
            out.detail = format!(
                "no shelter within {limit_min:.0} minutes {}",
                match self.routing {
                    Routing::Road => "by road",
                    Routing::StraightLine => "in a straight line",
                }
            );
        }
    }
}
