//! Door-to-door travel time: the one costing model behind every number of minutes
//! riskatlas reports. Valhalla's `sif` costing is the model: one place decides what an
//! edge costs and whether it may be used, and every search asks it.
//!
//! A trip from a place to a destination, on the road graph:
//!
//! 1. each end snaps to the nearest point on a road segment ([`super::snap`]); a place
//!    farther than [`MAX_WALK_TO_ROAD_M`] from every road is off the network, and no
//!    road trip starts or ends there;
//! 2. the snap is walked straight at [`WALK_KMH`], whatever the profile (people walk to
//!    the road before they drive);
//! 3. from the road point the trip runs along its segment to either end (that stretch
//!    costed as its road), or straight along the same arc to a destination further on;
//! 4. every arc costs its length at its road's speed under the [`Profile`] (speeds looked
//!    up once per road, not per relaxed arc), one-way streets bind the profiles that
//!    respect them;
//! 5. with [`Closures`], an arc meeting a hazard area is closed, except for the hazards
//!    the trip starts in (people leave the flood they are in by its roads).
//!
//! Without roads, [`straight_line_seconds`] is the fallback: geodesic distance × a detour
//! factor at the profile's speed.

use super::graph::{NodeId, Profile, RoadArc, RoadGraph};
use super::snap::{Leg, RoadSnap};

pub use super::trips::{Arrival, Destinations, Query, Searched, Until, one_to_many, trip_line};
use crate::atlas::Atlas;
use geo::{Distance, Geodesic, Intersects, Line, MultiPolygon, Point};
use std::collections::HashMap;

/// Walking speed between a place and its road point (km/h): a loaded adult with
/// children and elderly people, below the 5 km/h of unhurried walking.
pub const WALK_KMH: f64 = 4.0;

/// The longest straight walk to a road (metres): half an hour at [`WALK_KMH`]. A place
/// farther from every road is off the network: a plan says it is unreachable by road
/// rather than inventing a cross-country walk (a point at [0, 0] would otherwise walk
/// 11,000 km to the county's nearest road).
pub const MAX_WALK_TO_ROAD_M: f64 = 2_000.0;

/// Seconds to walk `metres` straight at [`WALK_KMH`].
pub fn walk_seconds(metres: f64) -> f64 {
    metres / (WALK_KMH / 3.6)
}

/// Straight-line travel (no road graph): geodesic distance × `detour_factor`, at
/// `kmh`. Returns (seconds, metres travelled).
pub fn straight_line_seconds(
    from: Point<f64>,
    to: Point<f64>,
    detour_factor: f64,
    kmh: f64,
) -> (f64, f64) {
    let metres = Geodesic.distance(from, to) * detour_factor;
    (metres / (kmh / 3.6), metres)
}

/// Seconds per metre of every road under a profile, indexed by road layer, then fid.
pub type RoadPace = Vec<Vec<f64>>;

/// Computes each road's pace under `profile` (for profiles with per-road speeds).
pub fn road_pace(atlas: &Atlas, graph: &RoadGraph, profile: &Profile) -> RoadPace {
    (0..graph.layers.len())
        .map(|li| {
            let layer = graph.road_layer(atlas, li as u16);
            (0..layer.len() as u32)
                .map(|fid| 3.6 / profile.speed_kmh(layer, fid))
                .collect()
        })
        .collect()
}

/// How fast each road is under a profile.
#[derive(Debug, Clone)]
enum Pace<'g> {
    /// One speed on every road (walking, or a request's `speed_kmh`): seconds per metre.
    Uniform(f64),
    /// Per road, cached with the graph for the named profiles.
    PerRoad(std::borrow::Cow<'g, RoadPace>),
}

/// A place snapped onto the road network.
#[derive(Debug, Clone)]
pub struct Place {
    /// The place itself.
    pub point: Point<f64>,
    /// Where it meets the road network.
    pub snap: RoadSnap,
}

/// Why a place has no road trip.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum OffNetwork {
    #[error("the road graph has no segments")]
    /// The graph has no segment to snap to.
    NoRoads,
    #[error(
        "the nearest road is {distance_m:.0} m away, beyond the {MAX_WALK_TO_ROAD_M:.0} m walk to a road"
    )]
    /// Farther from every road than anyone is assumed to walk.
    TooFarFromRoad {
        /// Metres to the nearest road.
        distance_m: f64,
    },
}

/// Hazard closures: the hazards (by index in the caller's list) each arc meets.
#[derive(Debug, Default)]
pub struct Closures {
    by_arc: HashMap<(NodeId, NodeId), Vec<u32>, foldhash::fast::RandomState>,
}

impl Closures {
    /// Finds every arc that meets one of `areas`.
    pub fn new(graph: &RoadGraph, areas: &[&MultiPolygon<f64>]) -> Closures {
        let mut by_arc: HashMap<(NodeId, NodeId), Vec<u32>, foldhash::fast::RandomState> =
            HashMap::default();
        if areas.is_empty() {
            return Closures { by_arc };
        }
        for (from, arc) in graph.all_arcs() {
            let line = Line::new(graph.nodes[from as usize], graph.nodes[arc.to as usize]);
            let hits: Vec<u32> = areas
                .iter()
                .enumerate()
                .filter(|(_, a)| a.intersects(&line))
                .map(|(i, _)| i as u32)
                .collect();
            if !hits.is_empty() {
                by_arc.insert((from, arc.to), hits);
            }
        }
        Closures { by_arc }
    }

    /// Whether the arc `from → to` is closed for a trip starting inside `inside`.
    pub fn closes(&self, from: NodeId, to: NodeId, inside: &[usize]) -> bool {
        self.by_arc
            .get(&(from, to))
            .is_some_and(|hs| hs.iter().any(|&h| !inside.contains(&(h as usize))))
    }

    /// The hazards that close the arc `from → to` for a trip starting inside `inside`.
    pub fn closing(&self, from: NodeId, to: NodeId, inside: &[usize]) -> Vec<usize> {
        self.by_arc
            .get(&(from, to))
            .into_iter()
            .flatten()
            .map(|&h| h as usize)
            .filter(|h| !inside.contains(h))
            .collect()
    }
}

/// Which closures bind a trip.
#[derive(Debug, Clone, Copy)]
pub struct Trip<'a> {
    /// Hazards the trip starts in: their closures do not bind it.
    pub inside: &'a [usize],
    /// False to ignore closures altogether (to tell "only through a hazard" apart from
    /// "no way at all").
    pub respect_closures: bool,
}

impl Trip<'_> {
    /// A trip bound by no closure.
    pub const OPEN: Trip<'static> = Trip {
        inside: &[],
        respect_closures: false,
    };
    /// A trip bound by every closure (the caller, or a finder that knows the origin,
    /// fills in the hazards it starts inside).
    pub const CLOSED: Trip<'static> = Trip {
        inside: &[],
        respect_closures: true,
    };
}

/// The costing of one request: a profile on a graph, with optional hazard closures.
#[derive(Debug, Clone)]
pub struct Costing<'g> {
    /// The graph it costs.
    pub graph: &'g RoadGraph,
    /// The profile it costs by.
    pub profile: Profile,
    pace: Pace<'g>,
    closures: Option<&'g Closures>,
}

impl<'g> Costing<'g> {
    /// `profile` on `graph` (built from `atlas`).
    pub fn new(atlas: &Atlas, graph: &'g RoadGraph, profile: &Profile) -> Costing<'g> {
        let pace = match profile.uniform_kmh {
            Some(kmh) => Pace::Uniform(3.6 / kmh),
            None => match graph.road_pace(atlas, profile) {
                Some(cached) => Pace::PerRoad(std::borrow::Cow::Borrowed(cached)),
                None => Pace::PerRoad(std::borrow::Cow::Owned(road_pace(atlas, graph, profile))),
            },
        };
        Costing {
            graph,
            profile: profile.clone(),
            pace,
            closures: None,
        }
    }

    /// The same costing with hazard closures.
    pub fn with_closures(mut self, closures: &'g Closures) -> Costing<'g> {
        self.closures = Some(closures);
        self
    }

    /// The closures this costing applies, if any.
    pub fn closures(&self) -> Option<&'g Closures> {
        self.closures
    }

    /// Seconds per metre along an arc, or None where the trip may not use it.
    pub fn pace(&self, from: NodeId, arc: &RoadArc, trip: Trip) -> Option<f64> {
        if arc.against_oneway && self.profile.respects_oneway {
            return None;
        }
        if trip.respect_closures
            && let Some(c) = self.closures
            && c.closes(from, arc.to, trip.inside)
        {
            return None;
        }
        Some(match &self.pace {
            Pace::Uniform(p) => *p,
            Pace::PerRoad(p) => p[arc.road.0 as usize][arc.road.1 as usize],
        })
    }

    /// Seconds along a whole arc, or None where the trip may not use it.
    pub fn arc_seconds(&self, from: NodeId, arc: &RoadArc, trip: Trip) -> Option<f64> {
        self.pace(from, arc, trip).map(|p| arc.length_m * p)
    }

    /// The arc a path step `from → to` takes and its seconds: of the parallel arcs, the
    /// quickest the trip may use (the one a search or hierarchy would have kept).
    pub fn step(&self, from: NodeId, to: NodeId, trip: Trip) -> Option<(&'g RoadArc, f64)> {
        self.graph
            .arcs(from)
            .iter()
            .filter(|a| a.to == to)
            .filter_map(|a| self.arc_seconds(from, a, trip).map(|s| (a, s)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Seconds along the stretch of a leg.
    pub fn leg_seconds(&self, leg: &Leg, trip: Trip) -> Option<f64> {
        self.pace(leg.from, &leg.arc, trip).map(|p| leg.metres * p)
    }

    /// Snaps a point onto the network, refusing one beyond the walk limit.
    pub fn place(&self, point: Point<f64>) -> Result<Place, OffNetwork> {
        let snap = self
            .graph
            .segment_index()
            .snap(self.graph, point)
            .ok_or(OffNetwork::NoRoads)?;
        if snap.distance_m > MAX_WALK_TO_ROAD_M {
            return Err(OffNetwork::TooFarFromRoad {
                distance_m: snap.distance_m,
            });
        }
        Ok(Place { point, snap })
    }

    /// Where a search from `from` starts: both ends of its segment, each reached after
    /// the walk and the stretch of road to it.
    pub fn sources(&self, from: &Place, trip: Trip) -> Vec<(NodeId, f64)> {
        let walk = walk_seconds(from.snap.distance_m);
        from.snap
            .entries
            .iter()
            .filter_map(|leg| Some((leg.node, walk + self.leg_seconds(leg, trip)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walking_two_kilometres_takes_half_an_hour() {
        assert!((walk_seconds(2_000.0) - 1_800.0).abs() < 1e-9);
    }

    #[test]
    fn straight_lines_stretch_by_the_detour_factor() {
        // One degree of latitude along a meridian near 34°N is 110.9 km (geodesic).
        let (s, m) =
            straight_line_seconds(Point::new(105.0, 34.0), Point::new(105.0, 35.0), 1.5, 36.0);
        assert!((m / 1.5 - 110_900.0).abs() < 200.0, "{m}");
        assert!((s - m / 10.0).abs() < 1e-6);
    }
}
