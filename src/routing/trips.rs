//! One-to-many trips on the travel model: destinations snapped once, then one search
//! per origin that reports each destination it reaches, and stops at the k nearest or
//! at a radius, promising that everything quicker than where it stopped was reported.

use super::graph::{NodeId, RoadGraph};
use super::search::{Search, Visit};
use super::snap::Leg;
use super::travel::{Costing, Place, Trip, walk_seconds};
use geo::{Coord, Point};
use std::collections::{BinaryHeap, HashMap};

/// A destination's way off the graph: from a node along a stretch of road to its road
/// point, then the walk.
#[derive(Debug, Clone, Copy)]
struct Exit {
    dest: u32,
    leg: Leg,
    walk_m: f64,
    on_road: Coord<f64>,
}

/// Destinations snapped once, for many one-to-many searches.
#[derive(Debug, Default)]
pub struct Destinations {
    at_node: HashMap<NodeId, Vec<Exit>, foldhash::fast::RandomState>,
    /// The same exits by the arc they run along: an origin on that arc may go straight.
    on_arc: HashMap<(NodeId, NodeId), Vec<Exit>, foldhash::fast::RandomState>,
}

impl Destinations {
    /// Snaps every point onto the network; one beyond the walk limit is never reached.
    pub fn new(costing: &Costing, points: &[Point<f64>]) -> Destinations {
        let mut d = Destinations::default();
        // A point off the network gets no exit: no road trip ends there.
        let placed = points
            .iter()
            .enumerate()
            .filter_map(|(i, &p)| Some((i, costing.place(p).ok()?)));
        for (i, place) in placed {
            for &leg in &place.snap.exits {
                let exit = Exit {
                    dest: i as u32,
                    leg,
                    walk_m: place.snap.distance_m,
                    on_road: place.snap.on_road,
                };
                d.on_arc
                    .entry((leg.from, leg.arc.to))
                    .or_default()
                    .push(exit);
                d.at_node.entry(leg.node).or_default().push(exit);
            }
        }
        d
    }
}

/// A destination reached by a one-to-many search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    /// Index of the destination in the list [`Destinations`] was made from.
    pub dest: usize,
    /// Door to door.
    pub seconds: f64,
    /// The node where the road part leaves the graph; None when the trip runs straight
    /// along the origin's own arc.
    pub via: Option<NodeId>,
    /// Metres after `via` (the stretch and the walk), or of the whole trip after the
    /// origin's walk when `via` is None.
    pub metres_after: f64,
    /// The destination's road point.
    pub on_road: Coord<f64>,
    /// The arc (from, to) of the last stretch of road: the one the destination lies on.
    pub last_arc: (NodeId, NodeId),
}

/// When a one-to-many search may stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Until {
    /// Once `k` destinations are certainly the `k` nearest.
    Nearest(usize),
    /// Once every destination within this many seconds is found.
    Within(f64),
}

/// Everything within a one-to-many search's radius, found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Searched {
    /// Every destination whose trip takes fewer seconds than this was reported, with
    /// its quickest time among the arrivals reported for it. Infinite when the search
    /// ran out of graph (or of `limit_s`, past which nothing is wanted).
    pub radius_s: f64,
}

/// What a one-to-many search is bound by.
#[derive(Debug, Clone, Copy)]
pub struct Query<'t> {
    /// Which closures bind the trips.
    pub trip: Trip<'t>,
    /// Nothing beyond this many seconds is wanted.
    pub limit_s: f64,
    /// When to stop.
    pub until: Until,
}

/// One search from `from` to every destination it reaches before `query.until` is met or
/// `query.limit_s` passes, reporting each arrival (a destination may arrive more than once,
/// via either end of its segment; the quickest is its time). Arrivals at or beyond the
/// returned radius may not be the quickest and should be dropped by the caller.
pub fn one_to_many(
    search: &mut Search,
    costing: &Costing,
    from: &Place,
    dests: &Destinations,
    query: Query,
    mut arrive: impl FnMut(Arrival),
) -> Searched {
    let Query {
        trip,
        limit_s,
        until,
    } = query;
    let mut nearest = Nearest::new(until);
    along_own_arc(costing, from, dests, trip, |a| {
        nearest.note(a.seconds);
        arrive(a);
    });
    let max_cost = match until {
        Until::Within(r) => r.min(limit_s),
        Until::Nearest(_) => limit_s,
    };
    let mut radius_s = f64::INFINITY;
    search.run_from(
        &costing.sources(from, trip),
        max_cost,
        |node, arc| costing.arc_seconds(node, arc, trip),
        |node, cost| {
            if nearest.settled_by(cost) {
                // Every arrival still to come takes at least `cost`: the k found are the
                // k nearest.
                radius_s = cost;
                return Visit::Stop;
            }
            for exit in dests.at_node.get(&node).into_iter().flatten() {
                let Some(stretch) = costing.leg_seconds(&exit.leg, trip) else {
                    continue;
                };
                let seconds = cost + stretch + walk_seconds(exit.walk_m);
                nearest.note(seconds);
                arrive(Arrival {
                    dest: exit.dest as usize,
                    seconds,
                    via: Some(node),
                    metres_after: exit.leg.metres + exit.walk_m,
                    on_road: exit.on_road,
                    last_arc: (exit.leg.from, exit.leg.arc.to),
                });
            }
            Visit::Continue
        },
    );
    if let Until::Within(r) = until
        && r < limit_s
    {
        radius_s = radius_s.min(r);
    }
    Searched { radius_s }
}

/// The k quickest arrivals so far, for [`Until::Nearest`] (a max-heap of their seconds,
/// as ordered bits); inert for [`Until::Within`].
struct Nearest {
    k: Option<usize>,
    best: BinaryHeap<u64>,
}

impl Nearest {
    fn new(until: Until) -> Nearest {
        Nearest {
            k: match until {
                Until::Nearest(k) => Some(k),
                Until::Within(_) => None,
            },
            best: BinaryHeap::new(),
        }
    }

    fn note(&mut self, seconds: f64) {
        if let Some(k) = self.k {
            self.best.push(seconds.to_bits());
            if self.best.len() > k {
                self.best.pop();
            }
        }
    }

    /// Whether k arrivals are in and none later than `cost`.
    fn settled_by(&self, cost: f64) -> bool {
        self.k.is_some_and(|k| {
            self.best.len() >= k && self.best.peek().is_some_and(|&b| f64::from_bits(b) <= cost)
        })
    }
}

/// Destinations straight along the origin's own arc, further along it.
fn along_own_arc(
    costing: &Costing,
    from: &Place,
    dests: &Destinations,
    trip: Trip,
    mut arrive: impl FnMut(Arrival),
) {
    let walk = walk_seconds(from.snap.distance_m);
    for entry in &from.snap.entries {
        let Some(pace) = costing.pace(entry.from, &entry.arc, trip) else {
            continue;
        };
        for exit in dests
            .on_arc
            .get(&(entry.from, entry.arc.to))
            .into_iter()
            .flatten()
        {
            if let Some(metres) = Leg::direct(entry, &exit.leg) {
                arrive(Arrival {
                    dest: exit.dest as usize,
                    seconds: walk + metres * pace + walk_seconds(exit.walk_m),
                    via: None,
                    metres_after: metres + exit.walk_m,
                    on_road: exit.on_road,
                    last_arc: (exit.leg.from, exit.leg.arc.to),
                });
            }
        }
    }
}

/// The line and length of a trip the last search found: origin → road → `via` … →
/// destination road point → destination.
pub fn trip_line(
    search: &Search,
    graph: &RoadGraph,
    from: &Place,
    arrival: &Arrival,
    to: Point<f64>,
) -> (Vec<Coord<f64>>, f64) {
    let mut line = vec![from.point.0, from.snap.on_road];
    let mut metres = from.snap.distance_m + arrival.metres_after;
    if let Some(node) = arrival.via {
        let path = search.path(node);
        let first = path.first().map_or(node, |(f, _)| *f);
        line.push(graph.nodes[first as usize]);
        line.extend(path.iter().map(|(_, a)| graph.nodes[a.to as usize]));
        metres += path.iter().map(|(_, a)| a.length_m).sum::<f64>();
        // The stretch from the origin's road point to the node the road part starts at.
        metres += from
            .snap
            .entries
            .iter()
            .find(|e| e.node == first)
            .map_or(0.0, |e| e.metres);
    }
    line.push(arrival.on_road);
    line.push(to.0);
    // A place or destination on its road has a zero-length walk.
    line.dedup();
    if line.len() == 1 {
        line.push(line[0]);
    }
    (line, metres)
}
