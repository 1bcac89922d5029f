//! The spanning-tree basis of the network simplex and its pivots: LEMON's thread /
//! successor-count representation, ported closely (see the parent module's doc), so its
//! hot loops can be read beside LEMON's.

mod pivot;

use super::{NetworkSimplex, Overflow, Potential};

// Arc states: the sign multiplies the reduced cost so that "< 0" means "may enter".
const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;
// Direction of a node's tree arc: up (node → parent) or down (parent → node).
const DIR_UP: i8 = 1;
const DIR_DOWN: i8 = -1;

/// The spanning-tree basis and its working arrays. Arcs `0..m` are the instance's;
/// arc `m + u` is node `u`'s artificial arc to the root (node `n`).
#[derive(Debug, Clone)]
pub(super) struct Tree<P> {
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
    pub(super) pi: Vec<P>,
    /// Set when a potential update did not fit `P`.
    overflow: bool,
    /// The artificial cost was capped to fit `P`: flow left on an artificial arc may then
    /// mean the cap was too low rather than that the instance is infeasible.
    pub(super) art_cost_capped: bool,
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
    pub(super) search_arcs: usize,
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
    pub(super) fn new(p: &NetworkSimplex) -> Tree<P> {
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
    pub(super) fn run(&mut self, supply: &[i64], cold: bool) -> Result<(), Overflow> {
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
    pub(super) fn flows(&self) -> Vec<i64> {
        self.position.iter().map(|&i| self.arc[i].flow).collect()
    }

    /// Whether an artificial arc still carries flow (the instance, or the artificial
    /// cost, left the solve short of a real flow).
    pub(super) fn artificial_flow(&self) -> bool {
        self.arc[self.search_arcs..].iter().any(|a| a.flow != 0)
    }

    /// Takes in the instance's arcs from `first_new` on, at flow 0 (their lower bound, so
    /// the basis stays feasible). They are placed after the instance's other arcs and
    /// before the artificial ones, whose tree references shift along.
    pub(super) fn extend(&mut self, p: &NetworkSimplex, first_new: usize) {
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
}
