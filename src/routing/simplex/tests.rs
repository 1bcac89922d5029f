//! The network simplex against the successive-shortest-paths reference, warm re-solves
//! against cold ones, and potentials that certify every solution.
use super::*;
use crate::routing::flow::FlowNetwork;
use proptest::prelude::*;

/// A random network with supplies at some nodes and demands at others, plus the
/// same instance as a source–sink flow for the successive-shortest-paths solver.
fn both(n: usize, arcs: &[ArcSpec], supply: &[i64]) -> (NetworkSimplex, Vec<FlowArc>, Option<i64>) {
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
