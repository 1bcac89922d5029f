//! Who is affected: the overlay of a scenario's hazard areas on the exposure layer, and
//! the report built from it.
//!
//! 1. hazards are resolved into areas and prepared ([`super::prepared::PreparedArea`]) under an R-tree;
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
use super::budget::{Deadline, Expired};
use super::calls::call_list;
pub use super::facilities::FacilityAtRisk;
use super::facilities::facilities_at_risk;
use super::hazards::{Contact, HazardArea, anchor, resolve};
use super::needs::{DisplacementTable, Need, needs_for};
use super::overlay::{HazardOverlay, polygon_share};
use super::scenario::{Period, Scenario};
use crate::atlas::{Atlas, Kind, Layer};
use geo::Geometry;
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
    /// People (the period's population, shares of polygon units).
    pub population: f64,
    /// Households, or None when unknown (see the type's doc).
    pub households: Option<f64>,
    /// Elderly people, or None when unknown.
    pub elderly: Option<f64>,
    /// Children, or None when unknown.
    pub children: Option<f64>,
    /// Disabled people, or None when unknown.
    pub disabled: Option<f64>,
    /// Exposure units counted.
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
        let [households, elderly, children, disabled] = GROUPS
            .map(|(field, value)| sum_known(units.iter().map(|u| value(u)), exposure.holds(field)));
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
/// An exposure unit a hazard meets.
pub struct AffectedUnit {
    /// The unit's feature id: the stable one, the only id an answer gives.
    pub id: String,
    /// Its feature index in the exposure layer (of the snapshot analysed); for the
    /// server's own lookups, never shown (a position shifts with every deletion).
    #[serde(skip)]
    pub fid: u32,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// People counted: the share inside the hazards of the period's population.
    pub people: f64,
    /// `None` (null) when the layer has no such field or the unit has no value.
    pub households: Option<f64>,
    /// Elderly people inside, or None when unknown.
    pub elderly: Option<f64>,
    /// Children inside, or None when unknown.
    pub children: Option<f64>,
    /// Disabled people inside, or None when unknown.
    pub disabled: Option<f64>,
    /// Share of the unit inside the hazards (1 for points).
    pub share: f64,
    /// The unit's admin code (its village), if the layer gives one.
    pub admin_code: Option<String>,
    /// The hazards it meets.
    pub hazards: Vec<String>,
    /// The highest severity among them (1 blue … 4 red).
    pub severity: u8,
    #[serde(skip)]
    kinds: Vec<(&'static str, u8)>,
}

#[derive(Debug, Clone, Serialize)]
/// One hazard area and the people it affects.
pub struct HazardSummary {
    /// `layer/id` (the feature's stable id), `drawn/N` or `earthquake/N/I`.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// `flood`, `landslide`, `wildfire`, `hazard`, `drawn` or `earthquake`.
    pub kind: &'static str,
    /// Severity used (1 blue … 4 red; `detail.severity_from` says where it came from).
    pub severity: u8,
    /// Affected units in it.
    pub units: usize,
    /// People affected in it.
    pub population: f64,
    /// What else a planner needs to read it (return period, radius, intensity…).
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
/// The people affected in one admin unit at the scenario's `group_by` level.
pub struct AdminSummary {
    /// The admin code (empty for units outside every admin unit).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: String,
    #[serde(flatten)]
    /// People, households and vulnerable groups affected there.
    pub counts: Counts,
    /// Its duty contacts.
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
/// One call to make.
pub struct Call {
    /// Whom to call.
    pub name: String,
    /// Their phone number.
    pub phone: String,
    /// Their role (village duty officer, hazard-point monitor…).
    pub role: String,
    /// Whom or what the call is about (village, hazard point, shelter...).
    pub about: String,
    /// Why, in a sentence.
    pub why: String,
    /// How urgent: the severity of what the call is about.
    pub severity: u8,
}

#[derive(Debug, Clone, Serialize)]
/// People the hazards displace from their homes.
pub struct Displaced {
    /// All of them.
    pub total: f64,
    /// By the hazard kind whose rate applied.
    pub by_kind: BTreeMap<String, f64>,
    /// The rates used.
    pub rates: DisplacementTable,
}

#[derive(Debug, Clone, Serialize)]
/// What the displaced need for the scenario's days, against depot stock.
pub struct Needs {
    /// Days of supplies counted.
    pub days: u32,
    /// Where the per-person quantities come from.
    pub source: String,
    /// Each item: quantity, stock and shortfall.
    pub items: Vec<Need>,
    /// Depots the stock is counted from: 0 means the atlas has no depot data, so stock
    /// and shortfall are unknown, not zero and everything.
    pub depots: usize,
}

/// The impact report (field names are the API contract of design.md).
#[derive(Debug, Clone, Serialize)]
pub struct ImpactReport {
    /// The exposure layer's id.
    pub exposure: String,
    /// The admin level `by_admin` groups at.
    pub group_by: &'static str,
    /// Day or night population.
    pub period: Period,
    /// Everyone affected.
    pub totals: Counts,
    /// Per hazard area.
    pub by_hazard: Vec<HazardSummary>,
    /// Per admin unit, most people first.
    pub by_admin: Vec<AdminSummary>,
    /// Every affected unit, most people first.
    pub units: Vec<AffectedUnit>,
    /// Shelters and facilities inside the hazards.
    pub facilities: Vec<FacilityAtRisk>,
    /// Whom to call, most urgent first.
    pub calls: Vec<Call>,
    /// People displaced.
    pub displaced: Displaced,
    /// What the displaced need.
    pub needs: Needs,
    /// What the report assumed, each default with the count it applied to.
    pub assumptions: Vec<String>,
    /// What the data lacked (no admin layer, units outside admin units).
    pub warnings: Vec<String>,
}

/// The report and the hazard areas it was computed from (for maps and GeoJSON).
pub struct Impact {
    /// The report.
    pub report: ImpactReport,
    /// The hazard areas it was computed from, indexed as the overlay indexes them.
    pub hazards: Vec<HazardArea>,
}

fn number(layer: &Layer, fid: u32, field: &str) -> f64 {
    layer.value(fid, field).as_f64().unwrap_or(0.0)
}

/// The share of an optional count inside the hazards; `None` when it has no value.
fn share_of(layer: &Layer, fid: u32, field: &str, share: f64) -> Option<f64> {
    layer.value(fid, field).as_f64().map(|v| v * share)
}

/// Runs the overlay and builds the report (the pipeline in the module doc). The
/// scenario must have been parsed against this atlas.
pub fn analyse(atlas: &Atlas, scenario: &Scenario) -> Impact {
    analyse_within(atlas, scenario, &Deadline::none()).expect("no deadline to pass")
}

/// As [`analyse`], stopping with [`Expired`] once `deadline` passes (the overlay checks
/// it per hazard, the report per affected unit).
pub fn analyse_within(
    atlas: &Atlas,
    scenario: &Scenario,
    deadline: &Deadline,
) -> Result<Impact, Expired> {
    let overlay = HazardOverlay::new(resolve(atlas, scenario));
    let exposure = atlas
        .layer(scenario.exposure.as_str())
        .expect("the scenario was checked against this atlas");
    let admins = AdminIndex::new(atlas);
    let mut warnings = Vec::new();
    if admins.is_empty() {
        warnings.push("the atlas has no admin layer: no grouping by admin unit".to_string());
    }
    let mut units = affected_units(exposure, &overlay, scenario.period, deadline)?;
    let totals = Counts::sum(&units.iter().collect::<Vec<_>>(), exposure);
    let by_hazard = by_hazard(&overlay, &units);
    let (by_admin, outside) = by_admin(&units, exposure, &admins, scenario);
    if outside > 0 && !admins.is_empty() {
        warnings.push(format!(
            "{outside} affected units lie in no {} unit",
            scenario.group_by.code()
        ));
    }
    let facilities = facilities_at_risk(atlas, &overlay);
    let calls = call_list(&units, &by_admin, &facilities, &overlay, &admins, scenario);
    let displacement = displacement(&units, scenario);
    let stock = depot_stock(atlas);
    let needs = Needs {
        depots: atlas
            .layers()
            .iter()
            .filter(|l| l.kind == Kind::Depot)
            .map(|l| l.len())
            .sum(),
        days: scenario.days,
        source: scenario.needs.source.clone(),
        items: needs_for(&scenario.needs, displacement.total, scenario.days, |item| {
            stock.get(item).copied().unwrap_or(0.0)
        }),
    };
    // Most people first. The keys are sorted, then the units moved once: a unit is ~200
    // bytes, and a comparison sort moving half a million of them was a tenth of the
    // analysis.
    units.sort_by_cached_key(|u| (std::cmp::Reverse(total_order_key(u.people)), u.fid));
    let assumptions = assumptions(
        exposure,
        &units,
        &overlay,
        &facilities,
        scenario,
        &displacement.units_by_kind,
    );
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
            total: displacement.total,
            by_kind: displacement.by_kind,
            rates: scenario.displacement.clone(),
        },
        needs,
        assumptions,
        warnings,
    };
    Ok(Impact {
        report,
        hazards: overlay.areas,
    })
}

/// Steps 1–3: every exposure unit some hazard meets, with the share of it inside.
fn affected_units(
    exposure: &Layer,
    overlay: &HazardOverlay,
    period: Period,
    deadline: &Deadline,
) -> Result<Vec<AffectedUnit>, Expired> {
    let pairs = overlay.unit_hits(exposure, deadline)?;
    let mut units = Vec::new();
    for group in pairs.chunk_by(|a, b| a.0 == b.0) {
        deadline.check()?;
        let fid = group[0].0;
        let hits: Vec<usize> = group.iter().map(|&(_, h)| h as usize).collect();
        if let Some(unit) = affected_unit(exposure, fid, &hits, overlay, period) {
            units.push(unit);
        }
    }
    Ok(units)
}

/// One unit and the hazards it meets (`hits`); None when none of it lies inside.
fn affected_unit(
    exposure: &Layer,
    fid: u32,
    hits: &[usize],
    overlay: &HazardOverlay,
    period: Period,
) -> Option<AffectedUnit> {
    let feature = &exposure.features()[fid as usize];
    let share = match &feature.geometry {
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            polygon_share(&feature.geometry, hits, &overlay.areas)
        }
        _ => 1.0,
    };
    if share <= 0.0 {
        return None;
    }
    let population = match period {
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
    Some(AffectedUnit {
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
    })
}

/// Units and people per hazard.
fn by_hazard(overlay: &HazardOverlay, units: &[AffectedUnit]) -> Vec<HazardSummary> {
    let mut out: Vec<HazardSummary> = overlay
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
    for u in units {
        for h in &u.hazards {
            let s = &mut out[position[h.as_str()]];
            s.units += 1;
            s.population += u.people;
        }
    }
    out
}

/// Step 4: units grouped by admin unit at the scenario's level (by admin code, else by
/// location), most people first; and how many units lie in none.
fn by_admin(
    units: &[AffectedUnit],
    exposure: &Layer,
    admins: &AdminIndex,
    scenario: &Scenario,
) -> (Vec<AdminSummary>, usize) {
    let mut groups: BTreeMap<String, (Option<AdminRef>, Vec<&AffectedUnit>)> = BTreeMap::new();
    let mut outside = 0usize;
    for u in units {
        let admin = u
            .admin_code
            .as_deref()
            .and_then(|c| admins.at_level(c, scenario.group_by))
            .or_else(|| {
                anchor(&exposure.features()[u.fid as usize].geometry)
                    .and_then(|p| admins.locate(p, scenario.group_by))
            });
        if admin.is_none() {
            outside += 1;
        }
        let key = admin.map(|a| a.code().to_string()).unwrap_or_default();
        groups.entry(key).or_insert((admin, Vec::new())).1.push(u);
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
    (by_admin, outside)
}

/// Displaced people: each unit's people at the highest rate among its hazards.
struct Displacement {
    total: f64,
    by_kind: BTreeMap<String, f64>,
    /// Units whose displacement came from each hazard kind (for the assumptions).
    units_by_kind: BTreeMap<&'static str, usize>,
}

fn displacement(units: &[AffectedUnit], scenario: &Scenario) -> Displacement {
    let mut out = Displacement {
        total: 0.0,
        by_kind: BTreeMap::new(),
        units_by_kind: BTreeMap::new(),
    };
    for u in units {
        let (kind, rate) = u
            .kinds
            .iter()
            .map(|(k, s)| (*k, scenario.displacement.rate(k, *s)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("affected units have hazards");
        let d = u.people * rate;
        out.total += d;
        *out.by_kind.entry(kind.to_string()).or_default() += d;
        *out.units_by_kind.entry(kind).or_default() += 1;
    }
    out
}

/// What the report assumed, each default with the count it applied to.
fn assumptions(
    exposure: &Layer,
    units: &[AffectedUnit],
    overlay: &HazardOverlay,
    facilities: &[super::facilities::FacilityAtRisk],
    scenario: &Scenario,
    units_by_kind: &BTreeMap<&str, usize>,
) -> Vec<String> {
    let mut out = vec![
        format!("exposure layer {:?}, {} population", exposure.id.as_str(), match scenario.period {
            Period::Day => "day",
            Period::Night => "night (population_night where given)",
        }),
        "point units count whole when inside a hazard; polygon units count the share of their area inside (geodesic areas)".into(),
        "displaced = people × the highest displacement rate of the unit's hazards (see displaced.rates)".into(),
    ];
    out.extend(hazard_defaults(&overlay.areas));
    out.extend(request_defaults(scenario));
    out.extend(night_population(exposure, units, scenario.period));
    out.extend(shelter_rules(facilities, &overlay.areas));
    out.extend(missing_counts(exposure, units));
    out.extend(displacement_defaults(&scenario.displacement, units_by_kind));
    out
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

/// An integer that orders like `f64::total_cmp` (the same trick `total_cmp` uses).
fn total_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}
