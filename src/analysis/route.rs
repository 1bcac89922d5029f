//! One road route between two points: `POST /api/route`.
//!
//! A duty officer asks "how long from this village to that school, and which way?". Both
//! points snap to the nearest road node (the snap is walked straight, at 4 km/h, as in the
//! evacuation plan). Without a scenario, and with a named profile, the route comes from
//! the profile's contraction hierarchy; with a scenario, roads meeting its hazards are
//! closed (except inside the hazard the route starts in), or with custom speeds, it
//! comes from a Dijkstra search that stops at the target. A route that exists only
//! through a hazard is returned and flagged, and a pair with no route at all says so.

use super::impact::HazardOverlay;
use crate::atlas::Atlas;
use crate::routing::graph::{GraphError, NodeId, Profile, RoadGraph};
use crate::routing::hierarchy::{arc_seconds, step_arc};
use crate::routing::search::{Search, Visit};
use geo::{Coord, Point};
use serde::Serialize;
use serde_json::Value as Json;

/// Walking speed for the straight walk between a point and its road node (m/s).
const SNAP_WALK_MPS: f64 = 4.0 / 3.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    ContractionHierarchy,
    Dijkstra,
}

#[derive(Debug, Serialize)]
pub struct Route {
    pub reachable: bool,
    pub profile: &'static str,
    pub engine: Engine,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Metres walked straight from `from` to its road node and from the last node to `to`.
    pub snap_m: [f64; 2],
    /// With a scenario: whether the only route runs through a hazard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub through_hazard: Option<bool>,
    /// The route as a GeoJSON LineString: from → road → to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Json>,
    /// The road nodes the route runs through.
    #[serde(skip)]
    pub nodes: Vec<NodeId>,
}

/// A parsed route request.
pub struct RouteRequest {
    pub from: Point<f64>,
    pub to: Point<f64>,
    pub profile: Profile,
    pub overlay: Option<HazardOverlay>,
}

fn point(v: Option<&Json>, name: &str) -> Result<Point<f64>, String> {
    let v = v.ok_or_else(|| format!("{name} is missing: give it as [lon, lat]"))?;
    match v.as_array().map(Vec::as_slice) {
        Some([x, y]) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => {
                Ok(Point::new(x, y))
            }
            _ => Err(format!("{name} {v} is not a lon/lat position")),
        },
        _ => Err(format!("{name} {v} must be [lon, lat]")),
    }
}

impl RouteRequest {
    /// Reads `{from, to, profile?, speed_kmh?, scenario?}`.
    pub fn parse(body: &Json, atlas: &Atlas) -> Result<RouteRequest, String> {
        let obj = body
            .as_object()
            .ok_or("the request must be a JSON object")?;
        if let Some(k) = obj
            .keys()
            .find(|k| !["from", "to", "profile", "speed_kmh", "scenario"].contains(&k.as_str()))
        {
            return Err(format!(
                "unknown key {k:?}; a route request has from, to, profile, speed_kmh and scenario"
            ));
        }
        let from = point(obj.get("from"), "from")?;
        let to = point(obj.get("to"), "to")?;
        let mut profile = match obj.get("profile") {
            None => Profile::walk(),
            Some(Json::String(s)) => Profile::by_name(s)
                .ok_or_else(|| format!("unknown profile {s:?}; profiles are walk and drive"))?,
            Some(other) => return Err(format!("profile {other} is not a name")),
        };
        if let Some(v) = obj.get("speed_kmh") {
            let speed = v
                .as_f64()
                .filter(|s| s.is_finite() && (0.5..=200.0).contains(s))
                .ok_or_else(|| format!("speed_kmh {v} must be a number from 0.5 to 200"))?;
            profile.uniform_kmh = Some(speed);
        }
        let overlay = match obj.get("scenario") {
            None | Some(Json::Null) => None,
            Some(s) => {
                let scenario = super::Scenario::parse(s, atlas).map_err(|e| e.to_string())?;
                let impact = super::analyse(atlas, &scenario);
                Some(HazardOverlay::new(impact.hazards))
            }
        };
        Ok(RouteRequest {
            from,
            to,
            profile,
            overlay,
        })
    }
}

/// The route for a request, on the atlas's road graph.
pub fn route(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    req: &RouteRequest,
) -> Result<Route, String> {
    let graph = graph.map_err(|e| format!("no road routing on this atlas: {e}"))?;
    let index = graph.node_index();
    let (Some((start, snap_from)), Some((end, snap_to))) =
        (index.snap(graph, req.from), index.snap(graph, req.to))
    else {
        return Err("the road graph has no nodes".into());
    };
    let hierarchy = match &req.overlay {
        None => graph.hierarchy(atlas, &req.profile),
        Some(_) => None,
    };
    let (nodes, through_hazard, engine) = match (hierarchy, &req.overlay) {
        (Some(h), _) => (h.route(start, end), None, Engine::ContractionHierarchy),
        (None, None) => (
            dijkstra(atlas, graph, &req.profile, start, end, |_, _| false),
            None,
            Engine::Dijkstra,
        ),
        (None, Some(overlay)) => {
            let closed = super::evacuation::closed_arcs(graph, overlay);
            let inside = overlay.hazards_at(req.from.0);
            let avoiding = dijkstra(atlas, graph, &req.profile, start, end, |from, to| {
                closed
                    .get(&(from, to))
                    .is_some_and(|hs| hs.iter().any(|h| !inside.contains(h)))
            });
            match avoiding {
                Some(path) => (Some(path), Some(false), Engine::Dijkstra),
                None => {
                    let any = dijkstra(atlas, graph, &req.profile, start, end, |_, _| false);
                    let through = any.is_some().then_some(true);
                    (any, through, Engine::Dijkstra)
                }
            }
        }
    };
    let mut route = Route {
        reachable: nodes.is_some(),
        profile: req.profile.name,
        engine,
        minutes: None,
        distance_m: None,
        snap_m: [snap_from, snap_to],
        through_hazard: through_hazard.or(req.overlay.as_ref().map(|_| false)),
        route: None,
        nodes: Vec::new(),
    };
    let Some(nodes) = nodes else {
        return Ok(route);
    };
    let (mut seconds, mut metres) = (0.0, 0.0);
    for pair in nodes.windows(2) {
        let (arc, s) = step_arc(atlas, graph, &req.profile, pair[0], pair[1])
            .expect("every step of a route is an arc the profile may use");
        seconds += s;
        metres += arc.length_m;
    }
    seconds += (snap_from + snap_to) / SNAP_WALK_MPS;
    metres += snap_from + snap_to;
    let mut line: Vec<Coord<f64>> = vec![req.from.0];
    line.extend(nodes.iter().map(|&n| graph.nodes[n as usize]));
    line.push(req.to.0);
    line.dedup();
    if line.len() == 1 {
        line.push(line[0]);
    }
    let coords: Vec<[f64; 2]> = line.iter().map(|c| [c.x, c.y]).collect();
    route.minutes = Some(seconds / 60.0);
    route.distance_m = Some(metres);
    route.route = Some(serde_json::json!({"type": "LineString", "coordinates": coords}));
    route.nodes = nodes;
    Ok(route)
}

/// A Dijkstra search from `start` that stops when `end` is settled; `closed(from, to)`
/// shuts arcs. The path as nodes, or None when `end` cannot be reached.
fn dijkstra(
    atlas: &Atlas,
    graph: &RoadGraph,
    profile: &Profile,
    start: NodeId,
    end: NodeId,
    closed: impl Fn(NodeId, NodeId) -> bool,
) -> Option<Vec<NodeId>> {
    let mut search = Search::new(graph);
    let mut reached = false;
    search.run(
        start,
        0.0,
        f64::INFINITY,
        |from, arc| {
            if closed(from, arc.to) {
                return None;
            }
            arc_seconds(atlas, graph, profile, arc)
        },
        |node, _| {
            reached = node == end;
            if reached {
                Visit::Stop
            } else {
                Visit::Continue
            }
        },
    );
    reached.then(|| {
        let mut nodes = vec![start];
        nodes.extend(search.path(end).iter().map(|(_, a)| a.to));
        nodes
    })
}
