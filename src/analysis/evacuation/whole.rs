//! Keeping each village whole: every unit goes to one shelter.
//!
//! Whole-unit assignment is an integer problem (a bin-packing relative); the plan rounds
//! the optimal split instead and reports how far the rounded plan is from it, so the
//! planner sees the price of keeping villages together. Units are placed largest first,
//! each at the shelter that took most of it in the split if it still has room, else at
//! the quickest shelter within reach that has room (any the unit's searches found, not
//! only those in the flow); a unit that fits nowhere stays unplaced.

use super::Unit;
use super::pricing::Pair;
use super::reach::Finder;
use super::shelters::Shelter;
use crate::routing::travel::{Trip, Until};

/// Per unit, (pair index, people): at most one pair, carrying the whole unit.
pub fn keep_whole(
    shelters: &[Shelter],
    units: &mut [Unit],
    split: &[Vec<(usize, i64)>],
    finder: &mut Finder,
    limit_s: f64,
) -> Vec<Vec<(usize, i64)>> {
    let mut room: Vec<i64> = shelters.iter().map(|s| s.room).collect();
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|&u| std::cmp::Reverse(units[u].people));
    let mut out = vec![Vec::new(); units.len()];
    for u in order {
        let unit = &mut units[u];
        let preferred = split[u]
            .iter()
            .max_by_key(|&&(_, f)| f)
            .map(|&(i, _)| unit.pairs[i].shelter);
        let trip = Trip::CLOSED;
        // `known` is every shelter quicker than the unit's search radius, quickest first;
        // when none of them has room, search everything within reach.
        let people = unit.people;
        let pick = |known: &[(u32, f64)]| {
            preferred
                .into_iter()
                .chain(known.iter().map(|&(s, _)| s as usize))
                .find(|&s| room[s] >= people)
        };
        let mut choice = pick(&unit.known);
        if choice.is_none() && unit.radius_s.is_finite() {
            let found = finder.find(&unit.origin, trip, limit_s, Until::Within(limit_s));
            unit.radius_s = found.radius_s;
            unit.known = found.arrivals;
            choice = pick(&unit.known);
        }
        let Some(s) = choice else {
            continue;
        };
        room[s] -= unit.people;
        let index = match unit.pairs.iter().position(|p| p.shelter == s) {
            Some(i) => i,
            None => {
                // A shelter outside the flow: its route from a fresh search.
                let seconds = unit
                    .known
                    .iter()
                    .find(|k| k.0 as usize == s)
                    .map(|k| k.1)
                    .expect("chosen from the known shelters");
                finder.find(&unit.origin, trip, limit_s, Until::Within(seconds + 1.0));
                let (route, metres) = finder.line(&unit.origin, s as u32, shelters[s].point);
                unit.pairs
                    .push(Pair::outside_flow(s, seconds, metres, route));
                unit.pairs.len() - 1
            }
        };
        out[u].push((index, unit.people));
    }
    out
}
