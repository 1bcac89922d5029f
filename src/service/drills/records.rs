//! `POST /api/drills/records`: a drill held, as features of the drill layer (one per
//! village that took part) that the handler inserts as edits.

use super::super::ServiceError;
use super::super::error::RequestError;
use super::super::snapshot::Snapshot;
use crate::analysis::drills::metrics::parse_day;
use crate::atlas::Kind;
use serde::Deserialize;
use serde_json::{Value as Json, json};

/// A drill held, as `POST /api/drills/records` takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillHeld {
    /// When (`YYYY-MM-DD`).
    pub date: String,
    /// What was rehearsed (a ranked scenario's id or title, or words).
    pub scenario: String,
    /// The villages that took part.
    pub villages: Vec<VillageInDrill>,
    /// The problems found.
    pub problems: Option<String>,
    /// The drill layer to record it in (default: the atlas's first).
    pub layer: Option<String>,
}

/// One village's part in a drill held.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VillageInDrill {
    /// Its admin code.
    pub admin_code: String,
    /// People who moved.
    pub people_moved: Option<i64>,
    /// Minutes until the last of them arrived.
    pub clearance_minutes: Option<f64>,
}

/// The most villages one drill record names.
pub const MAX_DRILL_VILLAGES: usize = 500;

/// The drill layer and the features (one per village, at the village's label point)
/// that record `body` in `atlas` (the user's view: a village outside it is not found).
pub fn drill_features(atlas: &Snapshot, body: Json) -> Result<(String, Vec<Json>), ServiceError> {
    let held: DrillHeld = crate::service::requests::from_value(body)?;
    let invalid = |m: String| ServiceError::from(RequestError::Invalid(m));
    parse_day(&held.date)
        .ok_or_else(|| invalid(format!("date {:?} is not a date (YYYY-MM-DD)", held.date)))?;
    if held.villages.is_empty() || held.villages.len() > MAX_DRILL_VILLAGES {
        return Err(invalid(format!(
            "villages: name 1 to {MAX_DRILL_VILLAGES} villages that took part"
        )));
    }
    let layer = match &held.layer {
        Some(id) => atlas.layer(id).filter(|l| l.kind == Kind::Drill).ok_or_else(|| invalid(format!("layer {id:?} is not a drill layer")))?,
        None => atlas
            .layers()
            .iter()
            .find(|l| l.kind == Kind::Drill)
            .map(|l| &**l)
            .ok_or_else(|| ServiceError::Unprocessable("the atlas has no drill layer to record drills in (add one of kind \"drill\" to atlas.toml)".into()))?,
    };
    let units = crate::analysis::admin::AdminIndex::new(atlas);
    let features = held
        .villages
        .iter()
        .map(|v| {
            let unit = units.by_code(&v.admin_code).ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "no admin unit with code {:?} in your jurisdiction",
                    v.admin_code
                ))
            })?;
            let at = unit.label_point().ok_or_else(|| {
                invalid(format!(
                    "admin unit {:?} has no area to place the record at",
                    v.admin_code
                ))
            })?;
            Ok(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [at.x(), at.y()]},
                "properties": {
                    "date": held.date, "admin_code": v.admin_code, "scenario": held.scenario,
                    "name": format!("{} {}", unit.name(), held.date),
                    "people_moved": v.people_moved, "clearance_minutes": v.clearance_minutes,
                    "problems": held.problems,
                },
            }))
        })
        .collect::<Result<Vec<Json>, ServiceError>>()?;
    Ok((layer.id.to_string(), features))
}
