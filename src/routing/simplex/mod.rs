//! Minimum-cost flow by the primal network simplex method, with block-search pivoting
//! and the thread / successor-count spanning-tree representation of LEMON's
//! `NetworkSimplex` (Kovács, "Minimum-cost flow algorithms: an experimental
//! evaluation", 2015), which that study found the fastest exact method on instances of
//! this size.
//!
//! Why our own: the only crate offering the method (`mcmf`) is a C++ binding that
//! builds LEMON from source, keys nodes by hashing and returns paths rather than arc
//! flows; this module is pure Rust, reads flows per arc, and is benchmarked against
//! `mcmf` on the same instances (`benches/flow.rs`). Its answers are checked against
//! the successive-shortest-paths solver in [`super::flow`] (itself checked against brute
//! force) on random networks, and each solution's optimality is certified by
//! complementary slackness in the tests.
//!
//! The problem: nodes with supplies (positive) and demands (negative) summing to zero,
//! arcs with capacities and costs; find a flow meeting every supply and demand exactly at
//! least total cost. An artificial root joined to every node by an expensive arc makes
//! the starting tree feasible; if any artificial arc still carries flow at the end, the
//! instance was infeasible.
//!
//! Potentials are first kept in 32 bits, as LEMON's `int` instantiation keeps them: the
//! pivot scan gathers two per arc from half the bytes. The step that brought them in
//! took the solve from 1.05–1.12× LEMON to 0.92–1.03× (benches/README.md, "How the gap
//! closed"). Unlike LEMON, nothing is left to luck. Every
//! potential update is checked to fit, and the artificial cost is capped to fit, so if a
//! potential would overflow, or the capped cost leaves flow on an artificial arc, the
//! solve starts again with 64-bit potentials and the exact artificial cost. A 32-bit
//! solve that finishes is exact: its potentials were exact throughout, so every real arc
//! meets the optimality conditions, and no artificial arc carries flow.
//!
//! **Warm re-solves (column generation).** The optimal basis is kept after a solve, with
//! its node [`potentials`](NetworkSimplex::potential). Arcs added afterwards join it at
//! their lower bound (flow 0), which keeps the basis feasible, so
//! [`NetworkSimplex::resolve`] continues pivoting from there instead of starting over:
//! only the new arcs whose reduced cost is negative, and whatever they displace, move.
//! This is what lets the evacuation plan price (unit, shelter) pairs against the
//! potentials and add only those that can improve the plan.

#[cfg(test)]
mod tests;
mod tree;

use tree::Tree;

/// Arc handle, to read its flow after [`NetworkSimplex::solve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowArc(usize);

/// Why an instance has no optimal flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// Supplies and demands do not sum to zero (what they sum to).
    #[error("supplies and demands do not balance (they sum to {0})")]
    Unbalanced(i64),
    /// The capacities cannot carry every supply to a demand.
    #[error("no flow meets every supply and demand within the capacities")]
    Infeasible,
}

/// A min-cost-flow instance and, after solving, its optimal flow and potentials.
#[derive(Debug, Clone, Default)]
pub struct NetworkSimplex {
    supply: Vec<i64>,
    source: Vec<usize>,
    target: Vec<usize>,
    cap: Vec<i64>,
    cost: Vec<i64>,
    flow: Vec<i64>,
    wide_potentials: bool,
    /// The optimal basis of the last solve, kept for [`NetworkSimplex::resolve`] and
    /// [`NetworkSimplex::potential`]; dropped when a supply changes.
    basis: Option<Basis>,
}

/// A solved spanning-tree basis at the width its potentials were kept in.
#[derive(Debug, Clone)]
enum Basis {
    Narrow(Tree<i32>),
    Wide(Tree<i64>),
}

impl Basis {
    fn potential(&self, node: usize) -> i64 {
        match self {
            Basis::Narrow(t) => t.pi[node].as_wide(),
            Basis::Wide(t) => t.pi[node],
        }
    }

    fn arcs(&self) -> usize {
        match self {
            Basis::Narrow(t) => t.search_arcs,
            Basis::Wide(t) => t.search_arcs,
        }
    }
}

/// The width node potentials are kept in (see the module doc).
trait Potential: Copy + Default {
    /// The artificial arcs' cost at most: it must fit, with room for real costs.
    const ART_COST_CAP: i64;
    /// The potential as `i64`. (Not `widen`: the standard library is adding an integer
    /// method of that name, which would take the call over.)
    fn as_wide(self) -> i64;
    /// `v` at this width, and whether it fits.
    fn narrow(v: i64) -> (Self, bool);
}

impl Potential for i32 {
    // As LEMON's integer instantiation: half the range, leaving the other half for paths.
    const ART_COST_CAP: i64 = i32::MAX as i64 / 2 + 1;
    fn as_wide(self) -> i64 {
        i64::from(self)
    }
    fn narrow(v: i64) -> (i32, bool) {
        (v as i32, i64::from(v as i32) == v)
    }
}

impl Potential for i64 {
    const ART_COST_CAP: i64 = i64::MAX;
    fn as_wide(self) -> i64 {
        self
    }
    fn narrow(v: i64) -> (i64, bool) {
        (v, true)
    }
}

/// A potential did not fit its width.
#[derive(Debug)]
struct Overflow;

impl NetworkSimplex {
    /// An instance of `nodes` nodes, no supply and no arc.
    pub fn new(nodes: usize) -> NetworkSimplex {
        NetworkSimplex {
            supply: vec![0; nodes],
            ..NetworkSimplex::default()
        }
    }

    /// Adds `amount` to a node's supply (negative for a demand). A solved basis no longer
    /// fits, so the next solve starts cold.
    pub fn add_supply(&mut self, node: usize, amount: i64) {
        self.supply[node] += amount;
        self.basis = None;
    }

    /// Adds an arc with capacity `cap` (≥ 0) and cost `cost` per unit of flow; costs must
    /// fit in 32 bits (the pivot search streams them, and half the bytes is faster).
    /// After a solve, the arc joins the kept basis at flow 0 when [`NetworkSimplex::resolve`]
    /// runs.
    pub fn add_arc(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> FlowArc {
        assert!(cap >= 0, "capacities are non-negative");
        assert!(
            i32::try_from(cost).is_ok(),
            "arc costs fit in 32 bits, got {cost}"
        );
        assert!(from < self.supply.len() && to < self.supply.len());
        self.source.push(from);
        self.target.push(to);
        self.cap.push(cap);
        self.cost.push(cost);
        FlowArc(self.source.len() - 1)
    }

    /// Flow on an arc after solving.
    pub fn flow(&self, arc: FlowArc) -> i64 {
        self.flow.get(arc.0).copied().unwrap_or(0)
    }

    /// Solves the instance from scratch; returns the minimum total cost.
    pub fn solve(&mut self) -> Result<i64, FlowError> {
        let total: i64 = self.supply.iter().sum();
        if total != 0 {
            return Err(FlowError::Unbalanced(total));
        }
        self.basis = None;
        let mut narrow = Tree::<i32>::new(self);
        let finished = narrow.run(&self.supply, true).is_ok();
        let artificial_flow = narrow.artificial_flow();
        if finished && artificial_flow && !narrow.art_cost_capped {
            // The exact artificial cost could not drive the flow out: no flow exists.
            return Err(FlowError::Infeasible);
        }
        if finished && !artificial_flow {
            self.keep(Basis::Narrow(narrow));
        } else {
            drop(narrow);
            self.solve_wide()?;
        }
        Ok(self.total_cost())
    }

    /// Solves again after arcs were added, continuing from the last optimal basis (the
    /// new arcs enter at flow 0); without a kept basis, solves from scratch. The answer
    /// is the same as [`NetworkSimplex::solve`] would give, usually after far fewer
    /// pivots.
    pub fn resolve(&mut self) -> Result<i64, FlowError> {
        let Some(basis) = self.basis.take() else {
            return self.solve();
        };
        let first_new = basis.arcs();
        let warm = match basis {
            Basis::Narrow(mut tree) => {
                tree.extend(self, first_new);
                let finished = tree.run(&self.supply, false).is_ok();
                (finished && !tree.artificial_flow()).then_some(Basis::Narrow(tree))
            }
            Basis::Wide(mut tree) => {
                tree.extend(self, first_new);
                tree.run(&self.supply, false)
                    .expect("64-bit potentials hold any path cost of 32-bit arc costs");
                (!tree.artificial_flow()).then_some(Basis::Wide(tree))
            }
        };
        match warm {
            Some(basis) => self.keep(basis),
            // A potential outgrew 32 bits, or flow went back onto an artificial arc whose
            // cost was set before the dearer new arcs existed: solve exactly, from scratch.
            None => self.solve_wide()?,
        }
        Ok(self.total_cost())
    }

    /// A node's potential in the last optimal basis: every arc's reduced cost
    /// `cost + potential(from) − potential(to)` is ≥ 0 at flow 0, 0 strictly between its
    /// bounds and ≤ 0 at capacity. None before a solve, or after a supply changed.
    pub fn potential(&self, node: usize) -> Option<i64> {
        self.basis.as_ref().map(|b| b.potential(node))
    }

    fn solve_wide(&mut self) -> Result<(), FlowError> {
        let mut wide = Tree::<i64>::new(self);
        wide.run(&self.supply, true)
            .expect("64-bit potentials hold any path cost of 32-bit arc costs");
        if wide.artificial_flow() {
            return Err(FlowError::Infeasible);
        }
        self.keep(Basis::Wide(wide));
        Ok(())
    }

    fn keep(&mut self, basis: Basis) {
        (self.flow, self.wide_potentials) = match &basis {
            Basis::Narrow(t) => (t.flows(), false),
            Basis::Wide(t) => (t.flows(), true),
        };
        self.basis = Some(basis);
    }

    fn total_cost(&self) -> i64 {
        self.flow.iter().zip(&self.cost).map(|(&f, &c)| f * c).sum()
    }

    /// Whether the last solve needed 64-bit potentials (see the module doc).
    pub fn used_wide_potentials(&self) -> bool {
        self.wide_potentials
    }
}
