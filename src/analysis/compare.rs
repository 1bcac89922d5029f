//! Two scenarios on the same atlas, or one scenario on two versions of the data, side
//! by side: what changes for whom when the scenario does (a 20-year flood against a
//! 50-year one, a shelter lost to a second hazard) or when the data does (a shelter
//! closed, a settlement added, this year's census). A designer choosing between drills,
//! or a planner asking "what if", reads the difference, not two long reports.
//!
//! The diff is a pure function of the two impacts and plans:
//!
//! 1. **totals** side by side, from each report's and plan's own totals;
//! 2. **villages** (the affected exposure units, by id): newly affected in b, no longer
//!    affected in b, affected in both with their people a → b;
//! 3. **shelters** whose load changed, with people and utilisation a → b;
//! 4. **evacuees** whose shelter or minutes changed: each unit's trips in a and in b
//!    (people not placed count as a trip to no shelter), the trips both plans share
//!    taken out, and the rest matched in shelter-id order, so that a unit split over
//!    shelters reads as "70 people from S1 to S2, 30 from S1 to none".

use super::evacuation::EvacuationPlan;
use super::impact::Impact;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One measure in scenario a and in scenario b.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sides<T> {
    /// In scenario a.
    pub a: T,
    /// In scenario b.
    pub b: T,
}

impl Sides<String> {
    /// Two names, as versions are given.
    pub fn new(a: &str, b: &str) -> Sides<String> {
        Sides {
            a: a.to_string(),
            b: b.to_string(),
        }
    }
}

/// Whole-scenario totals side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// People affected (the period's population inside the hazards).
    pub people: Sides<f64>,
    /// Elderly, children and disabled people affected, the counts the data has summed.
    pub vulnerable: Sides<f64>,
    /// People to move (whole persons).
    pub evacuees: Sides<i64>,
    /// People placed in a shelter.
    pub placed: Sides<i64>,
    /// People not placed.
    pub not_placed: Sides<i64>,
    /// People not placed, by reason (`capacity`, `unreachable`, …); a reason one plan
    /// does not have counts 0 there.
    pub not_placed_by_reason: BTreeMap<&'static str, Sides<i64>>,
    /// The longest trip (minutes).
    pub clearance_minutes: Sides<f64>,
    /// Mean trip of the people placed (minutes).
    pub mean_minutes: Sides<f64>,
    /// Shelters that receive anyone.
    pub shelters_used: Sides<usize>,
}

/// How an exposure unit's exposure changes from a to b.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Affected in b only.
    New,
    /// Affected in a only.
    Gone,
    /// Affected in both, more people in b.
    More,
    /// Affected in both, fewer people in b.
    Fewer,
    /// Affected in both, the same people.
    Same,
}

/// An exposure unit affected in a, in b or in both.
#[derive(Debug, Clone, Serialize)]
pub struct Village {
    /// The unit's feature id.
    pub id: String,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Its admin code (its village), if the layer gives one.
    pub admin_code: Option<String>,
    /// People affected, to a tenth (0 where it is not affected).
    pub people: Sides<f64>,
    /// How it changes.
    pub change: Change,
    /// Its exposure layer and feature index, for the map: in side a's atlas, or in
    /// side b's for a unit only b has (after what-if edits the two may differ).
    #[serde(skip)]
    pub feature: (String, u32),
}

/// The affected units, split by how they change.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Villages {
    /// Affected in b and not in a.
    pub newly_affected: Vec<Village>,
    /// Affected in a and not in b.
    pub no_longer_affected: Vec<Village>,
    /// Affected in both (whether or not their people changed).
    pub affected_in_both: Vec<Village>,
}

/// A shelter whose load changed.
#[derive(Debug, Clone, Serialize)]
pub struct ShelterChange {
    /// The shelter's feature id.
    pub id: String,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// People sent there (0 where the plan does not use it).
    pub people: Sides<i64>,
    /// Load over places left (0 where the plan does not use it).
    pub utilisation: Sides<f64>,
}

/// People of one unit whose shelter or trip changed.
#[derive(Debug, Clone, Serialize)]
pub struct EvacueeChange {
    /// The unit's feature id.
    pub unit_id: String,
    /// Its name, if it has one.
    pub unit_name: Option<String>,
    /// The shelter's id; null where the people are not placed, or do not evacuate in
    /// that scenario (see `villages`).
    pub shelter: Sides<Option<String>>,
    /// The trip (minutes); null where there is no shelter.
    pub minutes: Sides<Option<f64>>,
    /// How many people this row is about.
    pub people: i64,
}

/// The answer of `POST /api/compare`.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Which data each side ran on, in words: `current`, `current with 3 edits`, a
    /// data folder.
    pub versions: Sides<String>,
    /// Totals side by side.
    pub totals: Totals,
    /// Units newly affected, no longer affected, affected in both.
    pub villages: Villages,
    /// Shelters whose load changed, by id.
    pub shelters: Vec<ShelterChange>,
    /// Evacuees whose shelter or minutes changed, by unit id.
    pub evacuees: Vec<EvacueeChange>,
}

fn round1(x: f64) -> f64 {
    // `+ 0.0` turns a rounded -0.0 into 0.
    (x * 10.0).round() / 10.0 + 0.0
}

/// The differences between side a and side b: two scenarios on one atlas, or one
/// scenario on two versions of it (`versions` names them). Units and shelters are
/// matched by their stable ids, so two versions whose features sit at other positions
/// still compare feature by feature.
pub fn compare(
    a: (&Impact, &EvacuationPlan),
    b: (&Impact, &EvacuationPlan),
    versions: Sides<String>,
) -> Comparison {
    Comparison {
        versions,
        totals: totals(a, b),
        villages: villages(a.0, b.0),
        shelters: shelters(a.1, b.1),
        evacuees: evacuees(a.1, b.1),
    }
}

fn totals(a: (&Impact, &EvacuationPlan), b: (&Impact, &EvacuationPlan)) -> Totals {
    let side = |f: &dyn Fn(&Impact, &EvacuationPlan) -> f64| Sides {
        a: f(a.0, a.1),
        b: f(b.0, b.1),
    };
    let count = |f: &dyn Fn(&EvacuationPlan) -> i64| Sides {
        a: f(a.1),
        b: f(b.1),
    };
    let vulnerable = |i: &Impact, _: &EvacuationPlan| {
        let t = &i.report.totals;
        round1([t.elderly, t.children, t.disabled].iter().flatten().sum())
    };
    let reasons: BTreeSet<&'static str> = [a.1, b.1]
        .iter()
        .flat_map(|p| p.totals.unassigned_by_reason.keys().copied())
        .collect();
    let by = |p: &EvacuationPlan, r| p.totals.unassigned_by_reason.get(r).copied();
    Totals {
        people: side(&|i, _| round1(i.report.totals.population)),
        vulnerable: side(&vulnerable),
        evacuees: count(&|p| p.totals.evacuees),
        placed: count(&|p| p.totals.assigned),
        not_placed: count(&|p| p.totals.unassigned),
        not_placed_by_reason: reasons
            .into_iter()
            .map(|r| {
                let sides = Sides {
                    a: by(a.1, r).unwrap_or(0),
                    b: by(b.1, r).unwrap_or(0),
                };
                (r, sides)
            })
            .collect(),
        clearance_minutes: side(&|_, p| p.totals.max_minutes),
        mean_minutes: side(&|_, p| p.totals.mean_minutes),
        shelters_used: Sides {
            a: a.1.totals.shelters_used,
            b: b.1.totals.shelters_used,
        },
    }
}

fn villages(a: &Impact, b: &Impact) -> Villages {
    // Units by id, each side's people summed in case a layer repeats an id.
    let mut by_id: BTreeMap<&str, (Village, bool, bool)> = BTreeMap::new();
    for (impact, in_b) in [(a, false), (b, true)] {
        for u in &impact.report.units {
            let entry = by_id.entry(u.id.as_str()).or_insert_with(|| {
                let village = Village {
                    id: u.id.clone(),
                    name: u.name.clone(),
                    admin_code: u.admin_code.clone(),
                    people: Sides { a: 0.0, b: 0.0 },
                    change: Change::Same,
                    feature: (impact.report.exposure.clone(), u.fid),
                };
                (village, false, false)
            });
            if in_b {
                entry.0.people.b += u.people;
                entry.2 = true;
            } else {
                entry.0.people.a += u.people;
                entry.1 = true;
            }
        }
    }
    let mut out = Villages::default();
    for (_, (mut v, in_a, in_b)) in by_id {
        v.people = Sides {
            a: round1(v.people.a),
            b: round1(v.people.b),
        };
        v.change = match (in_a, in_b) {
            (false, _) => Change::New,
            (_, false) => Change::Gone,
            _ if v.people.b > v.people.a => Change::More,
            _ if v.people.b < v.people.a => Change::Fewer,
            _ => Change::Same,
        };
        match v.change {
            Change::New => out.newly_affected.push(v),
            Change::Gone => out.no_longer_affected.push(v),
            _ => out.affected_in_both.push(v),
        }
    }
    out
}

fn shelters(a: &EvacuationPlan, b: &EvacuationPlan) -> Vec<ShelterChange> {
    let mut by_id: BTreeMap<&str, ShelterChange> = BTreeMap::new();
    for (plan, in_b) in [(a, false), (b, true)] {
        for s in &plan.shelters {
            let row = by_id.entry(s.id.as_str()).or_insert_with(|| ShelterChange {
                id: s.id.clone(),
                name: s.name.clone(),
                people: Sides { a: 0, b: 0 },
                utilisation: Sides { a: 0.0, b: 0.0 },
            });
            if in_b {
                (row.people.b, row.utilisation.b) = (s.assigned, s.utilisation);
            } else {
                (row.people.a, row.utilisation.a) = (s.assigned, s.utilisation);
            }
        }
    }
    by_id
        .into_values()
        .filter(|s| s.people.a != s.people.b)
        .collect()
}

/// Where some of a unit's people go: a shelter and the trip's tenths of a minute, or
/// (None, None) for people not placed.
type Trip = (Option<String>, Option<i64>);

/// Each unit's trips in a plan, people not placed included.
fn trips(plan: &EvacuationPlan) -> BTreeMap<&str, (Option<String>, BTreeMap<Trip, i64>)> {
    let mut out: BTreeMap<&str, (Option<String>, BTreeMap<Trip, i64>)> = BTreeMap::new();
    for a in &plan.assignments {
        let unit = out
            .entry(a.unit_id.as_str())
            .or_insert_with(|| (a.unit_name.clone(), BTreeMap::new()));
        // Minutes are already rounded to a tenth: tenths compare exactly.
        let trip = (
            Some(a.shelter_id.clone()),
            Some((a.minutes * 10.0).round() as i64),
        );
        *unit.1.entry(trip).or_insert(0) += a.people;
    }
    for u in &plan.unassigned {
        let unit = out
            .entry(u.unit_id.as_str())
            .or_insert_with(|| (u.unit_name.clone(), BTreeMap::new()));
        *unit.1.entry((None, None)).or_insert(0) += u.people;
    }
    out
}

fn evacuees(a: &EvacuationPlan, b: &EvacuationPlan) -> Vec<EvacueeChange> {
    let (mut in_a, mut in_b) = (trips(a), trips(b));
    let units: BTreeSet<&str> = in_a.keys().chain(in_b.keys()).copied().collect();
    let mut out = Vec::new();
    for unit in units {
        let (name_a, mut from) = in_a.remove(unit).unwrap_or_default();
        let (name_b, mut to) = in_b.remove(unit).unwrap_or_default();
        // Trips both plans share are no change.
        for (trip, people) in from.iter_mut() {
            if let Some(other) = to.get_mut(trip) {
                let same = (*people).min(*other);
                (*people, *other) = (*people - same, *other - same);
            }
        }
        let left = |m: BTreeMap<Trip, i64>| -> Vec<(Trip, i64)> {
            m.into_iter().filter(|(_, p)| *p > 0).collect()
        };
        let name = name_a.or(name_b);
        for (from, to, people) in matched(left(from), left(to)) {
            out.push(EvacueeChange {
                unit_id: unit.to_string(),
                unit_name: name.clone(),
                shelter: Sides { a: from.0, b: to.0 },
                minutes: Sides {
                    a: from.1.map(|t| t as f64 / 10.0),
                    b: to.1.map(|t| t as f64 / 10.0),
                },
                people,
            });
        }
    }
    out
}

/// Pairs a's remaining trips with b's in order, people by people; what one side has
/// left over goes to (or comes from) no shelter.
fn matched(mut from: Vec<(Trip, i64)>, mut to: Vec<(Trip, i64)>) -> Vec<(Trip, Trip, i64)> {
    let none: Trip = (None, None);
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < from.len() || j < to.len() {
        let take = match (from.get(i), to.get(j)) {
            (Some(f), Some(t)) => f.1.min(t.1),
            (Some(f), None) => f.1,
            (None, Some(t)) => t.1,
            (None, None) => break,
        };
        let f = from.get(i).map_or(none.clone(), |f| f.0.clone());
        let t = to.get(j).map_or(none.clone(), |t| t.0.clone());
        if f != t {
            out.push((f, t, take));
        }
        if let Some(f) = from.get_mut(i) {
            f.1 -= take;
            if f.1 == 0 {
                i += 1;
            }
        }
        if let Some(t) = to.get_mut(j) {
            t.1 -= take;
            if t.1 == 0 {
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(shelter: &str, tenths: i64) -> Trip {
        (Some(shelter.into()), Some(tenths))
    }

    #[test]
    fn a_unit_split_over_two_shelters_reads_as_two_moves() {
        // a: 100 to S1; b: 70 to S2, 30 not placed.
        let rows = matched(
            vec![(trip("S1", 100), 100)],
            vec![((None, None), 30), (trip("S2", 200), 70)],
        );
        assert_eq!(
            rows,
            vec![
                (trip("S1", 100), (None, None), 30),
                (trip("S1", 100), trip("S2", 200), 70),
            ]
        );
    }

    #[test]
    fn people_only_in_one_plan_come_from_or_go_to_no_shelter() {
        assert_eq!(
            matched(vec![], vec![(trip("S1", 50), 10)]),
            vec![((None, None), trip("S1", 50), 10)]
        );
        assert_eq!(
            matched(vec![(trip("S1", 50), 10)], vec![]),
            vec![(trip("S1", 50), (None, None), 10)]
        );
    }

    #[test]
    fn rounding_never_gives_negative_zero() {
        assert_eq!(round1(-0.01).to_string(), "0");
    }
}
