//! An evacuation plan as a map layer and a table.

use super::spreadsheet::{Cell, Sheet};
use crate::analysis::evacuation::EvacuationPlan;
use serde_json::{Value, json};

/// Routes as LineStrings, one feature per assignment.
pub fn geojson(plan: &EvacuationPlan) -> Value {
    let features: Vec<Value> = plan
        .assignments
        .iter()
        .map(|a| {
            json!({"type": "Feature", "geometry": a.route, "properties": {
                "role": "route", "unit_id": a.unit_id, "shelter_id": a.shelter_id, "shelter_name": a.shelter_name,
                "people": a.people, "minutes": a.minutes, "distance_m": a.distance_m}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// One row per assignment, then one per unit not placed, with the reason and its
/// sentence (`unassigned_detail`) so that a printed table says why as the cards do.
pub fn csv(plan: &EvacuationPlan) -> String {
    let mut sheet = Sheet::new(&[
        "unit_id",
        "shelter_id",
        "shelter_name",
        "people",
        "minutes",
        "distance_m",
        "unassigned_reason",
        "unassigned_detail",
    ]);
    for a in &plan.assignments {
        sheet.row([
            Cell::text(&a.unit_id),
            Cell::text(&a.shelter_id),
            a.shelter_name
                .as_deref()
                .map_or_else(Cell::empty, Cell::text),
            Cell::number(a.people),
            Cell::number(a.minutes),
            Cell::number(a.distance_m),
            Cell::empty(),
            Cell::empty(),
        ]);
    }
    for u in &plan.unassigned {
        sheet.row([
            Cell::text(&u.unit_id),
            Cell::empty(),
            Cell::empty(),
            Cell::number(u.people),
            Cell::empty(),
            Cell::empty(),
            Cell::text(u.reason),
            Cell::text(&u.detail),
        ]);
    }
    sheet.finish()
}
