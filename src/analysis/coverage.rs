//! Coverage: how far every population unit is from the nearest open shelter and the
//! nearest rescue team, the population beyond each time threshold, and isochrones.
//!
//! One multi-source Dijkstra per target kind on the reversed road graph, started from
//! every shelter (or team) at once with its snap walk as the starting cost, gives each
//! road node its time *to* the nearest one; a unit adds its own snap walk. Isochrones
//! are the roads reached within each threshold, widened by a short walk either side and
//! merged: they follow the valleys the roads follow, leave out the ridges between them,
//! and a longer time never draws a smaller area (its roads are a superset).

use super::hazards::anchor;
use crate::atlas::{Atlas, Kind};
use crate::routing::graph::{Profile, RoadGraph};
use crate::routing::search::Search;
use crate::routing::snap::NodeIndex;
use geo::{Buffer, Coord, LineString, MapCoords, MultiLineString, MultiPolygon, Point};
use serde::Serialize;
use serde_json::{Value as Json, json};

pub const DEFAULT_THRESHOLDS: [f64; 4] = [5.0, 10.0, 15.0, 30.0];
/// Walking speed off the road, from a unit or shelter to its snap node (km/h).
const SNAP_WALK_KMH: f64 = 4.0;

#[derive(Debug, Clone, Serialize)]
pub struct UnitCoverage {
    pub id: String,
    pub people: f64,
    pub shelter_minutes: Option<f64>,
    pub team_minutes: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Beyond {
    pub minutes: f64,
    /// People farther than `minutes` from the nearest shelter (or never reaching one).
    pub shelter_population: f64,
    pub team_population: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub profile: &'static str,
    pub units: Vec<UnitCoverage>,
    pub beyond: Vec<Beyond>,
    /// GeoJSON FeatureCollection of isochrone polygons, one per threshold.
    pub isochrones: Json,
    pub assumptions: Vec<String>,
}

/// Where isochrones start.
#[derive(Debug, Clone, Copy)]
pub enum IsochroneFrom {
    Shelters,
    Point(Point<f64>),
}

/// Minutes to the nearest target for every node (from a multi-source search on the
/// reversed graph).
fn minutes_to_nearest(
    graph: &RoadGraph,
    reversed: &RoadGraph,
    index: &NodeIndex,
    targets: &[Point<f64>],
    profile: &Profile,
    atlas: &Atlas,
    max_minutes: f64,
) -> Vec<f64> {
    let walk = SNAP_WALK_KMH / 3.6;
    let sources: Vec<(u32, f64)> = targets
        .iter()
        .filter_map(|p| index.snap(graph, *p))
        .map(|(n, d)| (n, d / walk))
        .collect();
    let mut search = Search::new(reversed);
    search.run_multi(&sources, max_minutes * 60.0, |_, arc| {
        if arc.against_oneway && profile.respects_oneway {
            return None;
        }
        Some(
            arc.length_m
                / (profile.speed_kmh(graph.road_layer(atlas, arc.road.0), arc.road.1) / 3.6),
        )
    });
    (0..graph.node_count() as u32)
        .map(|n| search.cost(n) / 60.0)
        .collect()
}

/// How far off the road an isochrone reaches: about three minutes' walk. The outline
/// is the reached road network widened by this much.
const OUTLINE_M: f64 = 200.0;

/// The isochrone for `t` minutes: every road stretch reached within `t` (an arc whose
/// start is reached but not its end is cut where the time runs out), buffered by
/// [`OUTLINE_M`] and merged. Buffers are drawn in a local metric plane (equirectangular
/// about the graph's mean latitude: metres are metres across a county). Also returns
/// how many road stretches it covers. None when nothing is reached.
fn outline(
    atlas: &Atlas,
    graph: &RoadGraph,
    profile: &Profile,
    node_minutes: &[f64],
    t: f64,
) -> Option<(MultiPolygon<f64>, usize)> {
    let lat0 = graph.nodes.iter().map(|c| c.y).sum::<f64>() / graph.nodes.len().max(1) as f64;
    let (kx, ky) = (111_320.0 * lat0.to_radians().cos(), 110_574.0);
    let to_plane = |c: Coord<f64>| Coord {
        x: c.x * kx,
        y: c.y * ky,
    };
    let mut lines = Vec::new();
    for (from, arc) in graph.all_arcs() {
        let (mu, mv) = (node_minutes[from as usize], node_minutes[arc.to as usize]);
        if mu.is_nan() || mu > t {
            continue; // the far end is drawn by the arc coming the other way, if reached
        }
        let (pu, pv) = (
            to_plane(graph.nodes[from as usize]),
            to_plane(graph.nodes[arc.to as usize]),
        );
        let end = if mv <= t {
            pv
        } else {
            if arc.against_oneway && profile.respects_oneway {
                continue;
            }
            let kmh = profile.speed_kmh(graph.road_layer(atlas, arc.road.0), arc.road.1);
            let arc_minutes = arc.length_m / (kmh * 1000.0 / 60.0);
            let f = if arc_minutes > 0.0 {
                ((t - mu) / arc_minutes).clamp(0.0, 1.0)
            } else {
                1.0
            };
            pu + (pv - pu) * f
        };
        lines.push(LineString::new(vec![pu, end]));
    }
    if lines.is_empty() {
        return None;
    }
    let count = lines.len();
    let area = MultiLineString::new(lines).buffer(OUTLINE_M);
    let area = area.map_coords(|c| Coord {
        x: c.x / kx,
        y: c.y / ky,
    });
    Some((area, count))
}

fn points_of(atlas: &Atlas, kind: Kind, open_only: bool) -> Vec<Point<f64>> {
    atlas
        .layers()
        .iter()
        .filter(|l| l.kind == kind)
        .flat_map(|l| {
            (0..l.len() as u32).filter_map(move |fid| {
                let open = matches!(l.value(fid, "status").as_str(), None | Some("open"));
                (open || !open_only)
                    .then(|| anchor(&l.features()[fid as usize].geometry))
                    .flatten()
            })
        })
        .collect()
}

/// Coverage of the exposure layer `exposure` by shelters and teams.
pub fn coverage(
    atlas: &Atlas,
    graph: &RoadGraph,
    exposure: &str,
    profile: &Profile,
    thresholds: &[f64],
    isochrones_from: IsochroneFrom,
) -> Coverage {
    let reversed = graph.reversed();
    let index = graph.node_index();
    let horizon = thresholds.iter().copied().fold(0.0, f64::max).max(60.0) * 4.0;
    let shelters = points_of(atlas, Kind::Shelter, true);
    let teams = points_of(atlas, Kind::Team, false);
    let to_shelter =
        minutes_to_nearest(graph, &reversed, index, &shelters, profile, atlas, horizon);
    let to_team = minutes_to_nearest(graph, &reversed, index, &teams, profile, atlas, horizon);
    let walk_min_per_m = 60.0 / (SNAP_WALK_KMH * 1_000.0);
    let layer = atlas.layer(exposure);
    let units: Vec<UnitCoverage> = layer
        .map(|l| {
            l.features()
                .iter()
                .enumerate()
                .filter_map(|(fid, f)| {
                    let p = anchor(&f.geometry)?;
                    let (node, snap_m) = index.snap(graph, p)?;
                    let at = |v: &[f64]| {
                        Some(v[node as usize] + snap_m * walk_min_per_m)
                            .filter(|m| m.is_finite())
                            .map(|m| (m * 10.0).round() / 10.0)
                    };
                    Some(UnitCoverage {
                        id: f.id.to_string(),
                        people: l.value(fid as u32, "population").as_f64().unwrap_or(0.0),
                        shelter_minutes: at(&to_shelter),
                        team_minutes: at(&to_team),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let beyond = thresholds
        .iter()
        .map(|&t| {
            let over = |m: Option<f64>| m.is_none_or(|m| m > t);
            Beyond {
                minutes: t,
                shelter_population: units
                    .iter()
                    .filter(|u| over(u.shelter_minutes))
                    .map(|u| u.people)
                    .sum(),
                team_population: units
                    .iter()
                    .filter(|u| over(u.team_minutes))
                    .map(|u| u.people)
                    .sum(),
            }
        })
        .collect();
    let node_minutes: Vec<f64> = match isochrones_from {
        IsochroneFrom::Shelters => to_shelter.clone(),
        IsochroneFrom::Point(p) => {
            // Time *from* the point: a forward search.
            let mut search = Search::new(graph);
            if let Some((start, snap_m)) = index.snap(graph, p) {
                search.run(
                    start,
                    snap_m * walk_min_per_m * 60.0,
                    horizon * 60.0,
                    |_, arc| {
                        if arc.against_oneway && profile.respects_oneway {
                            return None;
                        }
                        Some(
                            arc.length_m
                                / (profile
                                    .speed_kmh(graph.road_layer(atlas, arc.road.0), arc.road.1)
                                    / 3.6),
                        )
                    },
                    |_, _| crate::routing::search::Visit::Continue,
                );
            }
            (0..graph.node_count() as u32)
                .map(|n| search.cost(n) / 60.0)
                .collect()
        }
    };
    let features: Vec<Json> = thresholds
        .iter()
        .filter_map(|&t| {
            let (area, arcs) = outline(atlas, graph, profile, &node_minutes, t)?;
            Some(json!({"type": "Feature", "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&area)),
                "properties": {"minutes": t, "road_segments": arcs}}))
        })
        .collect();
    Coverage {
        profile: profile.name,
        units,
        beyond,
        isochrones: json!({"type": "FeatureCollection", "features": features}),
        assumptions: vec![
            format!("travel by road, profile {}; units, shelters and teams walk straight to the nearest road node at {SNAP_WALK_KMH} km/h", profile.name),
            "shelters: every open shelter regardless of hazards (coverage is a standing risk map, not a scenario)".into(),
            format!("isochrones: the roads reached within each threshold (the last stretch cut where time runs out), widened by {OUTLINE_M} m on each side"),
        ],
    }
}
