//! Snapping points to the road graph: the nearest point on a road segment, how far away
//! it is, and the ways from there onto the graph.
//!
//! Nodes are indexed with longitude scaled by cos(latitude) so that "nearest" in the
//! index is nearest on the ground; the snap distance reported is geodesic. Units and
//! shelters walk that distance straight to or from the road.

use super::graph::{NodeId, RoadArc, RoadGraph};
use geo::{Coord, Distance, Geodesic, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// How much to shrink longitudes so that distances in the index are ground distances
/// (cosine of the graph's mean latitude).
fn x_scale(graph: &RoadGraph) -> f64 {
    graph.mean_latitude().to_radians().cos()
}

/// Where a point meets the road network: the nearest point on the nearest road
/// segment, and the ways from there onto the graph and back.
#[derive(Debug, Clone)]
pub struct RoadSnap {
    /// The point on the road.
    pub on_road: Coord<f64>,
    /// Metres from the query point to `on_road` (geodesic), walked straight.
    pub distance_m: f64,
    /// Leaving `on_road` along the road to a node at either end of the segment.
    pub entries: Vec<Leg>,
    /// Arriving at `on_road` along the road from a node at either end.
    pub exits: Vec<Leg>,
}

/// A stretch of one arc between a snapped point and a node.
#[derive(Debug, Clone, Copy)]
pub struct Leg {
    /// The graph node at the graph end of the stretch (reached by an entry, left by an
    /// exit).
    pub node: NodeId,
    /// Where `arc` starts: what one-way rules and closures are judged from.
    pub from: NodeId,
    /// The arc whose stretch is used.
    pub arc: RoadArc,
    /// How many metres of it.
    pub metres: f64,
}

impl Leg {
    /// When `entry` (leaving one snapped point) and `exit` (arriving at another) lie on
    /// the same arc, with the second point further along it: the metres straight along
    /// that arc from the first point to the second. Two points on one long road are
    /// joined along it, not by way of its ends.
    pub fn direct(entry: &Leg, exit: &Leg) -> Option<f64> {
        let same_arc = entry.from == exit.from && entry.arc.to == exit.arc.to;
        let metres = entry.metres + exit.metres - entry.arc.length_m;
        (same_arc && metres >= 0.0).then_some(metres)
    }

    /// The fraction of the arc's travel time this stretch takes.
    pub fn fraction(&self) -> f64 {
        if self.arc.length_m > 0.0 {
            self.metres / self.arc.length_m
        } else {
            0.0
        }
    }
}

/// A road segment in scaled coordinates, with its two nodes.
type SegmentEntry = GeomWithData<rstar::primitives::Line<[f64; 2]>, (NodeId, NodeId)>;

/// The road segments (one per pair of adjacent nodes) in an R-tree, for snapping points
/// to the nearest point on a road rather than to the nearest vertex: on a long straight
/// rural road the nearest vertex can be kilometres further than the road itself.
pub struct SegmentIndex {
    tree: RTree<SegmentEntry>,
    x_scale: f64,
}

impl SegmentIndex {
    /// The index of every segment of `graph`, each once however many arcs run along it.
    pub fn new(graph: &RoadGraph) -> SegmentIndex {
        let x_scale = x_scale(graph);
        let mut pairs: Vec<(NodeId, NodeId)> = graph
            .all_arcs()
            .filter(|(from, arc)| *from != arc.to)
            .map(|(from, arc)| (from.min(arc.to), from.max(arc.to)))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let scaled = |n: NodeId| {
            let c = graph.nodes[n as usize];
            [c.x * x_scale, c.y]
        };
        let entries = pairs
            .into_iter()
            .map(|(a, b)| {
                GeomWithData::new(rstar::primitives::Line::new(scaled(a), scaled(b)), (a, b))
            })
            .collect();
        SegmentIndex {
            tree: RTree::bulk_load(entries),
            x_scale,
        }
    }

    /// The nearest point on a road to `p`, or None for a graph without segments.
    pub fn snap(&self, graph: &RoadGraph, p: Point<f64>) -> Option<RoadSnap> {
        let q = [p.x() * self.x_scale, p.y()];
        let seg = self.tree.nearest_neighbor(&q)?;
        let (a, b) = seg.data;
        let (pa, pb) = (seg.geom().from, seg.geom().to);
        let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((q[0] - pa[0]) * dx + (q[1] - pa[1]) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (ca, cb) = (graph.nodes[a as usize], graph.nodes[b as usize]);
        let on_road = Coord {
            x: ca.x + t * (cb.x - ca.x),
            y: ca.y + t * (cb.y - ca.y),
        };
        let arc = |from: NodeId, to: NodeId| {
            graph
                .arcs(from)
                .iter()
                .filter(|arc| arc.to == to)
                .min_by(|x, y| x.length_m.total_cmp(&y.length_m))
                .copied()
        };
        let (ab, ba) = (arc(a, b), arc(b, a));
        let len = ab.or(ba).map_or(0.0, |arc| arc.length_m);
        let (to_a, to_b) = (t * len, (1.0 - t) * len);
        let leg = |node, from, arc, metres| Leg {
            node,
            from,
            arc,
            metres,
        };
        let mut entries = Vec::new();
        let mut exits = Vec::new();
        if let Some(ab) = ab {
            entries.push(leg(b, a, ab, to_b));
            exits.push(leg(a, a, ab, to_a));
        }
        if let Some(ba) = ba {
            entries.push(leg(a, b, ba, to_a));
            exits.push(leg(b, b, ba, to_b));
        }
        Some(RoadSnap {
            on_road,
            distance_m: Geodesic.distance(p, Point(on_road)),
            entries,
            exits,
        })
    }
}
