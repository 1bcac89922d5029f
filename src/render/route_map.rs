//! The map on a village card: one route from the village to its shelter, drawn on the
//! roads and rivers around it with their names, the hazard areas it avoids (hatched,
//! so a black-and-white copy still shows them), the village and the shelter named, a
//! scale bar and a north arrow — something a village head can follow on the ground.

use super::basemap::{Basemap, MAX_NAMES, RoadNames, basemap};
use super::palette::WarningLevel;
use super::sketch::{Frame, MAX_HEIGHT, WIDTH};
use crate::analysis::Impact;
use crate::atlas::Atlas;
use geo::{BoundingRect, Coord, Intersects};

/// Room around the route: a fifth of its larger side, at least 500 m.
const MARGIN_SHARE: f64 = 0.2;
const MARGIN_MIN_M: f64 = 500.0;

/// A hazard area on the map.
pub struct HazardPath {
    /// The SVG path (`fill-rule: evenodd`).
    pub path: String,
    /// Its warning level.
    pub level: WarningLevel,
}

/// The map, in the frame's pixels, as the template draws it.
pub struct RouteMap {
    /// SVG width.
    pub width: f64,
    /// SVG height.
    pub height: f64,
    /// Roads, rivers, water and their names.
    pub base: Basemap,
    /// Hazard areas on the map.
    pub hazards: Vec<HazardPath>,
    /// The route, `x,y x,y …`.
    pub route: String,
    /// Where the village sets off.
    pub start: (f64, f64),
    /// The shelter.
    pub end: (f64, f64),
    /// The village's name.
    pub village: String,
    /// The shelter's name.
    pub shelter: String,
    /// The scale bar's length in pixels.
    pub scale_px: f64,
    /// What the scale bar measures (`500 m`, `2 km`).
    pub scale_label: String,
}

/// The map of a GeoJSON LineString `route`, or none for fewer than two points.
pub fn route_map(
    atlas: &Atlas,
    impact: &Impact,
    route: &serde_json::Value,
    village: &str,
    shelter: &str,
) -> Option<RouteMap> {
    let line: Vec<Coord<f64>> = route["coordinates"]
        .as_array()?
        .iter()
        .filter_map(|c| {
            Some(Coord {
                x: c.get(0)?.as_f64()?,
                y: c.get(1)?.as_f64()?,
            })
        })
        .collect();
    if line.len() < 2 {
        return None;
    }
    let frame = Frame::around_with_margin(line.iter().copied(), MARGIN_SHARE, MARGIN_MIN_M)?;
    let shown = frame.bounds();
    let hazards = impact
        .hazards
        .iter()
        .filter(|h| {
            h.area
                .bounding_rect()
                .is_some_and(|r| r.intersects(&shown.to_rect()))
        })
        .map(|h| HazardPath {
            path: frame.path(&h.area),
            level: WarningLevel::of(h.severity),
        })
        .collect();
    let (scale_px, scale_label) = frame.scale_bar();
    Some(RouteMap {
        width: WIDTH,
        height: frame.height.min(MAX_HEIGHT),
        base: basemap(atlas, &frame, RoadNames::FollowedBy(&line), MAX_NAMES),
        hazards,
        route: frame.points(&line),
        start: frame.xy(line[0]),
        end: frame.xy(*line.last().expect("two points at least")),
        village: village.to_string(),
        shelter: shelter.to_string(),
        scale_px,
        scale_label,
    })
}
