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

// Arc states: the sign multiplies the reduced cost so that "< 0" means "may enter".
const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;
// Direction of a node's tree arc: up (node → parent) or down (parent → node).
const DIR_UP: i8 = 1;
const DIR_DOWN: i8 = -1;

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
            Basis::Narrow(t) => t.pi[node].widen(),
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
    fn widen(self) -> i64;
    /// `v` at this width, and whether it fits.
    fn narrow(v: i64) -> (Self, bool);
}

impl Potential for i32 {
    // As LEMON's integer instantiation: half the range, leaving the other half for paths.
    const ART_COST_CAP: i64 = i32::MAX as i64 / 2 + 1;
    fn widen(self) -> i64 {
        i64::from(self)
    }
    fn narrow(v: i64) -> (i32, bool) {
        (v as i32, i64::from(v as i32) == v)
    }
}

impl Potential for i64 {
    const ART_COST_CAP: i64 = i64::MAX;
    fn widen(self) -> i64 {
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

    /// The arcs added so far (a solve covers all of them).
    pub fn arc_count(&self) -> usize {
        self.source.len()
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

/// The spanning-tree basis and its working arrays. Arcs `0..m` are the instance's;
/// arc `m + u` is node `u`'s artificial arc to the root (node `n`).
#[derive(Debug, Clone)]
struct Tree<P> {
    /// Internal index of each instance arc (see [`mixed_order`]).
    position: Vec<usize>,
    /// Arc ends as u32: the pivot search streams these, and half the bytes is faster.
    source: Vec<u32>,
    target: Vec<u32>,
    /// Costs of the instance's arcs (artificial arcs' costs live in the potentials).
    cost: Vec<i32>,
    /// Flow and capacity side by side: the cycle walks read both for each tree arc.
    arc: Vec<FlowCap>,
    state: Vec<i8>,
    /// Node potentials: a tree arc has zero reduced cost `cost + pi[s] - pi[t]`.
    pi: Vec<P>,
    /// Set when a potential update did not fit `P`.
    overflow: bool,
    /// The artificial cost was capped to fit `P`: flow left on an artificial arc may then
    /// mean the cap was too low rather than that the instance is infeasible.
    art_cost_capped: bool,
    parent: NodeArray,
    /// Each node's tree arc to its parent, and whether it points up or down.
    pred: NodeArray,
    pred_dir: Vec<i8>,
    /// Preorder threading of the tree (a cyclic list through all nodes).
    thread: NodeArray,
    rev_thread: NodeArray,
    /// Size of each node's subtree and its last node in thread order.
    succ_num: NodeArray,
    last_succ: NodeArray,
    /// Only the instance's arcs are searched for entering; artificial ones never re-enter
    /// once they leave at zero flow.
    search_arcs: usize,
    block_size: usize,
    next_arc: usize,
    dirty_revs: Vec<usize>,
    // The current pivot.
    in_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
}

/// Arcs per block of the pivot search, as a fraction of √m. LEMON uses 1.0. On the
/// evacuation instances of `benches/flow.rs` a quarter of that was fastest (0.5 and 0.125
/// next; 2 and 4 much slower): 1.7 s against 2.3–2.6 s at 1.0 for 100k units × 25k
/// shelters, with the same optimal cost, since any rule that stops only when no arc may
/// enter is exact.
const BLOCK_SIZE_FACTOR: f64 = 0.25;

fn block_size(arcs: usize) -> usize {
    (((arcs as f64).sqrt() * BLOCK_SIZE_FACTOR) as usize).max(10)
}

/// "No node / no arc" in the u32 node arrays (read back as usize).
const NONE: usize = u32::MAX as usize;

/// Internal positions of `m` arcs among `n` nodes (LEMON's arc mixing): taken from the
/// last arc added to the first, as LEMON's graphs list them, the arcs are laid out with
/// a stride of max(m / n, 3), wrapping to the next offset. Matching LEMON's order made
/// the pivot sequence the same as LEMON's at LEMON's block size (545,090 pivots on the benchmark
/// instance in both); the forward order took 4% more pivots. Artificial arcs follow at `m..`.
fn mixed_order(m: usize, n: usize) -> Vec<usize> {
    if n <= 1 {
        return (0..m).collect();
    }
    let skip = (m / n).max(3);
    let (mut i, mut j) = (0, 0);
    let mut position: Vec<usize> = (0..m)
        .map(|_| {
            let at = i;
            i += skip;
            if i >= m {
                j += 1;
                i = j;
            }
            at
        })
        .collect();
    position.reverse();
    position
}

#[derive(Debug, Clone, Copy)]
struct FlowCap {
    flow: i64,
    cap: i64,
}

/// A per-node array of node or arc indices, stored as u32: the tree walks chase these,
/// and half the bytes keeps more of the tree in cache.
#[derive(Debug, Clone)]
struct NodeArray(Vec<u32>);

impl NodeArray {
    fn filled(value: usize, len: usize) -> NodeArray {
        NodeArray(vec![value as u32; len])
    }

    fn at(&self, i: usize) -> usize {
        self.0[i] as usize
    }

    fn set(&mut self, i: usize, value: usize) {
        self.0[i] = value as u32;
    }

    fn add(&mut self, i: usize, delta: usize) {
        self.0[i] += delta as u32;
    }

    fn sub(&mut self, i: usize, delta: usize) {
        self.0[i] -= delta as u32;
    }
}

impl<P: Potential> Tree<P> {
    /// The starting basis of `p`: every node hung from the artificial root, the
    /// instance's arcs at their lower bound.
    fn new(p: &NetworkSimplex) -> Tree<P> {
        let n = p.supply.len();
        let max_cost = p.cost.iter().map(|c| c.abs()).max().unwrap_or(0);
        // Dearer than any path of real arcs, so artificial flow leaves whenever it can.
        let exact_art_cost = (max_cost + 1).saturating_mul(n as i64 + 1);
        let art_cost = exact_art_cost.min(P::ART_COST_CAP);
        let mut t = Tree::unhung(p, art_cost < exact_art_cost);
        t.hang_from_root(&p.supply, art_cost);
        t
    }

    /// The instance's arcs laid out for the pivot search, every arc at flow 0 and at its
    /// lower bound, and the node arrays sized, with no tree in them yet.
    fn unhung(p: &NetworkSimplex, art_cost_capped: bool) -> Tree<P> {
        let (n, m) = (p.supply.len(), p.source.len());
        let root = n;
        let infinite = p.supply.iter().filter(|&&s| s > 0).sum::<i64>() + 1;
        let all = m + n;
        // Arc mixing (as LEMON): store the arcs interleaved with a stride, so that each
        // block of the pivot search spans many nodes rather than one node's arcs.
        let position = mixed_order(m, n);
        assert!(
            all < u32::MAX as usize,
            "too many nodes and arcs for u32 indices"
        );
        let place = |values: &[usize]| {
            let mut out = vec![0u32; all];
            for (a, &i) in position.iter().enumerate() {
                out[i] = values[a] as u32;
            }
            out
        };
        let (source, target) = (place(&p.source), place(&p.target));
        let unused = FlowCap {
            flow: 0,
            cap: infinite,
        };
        let (mut arc, mut cost) = (vec![unused; all], vec![0i32; m]);
        for (a, &i) in position.iter().enumerate() {
            arc[i].cap = p.cap[a];
            cost[i] = p.cost[a] as i32;
        }
        Tree {
            source,
            target,
            arc,
            cost,
            position,
            state: vec![STATE_LOWER; all],
            pi: vec![P::default(); n + 1],
            overflow: false,
            art_cost_capped,
            parent: NodeArray::filled(root, n + 1),
            pred: NodeArray::filled(NONE, n + 1),
            pred_dir: vec![DIR_UP; n + 1],
            thread: NodeArray::filled(0, n + 1),
            rev_thread: NodeArray::filled(0, n + 1),
            succ_num: NodeArray::filled(1, n + 1),
            last_succ: NodeArray::filled(0, n + 1),
            search_arcs: m,
            block_size: block_size(m),
            next_arc: 0,
            dirty_revs: Vec::new(),
            in_arc: 0,
            join: 0,
            u_in: 0,
            v_in: 0,
            u_out: 0,
            delta: 0,
        }
    }

    /// The starting tree (LEMON's): each node hangs from the root by its artificial arc,
    /// which carries its supply up to the root or its demand down from it, and the
    /// thread runs through the nodes in order. A demand node's potential is the
    /// artificial cost `art_cost`, so its tree arc has zero reduced cost.
    fn hang_from_root(&mut self, supply: &[i64], art_cost: i64) {
        let (n, m) = (supply.len(), self.search_arcs);
        let root = n;
        self.parent.set(root, NONE);
        self.thread.set(root, 0);
        self.rev_thread.set(0, root);
        self.succ_num.set(root, n + 1);
        self.last_succ.set(root, if n == 0 { root } else { n - 1 });
        for (u, &s) in supply.iter().enumerate() {
            let e = m + u;
            self.pred.set(u, e);
            self.thread.set(u, u + 1);
            self.rev_thread.set(u + 1, u);
            self.last_succ.set(u, u);
            self.state[e] = STATE_TREE;
            if s >= 0 {
                self.pred_dir[u] = DIR_UP;
                (self.source[e], self.target[e]) = (u as u32, root as u32);
                self.arc[e].flow = s;
            } else {
                self.pred_dir[u] = DIR_DOWN;
                // The artificial arc's cost, so its reduced cost is 0 (fits: capped).
                self.pi[u] = P::narrow(art_cost).0;
                (self.source[e], self.target[e]) = (root as u32, u as u32);
                self.arc[e].flow = -s;
            }
        }
        if n == 0 {
            self.thread.set(root, root);
            self.rev_thread.set(root, root);
        }
    }

    fn src(&self, e: usize) -> usize {
        self.source[e] as usize
    }

    fn dst(&self, e: usize) -> usize {
        self.target[e] as usize
    }

    /// Pivots to optimality, or stops at the first potential that does not fit `P`.
    /// A cold start first pivots in LEMON's initial arcs; a warm one continues from the
    /// basis it has.
    fn run(&mut self, supply: &[i64], cold: bool) -> Result<(), Overflow> {
        let initial = if cold {
            self.initial_arcs(supply)
        } else {
            Vec::new()
        };
        for e in initial {
            if self.reduced(e) < 0 {
                self.in_arc = e;
                self.pivot();
                if self.overflow {
                    return Err(Overflow);
                }
            }
        }
        while self.find_entering_arc() {
            self.pivot();
            if self.overflow {
                return Err(Overflow);
            }
        }
        Ok(())
    }

    /// Each instance arc's flow, in the order the arcs were added.
    fn flows(&self) -> Vec<i64> {
        self.position.iter().map(|&i| self.arc[i].flow).collect()
    }

    /// Whether an artificial arc still carries flow (the instance, or the artificial
    /// cost, left the solve short of a real flow).
    fn artificial_flow(&self) -> bool {
        self.arc[self.search_arcs..].iter().any(|a| a.flow != 0)
    }

    /// Takes in the instance's arcs from `first_new` on, at flow 0 (their lower bound, so
    /// the basis stays feasible). They are placed after the instance's other arcs and
    /// before the artificial ones, whose tree references shift along.
    fn extend(&mut self, p: &NetworkSimplex, first_new: usize) {
        let (old_m, new_m) = (self.search_arcs, p.source.len());
        let added = new_m - old_m;
        debug_assert_eq!(first_new, old_m);
        if added == 0 {
            return;
        }
        assert!(
            new_m + self.pi.len() < u32::MAX as usize,
            "too many nodes and arcs for u32 indices"
        );
        let ends = |v: &[usize]| v[first_new..].iter().map(|&x| x as u32).collect::<Vec<_>>();
        self.source.splice(old_m..old_m, ends(&p.source));
        self.target.splice(old_m..old_m, ends(&p.target));
        self.arc.splice(
            old_m..old_m,
            p.cap[first_new..]
                .iter()
                .map(|&cap| FlowCap { flow: 0, cap }),
        );
        self.state
            .splice(old_m..old_m, std::iter::repeat_n(STATE_LOWER, added));
        self.cost
            .extend(p.cost[first_new..].iter().map(|&c| c as i32));
        self.position.extend(old_m..new_m);
        for u in 0..self.pred.0.len() {
            let e = self.pred.at(u);
            if e != NONE && e >= old_m {
                self.pred.set(u, e + added);
            }
        }
        self.search_arcs = new_m;
        self.block_size = block_size(new_m);
        self.next_arc = self.next_arc.min(new_m.saturating_sub(1));
    }

    fn pivot(&mut self) {
        self.find_join_node();
        let change = self.find_leaving_arc();
        self.change_flow(change);
        if change {
            self.update_tree_structure();
            self.update_potential();
        }
    }

    /// LEMON's warm start: the cheapest arc into each demand node, pivoted in first.
    fn initial_arcs(&self, supply: &[i64]) -> Vec<usize> {
        let mut cheapest = vec![NONE; supply.len()];
        for e in 0..self.search_arcs {
            let v = self.dst(e);
            if supply[v] < 0 && (cheapest[v] == NONE || self.cost[e] < self.cost[cheapest[v]]) {
                cheapest[v] = e;
            }
        }
        cheapest.into_iter().filter(|&e| e != NONE).collect()
    }

    fn reduced(&self, e: usize) -> i64 {
        i64::from(self.state[e])
            * (i64::from(self.cost[e]) + self.pi[self.src(e)].widen()
                - self.pi[self.dst(e)].widen())
    }

    /// Block search: scan arcs from where the last search stopped, a block at a time, and
    /// take the most negative reduced cost of the first block that has one.
    fn find_entering_arc(&mut self) -> bool {
        let (start, m) = (self.next_arc, self.search_arcs);
        let (mut min, mut count) = (0, self.block_size);
        // One pass from `start` round to it again; a block may straddle the wrap.
        for (lo, hi) in [(start, m), (0, start)] {
            let mut e = lo;
            while e < hi {
                let end = (e + count).min(hi);
                let (c, at) = self.block_min(e, end);
                if c < min {
                    (min, self.in_arc) = (c, at);
                }
                count -= end - e;
                e = end;
                if count == 0 {
                    if min < 0 {
                        // The next search starts at this block's last arc (as LEMON).
                        self.next_arc = end - 1;
                        return true;
                    }
                    count = self.block_size;
                }
            }
        }
        min < 0
    }

    /// The most negative reduced cost among arcs `a..b` (0 if none is negative).
    fn block_min(&self, a: usize, b: usize) -> (i64, usize) {
        let pi = &self.pi;
        let arcs = self.source[a..b]
            .iter()
            .zip(&self.target[a..b])
            .zip(&self.cost[a..b])
            .zip(&self.state[a..b]);
        let mut best = (0, a);
        for (k, (((&s, &t), &c), &st)) in arcs.enumerate() {
            // SAFETY: every arc end is a node index below `pi.len()` (checked in
            // `add_arc`; artificial arcs end at the root, `pi.len() - 1`). Dropping the
            // two bounds checks here, the hottest loop, measurably speeds the search.
            let (ps, pt) =
                unsafe { (*pi.get_unchecked(s as usize), *pi.get_unchecked(t as usize)) };
            let r = i64::from(st) * (i64::from(c) + ps.widen() - pt.widen());
            if r < best.0 {
                best = (r, a + k);
            }
        }
        best
    }

    /// The entering arc's cycle meets the tree path at the deepest common ancestor.
    fn find_join_node(&mut self) {
        let (mut u, mut v) = (self.src(self.in_arc), self.dst(self.in_arc));
        while u != v {
            if self.succ_num.at(u) < self.succ_num.at(v) {
                u = self.parent.at(u);
            } else {
                v = self.parent.at(v);
            }
        }
        self.join = u;
    }

    /// Finds the blocking arc of the cycle (ties broken to keep the tree strongly
    /// feasible, which prevents cycling); returns false if the entering arc itself
    /// blocks, i.e. it only moves to its other bound.
    fn find_leaving_arc(&mut self) -> bool {
        let e_in = self.in_arc;
        let (first, second) = if self.state[e_in] == STATE_LOWER {
            (self.src(e_in), self.dst(e_in))
        } else {
            (self.dst(e_in), self.src(e_in))
        };
        self.delta = self.arc[e_in].cap;
        let mut result = 0;
        let mut u = first;
        while u != self.join {
            let e = self.pred.at(u);
            let d = if self.pred_dir[u] == DIR_DOWN {
                self.arc[e].cap - self.arc[e].flow
            } else {
                self.arc[e].flow
            };
            if d < self.delta {
                self.delta = d;
                self.u_out = u;
                result = 1;
            }
            u = self.parent.at(u);
        }
        let mut u = second;
        while u != self.join {
            let e = self.pred.at(u);
            let d = if self.pred_dir[u] == DIR_UP {
                self.arc[e].cap - self.arc[e].flow
            } else {
                self.arc[e].flow
            };
            if d <= self.delta {
                self.delta = d;
                self.u_out = u;
                result = 2;
            }
            u = self.parent.at(u);
        }
        (self.u_in, self.v_in) = if result == 1 {
            (first, second)
        } else {
            (second, first)
        };
        result != 0
    }

    fn change_flow(&mut self, change: bool) {
        let e_in = self.in_arc;
        if self.delta > 0 {
            let val = i64::from(self.state[e_in]) * self.delta;
            self.arc[e_in].flow += val;
            let mut u = self.src(e_in);
            while u != self.join {
                self.arc[self.pred.at(u)].flow -= i64::from(self.pred_dir[u]) * val;
                u = self.parent.at(u);
            }
            let mut u = self.dst(e_in);
            while u != self.join {
                self.arc[self.pred.at(u)].flow += i64::from(self.pred_dir[u]) * val;
                u = self.parent.at(u);
            }
        }
        if change {
            self.state[e_in] = STATE_TREE;
            let out = self.pred.at(self.u_out);
            self.state[out] = if self.arc[out].flow == 0 {
                STATE_LOWER
            } else {
                STATE_UPPER
            };
        } else {
            self.state[e_in] = -self.state[e_in];
        }
    }

    /// Re-hangs the subtree cut off by the leaving arc below the entering arc: the stem
    /// from `u_in` up to `u_out` is reversed, and the thread, successor counts and last
    /// successors are patched along it and along both paths to the join node.
    ///
    /// Long, and kept whole on purpose: it is a line-for-line port of LEMON's
    /// `updateTreeStructure`, run on every pivot. Read side by side with LEMON, each
    /// step can be checked against the original; split into helpers, that
    /// correspondence is lost, and the pivot loop's speed (benches/flow.rs) would rest
    /// on the inliner.
    fn update_tree_structure(&mut self) {
        let (u_in, v_in, u_out, join) = (self.u_in, self.v_in, self.u_out, self.join);
        let old_rev_thread = self.rev_thread.at(u_out);
        let old_succ_num = self.succ_num.at(u_out);
        let old_last_succ = self.last_succ.at(u_out);
        let v_out = self.parent.at(u_out);

        if u_in == u_out {
            self.parent.set(u_in, v_in);
            self.pred.set(u_in, self.in_arc);
            self.pred_dir[u_in] = if u_in == self.src(self.in_arc) {
                DIR_UP
            } else {
                DIR_DOWN
            };
            if self.thread.at(v_in) != u_out {
                let mut after = self.thread.at(old_last_succ);
                self.thread.set(old_rev_thread, after);
                self.rev_thread.set(after, old_rev_thread);
                after = self.thread.at(v_in);
                self.thread.set(v_in, u_out);
                self.rev_thread.set(u_out, v_in);
                self.thread.set(old_last_succ, after);
                self.rev_thread.set(after, old_last_succ);
            }
        } else {
            // When u_out's thread predecessor is v_in, join and v_out coincide.
            let thread_continue = if old_rev_thread == v_in {
                self.thread.at(old_last_succ)
            } else {
                self.thread.at(v_in)
            };
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = self.last_succ.at(u_in);
            let mut after = self.thread.at(last);
            self.thread.set(v_in, u_in);
            self.dirty_revs.clear();
            self.dirty_revs.push(v_in);
            while stem != u_out {
                let next_stem = self.parent.at(stem);
                self.thread.set(last, next_stem);
                self.dirty_revs.push(last);
                // Unlink stem's subtree from the thread.
                let before = self.rev_thread.at(stem);
                self.thread.set(before, after);
                self.rev_thread.set(after, before);
                self.parent.set(stem, par_stem);
                par_stem = stem;
                stem = next_stem;
                last = if self.last_succ.at(stem) == self.last_succ.at(par_stem) {
                    self.rev_thread.at(par_stem)
                } else {
                    self.last_succ.at(stem)
                };
                after = self.thread.at(last);
            }
            self.parent.set(u_out, par_stem);
            self.thread.set(last, thread_continue);
            self.rev_thread.set(thread_continue, last);
            self.last_succ.set(u_out, last);
            if old_rev_thread != v_in {
                self.thread.set(old_rev_thread, after);
                self.rev_thread.set(after, old_rev_thread);
            }
            for i in 0..self.dirty_revs.len() {
                let u = self.dirty_revs[i];
                let next = self.thread.at(u);
                self.rev_thread.set(next, u);
            }
            // Reverse pred, pred_dir, succ_num and last_succ along the stem.
            let mut tmp_sc = 0;
            let tmp_ls = self.last_succ.at(u_out);
            let mut u = u_out;
            while u != u_in {
                let p = self.parent.at(u);
                self.pred.set(u, self.pred.at(p));
                self.pred_dir[u] = -self.pred_dir[p];
                tmp_sc += self.succ_num.at(u) - self.succ_num.at(p);
                self.succ_num.set(u, tmp_sc);
                self.last_succ.set(p, tmp_ls);
                u = p;
            }
            self.pred.set(u_in, self.in_arc);
            self.pred_dir[u_in] = if u_in == self.src(self.in_arc) {
                DIR_UP
            } else {
                DIR_DOWN
            };
            self.succ_num.set(u_in, old_succ_num);
        }

        // Last successors from v_in towards the root.
        let up_limit_out = if self.last_succ.at(join) == v_in {
            join
        } else {
            NONE
        };
        let last_succ_out = self.last_succ.at(u_out);
        let mut u = v_in;
        while u != NONE && self.last_succ.at(u) == v_in {
            self.last_succ.set(u, last_succ_out);
            u = self.parent.at(u);
        }
        // Last successors from v_out towards the root.
        let replacement = if join != old_rev_thread && v_in != old_rev_thread {
            Some(old_rev_thread)
        } else if last_succ_out != old_last_succ {
            Some(last_succ_out)
        } else {
            None
        };
        if let Some(new_last) = replacement {
            let mut u = v_out;
            while u != up_limit_out && self.last_succ.at(u) == old_last_succ {
                self.last_succ.set(u, new_last);
                u = self.parent.at(u);
            }
        }
        // Subtree sizes along both paths to the join node.
        let mut u = v_in;
        while u != join {
            self.succ_num.add(u, old_succ_num);
            u = self.parent.at(u);
        }
        let mut u = v_out;
        while u != join {
            self.succ_num.sub(u, old_succ_num);
            u = self.parent.at(u);
        }
    }

    /// Shifts the potentials of the moved subtree so its new tree arc has zero reduced
    /// cost.
    fn update_potential(&mut self) {
        let sigma = self.pi[self.v_in].widen()
            - self.pi[self.u_in].widen()
            - i64::from(self.pred_dir[self.u_in]) * i64::from(self.cost[self.in_arc]);
        let end = self.thread.at(self.last_succ.at(self.u_in));
        let mut u = self.u_in;
        let mut fits = true;
        while u != end {
            let (v, ok) = P::narrow(self.pi[u].widen() + sigma);
            self.pi[u] = v;
            fits &= ok;
            u = self.thread.at(u);
        }
        self.overflow |= !fits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::flow::FlowNetwork;
    use proptest::prelude::*;

    /// A random network with supplies at some nodes and demands at others, plus the
    /// same instance as a source–sink flow for the successive-shortest-paths solver.
    fn both(
        n: usize,
        arcs: &[ArcSpec],
        supply: &[i64],
    ) -> (NetworkSimplex, Vec<FlowArc>, Option<i64>) {
        let mut ns = NetworkSimplex::new(n);
        let handles: Vec<FlowArc> = arcs
            .iter()
            .map(|&(a, b, cap, cost)| ns.add_arc(a, b, cap, cost))
            .collect();
        let (s, t) = (n, n + 1);
        let mut ssp = FlowNetwork::new(n + 2);
        for &(a, b, cap, cost) in arcs {
            ssp.add_arc(a, b, cap, cost);
        }
        let mut want = 0;
        for (u, &b) in supply.iter().enumerate() {
            ns.add_supply(u, b);
            if b > 0 {
                ssp.add_arc(s, u, b, 0);
                want += b;
            } else if b < 0 {
                ssp.add_arc(u, t, -b, 0);
            }
        }
        let (flow, cost) = ssp.min_cost_flow(s, t, want);
        (ns, handles, (flow == want).then_some(cost))
    }

    /// Certifies a solution: conservation, bounds, and no residual negative cycle
    /// (checked by Bellman–Ford on the residual graph).
    fn certify(n: usize, arcs: &[ArcSpec], supply: &[i64], flows: &[i64]) {
        let mut balance = supply.to_vec();
        for (&(a, b, cap, _), &f) in arcs.iter().zip(flows) {
            assert!((0..=cap).contains(&f), "flow {f} outside [0, {cap}]");
            balance[a] -= f;
            balance[b] += f;
        }
        assert!(balance.iter().all(|&b| b == 0), "conservation: {balance:?}");
        let mut residual = Vec::new();
        for (&(a, b, cap, cost), &f) in arcs.iter().zip(flows) {
            if f < cap {
                residual.push((a, b, cost));
            }
            if f > 0 {
                residual.push((b, a, -cost));
            }
        }
        let mut dist = vec![0i64; n];
        for _ in 0..n {
            for &(a, b, c) in &residual {
                dist[b] = dist[b].min(dist[a] + c);
            }
        }
        for &(a, b, c) in &residual {
            assert!(dist[a] + c >= dist[b], "a negative residual cycle remains");
        }
    }

    /// (from, to, capacity, cost)
    type ArcSpec = (usize, usize, i64, i64);

    fn network() -> impl Strategy<Value = (usize, Vec<ArcSpec>, Vec<i64>)> {
        (2usize..9).prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec((0..n, 0..n, 0i64..8, 0i64..30), 0..30),
                prop::collection::vec(-5i64..6, n),
            )
        })
    }

    /// As [`network`], with costs up to a billion (the unplaced cost's size): paths of a
    /// few arcs outgrow 32-bit potentials, so the fallback to 64 bits is exercised too.
    fn costly_network() -> impl Strategy<Value = (usize, Vec<ArcSpec>, Vec<i64>)> {
        (2usize..9).prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec((0..n, 0..n, 0i64..8, 0i64..1_000_000_000), 0..30),
                prop::collection::vec(-5i64..6, n),
            )
        })
    }

    /// Solves with the simplex and the reference, and checks they agree (cost, and a
    /// certified flow) or are both infeasible.
    fn agrees_with_reference(
        n: usize,
        arcs: Vec<ArcSpec>,
        mut supply: Vec<i64>,
    ) -> Result<(), TestCaseError> {
        let arcs: Vec<_> = arcs.into_iter().filter(|a| a.0 != a.1).collect();
        // Balance by moving the surplus onto node 0.
        let total: i64 = supply.iter().sum();
        supply[0] -= total;
        let (mut ns, handles, reference) = both(n, &arcs, &supply);
        match (ns.solve(), reference) {
            (Ok(cost), Some(want)) => {
                prop_assert_eq!(cost, want);
                let flows: Vec<i64> = handles.iter().map(|&h| ns.flow(h)).collect();
                certify(n, &arcs, &supply, &flows);
            }
            (Err(FlowError::Infeasible), None) => {}
            (got, want) => prop_assert!(false, "simplex {got:?}, reference {want:?}"),
        }
        Ok(())
    }

    /// Checks the kept potentials against every arc: reduced cost ≥ 0 at flow 0, = 0
    /// strictly between the bounds, ≤ 0 at capacity (complementary slackness, which
    /// together with a feasible flow proves it optimal).
    fn potentials_certify(ns: &NetworkSimplex, arcs: &[ArcSpec], flows: &[i64]) {
        for (&(a, b, cap, cost), &f) in arcs.iter().zip(flows) {
            let pa = ns.potential(a).expect("solved");
            let pb = ns.potential(b).expect("solved");
            let reduced = cost + pa - pb;
            if f == 0 && cap > 0 {
                assert!(reduced >= 0, "arc {a}->{b} at 0 has reduced cost {reduced}");
            } else if f == cap && cap > 0 {
                assert!(
                    reduced <= 0,
                    "arc {a}->{b} at capacity has reduced cost {reduced}"
                );
            } else if f > 0 {
                assert_eq!(reduced, 0, "arc {a}->{b} between its bounds");
            }
        }
    }

    /// Solves with the first `split` arcs, adds the rest and re-solves warm: the same
    /// cost as a cold solve of the whole instance, a certified flow, and potentials that
    /// certify it.
    fn warm_agrees_with_cold(
        n: usize,
        arcs: Vec<ArcSpec>,
        mut supply: Vec<i64>,
        split: usize,
    ) -> Result<(), TestCaseError> {
        let arcs: Vec<_> = arcs.into_iter().filter(|a| a.0 != a.1).collect();
        let total: i64 = supply.iter().sum();
        supply[0] -= total;
        // An expensive way from every supply to every demand, in the first stage, keeps
        // both stages feasible, as the evacuation's "unplaced" arcs do.
        let mut all: Vec<ArcSpec> = Vec::new();
        for u in 0..n {
            for v in 0..n {
                if supply[u] > 0 && supply[v] < 0 {
                    all.push((u, v, supply[u], 100_000));
                }
            }
        }
        let split = (all.len() + split).min(all.len() + arcs.len());
        all.extend(arcs);
        let arcs = all;
        let (mut cold, handles, _) = both(n, &arcs, &supply);
        let want = cold.solve().expect("feasible by construction");
        let mut warm = NetworkSimplex::new(n);
        for (u, &b) in supply.iter().enumerate() {
            warm.add_supply(u, b);
        }
        let mut warm_handles: Vec<FlowArc> = arcs[..split]
            .iter()
            .map(|&(a, b, cap, cost)| warm.add_arc(a, b, cap, cost))
            .collect();
        warm.solve().expect("feasible by construction");
        warm_handles.extend(
            arcs[split..]
                .iter()
                .map(|&(a, b, cap, cost)| warm.add_arc(a, b, cap, cost)),
        );
        prop_assert_eq!(warm.resolve(), Ok(want));
        let flows: Vec<i64> = warm_handles.iter().map(|&h| warm.flow(h)).collect();
        certify(n, &arcs, &supply, &flows);
        potentials_certify(&warm, &arcs, &flows);
        let cold_flows: Vec<i64> = handles.iter().map(|&h| cold.flow(h)).collect();
        potentials_certify(&cold, &arcs, &cold_flows);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn cost_equals_successive_shortest_paths_and_is_certified(
            (n, arcs, supply) in network()
        ) {
            agrees_with_reference(n, arcs, supply)?;
        }

        #[test]
        fn a_warm_resolve_after_adding_arcs_equals_a_cold_solve(
            (n, arcs, supply) in network(), split in 0usize..40
        ) {
            warm_agrees_with_cold(n, arcs, supply, split)?;
        }

        #[test]
        fn a_warm_resolve_of_costly_networks_equals_a_cold_solve(
            (n, arcs, supply) in costly_network(), split in 0usize..40
        ) {
            warm_agrees_with_cold(n, arcs, supply, split)?;
        }

        #[test]
        fn costly_networks_agree_with_the_reference_at_either_width(
            (n, arcs, supply) in costly_network()
        ) {
            agrees_with_reference(n, arcs, supply)?;
        }
    }

    /// A chain whose only path costs 3 × 10⁹: more than the capped artificial cost
    /// allows for 32-bit potentials, so the first solve leaves the flow on the artificial
    /// arcs and the solve is redone at 64 bits. Worked by hand: 2 units × 3 × 10⁹.
    #[test]
    fn a_path_too_dear_for_32_bits_is_solved_at_64() {
        let mut ns = NetworkSimplex::new(4);
        ns.add_supply(0, 2);
        ns.add_supply(3, -2);
        for u in 0..3 {
            ns.add_arc(u, u + 1, 5, 1_000_000_000);
        }
        assert_eq!(ns.solve(), Ok(6_000_000_000));
        assert!(ns.used_wide_potentials());
        // The same chain with small costs stays at 32 bits.
        let mut ns = NetworkSimplex::new(4);
        ns.add_supply(0, 2);
        ns.add_supply(3, -2);
        for u in 0..3 {
            ns.add_arc(u, u + 1, 5, 7);
        }
        assert_eq!(ns.solve(), Ok(42));
        assert!(!ns.used_wide_potentials());
    }

    /// Evacuation-shaped instances (units → k of many shelters → sink, plus a costly
    /// unplaced arc per unit), larger than proptest's, against the reference solver.
    #[test]
    fn evacuation_shaped_instances_match_the_reference() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for round in 0..20 {
            let (units, shelters) = (rng.random_range(50..400), rng.random_range(5..60));
            let sink = units + shelters;
            let mut arcs = Vec::new();
            let mut supply = vec![0i64; sink + 1];
            for u in 0..units {
                let people = rng.random_range(1..300);
                supply[u] = people;
                supply[sink] -= people;
                arcs.push((u, sink, people, 1_000_000));
                for _ in 0..8 {
                    let s = units + rng.random_range(0..shelters);
                    arcs.push((u, s, people, rng.random_range(60..3600)));
                }
            }
            for s in 0..shelters {
                arcs.push((units + s, sink, rng.random_range(0..2000), 0));
            }
            let (mut ns, handles, reference) = both(sink + 1, &arcs, &supply);
            let cost = ns.solve().expect("the unplaced arcs make it feasible");
            assert_eq!(Some(cost), reference, "round {round}");
            // The plan's shape fits 32-bit potentials: the fast path is the one taken.
            assert!(!ns.used_wide_potentials(), "round {round}");
            let flows: Vec<i64> = handles.iter().map(|&h| ns.flow(h)).collect();
            certify(sink + 1, &arcs, &supply, &flows);
        }
    }

    #[test]
    fn unbalanced_supplies_are_refused() {
        let mut ns = NetworkSimplex::new(2);
        ns.add_supply(0, 3);
        ns.add_arc(0, 1, 5, 1);
        assert_eq!(ns.solve(), Err(FlowError::Unbalanced(3)));
    }

    #[test]
    fn a_hand_worked_transport_problem() {
        // Two sources (4 and 3) and two sinks (5 and 2). Costs: 0→2: 1, 0→3: 4, 1→2: 3,
        // 1→3: 1. Optimal: 0 sends 4 to 2; 1 sends 1 to 2 and 2 to 3: 4 + 3 + 2 = 9.
        let mut ns = NetworkSimplex::new(4);
        for (u, b) in [(0, 4), (1, 3), (2, -5), (3, -2)] {
            ns.add_supply(u, b);
        }
        let a = [
            ns.add_arc(0, 2, 10, 1),
            ns.add_arc(0, 3, 10, 4),
            ns.add_arc(1, 2, 10, 3),
            ns.add_arc(1, 3, 10, 1),
        ];
        assert_eq!(ns.solve(), Ok(9));
        assert_eq!(a.map(|h| ns.flow(h)), [4, 0, 1, 2]);
    }
}
