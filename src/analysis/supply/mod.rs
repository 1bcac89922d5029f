//! Which depot supplies which shelter: for each relief item, the depots' stock shipped
//! to the shelters an evacuation plan fills, to meet each shelter's needs for the
//! scenario's days with the least quantity × travel time ([`transport`]).
//!
//! Trucks drive: depot → shelter minutes are by road under the `drive` profile, with
//! the scenario's hazard closures (a truck does not drive through the flood either;
//! a depot inside a hazard may leave it, as evacuees do), or, without a road graph, a
//! straight line × [`DETOUR_FACTOR`] at [`STRAIGHT_LINE_KMH`]. Each item is its own
//! problem: depots hold items separately and a shelter's rice does not wait for its
//! tents. Loading, vehicle counts and trips are the logistics team's, not the map's.

pub mod transport;

use super::evacuation::EvacuationPlan;
use super::impact::Impact;
use super::overlay::HazardOverlay;
use crate::atlas::{Atlas, Kind};
use crate::routing::graph::Profile;
use crate::routing::search::Search;
use crate::routing::travel::{
    Costing, Destinations, Query, Trip, Until, one_to_many, straight_line_seconds,
};
use crate::routing::{GraphError, RoadGraph};
use geo::Point;
use serde::Serialize;
use transport::{Problem, solve};

/// Straight-line speed of a relief truck where there are no roads (km/h).
pub const STRAIGHT_LINE_KMH: f64 = 40.0;
/// Straight-line distance × this is the road distance, where there are no roads.
pub const DETOUR_FACTOR: f64 = 1.4;
/// Trucks go no farther than this (seconds): beyond, a depot does not supply a shelter.
pub const MAX_DRIVE_S: f64 = 12.0 * 3600.0;

/// A relief depot and its stock.
#[derive(Debug, Clone, PartialEq)]
pub struct Depot {
    /// Feature id.
    pub id: String,
    /// Its `name`, or the id.
    pub name: String,
    /// Where it is.
    pub point: Point<f64>,
    /// Stock of `item`, rounded down to whole units; 0 when the depot has none.
    pub stock: Vec<(String, i64)>,
}

impl Depot {
    fn stock_of(&self, item: &str) -> i64 {
        self.stock
            .iter()
            .find(|(i, _)| i == item)
            .map_or(0, |(_, q)| *q)
    }
}

/// One delivery of one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// Depot feature id.
    pub depot_id: String,
    /// Depot name.
    pub depot_name: String,
    /// Shelter feature id.
    pub shelter_id: String,
    /// Shelter name.
    pub shelter_name: String,
    /// Units of the item.
    pub quantity: i64,
    /// Driving minutes from depot to shelter.
    pub minutes: f64,
    /// The depot's position, lon/lat.
    pub from: [f64; 2],
    /// The shelter's position, lon/lat.
    pub to: [f64; 2],
}

/// One item: its deliveries and what no depot can send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemPlan {
    /// The item (`rice_kg`, `water_l`, `tents`, …).
    pub item: String,
    /// Needed by the plan's shelters, whole units.
    pub needed: i64,
    /// Held by the depots.
    pub stock: i64,
    /// Delivered by the plan.
    pub delivered: i64,
    /// Needed and not delivered: no stock left within reach.
    pub shortfall: i64,
    /// Σ quantity × minutes over the deliveries.
    pub quantity_minutes: f64,
    /// The deliveries, by depot then shelter.
    pub deliveries: Vec<Delivery>,
    /// Shelters left short: (shelter id, units short).
    pub short: Vec<(String, i64)>,
}

/// The transport assignment for a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupplyPlan {
    /// How minutes were reckoned.
    pub routing: &'static str,
    /// One entry per item the shelters need.
    pub items: Vec<ItemPlan>,
    /// The depots considered.
    pub depots: usize,
}

/// The depots of `atlas` with their stock of `items`.
pub fn depots(atlas: &Atlas, items: &[String]) -> Vec<Depot> {
    let mut out = Vec::new();
    for layer in atlas.layers().iter().filter(|l| l.kind == Kind::Depot) {
        for (fid, feature) in layer.features().iter().enumerate() {
            let fid = fid as u32;
            let Some(point) = super::hazards::anchor(&feature.geometry) else {
                continue;
            };
            let stock = items
                .iter()
                .map(|item| {
                    let q = layer.value(fid, item).as_f64().unwrap_or(0.0);
                    (item.clone(), q.max(0.0).floor() as i64)
                })
                .collect();
            out.push(Depot {
                id: feature.id.to_string(),
                name: layer
                    .value(fid, "name")
                    .as_str()
                    .unwrap_or(&feature.id)
                    .to_string(),
                point,
                stock,
            });
        }
    }
    out
}

/// Driving minutes from each depot to each shelter (`[depot][shelter]`), None where
/// no truck gets through within [`MAX_DRIVE_S`].
pub fn drive_minutes(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    overlay: &HazardOverlay,
    depots: &[Point<f64>],
    shelters: &[Point<f64>],
) -> (Vec<Vec<Option<f64>>>, &'static str) {
    let Ok(graph) = graph else {
        let rows = depots
            .iter()
            .map(|&d| {
                shelters
                    .iter()
                    .map(|&s| {
                        let (secs, _) =
                            straight_line_seconds(d, s, DETOUR_FACTOR, STRAIGHT_LINE_KMH);
                        (secs <= MAX_DRIVE_S).then_some(secs / 60.0)
                    })
                    .collect()
            })
            .collect();
        return (rows, "straight line 直线估算");
    };
    let closures = overlay.road_closures(graph);
    let costing = Costing::new(atlas, graph, &Profile::drive()).with_closures(&closures);
    let dests = Destinations::new(&costing, shelters);
    let mut search = Search::new(graph);
    let rows = depots
        .iter()
        .map(|&d| {
            let mut row: Vec<Option<f64>> = vec![None; shelters.len()];
            let Ok(place) = costing.place(d) else {
                return row;
            };
            let inside = overlay.hazards_at(d.0);
            let query = Query {
                trip: Trip {
                    inside: &inside,
                    respect_closures: true,
                },
                limit_s: MAX_DRIVE_S,
                until: Until::Within(MAX_DRIVE_S),
            };
            // The search stops at MAX_DRIVE_S, and vouches for every arrival before it.
            one_to_many(&mut search, &costing, &place, &dests, query, |a| {
                let slot = &mut row[a.dest];
                *slot = Some(slot.map_or(a.seconds, |s: f64| s.min(a.seconds)));
            });
            row.iter()
                .map(|secs| secs.filter(|&x| x < MAX_DRIVE_S).map(|x| x / 60.0))
                .collect()
        })
        .collect();
    (rows, "沿道路驾车 by road, driving")
}

/// The transport assignment of `plan`: each item the plan's shelters need, shipped from
/// the depots of `atlas` by [`transport::solve`].
///
/// `atlas` is where the depots are: a drill run on a township's view still draws on
/// the county's depots.
pub fn supply_plan(
    atlas: &Atlas,
    graph: Result<&RoadGraph, &GraphError>,
    impact: &Impact,
    plan: &EvacuationPlan,
) -> SupplyPlan {
    let items: Vec<String> = plan
        .shelters
        .iter()
        .flat_map(|s| s.needs.iter().map(|n| n.item.clone()))
        .fold(Vec::new(), |mut seen, item| {
            if !seen.contains(&item) {
                seen.push(item);
            }
            seen
        });
    let depots = depots(atlas, &items);
    let overlay = HazardOverlay::new(impact.hazards.clone());
    let depot_points: Vec<Point<f64>> = depots.iter().map(|d| d.point).collect();
    let shelter_points: Vec<Point<f64>> = plan
        .shelters
        .iter()
        .map(|s| Point::new(s.lon, s.lat))
        .collect();
    let (minutes, routing) = drive_minutes(atlas, graph, &overlay, &depot_points, &shelter_points);
    let items = items
        .iter()
        .map(|item| item_plan(item, &depots, plan, &minutes))
        .collect();
    SupplyPlan {
        routing,
        items,
        depots: depots.len(),
    }
}

/// Tenths of a minute, the transport problem's cost unit.
fn tenths(minutes: f64) -> i64 {
    (minutes * 10.0).round() as i64
}

fn item_plan(
    item: &str,
    depots: &[Depot],
    plan: &EvacuationPlan,
    minutes: &[Vec<Option<f64>>],
) -> ItemPlan {
    let need: Vec<i64> = plan
        .shelters
        .iter()
        .map(|s| {
            let q = s
                .needs
                .iter()
                .find(|n| n.item == item)
                .map_or(0.0, |n| n.quantity);
            q.max(0.0).ceil() as i64
        })
        .collect();
    let problem = Problem {
        stock: depots.iter().map(|d| d.stock_of(item)).collect(),
        need,
        cost: minutes
            .iter()
            .map(|row| row.iter().map(|m| m.map(tenths)).collect())
            .collect(),
    };
    let solution = solve(&problem);
    let deliveries: Vec<Delivery> = solution
        .shipments
        .iter()
        .map(|s| {
            let (d, sh) = (&depots[s.depot], &plan.shelters[s.shelter]);
            Delivery {
                depot_id: d.id.clone(),
                depot_name: d.name.clone(),
                shelter_id: sh.id.clone(),
                shelter_name: sh.name.clone().unwrap_or_else(|| sh.id.clone()),
                quantity: s.quantity,
                minutes: minutes[s.depot][s.shelter].map_or(0.0, |m| (m * 10.0).round() / 10.0),
                from: [d.point.x(), d.point.y()],
                to: [sh.lon, sh.lat],
            }
        })
        .collect();
    let delivered: i64 = deliveries.iter().map(|d| d.quantity).sum();
    let needed: i64 = problem.need.iter().sum();
    ItemPlan {
        item: item.to_string(),
        needed,
        stock: problem.stock.iter().sum(),
        delivered,
        shortfall: needed - delivered,
        quantity_minutes: solution.cost as f64 / 10.0,
        short: solution
            .unmet
            .iter()
            .enumerate()
            .filter(|(_, q)| **q > 0)
            .map(|(s, q)| (plan.shelters[s].id.clone(), *q))
            .collect(),
        deliveries,
    }
}
