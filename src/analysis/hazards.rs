//! Scenario hazards → hazard areas: polygons in lon/lat with a kind, a severity and
//! where they came from, ready for the overlay.

use super::earthquake;
use super::geodesy::circle;
use super::scenario::{HazardSpec, Scenario};
use crate::atlas::{Atlas, Kind, Layer, Value};
use geo::{Geometry, MultiPolygon, Point};
use serde::Serialize;

/// Default threat radius of a landslide point without `threat_radius_m` (design.md).
pub const DEFAULT_THREAT_RADIUS_M: f64 = 200.0;

/// A duty contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

impl Contact {
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
    /// `layer/fid` for atlas features, `drawn/N`, `earthquake/N/I`.
    pub id: String,
    pub name: String,
    /// `flood`, `landslide`, `wildfire`, `hazard`, `drawn` or `earthquake`.
    pub kind: &'static str,
    pub severity: u8,
    pub area: MultiPolygon<f64>,
    pub source: Option<(String, u32)>,
    pub contact: Option<Contact>,
    /// What else a planner needs to read this hazard (return period, radius, intensity…).
    pub detail: serde_json::Value,
}

fn kind_code(kind: Kind) -> &'static str {
    match kind {
        Kind::Flood => "flood",
        Kind::Landslide => "landslide",
        Kind::Wildfire => "wildfire",
        _ => "hazard",
    }
}

/// Severity of a layer feature: its own, or derived from what it has.
fn severity_of(layer: &Layer, fid: u32) -> u8 {
    if let Some(s) = layer.value(fid, "severity").as_i64() {
        return s.clamp(1, 4) as u8;
    }
    match layer.kind {
        Kind::Flood => match layer
            .value(fid, "return_period_years")
            .as_i64()
            .unwrap_or(100)
        {
            ..=10 => 4,
            11..=20 => 3,
            21..=50 => 2,
            _ => 1,
        },
        Kind::Wildfire => match layer.value(fid, "danger_level").as_i64().unwrap_or(1) {
            5 => 4,
            4 => 3,
            3 => 2,
            _ => 1,
        },
        _ => 2,
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
                filter,
                buffer_m,
            } => {
                let layer = atlas
                    .layer(layer.as_str())
                    .expect("scenario layers were checked against this atlas");
                for (fid, feature) in layer.features().iter().enumerate() {
                    let fid = fid as u32;
                    if filter.as_ref().is_some_and(|f| !f.matches(&feature.attrs)) {
                        continue;
                    }
                    let (area, detail) = match &feature.geometry {
                        Geometry::Polygon(p) => {
                            (MultiPolygon(vec![p.clone()]), serde_json::json!({}))
                        }
                        Geometry::MultiPolygon(mp) => (mp.clone(), serde_json::json!({})),
                        Geometry::Point(p) => {
                            let radius = buffer_m
                                .or_else(|| layer.value(fid, "threat_radius_m").as_f64())
                                .unwrap_or(DEFAULT_THREAT_RADIUS_M);
                            (
                                MultiPolygon(vec![circle(*p, radius)]),
                                serde_json::json!({"radius_m": radius}),
                            )
                        }
                        // Lines and multipoints are not hazard areas; kinds checked at import keep
                        // them out of hazard layers except `hazard`, where they are skipped.
                        _ => continue,
                    };
                    let mut detail = detail;
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
                    areas.push(HazardArea {
                        id: format!("{}/{fid}", layer.id),
                        name: name_of(layer, fid),
                        kind: kind_code(layer.kind),
                        severity: severity_of(layer, fid),
                        area,
                        source: Some((layer.id.to_string(), fid)),
                        contact: Contact::of(layer, fid),
                        detail,
                    });
                }
            }
            HazardSpec::Drawn {
                area,
                severity,
                name,
                repairs,
            } => areas.push(HazardArea {
                id: format!("drawn/{index}"),
                name: name.clone(),
                kind: "drawn",
                severity: *severity,
                area: area.clone(),
                source: None,
                contact: None,
                detail: serde_json::json!({"repairs": repairs}),
            }),
            HazardSpec::Earthquake(q) => {
                let isos = earthquake::isoseismals(&q.zone, q.magnitude, q.min_intensity);
                let i0 = earthquake::epicentral_intensity(&q.zone, q.magnitude);
                for (iso, (intensity, polygon)) in
                    isos.iter()
                        .zip(earthquake::ring_polygons(q.epicentre, &isos, q.strike_deg))
                {
                    areas.push(HazardArea {
                        id: format!("earthquake/{index}/{intensity}"),
                        name: format!("{} intensity {}", q.name, roman(intensity)),
                        kind: "earthquake",
                        severity: earthquake::severity_of(intensity),
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
                        }),
                    });
                }
            }
        }
    }
    areas
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

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
