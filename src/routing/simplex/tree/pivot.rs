//! The pivots of the network simplex: choosing the entering arc by block search, the
//! cycle it closes, the leaving arc, and the tree and potential updates, as LEMON's
//! `NetworkSimplex` does them (`update_tree_structure` line for line, so the two can be
//! read side by side).

use super::{DIR_DOWN, DIR_UP, NONE, STATE_LOWER, STATE_TREE, STATE_UPPER, Tree};
use crate::routing::simplex::Potential;

impl<P: Potential> Tree<P> {
    pub(super) fn pivot(&mut self) {
        self.find_join_node();
        let change = self.find_leaving_arc();
        self.change_flow(change);
        if change {
            self.update_tree_structure();
            self.update_potential();
        }
    }

    /// LEMON's warm start: the cheapest arc into each demand node, pivoted in first.
    pub(super) fn initial_arcs(&self, supply: &[i64]) -> Vec<usize> {
        let mut cheapest = vec![NONE; supply.len()];
        for e in 0..self.search_arcs {
            let v = self.dst(e);
            if supply[v] < 0 && (cheapest[v] == NONE || self.cost[e] < self.cost[cheapest[v]]) {
                cheapest[v] = e;
            }
        }
        cheapest.into_iter().filter(|&e| e != NONE).collect()
    }

    pub(super) fn reduced(&self, e: usize) -> i64 {
        i64::from(self.state[e])
            * (i64::from(self.cost[e]) + self.pi[self.src(e)].as_wide()
                - self.pi[self.dst(e)].as_wide())
    }

    /// Block search: scan arcs from where the last search stopped, a block at a time, and
    /// take the most negative reduced cost of the first block that has one.
    pub(super) fn find_entering_arc(&mut self) -> bool {
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
            let r = i64::from(st) * (i64::from(c) + ps.as_wide() - pt.as_wide());
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
        let sigma = self.pi[self.v_in].as_wide()
            - self.pi[self.u_in].as_wide()
            - i64::from(self.pred_dir[self.u_in]) * i64::from(self.cost[self.in_arc]);
        let end = self.thread.at(self.last_succ.at(self.u_in));
        let mut u = self.u_in;
        let mut fits = true;
        while u != end {
            let (v, ok) = P::narrow(self.pi[u].as_wide() + sigma);
            self.pi[u] = v;
            fits &= ok;
            u = self.thread.at(u);
        }
        self.overflow |= !fits;
    }
}
