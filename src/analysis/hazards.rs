//! Scenario hazards → hazard areas: polygons in lon/lat with a kind, a severity and
//! where they came from, ready for the overlay.

use super::earthquake;
use super::geodesy::circle;
use super::scenario::{Earthquake, HazardSpec, Scenario};
use crate::atlas::{Atlas, Kind, Layer, Value};
use geo::{Geometry, MultiPolygon, Point};
use serde::Serialize;

/// Default threat radius of a landslide point without `threat_radius_m` (design.md).
pub const DEFAULT_THREAT_RADIUS_M: f64 = 200.0;

/// Severity of a drawn area sent without one (3, orange; the page always sends one). A
/// planning convention, not a measurement: the report says when it was used.
pub const DEFAULT_DRAWN_SEVERITY: u8 = 3;

/// Severity of a landslide point or other hazard without one (2, yellow). A planning
/// convention, not a measurement: the report says how many hazards it was used for.
pub const DEFAULT_OTHER_SEVERITY: u8 = 2;

/// Flood severity from the return period: the rarer the flood a zone floods in, the
/// less often it is under water, so the lower its warning level.
pub const FLOOD_SEVERITY_RULE: &str =
    "≤10 y → 4 red, 11–20 y → 3 orange, 21–50 y → 2 yellow, longer → 1 blue";

/// Wildfire severity from the forest-fire danger level (1–5).
pub const WILDFIRE_SEVERITY_RULE: &str = "5 → 4 red, 4 → 3 orange, 3 → 2 yellow, 1–2 → 1 blue";

/// Where a hazard's severity came from, so that the report can say which were assumed
/// and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeverityFrom {
    /// The feature's own `severity`.
    Severity,
    /// Given with the drawn area in the scenario.
    Scenario,
    /// A flood's `return_period_years` ([`FLOOD_SEVERITY_RULE`]).
    ReturnPeriodYears,
    /// A fire-danger zone's `danger_level` ([`WILDFIRE_SEVERITY_RULE`]).
    DangerLevel,
    /// An earthquake band's intensity ([`earthquake::severity_of`]).
    Intensity,
    /// Nothing to go by: flood and wildfire 1, drawn areas [`DEFAULT_DRAWN_SEVERITY`],
    /// others [`DEFAULT_OTHER_SEVERITY`].
    Default,
}

/// A duty contact.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Contact {
    /// The contact's name.
    pub name: String,
    /// The contact's phone number.
    pub phone: String,
}

impl Contact {
    /// The contact as `disclosure` shows it (see [`crate::atlas::personal`]).
    pub fn shown(&self, disclosure: crate::atlas::Disclosure) -> Contact {
        Contact {
            name: disclosure.text(&self.name).into_owned(),
            phone: disclosure.text(&self.phone).into_owned(),
        }
    }

    /// The layer's `contact_name`/`contact_phone` of a feature, if it has either.
    pub fn of(layer: &Layer, fid: u32) -> Option<Contact> {
        let text = |f: &str| layer.value(fid, f).as_str().map(str::to_string);
        match (text("contact_name"), text("contact_phone")) {
            (None, None) => None,
            (name, phone) => Some(Contact {
                name: name.unwrap_or_default(),
                phone: phone.unwrap_or_default(),
            }),
        }
    }
}

/// One hazard area of a scenario.
#[derive(Debug, Clone)]
pub struct HazardArea {
    /// `layer/id` for atlas features (their stable id), `drawn/N`, `earthquake/N/I`.
    pub id: String,
    /// A name for people: the feature's name, or the layer's with the feature's number.
    pub name: String,
    /// `flood`, `landslide`, `wildfire`, `hazard`, `drawn` or `earthquake`.
    pub kind: &'static str,
    /// The severity the analysis used (and maps draw).
    pub severity: u8,
    /// Where the severity came from (the data, a rule, the scenario, a default).
    pub severity_from: SeverityFrom,
    /// Earthquake bands: the band's intensity (GB/T 17742); `None` for other hazards.
    pub intensity: Option<u8>,
    /// A point buffered by [`DEFAULT_THREAT_RADIUS_M`] for want of `threat_radius_m`
    /// (and of a scenario `buffer_m`).
    pub default_radius: bool,
    /// The area, in lon/lat.
    pub area: MultiPolygon<f64>,
    /// The (layer id, fid) it came from, for atlas features.
    pub source: Option<(String, u32)>,
    /// The hazard point's monitor, if it has one.
    pub contact: Option<Contact>,
    /// What else a planner needs to read this hazard (return period, radius, intensity…).
    pub detail: serde_json::Value,
}

impl HazardArea {
    /// Whether roads meeting this area are closed to evacuation routes. Floods,
    /// landslide threat areas, fire-danger zones, other hazards and drawn areas are:
    /// routes must not lead people through what they are fleeing. Earthquake intensity
    /// bands are not: a band is a regional shaking level covering whole counties, not a
    /// place roads cross at their peril, and closing them would leave a county with no
    /// road at all. Roads a quake has cut (slides, fallen bridges) are added to a
    /// scenario as drawn areas.
    pub fn closes_roads(&self) -> bool {
        self.kind != "earthquake"
    }
}

fn kind_code(kind: Kind) -> &'static str {
    match kind {
        Kind::Flood => "flood",
        Kind::Landslide => "landslide",
        Kind::Wildfire => "wildfire",
        _ => "hazard",
    }
}

/// A hazard feature's severity (1–4) as the analyses read it: its own, or derived
/// from its return period or danger level; a printed map colours it by this.
pub fn severity(layer: &Layer, fid: u32) -> u8 {
    severity_of(layer, fid).0
}

/// Severity of a layer feature: its own, or derived from what it has.
fn severity_of(layer: &Layer, fid: u32) -> (u8, SeverityFrom) {
    if let Some(s) = layer.value(fid, "severity").as_i64() {
        return (s.clamp(1, 4) as u8, SeverityFrom::Severity);
    }
    let number = |field: &str| layer.value(fid, field).as_i64();
    match layer.kind {
        Kind::Flood => match number("return_period_years") {
            Some(years) => (flood_severity(years), SeverityFrom::ReturnPeriodYears),
            None => (1, SeverityFrom::Default),
        },
        Kind::Wildfire => match number("danger_level") {
            Some(level) => (wildfire_severity(level), SeverityFrom::DangerLevel),
            None => (1, SeverityFrom::Default),
        },
        _ => (DEFAULT_OTHER_SEVERITY, SeverityFrom::Default),
    }
}

/// [`FLOOD_SEVERITY_RULE`] as data: (longest return period in years, severity), in
/// order; anything longer is 1. The map's style draws a flood without a severity by
/// the same table (`style::flood_severity_expression`).
pub const FLOOD_SEVERITY_BY_RETURN_PERIOD: [(i64, u8); 3] = [(10, 4), (20, 3), (50, 2)];

/// See [`FLOOD_SEVERITY_RULE`].
pub fn flood_severity(return_period_years: i64) -> u8 {
    FLOOD_SEVERITY_BY_RETURN_PERIOD
        .iter()
        .find(|(longest, _)| return_period_years <= *longest)
        .map_or(1, |(_, severity)| *severity)
}

/// See [`WILDFIRE_SEVERITY_RULE`].
fn wildfire_severity(danger_level: i64) -> u8 {
    match danger_level {
        5.. => 4,
        4 => 3,
        3 => 2,
        _ => 1,
    }
}

fn name_of(layer: &Layer, fid: u32) -> String {
    match layer.value(fid, "name") {
        Value::Text(t) => t.to_string(),
        _ => format!("{} #{fid}", layer.name),
    }
}

/// Resolves every hazard of the scenario into areas.
pub fn resolve(atlas: &Atlas, scenario: &Scenario) -> Vec<HazardArea> {
    let mut areas = Vec::new();
    for (index, spec) in scenario.hazards.iter().enumerate() {
        match spec {
            HazardSpec::Layer {
                layer,
                selection,
                buffer_m,
            } => {
                let layer = atlas
                    .layer(layer.as_str())
                    .expect("scenario layers were checked against this atlas");
                for fid in selection.fids(layer) {
                    areas.extend(layer_area(layer, fid, *buffer_m));
                }
            }
            HazardSpec::Drawn {
                area,
                severity,
                name,
                repairs,
            } => areas.push(drawn_area(index, area, *severity, name, repairs)),
            HazardSpec::Earthquake(q) => areas.extend(earthquake_bands(index, q)),
        }
    }
    areas
}

/// A feature of a hazard layer as an area: polygons as they are, points buffered by the
/// scenario's `buffer_m`, else their `threat_radius_m`, else the default. None for lines
/// and multipoints, which are not areas (import keeps them out of hazard layers except
/// `hazard`, where they are skipped).
fn layer_area(layer: &Layer, fid: u32, buffer_m: Option<f64>) -> Option<HazardArea> {
    let feature = &layer.features()[fid as usize];
    let mut default_radius = false;
    let (area, mut detail) = match &feature.geometry {
        Geometry::Polygon(p) => (MultiPolygon(vec![p.clone()]), serde_json::json!({})),
        Geometry::MultiPolygon(mp) => (mp.clone(), serde_json::json!({})),
        Geometry::Point(p) => {
            let (radius, from) = match (buffer_m, layer.value(fid, "threat_radius_m").as_f64()) {
                (Some(b), _) => (b, "buffer_m"),
                (None, Some(r)) => (r, "threat_radius_m"),
                (None, None) => (DEFAULT_THREAT_RADIUS_M, "default"),
            };
            default_radius = from == "default";
            (
                MultiPolygon(vec![circle(*p, radius)]),
                serde_json::json!({"radius_m": radius, "radius_from": from}),
            )
        }
        _ => return None,
    };
    for field in [
        "return_period_years",
        "depth_m",
        "danger_level",
        "hazard_type",
        "threatened_people",
    ] {
        let v = layer.value(fid, field);
        if !v.is_null() {
            detail[field] = v.to_json();
        }
    }
    let (severity, severity_from) = severity_of(layer, fid);
    detail["severity_from"] = serde_json::json!(severity_from);
    Some(HazardArea {
        // The stable id: a position would name another feature after a deletion.
        id: format!("{}/{}", layer.id, layer.features()[fid as usize].id),
        name: name_of(layer, fid),
        kind: kind_code(layer.kind),
        severity,
        severity_from,
        intensity: None,
        default_radius,
        area,
        source: Some((layer.id.to_string(), fid)),
        contact: Contact::of(layer, fid),
        detail,
    })
}

/// A polygon the user drew, `index`th of the scenario's hazards.
fn drawn_area(
    index: usize,
    area: &MultiPolygon<f64>,
    severity: Option<u8>,
    name: &str,
    repairs: &[String],
) -> HazardArea {
    let (severity, severity_from) = match severity {
        Some(s) => (s, SeverityFrom::Scenario),
        None => (DEFAULT_DRAWN_SEVERITY, SeverityFrom::Default),
    };
    HazardArea {
        id: format!("drawn/{index}"),
        name: name.to_string(),
        kind: "drawn",
        severity,
        severity_from,
        intensity: None,
        default_radius: false,
        area: area.clone(),
        source: None,
        contact: None,
        detail: serde_json::json!({"repairs": repairs, "severity_from": severity_from}),
    }
}

/// An earthquake's intensity bands, one area per intensity from its `min_intensity`.
fn earthquake_bands(index: usize, q: &Earthquake) -> Vec<HazardArea> {
    let isos = earthquake::isoseismals(&q.zone, q.magnitude, q.min_intensity);
    let i0 = earthquake::epicentral_intensity(&q.zone, q.magnitude);
    isos.iter()
        .zip(earthquake::ring_polygons(q.epicentre, &isos, q.strike_deg))
        .map(|(iso, (intensity, polygon))| HazardArea {
            id: format!("earthquake/{index}/{intensity}"),
            name: format!("{} intensity {}", q.name, roman(intensity)),
            kind: "earthquake",
            severity: earthquake::severity_of(intensity),
            severity_from: SeverityFrom::Intensity,
            intensity: Some(intensity),
            default_radius: false,
            area: MultiPolygon(vec![polygon]),
            source: None,
            contact: None,
            detail: serde_json::json!({
                "intensity": intensity,
                "long_axis_km": round2(iso.long_km),
                "short_axis_km": round2(iso.short_km),
                "epicentral_intensity": round2(i0),
                "magnitude": q.magnitude,
                "depth_km": q.depth_km,
                "zone": q.zone.name,
                "shape": if q.strike_deg.is_some() { "ellipse along the strike" } else { "equal-area circle (strike unknown)" },
                "relation": "Yu, Li & Xiao 2013 (GB 18306-2015 background), I = A + B·Ms + C·lg(R + R0)",
                "severity_from": SeverityFrom::Intensity,
            }),
        })
        .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// An intensity in Roman numerals, as intensity scales are written.
pub fn roman(i: u8) -> &'static str {
    [
        "0", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ][usize::from(i.min(12))]
}

/// A point at the centre of a unit: the point itself, or a point inside the polygon.
pub fn anchor(g: &Geometry<f64>) -> Option<Point<f64>> {
    use geo::InteriorPoint;
    match g {
        Geometry::Point(p) => Some(*p),
        other => other.interior_point(),
    }
}
