//! What the printable cards state, as data: for each affected unit, the plan's rows for
//! it (the people placed, and those not placed with the nearest rescue team), and its
//! village and township duty officers. [`crate::render`] lays the cards out.

use super::admin::AdminIndex;
use super::evacuation::{Assignment, EvacuationPlan, Unassigned};
use super::hazards::Contact;
use super::impact::{AffectedUnit, Impact};
use super::scenario::Level;
use crate::atlas::{Atlas, Kind};
use geo::{Distance, Haversine, Point};

/// One affected unit's card.
#[derive(Debug)]
pub struct VillageCard<'a> {
    /// The unit, as the impact report has it.
    pub unit: &'a AffectedUnit,
    /// The plan's assignments of this unit, one per shelter.
    pub placed: Vec<&'a Assignment>,
    /// The unit's people the plan could not place, by reason.
    pub unplaced: Vec<Unplaced<'a>>,
    /// The unit's grid (网格), when its admin code names one: its name and grid
    /// worker. Population counted by grid makes each grid a unit, and its card says
    /// which grid goes where, with whom to call.
    pub grid: Option<Grid>,
    /// The duty contact of the unit's village, when the admin layer has one.
    pub village_duty: Option<Contact>,
    /// The duty contact of the unit's township.
    pub township_duty: Option<Contact>,
}

impl VillageCard<'_> {
    /// People of this unit the plan places.
    pub fn placed_people(&self) -> i64 {
        self.placed.iter().map(|a| a.people).sum()
    }

    /// People of this unit the plan does not place.
    pub fn unplaced_people(&self) -> i64 {
        self.unplaced.iter().map(|x| x.row.people).sum()
    }
}

/// A grid unit (网格) and its grid worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The grid's name (its code when it has none).
    pub name: String,
    /// The grid worker, when the admin layer names one.
    pub worker: Option<Contact>,
}

/// People not placed, and the rescue team nearest to where they wait.
#[derive(Debug)]
pub struct Unplaced<'a> {
    /// The plan's row for them: how many, why, and the shelter concerned.
    pub row: &'a Unassigned,
    /// None when the atlas has no team layer.
    pub nearest_team: Option<Team>,
}

/// A rescue team (a feature of a `team` layer).
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// The team's `name` (empty when the layer has none).
    pub name: String,
    /// Its `team_type` (fire, medical, ...).
    pub team_type: String,
    /// Straight-line distance from the people waiting, metres.
    pub distance_m: f64,
    /// Whom to call.
    pub contact: Contact,
}

/// One card per affected unit, or only for the unit `only` (its id).
pub fn village_cards<'a>(
    atlas: &Atlas,
    impact: &'a Impact,
    plan: &'a EvacuationPlan,
    only: Option<&str>,
) -> Vec<VillageCard<'a>> {
    let admins = AdminIndex::new(atlas);
    let duty = |unit: &AffectedUnit, level: Level| {
        unit.admin_code
            .as_deref()
            .and_then(|c| admins.at_level(c, level))
            .and_then(|a| a.contact())
    };
    impact
        .report
        .units
        .iter()
        .filter(|u| only.is_none_or(|id| id == u.id))
        .map(|unit| VillageCard {
            unit,
            placed: plan
                .assignments
                .iter()
                .filter(|a| a.unit_id == unit.id)
                .collect(),
            unplaced: plan
                .unassigned
                .iter()
                .filter(|x| x.unit_id == unit.id)
                .map(|row| Unplaced {
                    row,
                    nearest_team: nearest_team(atlas, Point::new(row.lon, row.lat)),
                })
                .collect(),
            grid: unit
                .admin_code
                .as_deref()
                .and_then(|c| admins.at_level(c, Level::Grid))
                .map(|g| Grid {
                    name: match g.name() {
                        "" => g.code().to_string(),
                        name => name.to_string(),
                    },
                    worker: g.contact(),
                }),
            village_duty: duty(unit, Level::Village),
            township_duty: duty(unit, Level::Township),
        })
        .collect()
}

/// The rescue team nearest to `here` in a straight line: who can reach people the plan
/// leaves where they are.
pub fn nearest_team(atlas: &Atlas, here: Point<f64>) -> Option<Team> {
    let (distance_m, layer, fid) = atlas
        .layers()
        .iter()
        .filter(|l| l.kind == Kind::Team)
        .flat_map(|l| {
            l.features().iter().enumerate().filter_map(move |(fid, f)| {
                let p = super::hazards::anchor(&f.geometry)?;
                Some((Haversine.distance(here, p), l, fid as u32))
            })
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    let text = |f: &str| layer.value(fid, f).as_str().unwrap_or("").to_string();
    Some(Team {
        name: text("name"),
        team_type: text("team_type"),
        distance_m,
        contact: Contact {
            name: text("contact_name"),
            phone: text("contact_phone"),
        },
    })
}
