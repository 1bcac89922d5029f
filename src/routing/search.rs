//! Shortest paths on the road graph: a bounded Dijkstra that reuses its buffers.
//!
//! One search serves one source and stops as soon as the caller has what it needs (k
//! shelters found, or the time budget spent), so finding a unit's nearest shelters is a
//! single multi-target search rather than one search per (unit, shelter) pair.

use super::graph::{NodeId, RoadArc, RoadGraph};
use std::collections::BinaryHeap;

/// A heap entry. Costs are never negative, and the bits of non-negative floats order as
/// the floats do, so the heap compares plain integers, as a search on integer weights
/// does, rather than calling `f64::total_cmp` in the inner loop.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry(std::cmp::Reverse<(u64, NodeId)>);

impl Entry {
    fn new(cost: f64, node: NodeId) -> Entry {
        debug_assert!(cost >= 0.0, "negative cost {cost}");
        // `+ 0.0` turns a -0.0, whose bits would sort last, into 0.0.
        Entry(std::cmp::Reverse(((cost + 0.0).to_bits(), node)))
    }

    fn cost(self) -> f64 {
        f64::from_bits(self.0.0.0)
    }

    fn node(self) -> NodeId {
        self.0.0.1
    }
}

/// What the visitor tells the search after settling a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    /// Go on settling nodes.
    Continue,
    /// End the search here.
    Stop,
}

/// A reusable Dijkstra over a graph.
pub struct Search<'g> {
    graph: &'g RoadGraph,
    /// Each node's best cost so far. Kept apart from `parent` (a single 16-byte record
    /// per node measured no faster), so that a costs-only search never touches parents.
    cost: Vec<f64>,
    /// (previous node, arc index within that node's arcs) on the best path; empty for a
    /// search made with [`Search::costs_only`].
    parent: Vec<(NodeId, u32)>,
    touched: Vec<NodeId>,
    heap: BinaryHeap<Entry>,
}

impl<'g> Search<'g> {
    /// A search that records best paths, for [`Search::path`].
    pub fn new(graph: &'g RoadGraph) -> Search<'g> {
        Search {
            parent: vec![(NodeId::MAX, 0); graph.node_count()],
            ..Search::costs_only(graph)
        }
    }

    /// A search that gives costs only, for callers that never read paths (coverage,
    /// isochrones): it skips a write per improved node (benches/README.md, "k nearest").
    pub fn costs_only(graph: &'g RoadGraph) -> Search<'g> {
        Search {
            graph,
            cost: vec![f64::INFINITY; graph.node_count()],
            parent: Vec::new(),
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn reset(&mut self) {
        let paths = !self.parent.is_empty();
        for &n in &self.touched {
            self.cost[n as usize] = f64::INFINITY;
            if paths {
                self.parent[n as usize] = (NodeId::MAX, 0);
            }
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Runs from `source` (reached at `start_cost`). `arc_cost` gives an arc's cost or
    /// `None` when it is closed; `visit` sees each node once, in cost order, and may
    /// stop the search. Nodes beyond `max_cost` are never settled.
    pub fn run(
        &mut self,
        source: NodeId,
        start_cost: f64,
        max_cost: f64,
        arc_cost: impl FnMut(NodeId, &RoadArc) -> Option<f64>,
        visit: impl FnMut(NodeId, f64) -> Visit,
    ) {
        self.run_from(&[(source, start_cost)], max_cost, arc_cost, visit);
    }

    /// As [`Search::run`], from several sources each reached at its own cost (a point
    /// on a road enters the graph at both ends of its segment).
    pub fn run_from(
        &mut self,
        sources: &[(NodeId, f64)],
        max_cost: f64,
        mut arc_cost: impl FnMut(NodeId, &RoadArc) -> Option<f64>,
        mut visit: impl FnMut(NodeId, f64) -> Visit,
    ) {
        self.reset();
        self.seed(sources);
        self.settle(max_cost, &mut arc_cost, &mut visit);
    }

    fn seed(&mut self, sources: &[(NodeId, f64)]) {
        for &(s, c) in sources {
            let slot = &mut self.cost[s as usize];
            if c < *slot {
                if slot.is_infinite() {
                    self.touched.push(s);
                }
                *slot = c;
                self.heap.push(Entry::new(c, s));
            }
        }
    }

    /// Runs from several sources at once (each with its own starting cost), otherwise as
    /// [`Search::run`]: each node ends with its cost from the nearest source.
    pub fn run_multi(
        &mut self,
        sources: &[(NodeId, f64)],
        max_cost: f64,
        arc_cost: impl FnMut(NodeId, &RoadArc) -> Option<f64>,
    ) {
        self.run_from(sources, max_cost, arc_cost, |_, _| Visit::Continue);
    }

    fn settle(
        &mut self,
        max_cost: f64,
        arc_cost: &mut impl FnMut(NodeId, &RoadArc) -> Option<f64>,
        visit: &mut impl FnMut(NodeId, f64) -> Visit,
    ) {
        let paths = !self.parent.is_empty();
        while let Some(entry) = self.heap.pop() {
            let (cost, node) = (entry.cost(), entry.node());
            if cost > self.cost[node as usize] {
                continue;
            }
            if cost > max_cost || visit(node, cost) == Visit::Stop {
                break;
            }
            for (i, arc) in self.graph.arcs(node).iter().enumerate() {
                let Some(c) = arc_cost(node, arc) else {
                    continue;
                };
                let next = cost + c;
                let slot = &mut self.cost[arc.to as usize];
                if next < *slot {
                    if slot.is_infinite() {
                        self.touched.push(arc.to);
                    }
                    *slot = next;
                    if paths {
                        self.parent[arc.to as usize] = (node, i as u32);
                    }
                    self.heap.push(Entry::new(next, arc.to));
                }
            }
        }
    }

    /// The settled cost of a node in the last run (infinite if not reached).
    pub fn cost(&self, n: NodeId) -> f64 {
        self.cost[n as usize]
    }

    /// The arcs of the best path to `target` from the last run's source (the source it
    /// came from, with several), in order. Only for a search made with [`Search::new`].
    pub fn path(&self, target: NodeId) -> Vec<(NodeId, RoadArc)> {
        assert!(
            !self.parent.is_empty(),
            "Search::path on a search made with Search::costs_only"
        );
        let mut arcs = Vec::new();
        let mut n = target;
        while self.parent[n as usize].0 != NodeId::MAX {
            let (prev, i) = self.parent[n as usize];
            arcs.push((prev, self.graph.arcs(prev)[i as usize]));
            n = prev;
        }
        arcs.reverse();
        arcs
    }
}
