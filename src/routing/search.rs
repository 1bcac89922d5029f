//! Shortest paths on the road graph: a bounded Dijkstra that reuses its buffers.
//!
//! One search serves one source and stops as soon as the caller has what it needs (k
//! shelters found, or the time budget spent), so finding a unit's nearest shelters is a
//! single multi-target search rather than one search per (unit, shelter) pair.

use super::graph::{Arc, NodeId, RoadGraph};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy, PartialEq)]
struct Entry {
    cost: f64,
    node: NodeId,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the cheapest first.
        other
            .cost
            .total_cmp(&self.cost)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What the visitor tells the search after settling a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    Continue,
    Stop,
}

/// A reusable Dijkstra over a graph.
pub struct Search<'g> {
    graph: &'g RoadGraph,
    cost: Vec<f64>,
    /// (previous node, arc index within that node's arcs) on the best path.
    parent: Vec<(NodeId, u32)>,
    touched: Vec<NodeId>,
    heap: BinaryHeap<Entry>,
}

impl<'g> Search<'g> {
    pub fn new(graph: &'g RoadGraph) -> Search<'g> {
        Search {
            graph,
            cost: vec![f64::INFINITY; graph.node_count()],
            parent: vec![(NodeId::MAX, 0); graph.node_count()],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn reset(&mut self) {
        for &n in &self.touched {
            self.cost[n as usize] = f64::INFINITY;
            self.parent[n as usize] = (NodeId::MAX, 0);
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
        arc_cost: impl FnMut(NodeId, &Arc) -> Option<f64>,
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
        mut arc_cost: impl FnMut(NodeId, &Arc) -> Option<f64>,
        mut visit: impl FnMut(NodeId, f64) -> Visit,
    ) {
        self.reset();
        self.seed(sources);
        self.settle(max_cost, &mut arc_cost, &mut visit);
    }

    fn seed(&mut self, sources: &[(NodeId, f64)]) {
        for &(s, c) in sources {
            if c < self.cost[s as usize] {
                if self.cost[s as usize].is_infinite() {
                    self.touched.push(s);
                }
                self.cost[s as usize] = c;
                self.heap.push(Entry { cost: c, node: s });
            }
        }
    }

    /// Runs from several sources at once (each with its own starting cost), otherwise as
    /// [`Search::run`]: each node ends with its cost from the nearest source.
    pub fn run_multi(
        &mut self,
        sources: &[(NodeId, f64)],
        max_cost: f64,
        arc_cost: impl FnMut(NodeId, &Arc) -> Option<f64>,
    ) {
        self.run_from(sources, max_cost, arc_cost, |_, _| Visit::Continue);
    }

    fn settle(
        &mut self,
        max_cost: f64,
        arc_cost: &mut impl FnMut(NodeId, &Arc) -> Option<f64>,
        visit: &mut impl FnMut(NodeId, f64) -> Visit,
    ) {
        while let Some(Entry { cost, node }) = self.heap.pop() {
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
                    self.parent[arc.to as usize] = (node, i as u32);
                    self.heap.push(Entry {
                        cost: next,
                        node: arc.to,
                    });
                }
            }
        }
    }

    /// The settled cost of a node in the last run (infinite if not reached).
    pub fn cost(&self, n: NodeId) -> f64 {
        self.cost[n as usize]
    }

    /// The arcs of the best path to `target` from the last run's source (the source it
    /// came from, with several), in order.
    pub fn path(&self, target: NodeId) -> Vec<(NodeId, Arc)> {
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
