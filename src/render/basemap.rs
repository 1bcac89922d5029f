//! The ground under a printed sketch: the atlas's roads (by class, with their names)
//! and rivers and water bodies, in a [`Frame`]'s pixels, so a route on a village card
//! can be followed on the ground — "along the county road, over the river" — rather
//! than read as a bare line.
//!
//! Only what the frame shows is fetched (each layer's R-tree). Names are placed once
//! each, at most [`MAX_NAMES`] of them so the sketch stays readable: the rivers in view,
//! and the roads the route follows (the directions a villager needs: "along the X101,
//! then the township link road"), at the middle of the stretch it follows. A road the
//! route does not take stays unnamed: its name is noise, and may name another
//! township's village to a viewer kept to their own.

use super::sketch::Frame;
use crate::atlas::{Atlas, Kind, Layer};
use geo::{Coord, Geometry, LineString, MultiPolygon};

/// The most names printed on a village card's map.
pub const MAX_NAMES: usize = 8;

/// A line drawn on the sketch.
#[derive(Debug, Clone)]
pub struct Stroke {
    /// `x,y x,y …` in the frame's pixels.
    pub points: String,
    /// Stroke width in pixels.
    pub width: f64,
    /// Stroke colour.
    pub colour: &'static str,
}

/// A name printed on the sketch.
#[derive(Debug, Clone)]
pub struct Name {
    /// Where, in the frame's pixels.
    pub x: f64,
    /// Where, vertically.
    pub y: f64,
    /// The name.
    pub text: String,
}

/// Roads, rivers and water, ready to print.
#[derive(Debug, Clone, Default)]
pub struct Basemap {
    /// Water areas (lakes, reservoirs, wide rivers) as SVG paths.
    pub water: Vec<String>,
    /// Rivers and roads, rivers first.
    pub lines: Vec<Stroke>,
    /// Road and river names.
    pub names: Vec<Name>,
}

const RIVER: &str = "#4a90d9";

/// Which roads get their names.
#[derive(Debug, Clone, Copy)]
pub enum RoadNames<'a> {
    /// Those the route follows (a village card's map).
    FollowedBy(&'a [Coord<f64>]),
    /// Every road in view (a printed map sheet).
    All,
}

/// The basemap inside `frame` with at most `most_names` names, roads named as `names`
/// says.
pub fn basemap(atlas: &Atlas, frame: &Frame, names: RoadNames, most_names: usize) -> Basemap {
    let bbox = frame.bounds();
    let route = match names {
        RoadNames::FollowedBy(route) => Some(route),
        RoadNames::All => None,
    };
    let on_route: std::collections::HashSet<(i64, i64)> =
        route.into_iter().flatten().map(|c| key(*c)).collect();
    let mut out = Basemap::default();
    let mut named: Vec<(f64, String, Coord<f64>)> = Vec::new();
    let kinds = [Kind::Basemap, Kind::Road];
    for kind in kinds {
        for layer in atlas.layers().iter().filter(|l| l.kind == kind) {
            for fid in layer.candidates_in(bbox) {
                let Some(feature) = layer.feature(fid) else {
                    continue;
                };
                let (width, colour) = style_of(layer, fid);
                for line in lines_of(&feature.geometry) {
                    out.lines.push(Stroke {
                        points: frame.points(&line.0),
                        width,
                        colour,
                    });
                    let named_part = match (layer.kind, route) {
                        (Kind::Road, Some(_)) => followed(&line, &on_route),
                        _ => line.clone(),
                    };
                    if let Some(name) = layer.value(fid, "name").as_str()
                        && let Some((length, middle)) = visible_middle(frame, &named_part)
                    {
                        named.push((length, name.to_string(), middle));
                    }
                }
                if let Some(area) = areas_of(&feature.geometry) {
                    out.water.push(frame.path(&area));
                }
            }
        }
    }
    // The longest stretches get their names first; each name once.
    named.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, text, at) in named {
        if out.names.len() == most_names {
            break;
        }
        if out.names.iter().any(|n| n.text == text) {
            continue;
        }
        let (x, y) = frame.xy(at);
        out.names.push(Name { x, y, text });
    }
    out
}

/// How a line of `layer` is drawn: rivers blue; roads by class, wider the busier.
fn style_of(layer: &Layer, fid: u32) -> (f64, &'static str) {
    if layer.kind == Kind::Basemap {
        return (2.0, RIVER);
    }
    match layer.value(fid, "road_class").as_str() {
        Some("county" | "national" | "provincial") => (3.5, "#e8912d"),
        Some("township") => (2.5, "#c9a04a"),
        _ => (1.5, "#888888"),
    }
}

fn lines_of(geometry: &Geometry<f64>) -> Vec<LineString<f64>> {
    match geometry {
        Geometry::LineString(l) => vec![l.clone()],
        Geometry::MultiLineString(m) => m.0.clone(),
        _ => Vec::new(),
    }
}

fn areas_of(geometry: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match geometry {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        _ => None,
    }
}

/// A coordinate as a hashable key, to a tenth of a micro-degree (about a centimetre):
/// a route's points are the road network's own vertices.
fn key(c: Coord<f64>) -> (i64, i64) {
    ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64)
}

/// The vertices of `road` the route passes through, in order.
fn followed(
    road: &LineString<f64>,
    on_route: &std::collections::HashSet<(i64, i64)>,
) -> LineString<f64> {
    road.0
        .iter()
        .copied()
        .filter(|c| on_route.contains(&key(*c)))
        .collect()
}

/// The pixel length of `line` inside the frame and the vertex at the middle of it.
fn visible_middle(frame: &Frame, line: &LineString<f64>) -> Option<(f64, Coord<f64>)> {
    let inside: Vec<Coord<f64>> = line.0.iter().copied().filter(|c| frame.shows(*c)).collect();
    if inside.len() < 2 {
        return None;
    }
    let length: f64 = inside
        .windows(2)
        .map(|w| {
            let (a, b) = (frame.xy(w[0]), frame.xy(w[1]));
            (a.0 - b.0).hypot(a.1 - b.1)
        })
        .sum();
    Some((length, inside[inside.len() / 2]))
}
