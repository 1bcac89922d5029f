//! Setting a plan up: the routing mode, the roads the hazards close, the units with
//! their origins, and the searches to the shelters (by road or in a straight line);
//! and, for checking plans, the table of every pair within reach.

use super::reach::{Finder, RoadFinder, StraightFinder};
use super::shelters::Shelters;
use super::{EvacuationError, Options, Origin, Routing, Unit};
use crate::analysis::hazards::anchor;
use crate::analysis::impact::Impact;
use crate::analysis::overlay::HazardOverlay;
use crate::analysis::scenario::Period;
use crate::atlas::Atlas;
use crate::routing::graph::{GraphError, RoadGraph};
use crate::routing::travel::{Closures, Costing, Destinations};
use geo::Point;
use serde::Serialize;

/// The routing mode a request gets: road when asked for or when roads exist.
pub(super) fn routing_for(
    options: &Options,
    graph: &Result<&RoadGraph, &GraphError>,
) -> Result<Routing, EvacuationError> {
    match (options.routing, graph) {
        (Some(Routing::Road), Err(e)) => Err(EvacuationError::NoRoads((*e).clone())),
        (Some(Routing::StraightLine), _) | (None, Err(_)) => Ok(Routing::StraightLine),
        (_, Ok(_)) => Ok(Routing::Road),
    }
}

/// The roads each hazard closes (none without road routing).
pub(super) fn closures_for(
    routing: Routing,
    graph: Result<&RoadGraph, &GraphError>,
    overlay: &HazardOverlay,
) -> Closures {
    match (routing, graph) {
        (Routing::Road, Ok(graph)) => overlay.road_closures(graph),
        _ => Closures::default(),
    }
}

/// The units and the searches a plan runs from them.
pub(super) struct Searches<'a> {
    /// To the usable shelters.
    pub finder: Finder<'a>,
    /// To every shelter, usable or not (for the reasons).
    pub all_finder: Finder<'a>,
    pub units: Vec<Unit>,
    pub assumptions: Vec<String>,
}

#[allow(clippy::too_many_arguments)] // one caller shape, each input distinct
pub(super) fn searches<'a>(
    atlas: &'a Atlas,
    impact: &Impact,
    graph: Result<&'a RoadGraph, &GraphError>,
    options: &Options,
    routing: Routing,
    shelters: &Shelters,
    overlay: &HazardOverlay,
    closures: &'a Closures,
) -> Searches<'a> {
    if let (Routing::Road, Ok(graph)) = (routing, graph) {
        let costing = Costing::new(atlas, graph, &options.profile).with_closures(closures);
        let units = evacuees(impact, atlas, |p| match costing.place(p) {
            Ok(place) => Origin::Road {
                place,
                inside: overlay.hazards_at(p.0),
            },
            Err(why) => Origin::OffNetwork { point: p, why },
        });
        let usable = Destinations::new(&costing, &shelters.usable_points());
        let every = Destinations::new(&costing, &shelters.all_points());
        let assumptions = vec![
            format!(
                "travel by road, profile {} ({}); units and shelters walk straight to the nearest point on a road at {} km/h, at most {} m",
                options.profile.name,
                options.profile.uniform_kmh.map_or("speeds by road class".to_string(), |v| format!("{v} km/h on every road")),
                crate::routing::travel::WALK_KMH,
                crate::routing::travel::MAX_WALK_TO_ROAD_M,
            ),
            "roads meeting a hazard are closed, except within the hazard a unit starts in; earthquake intensity bands close no road (add cut roads as drawn areas)".into(),
        ];
        return Searches {
            finder: Finder::Road(Box::new(RoadFinder::new(costing.clone(), usable, graph))),
            all_finder: Finder::Road(Box::new(RoadFinder::new(costing, every, graph))),
            units,
            assumptions,
        };
    }
    let units = evacuees(impact, atlas, Origin::Point);
    let kmh = straight_speed(options);
    let extent: Vec<Point<f64>> = units.iter().map(|u| u.point).collect();
    let straight = |points| StraightFinder::new(points, &extent, options.detour_factor, kmh);
    Searches {
        finder: Finder::Straight(straight(shelters.usable_points())),
        all_finder: Finder::Straight(straight(shelters.all_points())),
        assumptions: vec![format!(
            "no road routing: straight-line distance × {} at {kmh} km/h{}",
            options.detour_factor,
            graph.err().map(|e| format!(" ({e})")).unwrap_or_default()
        )],
        units,
    }
}

/// Every (unit, usable shelter) pair within reach of a plan's request, found by one
/// complete search per unit: what a plan would be if it materialised all pairs. For
/// checking plans (tests, audits); a plan itself never builds this.
#[derive(Debug, Clone, Serialize)]
pub struct ReachTable {
    /// The routing mode the pairs were found by.
    pub routing: Routing,
    /// (unit id, people)
    pub units: Vec<(String, i64)>,
    /// (shelter id, places left)
    pub shelters: Vec<(String, i64)>,
    /// (unit index, shelter index, seconds door to door)
    pub pairs: Vec<(usize, usize, f64)>,
}

/// The [`ReachTable`] of a request, on the same travel model and shelters as [`super::plan`].
pub fn reach_table(
    atlas: &Atlas,
    impact: &Impact,
    graph: Result<&RoadGraph, &GraphError>,
    options: &Options,
    period: Period,
) -> Result<ReachTable, EvacuationError> {
    let routing = routing_for(options, &graph)?;
    let shelters = Shelters::new(atlas, impact, period);
    let overlay = HazardOverlay::new(impact.hazards.clone());
    let closures = closures_for(routing, graph, &overlay);
    let Searches {
        mut finder, units, ..
    } = searches(
        atlas, impact, graph, options, routing, &shelters, &overlay, &closures,
    );
    let limit_s = options.max_minutes * 60.0;
    let trip = crate::routing::travel::Trip::CLOSED;
    let mut pairs = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        let found = finder.find(
            &unit.origin,
            trip,
            limit_s,
            crate::routing::travel::Until::Within(limit_s),
        );
        pairs.extend(
            found
                .arrivals
                .iter()
                .map(|&(s, secs)| (u, s as usize, secs)),
        );
    }
    Ok(ReachTable {
        routing,
        units: units
            .iter()
            .map(|u| (u.unit_id.clone(), u.people))
            .collect(),
        shelters: shelters.usable.iter().map(|s| (s.id(), s.room)).collect(),
        pairs,
    })
}

/// The impact's affected units with people to move, each placed by `origin`.
fn evacuees(impact: &Impact, atlas: &Atlas, origin: impl Fn(Point<f64>) -> Origin) -> Vec<Unit> {
    let exposure = atlas.layer(&impact.report.exposure);
    impact
        .report
        .units
        .iter()
        .filter_map(|u| {
            let point = anchor(&exposure?.feature(u.fid)?.geometry)?;
            let people = u.people.round() as i64;
            (people > 0).then(|| Unit {
                unit_id: u.id.clone(),
                unit_name: u.name.clone(),
                point,
                people,
                origin: origin(point),
                known: Vec::new(),
                radius_s: 0.0,
                pairs: Vec::new(),
            })
        })
        .collect()
}

fn straight_speed(options: &Options) -> f64 {
    options
        .profile
        .uniform_kmh
        .unwrap_or(options.profile.default_kmh)
}
