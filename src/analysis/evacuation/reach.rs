//! Which shelters a unit reaches, and how fast: one search per unit that can stop at
//! the k nearest (the plan's first round) or continue to a radius (pricing), on the road
//! graph through [`crate::routing::travel`] or, without roads, in a straight line.
//!
//! Both kinds of search report the same promise ([`Found::radius_s`]): every shelter the
//! unit reaches in fewer seconds than the radius is in the answer, with its quickest
//! time. That promise is what lets pricing skip the shelters a search never reached.

use super::Origin;
use crate::routing::graph::RoadGraph;
use crate::routing::search::Search;
use crate::routing::travel::{
    Arrival, Costing, Destinations, Query, Trip, Until, one_to_many, straight_line_seconds,
    trip_line,
};
use geo::{Coord, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// The shelters one search reached.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// (destination index, seconds door to door), quickest first; one per destination,
    /// each quicker than `radius_s` and within the search's limit.
    pub arrivals: Vec<(u32, f64)>,
    /// Every destination reached in fewer seconds than this is in `arrivals`; infinite
    /// when the search covered everything within its limit.
    pub radius_s: f64,
}

/// A way to reach destinations from units: by road or in a straight line.
pub enum Finder<'a> {
    // Boxed: its search buffers make it several times the size of the other.
    Road(Box<RoadFinder<'a>>),
    Straight(StraightFinder),
}

impl Finder<'_> {
    /// Searches from `origin` until `until`, within `limit_s`.
    pub fn find(&mut self, origin: &Origin, trip: Trip, limit_s: f64, until: Until) -> Found {
        match self {
            Finder::Road(f) => f.find(origin, trip, limit_s, until),
            Finder::Straight(f) => f.find(origin, limit_s, until),
        }
    }

    /// The route line and metres to `dest`, from the last [`Finder::find`] (which must
    /// have reported it) from `origin`.
    pub fn line(&self, origin: &Origin, dest: u32, to: Point<f64>) -> (Vec<Coord<f64>>, f64) {
        match self {
            Finder::Road(f) => f.line(origin, dest, to),
            Finder::Straight(f) => {
                let (_, metres) = straight_line_seconds(origin.point(), to, f.detour_factor, f.kmh);
                (vec![origin.point().0, to.0], metres)
            }
        }
    }
}

/// Searches on the road graph.
pub struct RoadFinder<'a> {
    costing: Costing<'a>,
    dests: Destinations,
    search: Search<'a>,
    /// The quickest arrival at each destination in the last search, for its line.
    last: Vec<Arrival>,
}

impl<'a> RoadFinder<'a> {
    pub fn new(costing: Costing<'a>, dests: Destinations, graph: &'a RoadGraph) -> Self {
        RoadFinder {
            costing,
            dests,
            search: Search::new(graph),
            last: Vec::new(),
        }
    }

    fn find(&mut self, origin: &Origin, trip: Trip, limit_s: f64, until: Until) -> Found {
        let Origin::Road { place, inside } = origin else {
            return Found {
                arrivals: Vec::new(),
                radius_s: f64::INFINITY,
            };
        };
        let trip = Trip { inside, ..trip };
        let mut all: Vec<Arrival> = Vec::new();
        let searched = one_to_many(
            &mut self.search,
            &self.costing,
            place,
            &self.dests,
            Query {
                trip,
                limit_s,
                until,
            },
            |a| all.push(a),
        );
        // The quickest arrival per destination; only those the radius vouches for.
        all.sort_by(|a, b| a.dest.cmp(&b.dest).then(a.seconds.total_cmp(&b.seconds)));
        all.dedup_by_key(|a| a.dest);
        all.retain(|a| a.seconds < searched.radius_s && a.seconds <= limit_s);
        all.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let arrivals = all.iter().map(|a| (a.dest as u32, a.seconds)).collect();
        self.last = all;
        Found {
            arrivals,
            radius_s: searched.radius_s,
        }
    }

    /// The hazards whose closures the last search's way to `dest` crosses (a search run
    /// with closures ignored, to name the hazard that cuts a unit off).
    pub fn hazards_crossed(&self, origin: &Origin, dest: u32) -> Vec<usize> {
        let (Origin::Road { place, inside }, Some(closures), Some(arrival)) = (
            origin,
            self.costing.closures(),
            self.last.iter().find(|a| a.dest == dest as usize),
        ) else {
            return Vec::new();
        };
        // Every arc the trip runs along: the stretch onto the graph, the path, the
        // stretch off it (one arc when the trip stays on the origin's own arc).
        let mut arcs = vec![arrival.last_arc];
        if let Some(node) = arrival.via {
            let path = self.search.path(node);
            let first = path.first().map_or(node, |(from, _)| *from);
            arcs.extend(
                place
                    .snap
                    .entries
                    .iter()
                    .filter(|e| e.node == first)
                    .map(|e| (e.from, e.arc.to))
                    .take(1),
            );
            arcs.extend(path.iter().map(|(from, arc)| (*from, arc.to)));
        }
        let mut crossed: Vec<usize> = arcs
            .iter()
            .flat_map(|&(from, to)| closures.closing(from, to, inside))
            .collect();
        crossed.sort_unstable();
        crossed.dedup();
        crossed
    }

    fn line(&self, origin: &Origin, dest: u32, to: Point<f64>) -> (Vec<Coord<f64>>, f64) {
        let (Origin::Road { place, .. }, Some(arrival)) =
            (origin, self.last.iter().find(|a| a.dest == dest as usize))
        else {
            unreachable!("lines are drawn only to destinations the last search reported");
        };
        trip_line(&self.search, self.costing.graph, place, arrival, to)
    }
}

type PointEntry = GeomWithData<[f64; 2], u32>;

/// Straight-line searches: destinations in an R-tree on longitude scaled by the cosine
/// of the mean latitude, so that nearest in the tree is nearly nearest on the ground;
/// "nearly" is made exact by a lower bound on ground metres per tree unit, so the search
/// knows when no farther tree entry can beat what it has.
pub struct StraightFinder {
    tree: RTree<PointEntry>,
    points: Vec<Point<f64>>,
    x_scale: f64,
    /// Ground metres per tree unit, at least (with a margin), anywhere in the extent.
    metres_per_unit: f64,
    pub detour_factor: f64,
    pub kmh: f64,
}

impl StraightFinder {
    /// `extent` holds every origin and destination (for the distance bound).
    pub fn new(
        points: Vec<Point<f64>>,
        extent: &[Point<f64>],
        detour_factor: f64,
        kmh: f64,
    ) -> Self {
        let lats = points.iter().chain(extent).map(|p| p.y());
        let (lo, hi) = lats.fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
        let mean = if lo <= hi { (lo + hi) / 2.0 } else { 0.0 };
        let x_scale = mean.to_radians().cos().max(1e-6);
        // A tree unit is a degree of latitude (≥ 110,574 m) or x_scale⁻¹ degrees of
        // longitude (≥ 111,320 · cos φ / cos φ̄ m at latitude φ). The lesser of the two
        // over the extent, less 1% for the ellipsoid's and the chord's departures.
        let widest = lo.abs().max(hi.abs()).min(89.0);
        let lon_ratio = (widest.to_radians().cos() / x_scale).min(1.0);
        let metres_per_unit = 110_574.0 * lon_ratio.min(1.0) * 0.99;
        let entries = points
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new([p.x() * x_scale, p.y()], i as u32))
            .collect();
        StraightFinder {
            tree: RTree::bulk_load(entries),
            points,
            x_scale,
            metres_per_unit,
            detour_factor,
            kmh,
        }
    }

    fn find(&mut self, origin: &Origin, limit_s: f64, until: Until) -> Found {
        let from = origin.point();
        let q = [from.x() * self.x_scale, from.y()];
        // Seconds at least, for a tree distance (squared) of `d2`.
        let bound =
            |d2: f64| d2.sqrt() * self.metres_per_unit * self.detour_factor / (self.kmh / 3.6);
        let stop_at = match until {
            Until::Within(r) => r.min(limit_s),
            Until::Nearest(_) => limit_s,
        };
        let mut found: Vec<(u32, f64)> = Vec::new();
        let mut kth = std::collections::BinaryHeap::<u64>::new();
        let mut radius_s = f64::INFINITY;
        for (entry, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&q) {
            let lower = bound(d2);
            if lower > stop_at {
                break;
            }
            if let Until::Nearest(k) = until
                && kth.len() >= k
                && kth.peek().is_some_and(|&b| f64::from_bits(b) <= lower)
            {
                radius_s = lower;
                break;
            }
            let (seconds, _) = straight_line_seconds(
                from,
                self.points[entry.data as usize],
                self.detour_factor,
                self.kmh,
            );
            if let Until::Nearest(k) = until {
                kth.push(seconds.to_bits());
                if kth.len() > k {
                    kth.pop();
                }
            }
            found.push((entry.data, seconds));
        }
        if let Until::Within(r) = until
            && r < limit_s
        {
            radius_s = radius_s.min(r);
        }
        found.retain(|&(_, s)| s < radius_s && s <= limit_s);
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        Found {
            arrivals: found,
            radius_s,
        }
    }
}
