//! Who a warning reaches, and who calls whom.
//!
//! **Units.** Every affected exposure unit is counted into its admin unit and each one
//! above it (by `admin_code` and the `parent_code` chain), so a township's people are its
//! villages' and a village's its grid units'.
//!
//! **The call tree** ("call and respond": the county calls its townships, a township its
//! villages, a village its grid workers) is derived from that hierarchy: one task per
//! duty contact of an admin unit in the audience, called by the nearest unit above it
//! that has a contact (the top is called by the duty desk issuing the warning). The
//! contacts of the facilities inside (schools, clinics, care homes), of the hazard
//! points' monitors and of the shelters to open are called by the admin unit they lie
//! in (their `admin_code`, else the smallest unit containing them).
//!
//! **Shelters to open**: the usable shelters (not closed by the hazard) inside the
//! townships the warning reaches, largest first.

use super::super::admin::{AdminIndex, AdminRef};
use super::super::facilities::FacilityAtRisk;
use super::super::hazards::{Contact, anchor};
use super::super::impact::{AffectedUnit, Impact};
use super::super::scenario::Level;
use crate::atlas::{Atlas, Disclosure, Kind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// People in an admin unit the warning reaches.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reached {
    /// People.
    pub people: f64,
    /// Households, where the data counts them.
    pub households: Option<f64>,
    /// Elderly people, where counted.
    pub elderly: Option<f64>,
    /// Children, where counted.
    pub children: Option<f64>,
    /// Disabled people, where counted.
    pub disabled: Option<f64>,
    /// Affected exposure units (population features).
    pub units: usize,
}

impl Reached {
    fn add(&mut self, u: &AffectedUnit) {
        let sum = |a: &mut Option<f64>, b: Option<f64>| {
            if let Some(b) = b {
                *a = Some(a.unwrap_or(0.0) + b);
            }
        };
        self.people += u.people;
        sum(&mut self.households, u.households);
        sum(&mut self.elderly, u.elderly);
        sum(&mut self.children, u.children);
        sum(&mut self.disabled, u.disabled);
        self.units += 1;
    }

    /// Elderly, children and disabled people together, where any is counted.
    pub fn vulnerable(&self) -> Option<f64> {
        [self.elderly, self.children, self.disabled]
            .into_iter()
            .flatten()
            .reduce(|a, b| a + b)
    }
}

/// An admin unit the warning reaches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudienceUnit {
    /// Admin code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `county`, `township`, `village` or `grid`.
    pub level: String,
    /// The unit above, if it is in the atlas.
    pub parent_code: Option<String>,
    /// Its people inside the area.
    #[serde(flatten)]
    pub reached: Reached,
}

/// A shelter to open.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShelterToOpen {
    /// Layer id.
    pub layer: String,
    /// Feature id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Places.
    pub capacity: i64,
    /// The admin unit it lies in.
    pub admin_code: Option<String>,
    /// Where it is, lon/lat.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
}

/// One call to make: a contact to reach, and who reaches them.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Task {
    /// Stable within the warning: `admin/{code}`, `facility/{layer}/{id}`,
    /// `monitor/{hazard id}`, `shelter/{layer}/{id}`.
    pub id: String,
    /// Depth in the call tree (0: called by the duty desk).
    pub depth: usize,
    /// The task whose contact makes this call; None for the duty desk.
    pub caller: Option<String>,
    /// `county duty officer`, `village duty officer`, `school contact`, …
    pub role: String,
    /// Whom to call.
    pub contact: Contact,
    /// The admin unit or facility the call is about.
    pub about: String,
    /// The admin unit it belongs to (its own, or the one a facility lies in).
    pub admin_code: Option<String>,
    /// People the call is about (the unit's people, a facility's occupants).
    pub people: f64,
}

/// Who a warning reaches.
#[derive(Debug, Clone, Serialize)]
pub struct Audience {
    /// Everyone inside, summed.
    pub totals: Reached,
    /// Admin units reached, top down (county, townships, villages, grid units), each
    /// level by code.
    pub units: Vec<AudienceUnit>,
    /// Facilities inside the area (schools, clinics, care homes, shelters).
    pub facilities: Vec<FacilityAtRisk>,
    /// Shelters to open.
    pub shelters_to_open: Vec<ShelterToOpen>,
    /// The call tree, as tasks in calling order (by depth, then as listed).
    pub tasks: Vec<Task>,
    /// Exposure units with no admin unit to count them in (no code, outside every unit).
    pub units_without_admin: usize,
}

impl Audience {
    /// The audience as `disclosure` shows it: contacts masked unless in full.
    pub fn shown(mut self, disclosure: Disclosure) -> Audience {
        for t in &mut self.tasks {
            t.contact = t.contact.shown(disclosure);
        }
        for f in &mut self.facilities {
            f.contact = f.contact.as_ref().map(|c| c.shown(disclosure));
        }
        self
    }
}

/// Depth of an admin level in the hierarchy, for ordering.
fn rank(level: &str) -> usize {
    match level {
        "county" => 0,
        "township" => 1,
        "village" => 2,
        "grid" => 3,
        _ => 4,
    }
}

/// The chain of admin units from `code` up (itself first).
fn chain<'a>(admins: &AdminIndex<'a>, code: &str) -> Vec<AdminRef<'a>> {
    let mut out = Vec::new();
    let mut next = admins.by_code(code);
    // Ten hops is deeper than any real hierarchy; it also stops a parent_code cycle.
    while let Some(unit) = next.filter(|_| out.len() < 10) {
        out.push(unit);
        next = unit
            .layer
            .value(unit.fid, "parent_code")
            .as_str()
            .and_then(|p| admins.by_code(p));
    }
    out
}

/// The smallest admin unit at `point` (grid, else village, else township, else county).
fn smallest_at<'a>(admins: &AdminIndex<'a>, point: geo::Point<f64>) -> Option<AdminRef<'a>> {
    [Level::Grid, Level::Village, Level::Township, Level::County]
        .into_iter()
        .find_map(|level| admins.locate(point, level))
}

/// Who a warning reaches, from its impact on `atlas`.
pub fn audience(atlas: &Atlas, impact: &Impact) -> Audience {
    let admins = AdminIndex::new(atlas);
    let exposure = atlas.layer(&impact.report.exposure);
    let mut reached: BTreeMap<String, (AdminRef<'_>, Reached)> = BTreeMap::new();
    let mut totals = Reached::default();
    let mut without = 0;
    for u in &impact.report.units {
        totals.add(u);
        let start = match &u.admin_code {
            Some(code) if admins.by_code(code).is_some() => Some(code.clone()),
            _ => exposure
                .and_then(|l| l.feature(u.fid))
                .and_then(|f| anchor(&f.geometry))
                .and_then(|p| smallest_at(&admins, p))
                .map(|a| a.code().to_string()),
        };
        let Some(start) = start else {
            without += 1;
            continue;
        };
        for unit in chain(&admins, &start) {
            reached
                .entry(unit.code().to_string())
                .or_insert_with(|| (unit, Reached::default()))
                .1
                .add(u);
        }
    }
    let mut units: Vec<AudienceUnit> = reached
        .values()
        .map(|(a, r)| AudienceUnit {
            code: a.code().to_string(),
            name: a.name().to_string(),
            level: a.level().to_string(),
            parent_code: a
                .layer
                .value(a.fid, "parent_code")
                .as_str()
                .map(str::to_string),
            reached: r.clone(),
        })
        .collect();
    units.sort_by(|a, b| {
        rank(&a.level)
            .cmp(&rank(&b.level))
            .then(a.code.cmp(&b.code))
    });
    let townships: BTreeSet<&str> = units
        .iter()
        .filter(|u| u.level == "township")
        .map(|u| u.code.as_str())
        .collect();
    let shelters = shelters_to_open(atlas, &admins, impact, &townships);
    let tasks = call_tree(atlas, &admins, &reached, impact, &shelters);
    Audience {
        totals,
        units,
        facilities: impact.report.facilities.clone(),
        shelters_to_open: shelters,
        tasks,
        units_without_admin: without,
    }
}

/// The admin unit a feature lies in: its `admin_code`, else the smallest unit at its
/// anchor.
fn admin_of(
    admins: &AdminIndex<'_>,
    code: Option<&str>,
    geometry: &geo::Geometry<f64>,
) -> Option<String> {
    if let Some(code) = code.filter(|c| admins.by_code(c).is_some()) {
        return Some(code.to_string());
    }
    smallest_at(admins, anchor(geometry)?).map(|a| a.code().to_string())
}

/// Usable shelters in the townships reached, largest first.
fn shelters_to_open(
    atlas: &Atlas,
    admins: &AdminIndex<'_>,
    impact: &Impact,
    townships: &BTreeSet<&str>,
) -> Vec<ShelterToOpen> {
    let closed: BTreeSet<(&str, u32)> = impact
        .report
        .facilities
        .iter()
        .filter(|f| f.unusable)
        .map(|f| (f.layer.as_str(), f.fid))
        .collect();
    let mut out = Vec::new();
    for layer in atlas.layers().iter().filter(|l| l.kind == Kind::Shelter) {
        for (fid, feature) in layer.features().iter().enumerate() {
            let fid = fid as u32;
            if closed.contains(&(layer.id.as_str(), fid)) {
                continue;
            }
            let code = admin_of(
                admins,
                layer.value(fid, "admin_code").as_str(),
                &feature.geometry,
            );
            let in_township = code
                .as_deref()
                .map(|c| chain(admins, c))
                .is_some_and(|ch| ch.iter().any(|a| townships.contains(a.code())));
            let Some(point) = anchor(&feature.geometry).filter(|_| in_township) else {
                continue;
            };
            out.push(ShelterToOpen {
                layer: layer.id.to_string(),
                id: feature.id.to_string(),
                name: layer
                    .value(fid, "name")
                    .as_str()
                    .unwrap_or(&feature.id)
                    .to_string(),
                capacity: layer.value(fid, "capacity").as_f64().unwrap_or(0.0) as i64,
                admin_code: code,
                lon: point.x(),
                lat: point.y(),
            });
        }
    }
    out.sort_by(|a, b| b.capacity.cmp(&a.capacity).then(a.id.cmp(&b.id)));
    out
}

/// The tasks of the call tree, by depth.
fn call_tree(
    atlas: &Atlas,
    admins: &AdminIndex<'_>,
    reached: &BTreeMap<String, (AdminRef<'_>, Reached)>,
    impact: &Impact,
    shelters: &[ShelterToOpen],
) -> Vec<Task> {
    // The admin task that calls for a unit: the nearest unit up its chain (itself
    // included) that is reached and has a contact.
    let caller_for = |code: &str, skip_self: bool| -> Option<String> {
        chain(admins, code)
            .into_iter()
            .skip(usize::from(skip_self))
            .find(|a| reached.contains_key(a.code()) && a.contact().is_some())
            .map(|a| format!("admin/{}", a.code()))
    };
    let mut tasks: Vec<Task> = Vec::new();
    for (code, (unit, r)) in reached {
        let Some(contact) = unit.contact() else {
            continue;
        };
        tasks.push(Task {
            id: format!("admin/{code}"),
            depth: 0,
            caller: caller_for(code, true),
            role: format!("{} duty officer", unit.level()),
            contact,
            about: unit.name().to_string(),
            admin_code: Some(code.clone()),
            people: r.people,
        });
    }
    for f in &impact.report.facilities {
        let Some(contact) = f.contact.clone() else {
            continue;
        };
        let layer = feature_admin(atlas, admins, &f.layer, f.fid);
        tasks.push(Task {
            id: format!("facility/{}/{}", f.layer, f.id),
            depth: 0,
            caller: layer.as_deref().and_then(|c| caller_for(c, false)),
            role: if f.category == "shelter" {
                "shelter manager (closed by the hazard)".into()
            } else {
                format!("{} contact", f.category)
            },
            contact,
            about: f.name.clone().unwrap_or_else(|| f.id.clone()),
            admin_code: layer,
            people: f.occupants.unwrap_or(0) as f64,
        });
    }
    for h in impact.hazards.iter().filter(|h| h.kind == "landslide") {
        let Some(contact) = h.contact.clone() else {
            continue;
        };
        let code = h
            .source
            .as_ref()
            .and_then(|(layer, fid)| feature_admin(atlas, admins, layer, *fid));
        let threatened = h.detail.get("threatened_people").and_then(|v| v.as_f64());
        tasks.push(Task {
            id: format!("monitor/{}", h.id),
            depth: 0,
            caller: code.as_deref().and_then(|c| caller_for(c, false)),
            role: "hazard-point monitor".into(),
            contact,
            about: h.name.clone(),
            admin_code: code,
            people: threatened.unwrap_or(0.0),
        });
    }
    tasks.extend(shelter_tasks(atlas, shelters, &caller_for));
    with_depths(tasks)
}

/// The admin unit feature `fid` of layer `layer` lies in.
fn feature_admin(atlas: &Atlas, admins: &AdminIndex<'_>, layer: &str, fid: u32) -> Option<String> {
    let layer = atlas.layer(layer)?;
    let feature = layer.feature(fid)?;
    admin_of(
        admins,
        layer.value(fid, "admin_code").as_str(),
        &feature.geometry,
    )
}

/// The managers of the shelters to open, each called by their admin unit.
fn shelter_tasks(
    atlas: &Atlas,
    shelters: &[ShelterToOpen],
    caller_for: &dyn Fn(&str, bool) -> Option<String>,
) -> Vec<Task> {
    shelters
        .iter()
        .filter_map(|s| {
            let layer = atlas.layer(&s.layer)?;
            let fid = layer.fid_of(&s.id)?;
            let contact = Contact::of(layer, fid)?;
            Some(Task {
                id: format!("shelter/{}/{}", s.layer, s.id),
                depth: 0,
                caller: s.admin_code.as_deref().and_then(|c| caller_for(c, false)),
                role: "shelter manager: open the shelter".into(),
                contact,
                about: s.name.clone(),
                admin_code: s.admin_code.clone(),
                people: s.capacity as f64,
            })
        })
        .collect()
}

/// Sets each task's depth (its caller's + 1) and orders the tasks by depth, keeping
/// their order within a depth.
fn with_depths(mut tasks: Vec<Task>) -> Vec<Task> {
    let index: HashMap<String, usize> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.clone(), i))
        .collect();
    let depths: Vec<usize> = (0..tasks.len())
        .map(|i| {
            let mut depth = 0;
            let mut at = i;
            while let Some(up) = tasks[at].caller.as_ref().and_then(|c| index.get(c)) {
                depth += 1;
                at = *up;
                if depth > tasks.len() {
                    break;
                }
            }
            depth
        })
        .collect();
    for (t, d) in tasks.iter_mut().zip(depths) {
        t.depth = d;
    }
    tasks.sort_by_key(|t| t.depth);
    tasks
}
