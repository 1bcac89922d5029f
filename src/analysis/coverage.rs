//! Coverage: how far every population unit is from the nearest open shelter and the
//! nearest rescue team, the population beyond each time threshold, and isochrones.
//!
//! One multi-source Dijkstra per target kind on the reversed road graph, started from
//! every shelter (or team) at once with its walk and stretch of road as the starting
//! cost, gives each road node its time *to* the nearest one; a unit adds its own walk and
//! stretch to either end of its road segment (or goes straight along its own arc to a
//! target on it), as in the evacuation plan. Isochrones
//! are the roads reached within each threshold, widened by a short walk either side and
//! merged: they follow the valleys the roads follow, leave out the ridges between them,
//! and a longer time never draws a smaller area (its roads are a superset).

use super::hazards::anchor;
use crate::atlas::{Atlas, Kind};
use crate::routing::graph::{NodeId, Profile, RoadGraph};
use crate::routing::search::Search;
use crate::routing::snap::Leg;
use crate::routing::travel::{Costing, MAX_WALK_TO_ROAD_M, Place, Trip, WALK_KMH, walk_seconds};
use geo::{Buffer, Coord, LineString, MapCoords, MultiLineString, MultiPolygon, Point};
use serde::Serialize;
use serde_json::{Value as Json, json};
use std::collections::HashMap;

/// Thresholds (minutes) a coverage request gets when it names none.
pub const DEFAULT_THRESHOLDS: [f64; 4] = [5.0, 10.0, 15.0, 30.0];

#[derive(Debug, Clone, Serialize)]
/// How far one population unit is from shelter and from rescue.
pub struct UnitCoverage {
    /// The unit's feature id.
    pub id: String,
    /// Its (day) population.
    pub people: f64,
    /// Minutes to the nearest open shelter; None when none is reached, or the unit is off the road network.
    pub shelter_minutes: Option<f64>,
    /// Minutes to the nearest rescue team, likewise.
    pub team_minutes: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
/// People beyond one time threshold.
pub struct Beyond {
    /// The threshold (minutes).
    pub minutes: f64,
    /// People farther than `minutes` from the nearest shelter (or never reaching one).
    pub shelter_population: f64,
    /// People farther than `minutes` from the nearest team (or never reaching one).
    pub team_population: f64,
}

#[derive(Debug, Clone, Serialize)]
/// The coverage answer (`POST /api/coverage`).
pub struct Coverage {
    /// How residents travel to shelter.
    pub profile: &'static str,
    /// How rescue teams travel to the units.
    pub team_profile: &'static str,
    /// Every population unit, with its minutes.
    pub units: Vec<UnitCoverage>,
    /// People beyond each threshold.
    pub beyond: Vec<Beyond>,
    /// GeoJSON FeatureCollection of isochrone polygons, one per threshold.
    pub isochrones: Json,
    /// What the answer assumed.
    pub assumptions: Vec<String>,
}

/// Where isochrones start.
#[derive(Debug, Clone, Copy)]
pub enum IsochroneFrom {
    /// From every open shelter (how far a place is from the nearest).
    Shelters,
    /// From one point (how far one can get from it).
    Point(Point<f64>),
}

/// Minutes to the nearest target of one kind: for every node, and for a place beside the
/// road (which may also reach a target straight along its own arc).
struct Nearest {
    node_minutes: Vec<f64>,
    /// Targets by the arc their road point lies on: (exit leg, walk seconds).
    on_arc: HashMap<(NodeId, NodeId), Vec<(Leg, f64)>>,
}

impl Nearest {
    /// A multi-source search on the reversed graph from every target's road point (its
    /// walk and its stretch of road as the starting cost). Targets off the network are
    /// never reached.
    fn new(
        costing: &Costing,
        reversed: &RoadGraph,
        targets: &[Point<f64>],
        max_minutes: f64,
    ) -> Nearest {
        let mut sources: Vec<(NodeId, f64)> = Vec::new();
        let mut on_arc: HashMap<(NodeId, NodeId), Vec<(Leg, f64)>> = HashMap::new();
        for place in targets.iter().filter_map(|p| costing.place(*p).ok()) {
            let walk = walk_seconds(place.snap.distance_m);
            for leg in &place.snap.exits {
                if let Some(stretch) = costing.leg_seconds(leg, Trip::OPEN) {
                    sources.push((leg.node, walk + stretch));
                    on_arc
                        .entry((leg.from, leg.arc.to))
                        .or_default()
                        .push((*leg, walk));
                }
            }
        }
        let mut search = Search::costs_only(reversed);
        // A reversed arc keeps its forward arc's road and one-way flag, which is all the
        // costing reads when no closure applies: it costs the same as the arc it mirrors.
        search.run_multi(&sources, max_minutes * 60.0, |from, arc| {
            costing.arc_seconds(from, arc, Trip::OPEN)
        });
        Nearest {
            node_minutes: (0..reversed.node_count() as u32)
                .map(|n| search.cost(n) / 60.0)
                .collect(),
            on_arc,
        }
    }

    /// Minutes from a place to the nearest target: its walk, then along the road to
    /// either end of its segment and on, or straight along its own arc.
    fn from(&self, costing: &Costing, place: &Place) -> f64 {
        let walk = walk_seconds(place.snap.distance_m);
        let mut best = f64::INFINITY;
        for entry in &place.snap.entries {
            let Some(pace) = costing.pace(entry.from, &entry.arc, Trip::OPEN) else {
                continue;
            };
            best = best
                .min((walk + entry.metres * pace) / 60.0 + self.node_minutes[entry.node as usize]);
            for (exit, target_walk) in self
                .on_arc
                .get(&(entry.from, entry.arc.to))
                .into_iter()
                .flatten()
            {
                if let Some(metres) = Leg::direct(entry, exit) {
                    best = best.min((walk + metres * pace + target_walk) / 60.0);
                }
            }
        }
        best
    }
}

/// How far off the road an isochrone reaches: about three minutes' walk. The outline
/// is the reached road network widened by this much.
const OUTLINE_M: f64 = 200.0;

/// The isochrone for `t` minutes: every road stretch reached within `t` (an arc whose
/// start is reached but not its end is cut where the time runs out), buffered by
/// [`OUTLINE_M`] and merged. Buffers are drawn in a local metric plane (equirectangular
/// about the graph's mean latitude: metres are metres across a county). Also returns
/// how many road stretches it covers. None when nothing is reached.
fn outline(costing: &Costing, node_minutes: &[f64], t: f64) -> Option<(MultiPolygon<f64>, usize)> {
    let graph = costing.graph;
    let (kx, ky) = (
        111_320.0 * graph.mean_latitude().to_radians().cos(),
        110_574.0,
    );
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
            let Some(seconds) = costing.arc_seconds(from, arc, Trip::OPEN) else {
                continue;
            };
            let arc_minutes = seconds / 60.0;
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

/// Coverage of the exposure layer `exposure` by shelters (reached as `profile`
/// travels) and teams (reached as `team_profile` travels).
pub fn coverage(
    atlas: &Atlas,
    graph: &RoadGraph,
    exposure: &str,
    profile: &Profile,
    team_profile: &Profile,
    thresholds: &[f64],
    isochrones_from: IsochroneFrom,
) -> Coverage {
    let costing = Costing::new(atlas, graph, profile);
    let team_costing = Costing::new(atlas, graph, team_profile);
    let reversed = graph.reversed();
    let horizon = thresholds.iter().copied().fold(0.0, f64::max).max(60.0) * 4.0;
    let shelters = points_of(atlas, Kind::Shelter, true);
    let teams = points_of(atlas, Kind::Team, false);
    let to_shelter = Nearest::new(&costing, &reversed, &shelters, horizon);
    let to_team = Nearest::new(&team_costing, &reversed, &teams, horizon);
    let units = unit_minutes(
        atlas,
        exposure,
        (&costing, &to_shelter),
        (&team_costing, &to_team),
    );
    let beyond = thresholds.iter().map(|&t| beyond(&units, t)).collect();
    let node_minutes: Vec<f64> = match isochrones_from {
        IsochroneFrom::Shelters => to_shelter.node_minutes.clone(),
        IsochroneFrom::Point(p) => minutes_from(&costing, p, horizon),
    };
    let features: Vec<Json> = thresholds
        .iter()
        .filter_map(|&t| {
            let (area, arcs) = outline(&costing, &node_minutes, t)?;
            Some(json!({"type": "Feature", "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&area)),
                "properties": {"minutes": t, "road_segments": arcs}}))
        })
        .collect();
    Coverage {
        profile: profile.name,
        team_profile: team_profile.name,
        units,
        beyond,
        isochrones: json!({"type": "FeatureCollection", "features": features}),
        assumptions: vec![
            format!("travel by road: residents to shelter {}, rescue teams {}; units, shelters and teams walk straight to the nearest point on a road at {WALK_KMH} km/h, at most {MAX_WALK_TO_ROAD_M} m (farther is off the network: no minutes)", profile.name, team_profile.name),
            "shelters: every open shelter regardless of hazards (coverage is a standing risk map, not a scenario)".into(),
            format!("isochrones: the roads reached within each threshold (the last stretch cut where time runs out), widened by {OUTLINE_M} m on each side"),
        ],
    }
}

/// Minutes from each unit of the exposure layer to the nearest shelter and team (none
/// for a unit off the network, or one that reaches none).
fn unit_minutes(
    atlas: &Atlas,
    exposure: &str,
    shelter: (&Costing, &Nearest),
    team: (&Costing, &Nearest),
) -> Vec<UnitCoverage> {
    let Some(l) = atlas.layer(exposure) else {
        return Vec::new();
    };
    l.features()
        .iter()
        .enumerate()
        .filter_map(|(fid, f)| {
            let p = anchor(&f.geometry)?;
            // Each profile snaps to the roads it may use; a unit beyond the longest walk
            // to one is off that network.
            let at = |(costing, nearest): (&Costing, &Nearest)| {
                let place = costing.place(p).ok()?;
                Some(nearest.from(costing, &place))
                    .filter(|m| m.is_finite())
                    .map(|m| (m * 10.0).round() / 10.0)
            };
            Some(UnitCoverage {
                id: f.id.to_string(),
                people: l.value(fid as u32, "population").as_f64().unwrap_or(0.0),
                shelter_minutes: at(shelter),
                team_minutes: at(team),
            })
        })
        .collect()
}

/// People farther than `t` minutes from shelter and from a team.
fn beyond(units: &[UnitCoverage], t: f64) -> Beyond {
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
}

/// Minutes *from* a point to every node: a forward search from both ends of its
/// segment (infinite everywhere when the point is off the network).
fn minutes_from(costing: &Costing, p: Point<f64>, horizon_min: f64) -> Vec<f64> {
    let graph = costing.graph;
    let mut search = Search::costs_only(graph);
    if let Ok(place) = costing.place(p) {
        search.run_multi(
            &costing.sources(&place, Trip::OPEN),
            horizon_min * 60.0,
            |from, arc| costing.arc_seconds(from, arc, Trip::OPEN),
        );
    }
    (0..graph.node_count() as u32)
        .map(|n| search.cost(n) / 60.0)
        .collect()
}
