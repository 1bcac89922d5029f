//! The plan's assignment, exact over every shelter within reach, by column generation.
//!
//! **The problem.** People of each unit go to usable shelters within their room,
//! minimising person-seconds, over *every* (unit, shelter) pair within the trip limit
//! (and, by road, not through another hazard); people no shelter can take go to an
//! "unplaced" arc whose cost per person, [`UNPLACED_COST_S`], exceeds any chain of
//! reassignments, so the plan places as many people as can be placed first.
//!
//! **Why not all pairs at once.** A county has hundreds of thousands of pairs within a
//! three-hour walk; most can never be used. So the flow starts from each unit's
//! `candidates` nearest shelters and grows:
//!
//! 1. solve the min-cost flow over the pairs so far ([`NetworkSimplex`]);
//! 2. read its dual potentials, tightened (see [`Duals`]) so that a unit's *price*
//!    `p_u` (the seconds its last person costs) and a shelter's price `p_s` (the
//!    seconds one more place there would save) are as small as the solution allows;
//! 3. price: a pair not in the flow can improve it only if its reduced cost is
//!    negative, `seconds < p_u − p_s`. Since `p_s ≥ 0`, only shelters closer than
//!    `p_u` can qualify, so each unit's search needs to reach only `p_u` seconds, and a
//!    unit whose earlier search already went that far needs no new search;
//! 4. add every pair that prices out, re-solve warm from the last basis, and repeat
//!    until none does.
//!
//! **Why this is exact.** At the end every pair within reach has a non-negative reduced
//! cost: the ones found by the searches were priced, and any shelter a search did not
//! reach takes at least its radius ≥ `p_u` seconds. Non-negative reduced costs on every
//! arc of the full problem, with complementary slackness on the arcs in the flow, are
//! the linear-programming optimality conditions of the full problem; the flow over the
//! subset is therefore optimal over all pairs. `candidates` only sets where the growth
//! starts. The plan reports the prices (its certificate), so anyone can re-check it.

use super::reach::Finder;
use super::shelters::Shelter;
use super::{Origin, Unit};
use crate::routing::simplex::{FlowArc, NetworkSimplex};
use crate::routing::travel::{Trip, Until};
use geo::Coord;
use serde::Serialize;
use std::collections::BTreeMap;

/// Cost of leaving one person unplaced (seconds): more than any chain of reassignments
/// costs while shelters number fewer than `UNPLACED_COST_S / limit` (11,574 at the
/// longest limit of 24 h; 92,592 at the default 3 h), so a plan places everyone it can
/// before it shortens anyone's trip. [`Optimality::placed_is_maximum`] says when that
/// holds.
pub const UNPLACED_COST_S: i64 = 1_000_000_000;

/// A pair of the flow: one unit to one shelter.
#[derive(Debug, Clone)]
pub struct Pair {
    pub shelter: usize,
    pub seconds: f64,
    pub metres: f64,
    /// unit → road → shelter, or a straight line.
    pub route: Vec<Coord<f64>>,
    /// Its arc in the flow; None for a pair added after the solve (whole-unit repair).
    arc: Option<FlowArc>,
}

impl Pair {
    /// A pair chosen after the solve (keeping a unit whole), with no arc in the flow.
    pub fn outside_flow(shelter: usize, seconds: f64, metres: f64, route: Vec<Coord<f64>>) -> Pair {
        Pair {
            shelter,
            seconds,
            metres,
            route,
            arc: None,
        }
    }
}

/// The pair's cost in the flow: whole seconds.
fn cost(seconds: f64) -> i64 {
    seconds.round().max(0.0) as i64
}

/// The flow over the pairs so far.
struct Master {
    net: NetworkSimplex,
    units: usize,
    unplaced: Vec<FlowArc>,
    into_sink: Vec<FlowArc>,
}

impl Master {
    fn new(units: &[Unit], shelters: &[Shelter]) -> Master {
        let (n, m) = (units.len(), shelters.len());
        let sink = n + m;
        let mut net = NetworkSimplex::new(n + m + 1);
        let mut unplaced = Vec::with_capacity(n);
        for (u, unit) in units.iter().enumerate() {
            net.add_supply(u, unit.people);
            net.add_supply(sink, -unit.people);
            unplaced.push(net.add_arc(u, sink, unit.people, UNPLACED_COST_S));
        }
        let into_sink = shelters
            .iter()
            .enumerate()
            .map(|(j, s)| net.add_arc(n + j, sink, s.room, 0))
            .collect();
        Master {
            net,
            units: n,
            unplaced,
            into_sink,
        }
    }

    fn add(&mut self, u: usize, unit_people: i64, pair: &mut Pair) {
        pair.arc = Some(self.net.add_arc(
            u,
            self.units + pair.shelter,
            unit_people,
            cost(pair.seconds),
        ));
    }

    fn solve(&mut self, warm: bool) {
        let solved = if warm {
            self.net.resolve()
        } else {
            self.net.solve()
        };
        solved.expect("balanced, and the unplaced arcs make every instance feasible");
    }
}

/// Dual prices of an optimal flow, in seconds, as small as the flow allows: a shelter's
/// price is 0 unless its room is used up (then what one more place would save); a
/// unit's price is what its last person's trip costs plus its shelter's price
/// ([`UNPLACED_COST_S`] when people are left unplaced). With them, a pair's reduced cost
/// is `seconds − p_unit + p_shelter`.
#[derive(Debug, Clone, Default)]
pub struct Duals {
    pub units: Vec<i64>,
    pub shelters: Vec<i64>,
}

impl Duals {
    fn of(master: &Master, units: &[Unit], shelters: usize) -> Duals {
        let net = &master.net;
        let sink = master.units + shelters;
        let pt = net.potential(sink).expect("solved");
        // Potentials measured from the sink's, as prices (negated).
        let price = |node: usize| pt - net.potential(node).expect("solved");
        let shelter_prices: Vec<i64> = (0..shelters)
            .map(|j| {
                if net.flow(master.into_sink[j]) == 0 {
                    0 // nothing comes in: lowering its potential to the sink's stays optimal
                } else {
                    price(master.units + j)
                }
            })
            .collect();
        let unit_prices = units
            .iter()
            .enumerate()
            .map(|(u, unit)| {
                // Each out-arc as (flow, capacity, price it implies for the unit).
                let arcs = unit
                    .pairs
                    .iter()
                    .filter_map(|p| {
                        let arc = p.arc?;
                        Some((net.flow(arc), cost(p.seconds) + shelter_prices[p.shelter]))
                    })
                    .chain(std::iter::once((
                        net.flow(master.unplaced[u]),
                        UNPLACED_COST_S,
                    )));
                let mut at_cap = i64::MAX;
                let mut between = None;
                for (flow, implied) in arcs {
                    if flow == unit.people {
                        at_cap = at_cap.min(implied);
                    } else if flow > 0 {
                        between = Some(implied);
                    }
                }
                // An arc strictly between its bounds pins the price; otherwise the lowest
                // price every full arc allows (the highest potential) is the tightest.
                between.unwrap_or(if at_cap == i64::MAX { price(u) } else { at_cap })
            })
            .collect();
        Duals {
            units: unit_prices,
            shelters: shelter_prices,
        }
    }

    fn reduced(&self, u: usize, shelter: usize, seconds: f64) -> i64 {
        cost(seconds) - self.units[u] + self.shelters[shelter]
    }
}

/// The plan's proof of optimality.
#[derive(Debug, Clone, Serialize)]
pub struct Optimality {
    /// Every (unit, shelter) pair within reach was priced against the final prices and
    /// none can improve the plan: it is optimal over all of them.
    pub proved: bool,
    /// Flow solves (the first, then one per pricing round that added pairs).
    pub rounds: usize,
    /// Pairs whose reduced cost was computed against the final prices; every other pair
    /// within reach lies beyond its unit's search radius, so its reduced cost is ≥ 0.
    pub pairs_priced: usize,
    /// Pairs in the final flow.
    pub pairs_in_flow: usize,
    /// Pairs the first round started from (`candidates` per unit).
    pub pairs_first_round: usize,
    /// Whether [`UNPLACED_COST_S`] exceeds any chain of reassignments, so that the plan
    /// places the most people possible before it minimises their minutes.
    pub placed_is_maximum: bool,
    /// When not proved: how far from optimal the plan can be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<Gap>,
    /// The certificate: prices in seconds. For every pair within reach,
    /// `round(seconds) ≥ units[u] − shelters[s]`, with equality where people travel and
    /// the unit is split; a shelter with a price > 0 is full.
    pub prices: Prices,
}

#[derive(Debug, Clone, Serialize)]
/// How far a plan stopped early may be from optimal.
pub struct Gap {
    /// People the plan leaves unplaced whose pricing did not finish: at most this many
    /// more could be placed.
    pub people_possibly_placeable: i64,
    /// At most this many person-minutes could be saved among the people placed.
    pub person_minutes_at_most: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
/// The certificate's dual prices, in whole seconds, by feature id.
pub struct Prices {
    /// Each unit's price: what its last person's trip costs (the unplaced cost when people are left).
    pub units: BTreeMap<String, i64>,
    /// Each usable shelter's price: what one more place there would save (0 with room left).
    pub shelters: BTreeMap<String, i64>,
}

/// What the assignment gives the rest of the plan.
pub struct Solved {
    /// Per unit, (pair index, people) of the optimal split.
    pub flows: Vec<Vec<(usize, i64)>>,
    pub optimality: Optimality,
}

/// Limits on pricing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub candidates: usize,
    pub limit_s: f64,
    /// Pricing rounds at most; the plan says when this stopped it.
    pub max_rounds: usize,
}

/// Finds each unit's first pairs, then solves and prices until the flow is optimal over
/// every pair within reach (or `limits.max_rounds` runs out).
pub fn assign(
    units: &mut [Unit],
    shelters: &[Shelter],
    finder: &mut Finder,
    limits: Limits,
) -> Solved {
    let mut master = Master::new(units, shelters);
    for (u, unit) in units.iter_mut().enumerate() {
        let found = finder.find(
            &unit.origin,
            TRIP,
            limits.limit_s,
            Until::Nearest(limits.candidates),
        );
        unit.radius_s = found.radius_s;
        unit.known = found.arrivals;
        let wanted: Vec<u32> = unit.known.iter().map(|&(s, _)| s).collect();
        add_pairs(&mut master, u, unit, &wanted, finder, shelters, true);
    }
    let pairs_first_round = units.iter().map(|u| u.pairs.len()).sum();
    master.solve(false);
    let mut rounds = 1;
    let (duals, pairs_priced, proved) = loop {
        let duals = Duals::of(&master, units, shelters.len());
        let round = price(&mut master, units, shelters, finder, &duals, limits);
        tracing::debug!(
            round = rounds,
            searches = round.searches,
            priced = round.priced,
            added = round.added,
            "pricing round"
        );
        if round.added == 0 {
            break (duals, round.priced, true);
        }
        if rounds >= limits.max_rounds {
            break (duals, round.priced, false);
        }
        master.solve(true);
        rounds += 1;
    };
    let gap = (!proved).then(|| gap(units, &duals, &master));
    let optimality = Optimality {
        proved,
        rounds,
        pairs_priced,
        pairs_in_flow: units.iter().map(|u| u.pairs.len()).sum(),
        pairs_first_round,
        placed_is_maximum: (shelters.len() as f64 + 1.0) * limits.limit_s < UNPLACED_COST_S as f64,
        gap,
        prices: Prices::of(units, shelters, &duals),
    };
    Solved {
        flows: flows(&master, units),
        optimality,
    }
}

/// The trips a plan counts: from the unit, with the roads the hazards close closed
/// (the unit's own hazards excepted, which the finder fills in).
const TRIP: Trip<'static> = Trip::CLOSED;

/// What one pricing round did.
struct Round {
    /// Units searched further than before.
    searches: usize,
    /// Pairs whose reduced cost was computed.
    priced: usize,
    /// Pairs that priced out and joined the flow.
    added: usize,
}

/// One pricing round (step 3 of the module doc): every unit's known pairs priced
/// against `duals`, after a further search for units whose search has not yet reached
/// their price; the pairs that price out join the flow.
fn price(
    master: &mut Master,
    units: &mut [Unit],
    shelters: &[Shelter],
    finder: &mut Finder,
    duals: &Duals,
    limits: Limits,
) -> Round {
    let mut round = Round {
        searches: 0,
        priced: 0,
        added: 0,
    };
    for (u, unit) in units.iter_mut().enumerate() {
        let reach = duals.units[u] as f64;
        // Shelters up to `reach` seconds may price out: search that far, unless an
        // earlier search already did.
        let searched =
            unit.radius_s < reach + 0.5 && !matches!(unit.origin, Origin::OffNetwork { .. });
        if searched {
            round.searches += 1;
            let found = finder.find(
                &unit.origin,
                TRIP,
                limits.limit_s,
                Until::Within(reach + 1.0),
            );
            unit.radius_s = found.radius_s;
            unit.known = found.arrivals;
        }
        round.priced += unit.known.len();
        let wanted: Vec<u32> = unit
            .known
            .iter()
            .filter(|&&(s, secs)| {
                duals.reduced(u, s as usize, secs) < 0
                    && !unit.pairs.iter().any(|p| p.shelter == s as usize)
            })
            .map(|&(s, _)| s)
            .collect();
        if !wanted.is_empty() {
            round.added += wanted.len();
            add_pairs(master, u, unit, &wanted, finder, shelters, searched);
        }
    }
    round
}

/// Per unit, (pair index, people) of the flow.
fn flows(master: &Master, units: &[Unit]) -> Vec<Vec<(usize, i64)>> {
    units
        .iter()
        .map(|unit| {
            unit.pairs
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some((i, master.net.flow(p.arc?))))
                .filter(|&(_, f)| f > 0)
                .collect()
        })
        .collect()
}

impl Prices {
    fn of(units: &[Unit], shelters: &[Shelter], duals: &Duals) -> Prices {
        Prices {
            units: units
                .iter()
                .zip(&duals.units)
                .map(|(u, &p)| (u.unit_id.clone(), p))
                .collect(),
            shelters: shelters
                .iter()
                .zip(&duals.shelters)
                .map(|(s, &p)| (s.id(), p))
                .collect(),
        }
    }
}

/// Adds the pairs (unit, each of `wanted`, all in `unit.known`) to the flow, with their
/// routes from the finder's last search, which `fresh` says was from this unit (else
/// one is run again, far enough to reach them all).
fn add_pairs(
    master: &mut Master,
    u: usize,
    unit: &mut Unit,
    wanted: &[u32],
    finder: &mut Finder,
    shelters: &[Shelter],
    fresh: bool,
) {
    if !fresh {
        let farthest = wanted
            .iter()
            .filter_map(|&s| unit.known.iter().find(|k| k.0 == s))
            .map(|k| k.1)
            .fold(0.0, f64::max);
        finder.find(
            &unit.origin,
            TRIP,
            f64::INFINITY,
            Until::Within(farthest + 1.0),
        );
    }
    for &s in wanted {
        let seconds = unit
            .known
            .iter()
            .find(|k| k.0 == s)
            .map(|k| k.1)
            .expect("wanted shelters are known");
        let (route, metres) = finder.line(&unit.origin, s, shelters[s as usize].point);
        let mut pair = Pair {
            shelter: s as usize,
            seconds,
            metres,
            route,
            arc: None,
        };
        master.add(u, unit.people, &mut pair);
        unit.pairs.push(pair);
    }
}

/// Bounds on how far a plan stopped early is from optimal, from each unit's most
/// negative reduced cost (known pairs), or the least a pair beyond its radius could
/// have (`radius − p_u`).
fn gap(units: &[Unit], duals: &Duals, master: &Master) -> Gap {
    let mut people_possibly_placeable = 0;
    let mut person_seconds = 0.0;
    for (u, unit) in units.iter().enumerate() {
        let known_min = unit
            .known
            .iter()
            .map(|&(s, secs)| duals.reduced(u, s as usize, secs))
            .min()
            .unwrap_or(0);
        let beyond = if unit.radius_s.is_finite() {
            (unit.radius_s - duals.units[u] as f64).floor() as i64
        } else {
            0
        };
        let worst = known_min.min(beyond).min(0);
        if worst < 0 {
            // People left unplaced may yet be placed; a unit with none left can only
            // travel less, by at most the most negative reduced cost per person.
            let unplaced = master.net.flow(master.unplaced[u]);
            if unplaced > 0 {
                people_possibly_placeable += unplaced;
            } else {
                person_seconds += unit.people as f64 * (-worst) as f64;
            }
        }
    }
    Gap {
        people_possibly_placeable,
        person_minutes_at_most: (person_seconds / 60.0).round(),
    }
}
