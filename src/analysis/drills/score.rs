//! Scoring and ranking candidate drills.
//!
//! Each metric is normalised over the candidates run together (min–max: the worst
//! candidate on a metric gets 1, the best 0, all 0 when they tie), and the score is the
//! weighted mean of the normalised metrics, in 0–1. So a score says how a candidate
//! compares with the others of this run, not an absolute risk. The default weights
//! ([`Weights::default`]) put people who cannot be placed first, since finding them
//! is what a drill is for; then vulnerable people; then everything else alike, with
//! the mean trip and supplies at half weight (they follow from the others).

use super::metrics::{Metrics, NAMES};
use serde::{Deserialize, Serialize};

/// How much each metric counts (non-negative; at least one above zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// People affected.
    pub people: f64,
    /// Elderly, children and disabled people affected.
    pub vulnerable: f64,
    /// Schools, hospitals, nursing homes… in the hazard.
    pub facilities: f64,
    /// People the plan cannot place.
    pub unplaced: f64,
    /// The longest trip.
    pub clearance_minutes: f64,
    /// The mean trip.
    pub mean_minutes: f64,
    /// Supplies short.
    pub supply_shortfall: f64,
    /// Years since the villages last drilled.
    pub years_since_drill: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            people: 1.0,
            vulnerable: 1.5,
            facilities: 1.0,
            unplaced: 2.0,
            clearance_minutes: 1.0,
            mean_minutes: 0.5,
            supply_shortfall: 0.5,
            years_since_drill: 1.0,
        }
    }
}

impl Weights {
    /// The weights in [`NAMES`] order.
    pub fn values(&self) -> [f64; 8] {
        [
            self.people,
            self.vulnerable,
            self.facilities,
            self.unplaced,
            self.clearance_minutes,
            self.mean_minutes,
            self.supply_shortfall,
            self.years_since_drill,
        ]
    }

    /// Why the weights cannot be used, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        let values = self.values();
        if let Some((name, w)) = NAMES
            .iter()
            .zip(values)
            .find(|(_, w)| !(w.is_finite() && *w >= 0.0 && *w <= 1000.0))
        {
            return Err(format!(
                "weights.{name} {w} must be a number from 0 to 1000"
            ));
        }
        if values.iter().all(|w| *w == 0.0) {
            return Err("weights: at least one must be above 0".into());
        }
        Ok(())
    }
}

/// One candidate's place in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    /// Its position in the list ranked, from 0.
    pub index: usize,
    /// 1 for the first.
    pub rank: usize,
    /// The weighted mean of its normalised metrics, 0–1.
    pub score: f64,
    /// Each metric's normalised value, 0–1, in [`NAMES`] order.
    pub normalised: [f64; 8],
    /// The metrics that weigh most in its score, largest first (at most three, each
    /// above zero).
    pub leading: Vec<&'static str>,
}

/// What a candidate is, for the diversity rule.
pub trait Grouped {
    /// Its metrics.
    fn metrics(&self) -> &Metrics;
    /// Its township and hazard kind: the top keeps one candidate per pair.
    fn group(&self) -> (&str, &str);
}

/// Min–max normalised metrics of each candidate.
pub fn normalise(metrics: &[&Metrics]) -> Vec<[f64; 8]> {
    let mut lo = [f64::INFINITY; 8];
    let mut hi = [f64::NEG_INFINITY; 8];
    for m in metrics {
        for (k, v) in m.values().into_iter().enumerate() {
            lo[k] = lo[k].min(v);
            hi[k] = hi[k].max(v);
        }
    }
    metrics
        .iter()
        .map(|m| {
            let mut n = [0.0; 8];
            for (k, v) in m.values().into_iter().enumerate() {
                n[k] = if hi[k] > lo[k] {
                    (v - lo[k]) / (hi[k] - lo[k])
                } else {
                    0.0
                };
            }
            n
        })
        .collect()
}

/// Ranks the candidates: by score, with at most one per township and hazard kind among
/// the first `top` (the rest follow by score); or, with `pareto`, only those no other
/// candidate dominates (at least as bad on every weighted metric and worse on one),
/// by score.
pub fn rank<C: Grouped>(
    candidates: &[C],
    weights: &Weights,
    top: usize,
    pareto: bool,
) -> Vec<Ranked> {
    let metrics: Vec<&Metrics> = candidates.iter().map(Grouped::metrics).collect();
    let normalised = normalise(&metrics);
    let w = weights.values();
    let total: f64 = w.iter().sum();
    let mut scored: Vec<Ranked> = normalised
        .into_iter()
        .enumerate()
        .map(|(index, n)| {
            let parts: Vec<f64> = (0..8).map(|k| w[k] * n[k]).collect();
            let mut order: Vec<usize> = (0..8).filter(|&k| parts[k] > 0.0).collect();
            order.sort_by(|&a, &b| parts[b].total_cmp(&parts[a]).then(a.cmp(&b)));
            Ranked {
                index,
                rank: 0,
                score: parts.iter().sum::<f64>() / total,
                normalised: n,
                leading: order.into_iter().take(3).map(|k| NAMES[k]).collect(),
            }
        })
        .collect();
    // Best first; ties by position, so the order never depends on the sort.
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    let mut ranked = if pareto {
        let front: Vec<usize> = pareto_front(&metrics, &w);
        scored.retain(|r| front.contains(&r.index));
        scored
    } else {
        diverse(scored, candidates, top)
    };
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    ranked
}

/// The first `top` taken one per (township, kind), best first; then the rest by score.
fn diverse<C: Grouped>(scored: Vec<Ranked>, candidates: &[C], top: usize) -> Vec<Ranked> {
    let mut seen = std::collections::HashSet::new();
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    for r in scored {
        if head.len() < top && seen.insert(candidates[r.index].group()) {
            head.push(r);
        } else {
            tail.push(r);
        }
    }
    head.extend(tail);
    head
}

/// Indices of the candidates no other dominates over the metrics weighted above zero.
pub fn pareto_front(metrics: &[&Metrics], weights: &[f64; 8]) -> Vec<usize> {
    let used: Vec<usize> = (0..8).filter(|&k| weights[k] > 0.0).collect();
    let values: Vec<[f64; 8]> = metrics.iter().map(|m| m.values()).collect();
    let dominates = |a: &[f64; 8], b: &[f64; 8]| {
        used.iter().all(|&k| a[k] >= b[k]) && used.iter().any(|&k| a[k] > b[k])
    };
    (0..values.len())
        .filter(|&i| !(0..values.len()).any(|j| j != i && dominates(&values[j], &values[i])))
        .collect()
}
