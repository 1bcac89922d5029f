//! A polygon a user drew as a hazard: checked as a layer file's polygon would be (the
//! structure and ranges of import, a vertex limit, the repair and area bound every
//! hazard polygon gets), so a drawn area and a flood zone are held to one rule.

use super::scenario::{MAX_DRAWN_VERTICES, ScenarioError, err};
use crate::atlas::Kind;
use geo::MultiPolygon;
use serde_json::Value as Json;

/// Checks a drawn GeoJSON polygon: structure and ranges as at import, a vertex limit,
/// then the check every hazard polygon gets (`import::polygon`): rings that cross are
/// repaired by the even-odd rule and reported, as in a flood layer's file, and an area
/// larger than a province is refused. Repeated consecutive vertices are removed first
/// (and reported).
pub(super) fn drawn_area(json: &Json) -> Result<(MultiPolygon<f64>, Vec<String>), ScenarioError> {
    let g: geojson::Geometry = serde_json::from_value(json.clone())
        .map_err(|e| ScenarioError::Invalid(format!("geometry is not GeoJSON: {e}")))?;
    let vertices = count_positions(&g.value);
    if vertices > MAX_DRAWN_VERTICES {
        return err(format!(
            "drawn geometry has {vertices} vertices; at most {MAX_DRAWN_VERTICES}"
        ));
    }
    let geometry = crate::import::geometry::to_geo(&g.value)
        .map_err(|e| ScenarioError::Invalid(format!("geometry: {e}")))?;
    let mut area = match geometry {
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        geo::Geometry::MultiPolygon(mp) => mp,
        other => {
            return err(format!(
                "geometry must be a Polygon or MultiPolygon, got a {}",
                type_name(&other)
            ));
        }
    };
    let mut repairs = Vec::new();
    for (pi, polygon) in area.0.iter_mut().enumerate() {
        let mut removed = 0;
        polygon.exterior_mut(|ring| removed += dedup(ring));
        polygon.interiors_mut(|rings| rings.iter_mut().for_each(|r| removed += dedup(r)));
        if removed > 0 {
            repairs.push(format!(
                "polygon {pi}: removed {removed} repeated consecutive vertices"
            ));
        }
        if polygon.exterior().0.len() < 4 {
            return err(format!(
                "geometry: polygon {pi} has fewer than 3 distinct vertices"
            ));
        }
    }
    let checked = crate::import::polygon::check(Kind::Hazard, geo::Geometry::MultiPolygon(area))
        .map_err(|e| ScenarioError::Invalid(format!("geometry: {e}")))?;
    repairs.extend(checked.repairs.iter().map(ToString::to_string));
    let area = match checked.geometry {
        geo::Geometry::MultiPolygon(mp) => mp,
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        other => return err(format!("geometry became a {}", type_name(&other))),
    };
    Ok((area, repairs))
}

fn dedup(ring: &mut geo::LineString<f64>) -> usize {
    let before = ring.0.len();
    ring.0.dedup();
    before - ring.0.len()
}

fn count_positions(v: &geojson::GeometryValue) -> usize {
    use geojson::GeometryValue as G;
    match v {
        G::Point { .. } => 1,
        G::MultiPoint { coordinates } | G::LineString { coordinates } => coordinates.len(),
        G::MultiLineString { coordinates } | G::Polygon { coordinates } => {
            coordinates.iter().map(Vec::len).sum()
        }
        G::MultiPolygon { coordinates } => coordinates.iter().flatten().map(Vec::len).sum(),
        G::GeometryCollection { geometries } => {
            geometries.iter().map(|g| count_positions(&g.value)).sum()
        }
    }
}

fn type_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::LineString(_) | geo::Geometry::Line(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        _ => "geometry of another type",
    }
}
