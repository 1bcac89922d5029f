//! Who is affected: the overlay of a scenario's hazard areas on the exposure layer, and
//! the report built from it.
//!
//! 1. hazards are resolved into areas and prepared ([`PreparedArea`]) under an R-tree;
//! 2. each exposure unit meets the hazards whose bboxes it touches: a point unit counts
//!    whole when a prepared area contains it; a polygon unit counts the share of its
//!    area inside the union of the hazards it meets (geodesic areas);
//! 3. a unit hit by several hazards counts once, with every hazard listed and the
//!    highest severity;
//! 4. units are grouped by admin unit (admin code and `parent_code`, else location),
//!    facilities and shelters inside hazards are listed (and shelters judged usable or
//!    closed, see [`super::facilities`]), the call list is drawn up,
//!    displaced people and their needs are counted against depot stock.

use super::admin::{AdminIndex, AdminRef};
use super::assumptions::{
    displacement_defaults, hazard_defaults, missing_counts, night_population, request_defaults,
    shelter_rules,
};
pub use super::facilities::FacilityAtRisk;
use super::facilities::facilities_at_risk;
use super::geodesy::area_m2;
use super::hazards::{Contact, HazardArea, anchor, resolve};
use super::needs::{DisplacementTable, Need, needs_for};
use super::prepared::PreparedArea;
use super::scenario::{Period, Scenario};
use crate::atlas::{Atlas, Kind, Layer};
use geo::{BooleanOps, BoundingRect, Coord, Geometry, Intersects, MultiPolygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// People counts; fractional where polygon units are split by area.
///
/// Missing data is not zero: `households`, `elderly`, `children` and `disabled` are
/// `None` (null in JSON) when the exposure layer has no such field, or when none of the
/// units counted has a value. Units without a value are left out of a sum that others
/// have, and the report's assumptions say how many they were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub population: f64,
    pub households: Option<f64>,
    pub elderly: Option<f64>,
    pub children: Option<f64>,
    pub disabled: Option<f64>,
    pub units: usize,
}

/// Where an affected unit keeps one of its optional counts.
pub type CountOf = fn(&AffectedUnit) -> Option<f64>;

/// The optional counts of a population layer: the field, and where a unit keeps it.
pub const GROUPS: [(&str, CountOf); 4] = [
    ("households", |u| u.households),
    ("elderly", |u| u.elderly),
    ("children", |u| u.children),
    ("disabled", |u| u.disabled),
];

impl Counts {
    /// The counts of `units`, affected units of the exposure layer `exposure`.
    fn sum(units: &[&AffectedUnit], exposure: &Layer) -> Counts {
        let [households, elderly, children, disabled] = GROUPS.map(|(field, value)| {
            sum_known(
                units.iter().map(|u| value(u)),
                exposure.schema.position(field).is_some(),
            )
        });
        Counts {
            population: units.iter().map(|u| u.people).sum(),
            households,
            elderly,
            children,
            disabled,
            units: units.len(),
        }
    }
}

/// The sum of the values known. No units is nobody (zero); units none of which has a
/// value are unknown (`None`), as is a field the layer does not have.
fn sum_known(values: impl Iterator<Item = Option<f64>>, layer_has_field: bool) -> Option<f64> {
    if !layer_has_field {
        return None;
    }
    let (mut sum, mut units, mut known) = (0.0, 0usize, 0usize);
    for value in values {
        units += 1;
        if let Some(v) = value {
            sum += v;
            known += 1;
        }
    }
    (units == 0 || known > 0).then_some(sum)
}

#[derive(Debug, Clone, Serialize)]
pub struct AffectedUnit {
    pub id: String,
    pub fid: u32,
    pub name: Option<String>,
    /// People counted: the share inside the hazards of the period's population.
    pub people: f64,
    /// `None` (null) when the layer has no such field or the unit has no value.
    pub households: Option<f64>,
    pub elderly: Option<f64>,
    pub children: Option<f64>,
    pub disabled: Option<f64>,
    /// Share of the unit inside the hazards (1 for points).
    pub share: f64,
    pub admin_code: Option<String>,
    pub hazards: Vec<String>,
    pub severity: u8,
    #[serde(skip)]
    kinds: Vec<(&'static str, u8)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HazardSummary {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub severity: u8,
    pub units: usize,
    pub population: f64,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdminSummary {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    pub name: String,
    pub phone: String,
    pub role: String,
    /// Whom or what the call is about (village, hazard point, shelter...).
    pub about: String,
    pub why: String,
    pub severity: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct Displaced {
    pub total: f64,
    pub by_kind: BTreeMap<String, f64>,
    pub rates: DisplacementTable,
}

#[derive(Debug, Clone, Serialize)]
pub struct Needs {
    pub days: u32,
    pub source: String,
    pub items: Vec<Need>,
}

/// The impact report (field names are the API contract of design.md).
#[derive(Debug, Clone, Serialize)]
pub struct ImpactReport {
    pub exposure: String,
    pub group_by: &'static str,
    pub period: Period,
    pub totals: Counts,
    pub by_hazard: Vec<HazardSummary>,
    pub by_admin: Vec<AdminSummary>,
    pub units: Vec<AffectedUnit>,
    pub facilities: Vec<FacilityAtRisk>,
    pub calls: Vec<Call>,
    pub displaced: Displaced,
    pub needs: Needs,
    pub assumptions: Vec<String>,
    pub warnings: Vec<String>,
}

/// The report and the hazard areas it was computed from (for maps and GeoJSON).
pub struct Impact {
    pub report: ImpactReport,
    pub hazards: Vec<HazardArea>,
}

type HazardEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Hazard areas prepared for point tests, under an R-tree of their bboxes.
pub struct HazardOverlay {
    pub areas: Vec<HazardArea>,
    prepared: Vec<PreparedArea>,
    index: RTree<HazardEntry>,
}

impl HazardOverlay {
    pub fn new(areas: Vec<HazardArea>) -> HazardOverlay {
        let prepared: Vec<PreparedArea> =
            areas.iter().map(|h| PreparedArea::new(&h.area)).collect();
        let entries = prepared
            .iter()
            .enumerate()
            .filter(|(_, p)| p.bbox().width() > 0.0 || p.bbox().height() > 0.0)
            .map(|(i, p)| {
                GeomWithData::new(
                    Rectangle::from_corners(p.bbox().min().into(), p.bbox().max().into()),
                    i,
                )
            })
            .collect();
        HazardOverlay {
            areas,
            prepared,
            index: RTree::bulk_load(entries),
        }
    }

    /// The roads of `graph` each hazard closes, indexed as `areas` (hazards that close
    /// no road, see [`HazardArea::closes_roads`], close none).
    pub fn road_closures(
        &self,
        graph: &crate::routing::RoadGraph,
    ) -> crate::routing::travel::Closures {
        let none = MultiPolygon::new(Vec::new());
        let areas: Vec<&MultiPolygon<f64>> = self
            .areas
            .iter()
            .map(|h| if h.closes_roads() { &h.area } else { &none })
            .collect();
        crate::routing::travel::Closures::new(graph, &areas)
    }

    /// Indices of the hazards containing the point, ascending.
    pub fn hazards_at(&self, p: geo::Coord<f64>) -> Vec<usize> {
        let mut hits: Vec<usize> = self
            .index
            .locate_all_at_point(&[p.x, p.y])
            .map(|e| e.data)
            .filter(|&i| self.prepared[i].contains(p))
            .collect();
        hits.sort_unstable();
        hits
    }

    /// Every (unit fid, hazard index) pair where an exposure unit meets a hazard, sorted
    /// by unit. Hazard by hazard: the layer's R-tree gives the units in the hazard's bbox
    /// and the prepared area tests each point exactly, so no per-point allocation or
    /// hazard-tree walk is paid by the many points that meet nothing. Hazards are split
    /// across the available cores.
    pub fn unit_hits(&self, layer: &Layer) -> Vec<(u32, u32)> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(self.areas.len().max(1));
        let chunk = self.areas.len().div_ceil(threads).max(1);
        let pairs: Vec<(u32, u32)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..self.areas.len())
                .step_by(chunk)
                .map(|start| {
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        for h in start..(start + chunk).min(self.areas.len()) {
                            let bb = self.prepared[h].bbox();
                            let env = rstar::AABB::from_corners(bb.min().into(), bb.max().into());
                            for entry in layer.index().locate_in_envelope_intersecting(&env) {
                                // A point's index entry is the point itself: testing it there
                                // saves fetching the feature from memory, which dominates the
                                // cost per candidate at a million points.
                                let r = entry.geom();
                                let hit = if r.lower() == r.upper() {
                                    self.prepared[h].contains(Coord {
                                        x: r.lower()[0],
                                        y: r.lower()[1],
                                    })
                                } else {
                                    self.areas[h]
                                        .area
                                        .intersects(&layer.features()[entry.data as usize].geometry)
                                };
                                if hit {
                                    out.push((entry.data, h as u32));
                                }
                            }
                        }
                        out
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("overlay workers do not panic"))
                .collect()
        });
        // Group by unit with a stable counting sort: linear, and it keeps each unit's
        // hazards in ascending order (workers hold ascending hazard ranges, joined in
        // order). A comparison sort here cost a fifth of the whole overlay.
        let mut start = vec![0u32; layer.len() + 1];
        for &(u, _) in &pairs {
            start[u as usize + 1] += 1;
        }
        for i in 0..layer.len() {
            start[i + 1] += start[i];
        }
        let mut grouped = vec![(0u32, 0u32); pairs.len()];
        for &(u, h) in &pairs {
            grouped[start[u as usize] as usize] = (u, h);
            start[u as usize] += 1;
        }
        grouped
    }

    /// Hazards a geometry meets and the share of it inside them (1 for points).
    pub fn hits(&self, g: &Geometry<f64>) -> (Vec<usize>, f64) {
        match g {
            Geometry::Point(p) => {
                let hits = self.hazards_at(p.0);
                let share = if hits.is_empty() { 0.0 } else { 1.0 };
                (hits, share)
            }
            other => {
                let Some(bb) = other.bounding_rect() else {
                    return (Vec::new(), 0.0);
                };
                let env = rstar::AABB::from_corners(bb.min().into(), bb.max().into());
                let mut hits: Vec<usize> = self
                    .index
                    .locate_in_envelope_intersecting(&env)
                    .map(|e| e.data)
                    .filter(|&i| self.areas[i].area.intersects(other))
                    .collect();
                hits.sort_unstable();
                let share = match (other, hits.is_empty()) {
                    (_, true) => 0.0,
                    (Geometry::Polygon(_) | Geometry::MultiPolygon(_), false) => {
                        polygon_share(other, &hits, &self.areas)
                    }
                    _ => 1.0,
                };
                (hits, share)
            }
        }
    }
}

/// Share of a polygon unit's area inside the union of the hazards it meets.
fn polygon_share(unit: &Geometry<f64>, hits: &[usize], areas: &[HazardArea]) -> f64 {
    let unit: MultiPolygon<f64> = match unit {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(mp) => mp.clone(),
        _ => return 1.0,
    };
    let total = area_m2(&unit);
    if total <= 0.0 {
        return 1.0;
    }
    let union = hits
        .iter()
        .skip(1)
        .fold(areas[hits[0]].area.clone(), |acc, &i| {
            acc.union(&areas[i].area)
        });
    (area_m2(&unit.intersection(&union)) / total).clamp(0.0, 1.0)
}

fn number(layer: &Layer, fid: u32, field: &str) -> f64 {
    layer.value(fid, field).as_f64().unwrap_or(0.0)
}

/// The share of an optional count inside the hazards; `None` when it has no value.
fn share_of(layer: &Layer, fid: u32, field: &str, share: f64) -> Option<f64> {
    layer.value(fid, field).as_f64().map(|v| v * share)
}

/// Runs the overlay and builds the report. The scenario must have been parsed against
/// this atlas.
pub fn analyse(atlas: &Atlas, scenario: &Scenario) -> Impact {
    let overlay = HazardOverlay::new(resolve(atlas, scenario));
    let exposure = atlas
        .layer(scenario.exposure.as_str())
        .expect("the scenario was checked against this atlas");
    let admins = AdminIndex::new(atlas);
    let mut warnings = Vec::new();
    if admins.is_empty() {
        warnings.push("the atlas has no admin layer: no grouping by admin unit".to_string());
    }

    // 1–3: the overlay.
    let pairs = overlay.unit_hits(exposure);
    let mut units = Vec::new();
    for group in pairs.chunk_by(|a, b| a.0 == b.0) {
        let fid = group[0].0;
        let feature = &exposure.features()[fid as usize];
        let hits: Vec<usize> = group.iter().map(|&(_, h)| h as usize).collect();
        let share = match &feature.geometry {
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
                polygon_share(&feature.geometry, &hits, &overlay.areas)
            }
            _ => 1.0,
        };
        if share <= 0.0 {
            continue;
        }
        let population = match scenario.period {
            Period::Night => exposure
                .value(fid, "population_night")
                .as_f64()
                .unwrap_or(number(exposure, fid, "population")),
            Period::Day => number(exposure, fid, "population"),
        };
        let kinds: Vec<(&'static str, u8)> = hits
            .iter()
            .map(|&i| (overlay.areas[i].kind, overlay.areas[i].severity))
            .collect();
        units.push(AffectedUnit {
            id: feature.id.to_string(),
            fid,
            name: exposure.value(fid, "name").as_str().map(str::to_string),
            people: population * share,
            households: share_of(exposure, fid, "households", share),
            elderly: share_of(exposure, fid, "elderly", share),
            children: share_of(exposure, fid, "children", share),
            disabled: share_of(exposure, fid, "disabled", share),
            share,
            admin_code: exposure
                .value(fid, "admin_code")
                .as_str()
                .map(str::to_string),
            hazards: hits.iter().map(|&i| overlay.areas[i].id.clone()).collect(),
            severity: kinds.iter().map(|k| k.1).max().unwrap_or(0),
            kinds,
        });
    }

    let totals = Counts::sum(&units.iter().collect::<Vec<_>>(), exposure);

    let mut by_hazard: Vec<HazardSummary> = overlay
        .areas
        .iter()
        .map(|h| HazardSummary {
            id: h.id.clone(),
            name: h.name.clone(),
            kind: h.kind,
            severity: h.severity,
            units: 0,
            population: 0.0,
            detail: h.detail.clone(),
        })
        .collect();
    let position: HashMap<&str, usize> = overlay
        .areas
        .iter()
        .enumerate()
        .map(|(i, h)| (h.id.as_str(), i))
        .collect();
    for u in &units {
        for h in &u.hazards {
            let s = &mut by_hazard[position[h.as_str()]];
            s.units += 1;
            s.population += u.people;
        }
    }

    // 4: grouping by admin unit.
    let mut groups: BTreeMap<String, (Option<AdminRef>, Vec<&AffectedUnit>)> = BTreeMap::new();
    let mut unplaced = 0usize;
    for u in &units {
        let admin = u
            .admin_code
            .as_deref()
            .and_then(|c| admins.at_level(c, scenario.group_by))
            .or_else(|| {
                anchor(&exposure.features()[u.fid as usize].geometry)
                    .and_then(|p| admins.locate(p, scenario.group_by))
            });
        if admin.is_none() {
            unplaced += 1;
        }
        let key = admin.map(|a| a.code().to_string()).unwrap_or_default();
        groups.entry(key).or_insert((admin, Vec::new())).1.push(u);
    }
    if unplaced > 0 && !admins.is_empty() {
        warnings.push(format!(
            "{unplaced} affected units lie in no {} unit",
            scenario.group_by.code()
        ));
    }
    let mut by_admin: Vec<AdminSummary> = groups
        .into_iter()
        .map(|(code, (admin, members))| AdminSummary {
            code,
            name: admin
                .map(|a| a.name().to_string())
                .unwrap_or_else(|| "(outside admin units)".into()),
            level: scenario.group_by.code().to_string(),
            counts: Counts::sum(&members, exposure),
            contacts: admin.and_then(|a| a.contact()).into_iter().collect(),
        })
        .collect();
    by_admin.sort_by(|a, b| {
        b.counts
            .population
            .total_cmp(&a.counts.population)
            .then(a.code.cmp(&b.code))
    });

    let facilities = facilities_at_risk(atlas, &overlay);
    let calls = call_list(&units, &by_admin, &facilities, &overlay, &admins, scenario);

    // Displaced people and their needs.
    let mut by_kind: BTreeMap<String, f64> = BTreeMap::new();
    let mut units_by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut displaced_total = 0.0;
    for u in &units {
        let (kind, rate) = u
            .kinds
            .iter()
            .map(|(k, s)| (*k, scenario.displacement.rate(k, *s)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("affected units have hazards");
        let d = u.people * rate;
        displaced_total += d;
        *by_kind.entry(kind.to_string()).or_default() += d;
        *units_by_kind.entry(kind).or_default() += 1;
    }
    let stock = depot_stock(atlas);
    let needs = Needs {
        days: scenario.days,
        source: scenario.needs.source.clone(),
        items: needs_for(&scenario.needs, displaced_total, scenario.days, |item| {
            stock.get(item).copied().unwrap_or(0.0)
        }),
    };

    units.sort_by(|a, b| b.people.total_cmp(&a.people).then(a.fid.cmp(&b.fid)));
    let mut assumptions = vec![
        format!("exposure layer {:?}, {} population", exposure.id.as_str(), match scenario.period {
            Period::Day => "day",
            Period::Night => "night (population_night where given)",
        }),
        "point units count whole when inside a hazard; polygon units count the share of their area inside (geodesic areas)".into(),
        "displaced = people × the highest displacement rate of the unit's hazards (see displaced.rates)".into(),
    ];
    assumptions.extend(hazard_defaults(&overlay.areas));
    assumptions.extend(request_defaults(scenario));
    assumptions.extend(night_population(exposure, &units, scenario.period));
    assumptions.extend(shelter_rules(&facilities, &overlay.areas));
    assumptions.extend(missing_counts(exposure, &units));
    assumptions.extend(displacement_defaults(
        &scenario.displacement,
        &units_by_kind,
    ));
    let report = ImpactReport {
        exposure: exposure.id.to_string(),
        group_by: scenario.group_by.code(),
        period: scenario.period,
        totals,
        by_hazard,
        by_admin,
        units,
        facilities,
        calls,
        displaced: Displaced {
            total: displaced_total,
            by_kind,
            rates: scenario.displacement.clone(),
        },
        needs,
        assumptions,
        warnings,
    };
    Impact {
        report,
        hazards: overlay.areas,
    }
}

fn hazard_names(ids: &[String], areas: &HashMap<&str, &HazardArea>) -> String {
    let names: Vec<&str> = ids
        .iter()
        .filter_map(|id| areas.get(id.as_str()))
        .map(|h| h.name.as_str())
        .take(3)
        .collect();
    let more = ids.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// Whom to call, most urgent first: admin duty officers of affected units, one call per
/// affected village, hazard-point monitors, and managers of shelters and facilities at
/// risk. The same person about the same thing is called once.
fn call_list(
    units: &[AffectedUnit],
    by_admin: &[AdminSummary],
    facilities: &[FacilityAtRisk],
    overlay: &HazardOverlay,
    admins: &AdminIndex,
    scenario: &Scenario,
) -> Vec<Call> {
    let areas: HashMap<&str, &HazardArea> =
        overlay.areas.iter().map(|h| (h.id.as_str(), h)).collect();
    let top = units.iter().map(|u| u.severity).max().unwrap_or(0);
    let mut calls: Vec<(f64, Call)> = Vec::new();
    for a in by_admin {
        for c in &a.contacts {
            calls.push((
                a.counts.population,
                Call {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    role: format!("{} duty officer", a.level),
                    about: a.name.clone(),
                    why: format!(
                        "{:.0} people affected in {} unit{}",
                        a.counts.population,
                        a.counts.units,
                        if a.counts.units == 1 { "" } else { "s" }
                    ),
                    // An admin unit carries the highest severity of the scenario's units.
                    severity: top,
                },
            ));
        }
    }
    if scenario.group_by != super::scenario::Level::Village {
        // Several units may lie in one village: one call, with their people summed.
        let mut villages: BTreeMap<&str, (AdminRef, f64, u8, Vec<String>)> = BTreeMap::new();
        for u in units {
            let Some(village) = u
                .admin_code
                .as_deref()
                .and_then(|c| admins.at_level(c, super::scenario::Level::Village))
            else {
                continue;
            };
            let entry = villages
                .entry(village.code())
                .or_insert((village, 0.0, 0, Vec::new()));
            entry.1 += u.people;
            entry.2 = entry.2.max(u.severity);
            for h in &u.hazards {
                if !entry.3.contains(h) {
                    entry.3.push(h.clone());
                }
            }
        }
        for (village, people, severity, hazards) in villages.into_values() {
            if let Some(c) = village.contact() {
                calls.push((
                    people,
                    Call {
                        name: c.name,
                        phone: c.phone,
                        role: "village duty officer".into(),
                        about: village.name().to_string(),
                        why: format!(
                            "{people:.0} people affected by {}",
                            hazard_names(&hazards, &areas)
                        ),
                        severity,
                    },
                ));
            }
        }
    }
    for h in overlay.areas.iter().filter(|h| h.kind == "landslide") {
        if let Some(c) = &h.contact {
            let threatened = h
                .detail
                .get("threatened_people")
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0);
            calls.push((
                threatened,
                Call {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    role: "hazard-point monitor".into(),
                    about: h.name.clone(),
                    why: format!("hazard point in the scenario; threatens {threatened:.0} people"),
                    severity: h.severity,
                },
            ));
        }
    }
    for f in facilities {
        if let Some(c) = &f.contact {
            let inside = hazard_names(&f.hazards, &areas);
            let (role, why) = if f.unusable {
                (
                    "shelter manager".to_string(),
                    format!("shelter inside {inside}: unusable, send evacuees elsewhere"),
                )
            } else {
                let why = match &f.note {
                    Some(note) => format!("{} inside {inside}: {note}", f.category),
                    None => format!("{} inside {inside}", f.category),
                };
                (format!("{} contact", f.category), why)
            };
            calls.push((
                f.occupants.or(f.capacity).unwrap_or(0) as f64,
                Call {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    role,
                    about: f.name.clone().unwrap_or_else(|| f.id.clone()),
                    why,
                    severity: f.severity,
                },
            ));
        }
    }
    calls.sort_by(|a, b| b.1.severity.cmp(&a.1.severity).then(b.0.total_cmp(&a.0)));
    let mut seen = std::collections::HashSet::new();
    calls
        .into_iter()
        .filter(|(_, c)| seen.insert((c.phone.clone(), c.about.clone(), c.role.clone())))
        .map(|(_, c)| c)
        .collect()
}

/// Stock per item summed over every depot layer.
fn depot_stock(atlas: &Atlas) -> HashMap<String, f64> {
    let mut stock = HashMap::new();
    for layer in atlas.layers().iter().filter(|l| l.kind == Kind::Depot) {
        for field in layer.schema.fields().iter().filter(|f| f.ty.is_numeric()) {
            let sum: f64 = (0..layer.len() as u32)
                .map(|fid| number(layer, fid, &field.name))
                .sum();
            *stock.entry(field.name.clone()).or_default() += sum;
        }
    }
    stock
}
