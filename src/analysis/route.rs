//! One road route between two points: `POST /api/route`.
//!
//! A duty officer asks "how long from this village to that school, and which way?". Both
//! points snap to the nearest point on a road (the snap is walked straight, at 4 km/h, as
//! in the evacuation plan; a point beyond the longest walk to a road is off the network
//! and has no route) and join the graph at either end of that road segment. Without a scenario, and with a named profile, the route comes from
//! the profile's contraction hierarchy; with a scenario, roads meeting its hazards are
//! closed (except inside the hazard the route starts in), or with custom speeds, it
//! comes from a Dijkstra search that stops at the target. A route that exists only
//! through a hazard is returned and flagged, and a pair with no route at all says so.

use super::overlay::HazardOverlay;
use crate::atlas::Atlas;
use crate::routing::graph::{GraphError, NodeId, Profile, RoadGraph};
use crate::routing::search::{Search, Visit};
use crate::routing::snap::Leg;
use crate::routing::travel::{Costing, OffNetwork, Place, Trip, walk_seconds};
use geo::{Coord, Point};
use serde::Serialize;
use serde_json::Value as Json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
/// How a route was found.
pub enum Engine {
    /// The profile's contraction hierarchy (no scenario, named profile).
    ContractionHierarchy,
    /// A Dijkstra search (closures or custom speeds).
    Dijkstra,
}

#[derive(Debug, Serialize)]
/// The answer to `POST /api/route`.
pub struct Route {
    /// Whether a road route exists (`reason` says why not).
    pub reachable: bool,
    /// The travel profile used.
    pub profile: &'static str,
    /// How the route was found.
    pub engine: Engine,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Door to door, walks included.
    pub minutes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Door to door, walks included (metres).
    pub distance_m: Option<f64>,
    /// Metres walked straight from `from` to the road and from the road to `to`.
    pub snap_m: [f64; 2],
    /// Why there is no route, when `reachable` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// With a scenario: whether the only route runs through a hazard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub through_hazard: Option<bool>,
    /// The route as a GeoJSON LineString: from → road → to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Json>,
}

/// A parsed route request.
pub struct RouteRequest {
    /// Where the trip starts (lon/lat).
    pub from: Point<f64>,
    /// Where it ends.
    pub to: Point<f64>,
    /// How it travels.
    pub profile: Profile,
    /// A scenario's hazards, whose roads the route must avoid.
    pub overlay: Option<HazardOverlay>,
}

/// Why no route can be looked for (an unreachable pair is an answer, not an error).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    #[error("no road routing on this atlas: {0}")]
    /// The atlas has no usable roads.
    NoRoads(GraphError),
    #[error("no road routing on this atlas: the road graph has no segments")]
    /// The road graph has nothing to snap to.
    NoSegments,
}

/// The route for a request, on the atlas's road graph.
pub fn route(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    req: &RouteRequest,
) -> Result<Route, RouteError> {
    let graph = graph.map_err(|e| RouteError::NoRoads(e.clone()))?;
    let closures = req.overlay.as_ref().map(|o| o.road_closures(graph));
    let mut costing = Costing::new(atlas, graph, &req.profile);
    if let Some(c) = &closures {
        costing = costing.with_closures(c);
    }
    let (start, end) = match places(&costing, req)? {
        Ok(places) => places,
        Err(off_network) => return Ok(off_network),
    };
    let found = search(atlas, &costing, req, &start, &end);
    Ok(answer(graph, req, &start, &end, found))
}

/// A route that is not there, with why.
fn unreachable(req: &RouteRequest, reason: String, snap_m: [f64; 2]) -> Route {
    Route {
        reachable: false,
        profile: req.profile.name,
        engine: Engine::Dijkstra,
        minutes: None,
        distance_m: None,
        snap_m,
        reason: Some(reason),
        through_hazard: None,
        route: None,
    }
}

/// Both ends on the network, or (inner `Err`) the answer that one is off it: beyond
/// the longest walk to a road, a point has no road route.
fn places(
    costing: &Costing,
    req: &RouteRequest,
) -> Result<Result<(Place, Place), Route>, RouteError> {
    let graph = costing.graph;
    let snap_m = |p: Point<f64>| {
        graph
            .segment_index()
            .snap(graph, p)
            .map_or(f64::NAN, |s| s.distance_m)
    };
    let off = |name: &str, e: OffNetwork| {
        unreachable(
            req,
            format!("{name} is off the road network: {e}"),
            [snap_m(req.from), snap_m(req.to)],
        )
    };
    Ok(match (costing.place(req.from), costing.place(req.to)) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(OffNetwork::NoRoads), _) | (_, Err(OffNetwork::NoRoads)) => {
            return Err(RouteError::NoSegments);
        }
        (Err(e), _) => Err(off("from", e)),
        (_, Err(e)) => Err(off("to", e)),
    })
}

/// What the search found: the road part, whether it had to go through a hazard (with a
/// scenario), and how it was found.
struct Found {
    best: Option<RoadPart>,
    through_hazard: Option<bool>,
    engine: Engine,
}

/// The quickest road part: by the profile's contraction hierarchy without a scenario,
/// else by Dijkstra with the scenario's roads closed (except inside the hazard the
/// route starts in), and through the hazard only when no other way exists.
fn search(
    atlas: &Atlas,
    costing: &Costing,
    req: &RouteRequest,
    start: &Place,
    end: &Place,
) -> Found {
    let hierarchy = match &req.overlay {
        None => costing.graph.hierarchy(atlas, &req.profile),
        Some(_) => None,
    };
    let inside = req
        .overlay
        .as_ref()
        .map(|o| o.hazards_at(req.from.0))
        .unwrap_or_default();
    let legs = Legs {
        costing,
        start,
        end,
    };
    let closed = Trip {
        inside: &inside,
        respect_closures: true,
    };
    let (best, through_hazard, engine) = match (hierarchy, &req.overlay) {
        (Some(h), _) => (
            legs.best(|s, t| h.route(s, t), Trip::OPEN),
            None,
            Engine::ContractionHierarchy,
        ),
        (None, None) => (legs.dijkstra(Trip::OPEN), None, Engine::Dijkstra),
        (None, Some(_)) => match legs.dijkstra(closed) {
            Some(best) => (Some(best), Some(false), Engine::Dijkstra),
            None => {
                let any = legs.dijkstra(Trip::OPEN);
                let through = any.is_some().then_some(true);
                (any, through, Engine::Dijkstra)
            }
        },
    };
    Found {
        best,
        through_hazard,
        engine,
    }
}

/// The answer: minutes and metres door to door, and the line from → road → to.
fn answer(
    graph: &RoadGraph,
    req: &RouteRequest,
    start: &Place,
    end: &Place,
    found: Found,
) -> Route {
    let snaps = [start.snap.distance_m, end.snap.distance_m];
    let Some(best) = found.best else {
        return Route {
            through_hazard: req.overlay.as_ref().map(|_| false),
            ..unreachable(req, "no road connects the two points".into(), snaps)
        };
    };
    let walk_m = snaps[0] + snaps[1];
    let mut line: Vec<Coord<f64>> = vec![req.from.0, start.snap.on_road];
    line.extend(best.nodes.iter().map(|&n| graph.nodes[n as usize]));
    line.push(end.snap.on_road);
    line.push(req.to.0);
    line.dedup();
    if line.len() == 1 {
        line.push(line[0]);
    }
    let coords: Vec<[f64; 2]> = line.iter().map(|c| [c.x, c.y]).collect();
    Route {
        reachable: true,
        profile: req.profile.name,
        engine: found.engine,
        minutes: Some((best.seconds + walk_seconds(walk_m)) / 60.0),
        distance_m: Some(best.metres + walk_m),
        snap_m: snaps,
        reason: None,
        through_hazard: found.through_hazard.or(req.overlay.as_ref().map(|_| false)),
        route: Some(serde_json::json!({"type": "LineString", "coordinates": coords})),
    }
}

/// The road part of a route: its nodes, and its seconds and metres from the snapped
/// start to the snapped end (the straight walks excluded).
struct RoadPart {
    nodes: Vec<NodeId>,
    seconds: f64,
    metres: f64,
}

/// The two places of a request, and the costing of the stretches between them and the
/// graph.
struct Legs<'a> {
    costing: &'a Costing<'a>,
    start: &'a Place,
    end: &'a Place,
}

impl Legs<'_> {
    /// Seconds and metres along a path of nodes.
    fn along(&self, nodes: &[NodeId], trip: Trip) -> (f64, f64) {
        nodes.windows(2).fold((0.0, 0.0), |(s, m), w| {
            let (arc, secs) = self
                .costing
                .step(w[0], w[1], trip)
                .expect("every step of a route is an arc the trip may use");
            (s + secs, m + arc.length_m)
        })
    }

    /// Straight along one arc, when both points are on it in that order.
    fn direct(&self, trip: Trip) -> Option<RoadPart> {
        let mut best: Option<RoadPart> = None;
        for entry in &self.start.snap.entries {
            for exit in &self.end.snap.exits {
                let Some(metres) = Leg::direct(entry, exit) else {
                    continue;
                };
                let stretch = Leg { metres, ..*exit };
                let Some(seconds) = self.costing.leg_seconds(&stretch, trip) else {
                    continue;
                };
                if best.as_ref().is_none_or(|b| seconds < b.seconds) {
                    best = Some(RoadPart {
                        nodes: Vec::new(),
                        seconds,
                        metres,
                    });
                }
            }
        }
        best
    }

    /// The quicker of two answers.
    fn quicker(a: Option<RoadPart>, b: Option<RoadPart>) -> Option<RoadPart> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.seconds < a.seconds { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// The quickest of the (at most four) entry × exit combinations, each node-to-node
    /// part answered by `path`, and the direct stretch.
    fn best(
        &self,
        path: impl Fn(NodeId, NodeId) -> Option<Vec<NodeId>>,
        trip: Trip,
    ) -> Option<RoadPart> {
        let mut best: Option<RoadPart> = self.direct(trip);
        for entry in &self.start.snap.entries {
            let Some(entry_s) = self.costing.leg_seconds(entry, trip) else {
                continue;
            };
            for exit in &self.end.snap.exits {
                let Some(exit_s) = self.costing.leg_seconds(exit, trip) else {
                    continue;
                };
                let Some(nodes) = path(entry.node, exit.node) else {
                    continue;
                };
                let (s, m) = self.along(&nodes, trip);
                let part = RoadPart {
                    nodes,
                    seconds: entry_s + s + exit_s,
                    metres: entry.metres + m + exit.metres,
                };
                if best.as_ref().is_none_or(|b| part.seconds < b.seconds) {
                    best = Some(part);
                }
            }
        }
        best
    }

    /// One Dijkstra from both entries, stopping once both exit nodes are settled; or the
    /// direct stretch, if quicker.
    fn dijkstra(&self, trip: Trip) -> Option<RoadPart> {
        Self::quicker(self.direct(trip), self.dijkstra_via_nodes(trip))
    }

    fn dijkstra_via_nodes(&self, trip: Trip) -> Option<RoadPart> {
        let sources: Vec<(NodeId, f64)> = self
            .start
            .snap
            .entries
            .iter()
            .filter_map(|e| self.costing.leg_seconds(e, trip).map(|s| (e.node, s)))
            .collect();
        let mut search = Search::new(self.costing.graph);
        let mut waiting: Vec<NodeId> = self.end.snap.exits.iter().map(|x| x.node).collect();
        search.run_from(
            &sources,
            f64::INFINITY,
            |from, arc| self.costing.arc_seconds(from, arc, trip),
            |node, _| {
                waiting.retain(|&n| n != node);
                if waiting.is_empty() {
                    Visit::Stop
                } else {
                    Visit::Continue
                }
            },
        );
        let entry_m = |node: NodeId| {
            self.start
                .snap
                .entries
                .iter()
                .filter(|e| e.node == node)
                .map(|e| e.metres)
                .next()
                .unwrap_or(0.0)
        };
        self.end
            .snap
            .exits
            .iter()
            .filter_map(|x| {
                let exit_s = self.costing.leg_seconds(x, trip)?;
                let cost = search.cost(x.node);
                cost.is_finite().then(|| {
                    let arcs = search.path(x.node);
                    let first = arcs.first().map_or(x.node, |(from, _)| *from);
                    let mut nodes = vec![first];
                    nodes.extend(arcs.iter().map(|(_, a)| a.to));
                    let road_m: f64 = arcs.iter().map(|(_, a)| a.length_m).sum();
                    RoadPart {
                        nodes,
                        seconds: cost + exit_s,
                        metres: entry_m(first) + road_m + x.metres,
                    }
                })
            })
            .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
    }
}
