//! What an impact report assumed, in sentences a planner can check: every default the
//! analysis applied, with the number of hazards, units or shelters it applied to, and
//! every gap in the data that was left uncounted rather than read as zero.

use super::earthquake::QINGHAI_TIBET;
use super::facilities::{BUILDING_SHELTERS_CLOSE_AT, FacilityAtRisk, OPEN_SPACE_TYPES};
use super::hazards::{
    DEFAULT_DRAWN_SEVERITY, DEFAULT_OTHER_SEVERITY, DEFAULT_THREAT_RADIUS_M, FLOOD_SEVERITY_RULE,
    HazardArea, SeverityFrom, WILDFIRE_SEVERITY_RULE, roman,
};
use super::impact::{AffectedUnit, GROUPS};
use super::needs::DisplacementTable;
use super::scenario::{DEFAULT_MIN_INTENSITY, HazardSpec, Period, Scenario};
use crate::atlas::Layer;
use std::collections::{BTreeMap, HashSet};

/// "1 flood zone has" / "3 flood zones have".
fn counted(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one} has"),
        _ => format!("{n} {many} have"),
    }
}

/// The hazard noun of a kind, singular and plural.
fn hazard_noun(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "flood" => ("flood zone", "flood zones"),
        "landslide" => ("landslide point", "landslide points"),
        "wildfire" => ("fire-danger zone", "fire-danger zones"),
        "drawn" => ("drawn area", "drawn areas"),
        "earthquake" => ("earthquake band", "earthquake bands"),
        _ => ("hazard area", "hazard areas"),
    }
}

/// The colour name of a severity.
fn colour(severity: u8) -> &'static str {
    ["blue", "yellow", "orange", "red"][usize::from(severity.clamp(1, 4) - 1)]
}

/// Severities the analysis derived or defaulted, and threat radii it defaulted, counted
/// by hazard kind.
pub fn hazard_defaults(areas: &[HazardArea]) -> Vec<String> {
    let mut severities: BTreeMap<(&str, SeverityFrom), usize> = BTreeMap::new();
    let mut radii: BTreeMap<&str, usize> = BTreeMap::new();
    for h in areas {
        *severities.entry((h.kind, h.severity_from)).or_default() += 1;
        if h.default_radius {
            *radii.entry(h.kind).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for ((kind, from), n) in severities {
        let (one, many) = hazard_noun(kind);
        let hazards = counted(n, one, many);
        let sentence = match (from, kind) {
            (SeverityFrom::Severity | SeverityFrom::Scenario, _) => continue,
            (SeverityFrom::ReturnPeriodYears, _) => format!(
                "{hazards} no severity: derived from return_period_years ({FLOOD_SEVERITY_RULE})"
            ),
            (SeverityFrom::DangerLevel, _) => format!(
                "{hazards} no severity: derived from danger_level ({WILDFIRE_SEVERITY_RULE})"
            ),
            (SeverityFrom::Intensity, _) => format!(
                "earthquake bands ({n}) take their severity from intensity: VI → 1 blue, VII → 2 yellow, VIII → 3 orange, IX and above → 4 red"
            ),
            (SeverityFrom::Default, "flood") => {
                format!("{hazards} neither severity nor return_period_years: given 1 (blue)")
            }
            (SeverityFrom::Default, "wildfire") => {
                format!("{hazards} neither severity nor danger_level: given 1 (blue)")
            }
            (SeverityFrom::Default, "drawn") => format!(
                "{hazards} no severity: given {DEFAULT_DRAWN_SEVERITY} ({})",
                colour(DEFAULT_DRAWN_SEVERITY)
            ),
            (SeverityFrom::Default, _) => format!(
                "{hazards} no severity: given {DEFAULT_OTHER_SEVERITY} ({})",
                colour(DEFAULT_OTHER_SEVERITY)
            ),
        };
        out.push(sentence);
    }
    for (kind, n) in radii {
        let points = match kind {
            "landslide" => counted(n, "landslide point", "landslide points"),
            _ => counted(n, "hazard point", "hazard points"),
        };
        out.push(format!(
            "{points} no threat_radius_m: buffered by the default {DEFAULT_THREAT_RADIUS_M} m"
        ));
    }
    out
}

/// What the request left out: earthquake options, scenario options, the needs profile.
pub fn request_defaults(scenario: &Scenario) -> Vec<String> {
    let quakes: Vec<_> = scenario
        .hazards
        .iter()
        .filter_map(|h| match h {
            HazardSpec::Earthquake(q) => Some(q),
            _ => None,
        })
        .collect();
    let earthquakes = |n: usize| counted(n, "earthquake", "earthquakes");
    let mut out = Vec::new();
    let no_region = quakes.iter().filter(|q| !q.region_given).count();
    if no_region > 0 {
        out.push(format!(
            "{} no region: the {} zone of the attenuation relation (most of Sichuan and Gansu)",
            earthquakes(no_region),
            QINGHAI_TIBET.name
        ));
    }
    let no_min = quakes.iter().filter(|q| !q.min_intensity_given).count();
    if no_min > 0 {
        out.push(format!(
            "{} no min_intensity: bands from {}",
            earthquakes(no_min),
            roman(DEFAULT_MIN_INTENSITY)
        ));
    }
    let no_strike = quakes.iter().filter(|q| q.strike_deg.is_none()).count();
    if no_strike > 0 {
        out.push(format!(
            "{} no strike_deg: bands drawn as equal-area circles, not ellipses along the fault",
            earthquakes(no_strike),
        ));
    }
    out.extend(scenario.defaults.iter().cloned());
    if scenario.needs.is_default() {
        out.push(format!(
            "needs not given: the default profile per displaced person ({})",
            scenario.needs.source
        ));
    }
    out
}

/// Night population that fell back to the day population.
pub fn night_population(exposure: &Layer, units: &[AffectedUnit], period: Period) -> Vec<String> {
    if period != Period::Night || units.is_empty() {
        return Vec::new();
    }
    if !exposure.holds("population_night") {
        return vec![format!(
            "the exposure layer {:?} has no population_night field: the day population of all {} affected units is counted at night",
            exposure.id.as_str(),
            units.len()
        )];
    }
    let lacking = units
        .iter()
        .filter(|u| exposure.value(u.fid, "population_night").as_f64().is_none())
        .count();
    match lacking {
        0 => Vec::new(),
        n => vec![format!(
            "population_night: {n} of {} affected units have no value; their day population is counted",
            units.len()
        )],
    }
}

/// Displacement rates the scenario did not give, with the units they were applied to
/// (`units_by_kind`: how many units were displaced by the rates of each kind).
pub fn displacement_defaults(
    table: &DisplacementTable,
    units_by_kind: &BTreeMap<&str, usize>,
) -> Vec<String> {
    let used: Vec<String> = units_by_kind
        .iter()
        .filter_map(|(&kind, &n)| {
            let (rates, default) = table.rates_of(kind)?;
            let units = if n == 1 { "unit" } else { "units" };
            default.then(|| format!("{kind} {rates:?} for {n} {units}"))
        })
        .collect();
    if used.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "displacement rates not given in the scenario, defaults used (severity 1–4): {}",
        used.join("; ")
    )]
}

/// How shelters inside earthquake bands were judged, and how many had no type.
pub fn shelter_rules(facilities: &[FacilityAtRisk], areas: &[HazardArea]) -> Vec<String> {
    let bands: HashSet<&str> = areas
        .iter()
        .filter(|h| h.intensity.is_some())
        .map(|h| h.id.as_str())
        .collect();
    if bands.is_empty() {
        return Vec::new();
    }
    let inside: Vec<&FacilityAtRisk> = facilities
        .iter()
        .filter(|f| f.category == "shelter" && f.hazards.iter().any(|h| bands.contains(h.as_str())))
        .collect();
    let closed = inside.iter().filter(|f| f.unusable).count();
    let mut out = vec![format!(
        "earthquake bands close building shelters from intensity {} and never open spaces ({}); {closed} of the {} shelters inside them are closed (see closed_by)",
        roman(BUILDING_SHELTERS_CLOSE_AT),
        OPEN_SPACE_TYPES.join(", "),
        inside.len()
    )];
    let untyped = inside.iter().filter(|f| f.shelter_type.is_none()).count();
    if untyped > 0 {
        out.push(format!(
            "{} no shelter_type: taken as buildings",
            counted(
                untyped,
                "shelter inside an earthquake band",
                "shelters inside earthquake bands"
            )
        ));
    }
    out
}

/// The vulnerable-group counts the exposure layer lacks or some affected units lack.
pub fn missing_counts(exposure: &Layer, units: &[AffectedUnit]) -> Vec<String> {
    let mut out = Vec::new();
    for (field, value) in GROUPS {
        if !exposure.holds(field) {
            out.push(format!(
                "the exposure layer {:?} has no {field} field: {field} are reported as null (no data), not 0",
                exposure.id.as_str()
            ));
            continue;
        }
        let lacking = units.iter().filter(|u| value(u).is_none()).count();
        if lacking > 0 {
            out.push(format!(
                "{field}: {lacking} of {} affected units have no value; their {field} are not counted",
                units.len()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displacement_rates_the_scenario_gave_are_not_called_defaults() {
        let table =
            DisplacementTable::from_json(&serde_json::json!({"flood": [0, 0, 0.5, 0.5]})).unwrap();
        let used = BTreeMap::from([("flood", 2), ("landslide", 1)]);
        assert_eq!(
            displacement_defaults(&table, &used),
            [
                "displacement rates not given in the scenario, defaults used (severity 1–4): landslide [1.0, 1.0, 1.0, 1.0] for 1 unit"
            ]
        );
        let all_given = BTreeMap::from([("flood", 2)]);
        assert!(displacement_defaults(&table, &all_given).is_empty());
    }
}
