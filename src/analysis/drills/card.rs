//! What a drill card states, as data: the timeline from warning to all-clear, each
//! village's departure and arrival, the shelters' opening and filling, the facilities
//! to clear first, and, for a scenario drilled before, what happened last time.
//! [`crate::render`] lays the card out; [`crate::service::drills::card`] runs the plan.
//!
//! **The drill clock** (minutes after T0, the warning), a planning model to adapt to
//! local rules, each step a [`Timing`] field the request may change:
//!
//! 1. T0: the warning is issued; the county duty officer calls each township's;
//! 2. T0 + `call_minutes`: townships have answered and call their villages;
//! 3. T0 + 2 × `call_minutes`: villages have answered; grid workers go door to door,
//!    and schools, clinics and care homes in the hazard start moving (they go first);
//! 4. T0 + 2 × `call_minutes` + `gather_minutes`: villages set off;
//! 5. each village arrives when its slowest trip of the plan does (departure + the
//!    plan's minutes); a shelter opens by its first arrival and is full at its last;
//! 6. all-clear: the last arrival + `roll_call_minutes` for the roll call at the
//!    shelters.

use super::metrics::parse_day;
use crate::analysis::Impact;
use crate::analysis::evacuation::EvacuationPlan;
use crate::analysis::facilities::FacilityAtRisk;
use crate::atlas::{Atlas, Kind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The drill clock's steps, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    /// One level of call-and-respond: a call placed and answered.
    pub call_minutes: f64,
    /// Households gathering once their village has the call.
    pub gather_minutes: f64,
    /// The roll call at the shelters before the all-clear.
    pub roll_call_minutes: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            call_minutes: 5.0,
            gather_minutes: 15.0,
            roll_call_minutes: 10.0,
        }
    }
}

impl Timing {
    /// Refuses steps a clock cannot have.
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("call_minutes", self.call_minutes),
            ("gather_minutes", self.gather_minutes),
            ("roll_call_minutes", self.roll_call_minutes),
        ] {
            if !v.is_finite() || !(0.0..=1440.0).contains(&v) {
                return Err(format!("{name} {v} must be from 0 to 1440 minutes"));
            }
        }
        Ok(())
    }

    /// When villages have answered and the door-to-door call starts.
    pub fn villages_answered(&self) -> f64 {
        2.0 * self.call_minutes
    }

    /// When villages set off.
    pub fn departure(&self) -> f64 {
        self.villages_answered() + self.gather_minutes
    }
}

/// A trip of the plan, from a village to a shelter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leg {
    /// Shelter feature id.
    pub shelter_id: String,
    /// Its name, or the id.
    pub shelter: String,
    /// People on it.
    pub people: i64,
    /// The plan's minutes.
    pub minutes: f64,
    /// T0 + minutes when they arrive.
    pub arrives: f64,
}

/// What a village did in the last drill of this scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actual {
    /// When (`YYYY-MM-DD`).
    pub date: String,
    /// People who moved.
    pub people_moved: Option<i64>,
    /// Minutes until the last of them arrived.
    pub clearance_minutes: Option<f64>,
    /// Problems found.
    pub problems: Option<String>,
}

/// A village that moves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Village {
    /// Exposure unit id.
    pub id: String,
    /// Its name, or the id.
    pub name: String,
    /// Its admin code, if known.
    pub admin_code: Option<String>,
    /// People affected.
    pub people: f64,
    /// Elderly, children and disabled people, where the data has them.
    pub vulnerable: Option<f64>,
    /// Highest hazard severity (1–4).
    pub severity: u8,
    /// T0 + minutes when it sets off.
    pub departs: f64,
    /// The plan's trips from it.
    pub legs: Vec<Leg>,
    /// People the plan does not place.
    pub unplaced: i64,
    /// The plan's clearance: departure to last arrival (None when nobody is placed).
    pub planned_minutes: Option<f64>,
    /// The last drill of this scenario here.
    pub last_actual: Option<Actual>,
}

/// A shelter through the drill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShelterClock {
    /// Feature id.
    pub id: String,
    /// Name, or the id.
    pub name: String,
    /// Places.
    pub capacity: i64,
    /// People arriving.
    pub assigned: i64,
    /// T0 + minutes of the first arrival: open by then.
    pub open_by: f64,
    /// T0 + minutes of the last arrival.
    pub last_arrival: f64,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// T0 + minutes.
    pub minute: f64,
    /// What happens, in Chinese and English.
    pub what: String,
}

/// The card's facts.
#[derive(Debug, Clone, Serialize)]
pub struct CardFacts {
    /// The clock used.
    pub timing: Timing,
    /// Highest severity of the scenario's affected units (1–4).
    pub severity: u8,
    /// From warning to all-clear.
    pub timeline: Vec<Step>,
    /// The villages that move, the slowest first.
    pub villages: Vec<Village>,
    /// The shelters the plan fills, by opening time.
    pub shelters: Vec<ShelterClock>,
    /// Schools, clinics and care homes in the hazard, most severe then fullest first.
    pub clear_first: Vec<FacilityAtRisk>,
    /// T0 + minutes of the all-clear.
    pub all_clear: f64,
}

/// The card's facts for `plan` of `impact`; `scenario` names the drill in the drill
/// layer (`scenario` field) for the last actual drill.
pub fn card_facts(
    atlas: &Atlas,
    impact: &Impact,
    plan: &EvacuationPlan,
    scenario: &[&str],
    timing: Timing,
) -> CardFacts {
    let actuals = last_actuals(atlas, scenario);
    let departs = timing.departure();
    let mut villages: Vec<Village> = impact
        .report
        .units
        .iter()
        .map(|u| village(u, plan, departs, &actuals))
        .collect();
    villages.sort_by(|a, b| {
        let slow = |v: &Village| v.planned_minutes.unwrap_or(f64::INFINITY);
        slow(b).total_cmp(&slow(a)).then(a.id.cmp(&b.id))
    });
    let shelters = shelter_clocks(plan, departs);
    let last_arrival = shelters
        .iter()
        .map(|s| s.last_arrival)
        .fold(departs, f64::max);
    let all_clear = last_arrival + timing.roll_call_minutes;
    let clear_first = facilities_first(impact);
    let severity = impact
        .report
        .units
        .iter()
        .map(|u| u.severity)
        .max()
        .unwrap_or(1);
    let timeline = timeline(
        &timing,
        impact,
        &villages,
        &shelters,
        &clear_first,
        all_clear,
    );
    CardFacts {
        timing,
        severity,
        timeline,
        villages,
        shelters,
        clear_first,
        all_clear,
    }
}

/// An affected unit as the card lists it: its trips from the plan, departing at
/// `departs`, and its last drill of this scenario.
fn village(
    u: &crate::analysis::impact::AffectedUnit,
    plan: &EvacuationPlan,
    departs: f64,
    actuals: &BTreeMap<String, Actual>,
) -> Village {
    let legs: Vec<Leg> = plan
        .assignments
        .iter()
        .filter(|a| a.unit_id == u.id)
        .map(|a| Leg {
            shelter_id: a.shelter_id.clone(),
            shelter: a
                .shelter_name
                .clone()
                .unwrap_or_else(|| a.shelter_id.clone()),
            people: a.people,
            minutes: a.minutes,
            arrives: departs + a.minutes,
        })
        .collect();
    let unplaced = plan
        .unassigned
        .iter()
        .filter(|x| x.unit_id == u.id)
        .map(|x| x.people)
        .sum();
    let vulnerable = [u.elderly, u.children, u.disabled]
        .into_iter()
        .flatten()
        .reduce(|a, b| a + b);
    Village {
        id: u.id.clone(),
        name: u.name.clone().unwrap_or_else(|| u.id.clone()),
        admin_code: u.admin_code.clone(),
        people: u.people,
        vulnerable,
        severity: u.severity,
        departs,
        planned_minutes: legs.iter().map(|l| l.minutes).reduce(f64::max),
        legs,
        unplaced,
        last_actual: u.admin_code.as_ref().and_then(|c| actuals.get(c)).cloned(),
    }
}

/// The shelters of `plan`, each with its first and last arrival.
fn shelter_clocks(plan: &EvacuationPlan, departs: f64) -> Vec<ShelterClock> {
    let mut out: Vec<ShelterClock> = plan
        .shelters
        .iter()
        .filter(|s| s.assigned > 0)
        .map(|s| {
            let arrivals = plan
                .assignments
                .iter()
                .filter(|a| a.shelter_id == s.id)
                .map(|a| departs + a.minutes);
            let (first, last) = arrivals.fold((f64::INFINITY, f64::NEG_INFINITY), |(f, l), t| {
                (f.min(t), l.max(t))
            });
            ShelterClock {
                id: s.id.clone(),
                name: s.name.clone().unwrap_or_else(|| s.id.clone()),
                capacity: s.capacity,
                assigned: s.assigned,
                open_by: first,
                last_arrival: last,
            }
        })
        .collect();
    out.sort_by(|a, b| a.open_by.total_cmp(&b.open_by).then(a.id.cmp(&b.id)));
    out
}

/// Facilities in the hazard other than shelters, most severe then fullest first.
fn facilities_first(impact: &Impact) -> Vec<FacilityAtRisk> {
    let mut out: Vec<FacilityAtRisk> = impact
        .report
        .facilities
        .iter()
        .filter(|f| f.category != "shelter")
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.occupants.unwrap_or(0).cmp(&a.occupants.unwrap_or(0)))
            .then(a.id.cmp(&b.id))
    });
    out
}

/// The latest drill record of `scenario` (any of the names) per admin code.
fn last_actuals(atlas: &Atlas, scenario: &[&str]) -> BTreeMap<String, Actual> {
    let mut out: BTreeMap<String, (i64, Actual)> = BTreeMap::new();
    for layer in atlas.layers().iter().filter(|l| l.kind == Kind::Drill) {
        for fid in 0..layer.len() as u32 {
            let text = |f: &str| layer.value(fid, f).as_str().map(str::to_string);
            let named = text("scenario").is_some_and(|s| scenario.contains(&s.as_str()));
            let (Some(code), Some(date)) = (text("admin_code"), text("date")) else {
                continue;
            };
            let Some(day) = parse_day(&date).filter(|_| named) else {
                continue;
            };
            if out.get(&code).is_some_and(|(d, _)| *d >= day) {
                continue;
            }
            let actual = Actual {
                date,
                people_moved: layer.value(fid, "people_moved").as_f64().map(|v| v as i64),
                clearance_minutes: layer.value(fid, "clearance_minutes").as_f64(),
                problems: text("problems"),
            };
            out.insert(code, (day, actual));
        }
    }
    out.into_iter().map(|(k, (_, a))| (k, a)).collect()
}

/// The timeline from warning to all-clear.
fn timeline(
    timing: &Timing,
    impact: &Impact,
    villages: &[Village],
    shelters: &[ShelterClock],
    clear_first: &[FacilityAtRisk],
    all_clear: f64,
) -> Vec<Step> {
    let townships = impact
        .report
        .by_admin
        .iter()
        .filter(|a| a.level == "township")
        .count();
    let mut steps = vec![
        Step {
            minute: 0.0,
            what: format!(
                "发布预警，县值班呼叫乡镇 Warning issued; the county duty officer calls {townships} township(s)"
            ),
        },
        Step {
            minute: timing.call_minutes,
            what: format!(
                "乡镇回应并呼叫各村 Townships answer and call {} village(s)",
                villages.len()
            ),
        },
        Step {
            minute: timing.villages_answered(),
            what: "各村回应，网格员入户通知 Villages answer; grid workers go door to door".into(),
        },
    ];
    if !clear_first.is_empty() {
        steps.push(Step {
            minute: timing.villages_answered(),
            what: format!(
                "学校、医院、养老院优先转移 {} school(s), clinic(s), care home(s) start moving first",
                clear_first.len()
            ),
        });
    }
    steps.push(Step {
        minute: timing.departure(),
        what:
            "群众出发转移，老幼病残优先 Villages set off, the elderly, children and disabled first"
                .into(),
    });
    for s in shelters {
        steps.push(Step {
            minute: s.open_by,
            what: format!("{} 开放（首批到达）opens: first arrivals", s.name),
        });
        steps.push(Step {
            minute: s.last_arrival,
            what: format!(
                "{} 最后一批到达 last arrivals: {} of {} places",
                s.name, s.assigned, s.capacity
            ),
        });
    }
    steps.push(Step {
        minute: all_clear,
        what: "清点人数，解除演练 Roll call at the shelters; all-clear".into(),
    });
    steps.sort_by(|a, b| a.minute.total_cmp(&b.minute));
    steps
}
