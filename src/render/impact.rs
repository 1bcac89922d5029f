//! The impact report as a map layer, a table and a printable page.

use super::cards::count_or_no_data;
use super::palette::{PALETTE, RED, WarningLevel};
use super::spreadsheet::{Cell, Sheet};
use crate::analysis::{Impact, ImpactReport};
use crate::atlas::Atlas;
use askama::Template;
use serde_json::{Value, json};

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Hazard areas and affected units as one FeatureCollection; `role` tells them apart.
pub fn geojson(impact: &Impact, atlas: &Atlas) -> Value {
    let mut features: Vec<Value> = impact
        .hazards
        .iter()
        .map(|h| {
            json!({
                "type": "Feature",
                "id": h.id,
                "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&h.area)),
                "properties": {"role": "hazard", "id": h.id, "name": h.name, "kind": h.kind, "severity": h.severity, "detail": h.detail},
            })
        })
        .collect();
    let exposure = atlas.layer(&impact.report.exposure);
    for u in &impact.report.units {
        let Some(feature) = exposure.and_then(|l| l.feature(u.fid)) else {
            continue;
        };
        features.push(json!({
            "type": "Feature",
            "id": u.id,
            "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&feature.geometry)),
            "properties": {
                "role": "unit", "id": u.id, "name": u.name, "people": round1(u.people), "share": u.share,
                "admin_code": u.admin_code, "hazards": u.hazards.join(","), "severity": u.severity,
            },
        }));
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// One row per admin unit at the report's grouping level. A count with no data is an
/// empty cell.
pub fn csv_by_admin(report: &ImpactReport) -> String {
    let mut sheet = Sheet::new(&[
        "code",
        "name",
        "level",
        "population",
        "households",
        "elderly",
        "children",
        "disabled",
        "units",
        "contact_name",
        "contact_phone",
    ]);
    let count = |x: f64| Cell::number(format!("{x:.1}"));
    let known = |x: Option<f64>| x.map_or_else(Cell::empty, count);
    for a in &report.by_admin {
        let contact = a.contacts.first();
        sheet.row([
            Cell::text(&a.code),
            Cell::text(&a.name),
            Cell::text(&a.level),
            count(a.counts.population),
            known(a.counts.households),
            known(a.counts.elderly),
            known(a.counts.children),
            known(a.counts.disabled),
            Cell::number(a.counts.units),
            contact.map_or_else(Cell::empty, |c| Cell::text(&c.name)),
            contact.map_or_else(Cell::empty, |c| Cell::text(&c.phone)),
        ]);
    }
    sheet.finish()
}

/// The printable report (`templates/impact_report.html`): self-contained, no scripts,
/// nothing fetched from elsewhere.
#[derive(Template)]
#[template(path = "impact_report.html")]
struct ReportPage<'a> {
    atlas_name: &'a str,
    report: &'a ImpactReport,
    palette: &'static [WarningLevel],
    /// The colour the section rules are drawn in.
    rule: WarningLevel,
}

impl ReportPage<'_> {
    /// An attribute or needs item as it reads (`render::labels`).
    fn label(&self, key: &str) -> String {
        super::labels::field(key)
    }

    /// The unit an item is counted in.
    fn unit(&self, key: &str) -> &'static str {
        super::labels::unit(key)
    }

    /// A coded value as it reads.
    fn value(&self, key: &str, code: &str) -> String {
        super::labels::value(key, code)
    }

    /// A count of people, whole.
    fn people(&self, x: &f64) -> String {
        format!("{x:.0}")
    }

    /// A count that may have no data.
    fn maybe(&self, x: &Option<f64>) -> String {
        count_or_no_data(*x)
    }

    /// The palette class of a severity, for its coloured cell.
    fn level(&self, severity: &u8) -> u8 {
        WarningLevel::of(*severity).severity
    }
}

/// The printable page of an impact report.
pub fn html(report: &ImpactReport, atlas_name: &str) -> Result<String, askama::Error> {
    ReportPage {
        atlas_name,
        report,
        palette: &PALETTE,
        rule: RED,
    }
    .render()
}
