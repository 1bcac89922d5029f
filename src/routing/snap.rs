//! Snapping points to the road graph: the nearest node, and how far away it is.
//!
//! Nodes are indexed with longitude scaled by cos(latitude) so that "nearest" in the
//! index is nearest on the ground; the snap distance reported is geodesic. Units and
//! shelters walk that distance straight to or from the road.

use super::graph::{NodeId, RoadGraph};
use geo::{Distance, Geodesic, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

pub struct NodeIndex {
    tree: RTree<GeomWithData<[f64; 2], NodeId>>,
    x_scale: f64,
}

impl NodeIndex {
    pub fn new(graph: &RoadGraph) -> NodeIndex {
        let mean_lat =
            graph.nodes.iter().map(|c| c.y).sum::<f64>() / graph.nodes.len().max(1) as f64;
        let x_scale = mean_lat.to_radians().cos();
        let entries = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(i, c)| GeomWithData::new([c.x * x_scale, c.y], i as NodeId))
            .collect();
        NodeIndex {
            tree: RTree::bulk_load(entries),
            x_scale,
        }
    }

    /// The nearest node to `p` and its distance in metres.
    pub fn snap(&self, graph: &RoadGraph, p: Point<f64>) -> Option<(NodeId, f64)> {
        let n = self
            .tree
            .nearest_neighbor(&[p.x() * self.x_scale, p.y()])?
            .data;
        Some((n, Geodesic.distance(p, Point(graph.nodes[n as usize]))))
    }
}
