//! The transportation problem for one relief item: depots with stock, shelters with
//! needs, a travel time between each depot and shelter it can reach; ship the stock so
//! that as much of every need as possible is met, and, among the ways that meet the
//! most, the one with the least quantity × minutes.
//!
//! Solved exactly as a min-cost flow on the crate's [`NetworkSimplex`], made balanced
//! by two extra nodes:
//!
//! - **short**: supplies the whole need, and may fill any shelter at the cost
//!   [`unmet_cost`] per unit — more than any chain of real deliveries can cost, so a
//!   unit is only left unmet when no depot can send it;
//! - **left**: takes what the depots keep (at cost 0) and whatever `short` does not send.
//!
//! Quantities are whole units of the item (kilograms, litres, tents): needs rounded up,
//! stock rounded down, so a plan never promises stock that is not there.

use crate::routing::simplex::NetworkSimplex;

/// One item's transport problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Stock at each depot.
    pub stock: Vec<i64>,
    /// Need at each shelter.
    pub need: Vec<i64>,
    /// Cost per unit from depot `d` to shelter `s` (`cost[d][s]`, in tenths of a
    /// minute), or None where no truck gets through.
    pub cost: Vec<Vec<Option<i64>>>,
}

/// A shipment: `quantity` from depot `depot` to shelter `shelter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shipment {
    /// Index into [`Problem::stock`].
    pub depot: usize,
    /// Index into [`Problem::need`].
    pub shelter: usize,
    /// Units shipped.
    pub quantity: i64,
}

/// The optimal shipments, and what no depot could send.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Non-zero shipments, by depot then shelter.
    pub shipments: Vec<Shipment>,
    /// Need left unmet at each shelter.
    pub unmet: Vec<i64>,
    /// Σ quantity × cost over the shipments.
    pub cost: i64,
}

/// The cost per unit of need left unmet: above any augmenting chain of real deliveries
/// (a cycle of the residual network has fewer forward arcs than the network has
/// nodes, each costing at most `max_cost`), so that a minimum-cost
/// solution first meets as much need as can be met.
pub fn unmet_cost(problem: &Problem) -> i64 {
    let max_cost = problem.cost.iter().flatten().flatten().copied().max();
    let chain = (problem.stock.len() + problem.need.len() + 2) as i64;
    (max_cost.unwrap_or(0) + 1) * chain
}

/// Solves `problem` exactly.
///
/// # Panics
/// When a cost is negative or the costs are too large for the flow's 32-bit arc costs
/// ([`Problem`] costs are tenths of a minute: a county's are far below).
pub fn solve(problem: &Problem) -> Solution {
    let (depots, shelters) = (problem.stock.len(), problem.need.len());
    let short = depots + shelters;
    let left = short + 1;
    let mut flow = NetworkSimplex::new(depots + shelters + 2);
    let total_need: i64 = problem.need.iter().sum();
    let total_stock: i64 = problem.stock.iter().sum();
    for (d, &stock) in problem.stock.iter().enumerate() {
        flow.add_supply(d, stock);
        flow.add_arc(d, left, stock, 0);
    }
    for (s, &need) in problem.need.iter().enumerate() {
        flow.add_supply(depots + s, -need);
    }
    flow.add_supply(short, total_need);
    flow.add_supply(left, -total_stock);
    let penalty = unmet_cost(problem);
    let unmet_arcs: Vec<_> = (0..shelters)
        .map(|s| flow.add_arc(short, depots + s, problem.need[s], penalty))
        .collect();
    flow.add_arc(short, left, total_need, 0);
    let mut arcs = Vec::new();
    for (d, row) in problem.cost.iter().enumerate() {
        for (s, cost) in row.iter().enumerate() {
            if let Some(c) = *cost {
                let cap = problem.stock[d].min(problem.need[s]);
                arcs.push((d, s, c, flow.add_arc(d, depots + s, cap, c)));
            }
        }
    }
    flow.solve()
        .expect("balanced, and short can fill every shelter: always feasible");
    let shipments: Vec<Shipment> = arcs
        .iter()
        .map(|&(depot, shelter, _, arc)| Shipment {
            depot,
            shelter,
            quantity: flow.flow(arc),
        })
        .filter(|s| s.quantity > 0)
        .collect();
    let cost = shipments
        .iter()
        .map(|s| s.quantity * problem.cost[s.depot][s.shelter].unwrap_or(0))
        .sum();
    Solution {
        shipments,
        unmet: unmet_arcs.iter().map(|&a| flow.flow(a)).collect(),
        cost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearer_depot_ships_first_and_the_rest_comes_from_the_far_one() {
        // Depot 0 has 30 and is 1 away; depot 1 has 100 and is 5 away. The shelter
        // needs 50: 30 from depot 0 (cost 30), 20 from depot 1 (cost 100).
        let p = Problem {
            stock: vec![30, 100],
            need: vec![50],
            cost: vec![vec![Some(1)], vec![Some(5)]],
        };
        let s = solve(&p);
        assert_eq!(s.cost, 130);
        assert_eq!(s.unmet, vec![0]);
        assert_eq!(
            s.shipments,
            vec![
                Shipment {
                    depot: 0,
                    shelter: 0,
                    quantity: 30
                },
                Shipment {
                    depot: 1,
                    shelter: 0,
                    quantity: 20
                }
            ]
        );
    }

    #[test]
    fn meeting_more_need_beats_a_cheaper_plan_that_meets_less() {
        // One depot with 10 can reach both shelters; shelter 1 is reachable only from it,
        // shelter 0 also from depot 1 (stock 10, far). Greedy-by-cost sends depot 0's 10
        // to shelter 0 (cost 1) and leaves shelter 1 unmet; the optimum meets both.
        let p = Problem {
            stock: vec![10, 10],
            need: vec![10, 10],
            cost: vec![vec![Some(1), Some(50)], vec![Some(90), None]],
        };
        let s = solve(&p);
        assert_eq!(s.unmet, vec![0, 0]);
        assert_eq!(s.cost, 50 * 10 + 90 * 10);
    }

    #[test]
    fn need_no_depot_reaches_is_unmet_and_stock_stays_home() {
        let p = Problem {
            stock: vec![40],
            need: vec![15, 25],
            cost: vec![vec![Some(3), None]],
        };
        let s = solve(&p);
        assert_eq!(s.unmet, vec![0, 25]);
        assert_eq!(s.cost, 45);
        assert_eq!(s.shipments.len(), 1);
    }
}
