//! A warning's audience as JSON (with the call tree nested as it is called), as a map
//! layer (the area, the admin units reached with their people, the facilities and the
//! shelters to open) and as a recipient list for an SMS platform (contact, phone, unit,
//! role: one row per task, in calling order).

use super::spreadsheet::{Cell, Sheet};
use crate::analysis::warnings::audience::{Audience, Task};
use crate::atlas::{Atlas, Disclosure};
use crate::service::warnings::WarningAudience;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The call tree nested: each task with the tasks it calls under `calls`.
fn nested(tasks: &[Task]) -> Vec<Value> {
    let mut children: HashMap<Option<&str>, Vec<&Task>> = HashMap::new();
    for t in tasks {
        children.entry(t.caller.as_deref()).or_default().push(t);
    }
    fn node(t: &Task, children: &HashMap<Option<&str>, Vec<&Task>>) -> Value {
        let calls: Vec<Value> = children
            .get(&Some(t.id.as_str()))
            .map(|c| c.iter().map(|c| node(c, children)).collect())
            .unwrap_or_default();
        json!({"id": t.id, "role": t.role, "name": t.contact.name, "phone": t.contact.phone,
            "about": t.about, "admin_code": t.admin_code, "people": (t.people * 10.0).round() / 10.0,
            "calls": calls})
    }
    children
        .get(&None)
        .map(|roots| roots.iter().map(|t| node(t, &children)).collect())
        .unwrap_or_default()
}

/// The audience as JSON; contacts as `disclosure` shows them.
pub fn warning_json(w: &WarningAudience, disclosure: Disclosure) -> Value {
    let audience: Audience = w.audience.clone().shown(disclosure);
    json!({
        "warning": {
            "level": w.warning.level, "level_zh": w.warning.level.zh(), "status": w.warning.status,
            "answer_minutes": w.warning.level.answer_minutes(),
            "hazard_type": w.warning.hazard_type, "headline": w.warning.headline,
            "instruction": w.warning.instruction, "description": w.warning.description,
            "onset": w.warning.onset, "expires": w.warning.expires,
            "headline_en": w.warning.headline_en, "instruction_en": w.warning.instruction_en,
            "description_en": w.warning.description_en,
        },
        "totals": audience.totals,
        "vulnerable": audience.totals.vulnerable(),
        "units": audience.units,
        "units_without_admin": audience.units_without_admin,
        "facilities": audience.facilities,
        "shelters_to_open": audience.shelters_to_open,
        "call_tree": nested(&audience.tasks),
        "tasks": audience.tasks,
        "hazards": w.impact.report.by_hazard,
        "warnings": w.impact.report.warnings,
    })
}

/// The area, the admin units reached (their polygons, with their people), the
/// facilities and the shelters to open, as GeoJSON. Contacts stay off the map.
pub fn warning_geojson(w: &WarningAudience, atlas: &Atlas) -> Value {
    let mut features: Vec<Value> = w
        .impact
        .hazards
        .iter()
        .map(|h| {
            json!({"type": "Feature", "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&h.area)),
                "properties": {"role": "area", "id": h.id, "name": h.name, "severity": h.severity}})
        })
        .collect();
    let admins = crate::analysis::admin::AdminIndex::new(atlas);
    for u in &w.audience.units {
        let Some(a) = admins.by_code(&u.code) else {
            continue;
        };
        let geometry = &a.layer.features()[a.fid as usize].geometry;
        features.push(json!({"type": "Feature", "id": u.code,
            "geometry": geojson::Geometry::new(geojson::GeometryValue::from(geometry)),
            "properties": {"role": "unit", "code": u.code, "name": u.name, "level": u.level,
                "people": (u.reached.people * 10.0).round() / 10.0, "households": u.reached.households,
                "vulnerable": u.reached.vulnerable()}}));
    }
    for s in &w.audience.shelters_to_open {
        features.push(
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
            "properties": {"role": "shelter", "id": s.id, "name": s.name, "capacity": s.capacity}}),
        );
    }
    for f in &w.audience.facilities {
        let Some(point) = atlas
            .layer(&f.layer)
            .and_then(|l| l.feature(f.fid))
            .and_then(|feature| crate::analysis::hazards::anchor(&feature.geometry))
        else {
            continue;
        };
        features.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [point.x(), point.y()]},
            "properties": {"role": "facility", "id": f.id, "name": f.name, "category": f.category,
                "occupants": f.occupants}}));
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// One row per task, in calling order: the recipient list for an SMS platform.
pub fn recipients_csv(w: &WarningAudience, disclosure: Disclosure) -> String {
    let mut sheet = Sheet::new(&[
        "task_id",
        "depth",
        "contact",
        "phone",
        "unit",
        "admin_code",
        "role",
        "called_by",
    ]);
    for t in &w.audience.tasks {
        let c = t.contact.shown(disclosure);
        sheet.row([
            Cell::text(&t.id),
            Cell::number(t.depth),
            Cell::text(&c.name),
            Cell::text(&c.phone),
            Cell::text(&t.about),
            t.admin_code.as_deref().map_or_else(Cell::empty, Cell::text),
            Cell::text(&t.role),
            t.caller
                .as_deref()
                .map_or_else(|| Cell::text("duty desk"), Cell::text),
        ]);
    }
    sheet.finish()
}

/// The colour a unit's call-and-respond state is drawn in: answered green, waiting
/// amber, escalated red, blocked (its caller silent) and closed grey
/// ([`super::palette::CALL_STATES`], which the page's legend reads too).
pub fn state_colour(state: &str) -> &'static str {
    super::palette::call_state_color(state)
}

/// A warning's live state as a map layer: each admin unit with tasks, its polygon
/// coloured by its state (see [`state_colour`]). Contacts stay off the map.
pub fn warning_state_geojson(state: &Value, atlas: &Atlas) -> Value {
    let admins = crate::analysis::admin::AdminIndex::new(atlas);
    let features: Vec<Value> = state["units"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| {
            let code = u["admin_code"].as_str()?;
            let a = admins.by_code(code)?;
            let geometry = &a.layer.features()[a.fid as usize].geometry;
            let s = u["state"].as_str().unwrap_or("blocked");
            Some(json!({"type": "Feature", "id": code,
                "geometry": geojson::Geometry::new(geojson::GeometryValue::from(geometry)),
                "properties": {"admin_code": code, "name": a.name(), "level": a.level(), "state": s,
                    "colour": state_colour(s), "answered": u["answered"], "tasks": u["tasks"]}}))
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features, "warning": state["id"], "at": state["at"]})
}
