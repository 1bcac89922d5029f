//! Point-to-point routes by contraction hierarchies.
//!
//! A contraction hierarchy answers a point-to-point query in tens of microseconds where a
//! Dijkstra search takes milliseconds. The `fast_paths` crate implements them well and is
//! kept up, so riskatlas uses it rather than its own: a hierarchy per named profile is
//! prepared on first use (about 0.3 s for the demo county) and kept with the road graph,
//! which an edit to a road layer replaces. Hazard closures and custom speeds change the
//! weights per request, so those routes use a Dijkstra search that stops at the target
//! (preparing a hierarchy per request would cost more than it saves).
//!
//! Weights are whole milliseconds (fast_paths takes integers, and refuses zero): a route
//! is optimal to within a millisecond per arc, and its reported time is recomputed
//! exactly along the path.

use super::graph::{NodeId, Profile, RoadGraph};
use super::travel::{Costing, Trip};
use crate::atlas::Atlas;
use fast_paths::{FastGraph, InputGraph, PathCalculator};
use std::sync::Mutex;

/// A prepared hierarchy for one profile.
pub struct Hierarchy {
    fast: FastGraph,
    /// Query scratch space (one per concurrent query), reused: allocating it per query
    /// would cost more than the query.
    calculators: Mutex<Vec<PathCalculator>>,
}

fn weight_ms(seconds: f64) -> usize {
    ((seconds * 1000.0).round() as usize).max(1)
}

impl Hierarchy {
    /// Contracts `graph` with `profile`'s travel times.
    pub fn prepare(atlas: &Atlas, graph: &RoadGraph, profile: &Profile) -> Hierarchy {
        let started = std::time::Instant::now();
        let costing = Costing::new(atlas, graph, profile);
        let mut input = InputGraph::new();
        for (from, arc) in graph.all_arcs() {
            if from == arc.to {
                continue;
            }
            if let Some(s) = costing.arc_seconds(from, arc, Trip::OPEN) {
                input.add_edge(from as usize, arc.to as usize, weight_ms(s));
            }
        }
        input.freeze();
        let fast = fast_paths::prepare(&input);
        tracing::info!(
            profile = profile.name,
            nodes = graph.node_count(),
            ms = crate::log::millis(started.elapsed()),
            "contraction hierarchy prepared"
        );
        Hierarchy {
            fast,
            calculators: Mutex::new(Vec::new()),
        }
    }

    /// The fastest path from `from` to `to` as its nodes, or None when unreachable.
    pub fn route(&self, from: NodeId, to: NodeId) -> Option<Vec<NodeId>> {
        let n = self.fast.get_num_nodes();
        if from as usize >= n || to as usize >= n {
            return None; // a node with no usable arc at all
        }
        let mut calc = self
            .calculators
            .lock()
            .expect("no query panics while holding the pool")
            .pop()
            .unwrap_or_else(|| fast_paths::create_calculator(&self.fast));
        let path = calc.calc_path(&self.fast, from as usize, to as usize);
        self.calculators
            .lock()
            .expect("no query panics while holding the pool")
            .push(calc);
        path.map(|p| p.get_nodes().iter().map(|&n| n as NodeId).collect())
    }
}
