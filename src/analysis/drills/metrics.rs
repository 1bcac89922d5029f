//! What one candidate drill would rehearse, measured from its impact report and plan,
//! and from the drills already held (the `drill` layers).

use crate::analysis::Impact;
use crate::analysis::evacuation::EvacuationPlan;
use crate::atlas::{Atlas, Kind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Years a village that never drilled counts as (and the most any village counts).
pub const NEVER_DRILLED_YEARS: f64 = 10.0;

/// Facility categories whose occupants cannot leave on their own.
pub const VULNERABLE_FACILITIES: &[&str] = &[
    "school",
    "kindergarten",
    "hospital",
    "clinic",
    "nursing_home",
];

/// The measures of one candidate; for each, more means more worth rehearsing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// People affected.
    pub people: f64,
    /// Elderly, children and disabled people among them.
    pub vulnerable: f64,
    /// Schools, kindergartens, hospitals, clinics and nursing homes in the hazard.
    pub facilities: f64,
    /// People the plan cannot place, whatever the reason.
    pub unplaced: f64,
    /// The longest trip of the plan (clearance), minutes.
    pub clearance_minutes: f64,
    /// The people-weighted mean trip, minutes.
    pub mean_minutes: f64,
    /// The mean share of each supply item needed beyond the depots' stock (0–1).
    pub supply_shortfall: f64,
    /// Mean years since the affected villages last drilled ([`NEVER_DRILLED_YEARS`]
    /// for those that never did).
    pub years_since_drill: f64,
}

/// The metric names, in the order [`Metrics::values`] gives them.
pub const NAMES: [&str; 8] = [
    "people",
    "vulnerable",
    "facilities",
    "unplaced",
    "clearance_minutes",
    "mean_minutes",
    "supply_shortfall",
    "years_since_drill",
];

impl Metrics {
    /// The values in [`NAMES`] order.
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
}

/// People not placed, by reason (`capacity`, `through_hazard`, …).
pub fn unplaced_by_reason(plan: &EvacuationPlan) -> BTreeMap<&'static str, i64> {
    let mut by = BTreeMap::new();
    for row in &plan.unassigned {
        *by.entry(row.reason).or_insert(0) += row.people;
    }
    by
}

/// The metrics of a candidate: its impact and plan, with `last` the latest drill day of
/// each admin code of the view it ran on ([`last_drills`], read once per view) and
/// drills counted up to `today` (days since 1970-01-01).
pub fn measure(
    last: &HashMap<String, i64>,
    impact: &Impact,
    plan: &EvacuationPlan,
    today: i64,
) -> Metrics {
    let report = &impact.report;
    let totals = &report.totals;
    let vulnerable = [totals.elderly, totals.children, totals.disabled]
        .iter()
        .flatten()
        .sum();
    let facilities = report
        .facilities
        .iter()
        .filter(|f| VULNERABLE_FACILITIES.contains(&f.category.as_str()))
        .count() as f64;
    let placed: i64 = plan.assignments.iter().map(|a| a.people).sum();
    let person_minutes: f64 = plan
        .assignments
        .iter()
        .map(|a| a.people as f64 * a.minutes)
        .sum();
    let shortfalls: Vec<f64> = report
        .needs
        .items
        .iter()
        .filter(|n| n.quantity > 0.0)
        .map(|n| (n.shortfall / n.quantity).clamp(0.0, 1.0))
        .collect();
    let villages: BTreeSet<&str> = report
        .units
        .iter()
        .filter_map(|u| u.admin_code.as_deref())
        .collect();
    let years: Vec<f64> = villages
        .iter()
        .map(|code| years_since(last, code, today))
        .collect();
    Metrics {
        people: totals.population,
        vulnerable,
        facilities,
        unplaced: plan.unassigned.iter().map(|u| u.people).sum::<i64>() as f64,
        clearance_minutes: plan
            .assignments
            .iter()
            .map(|a| a.minutes)
            .fold(0.0, f64::max),
        mean_minutes: if placed > 0 {
            person_minutes / placed as f64
        } else {
            0.0
        },
        supply_shortfall: mean(&shortfalls),
        years_since_drill: mean(&years),
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// The latest drill date (days since the epoch) of each admin code in the atlas's
/// `drill` layers.
pub fn last_drills(atlas: &Atlas) -> HashMap<String, i64> {
    let mut last: HashMap<String, i64> = HashMap::new();
    for layer in atlas.layers().iter().filter(|l| l.kind == Kind::Drill) {
        for fid in 0..layer.len() as u32 {
            let (Some(code), Some(day)) = (
                layer.value(fid, "admin_code").as_str(),
                layer.value(fid, "date").as_str().and_then(parse_day),
            ) else {
                continue;
            };
            let entry = last.entry(code.to_string()).or_insert(day);
            *entry = (*entry).max(day);
        }
    }
    last
}

/// Years since `code` last drilled, or since a drill of a unit above it (a township's
/// drill covers its villages: the twelve-digit code's township part), capped at
/// [`NEVER_DRILLED_YEARS`].
fn years_since(last: &HashMap<String, i64>, code: &str, today: i64) -> f64 {
    let township = (code.len() == 12).then(|| format!("{}000", &code[..9]));
    let day = [Some(code.to_string()), township]
        .iter()
        .flatten()
        .filter_map(|c| last.get(c))
        .max()
        .copied();
    day.map_or(NEVER_DRILLED_YEARS, |d| {
        ((today - d) as f64 / 365.25).clamp(0.0, NEVER_DRILLED_YEARS)
    })
}

/// `YYYY-MM-DD` (anything after is ignored) as days since 1970-01-01.
pub fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.get(..10)?.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Metric `name` of `m` in words, for a ranking's `why`.
pub fn in_words(name: &str, m: &Metrics) -> String {
    let count = |x: f64| {
        let n = x.round() as i64;
        let digits = n.abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        grouped
    };
    match name {
        "people" => format!("{} people affected 受影响", count(m.people)),
        "vulnerable" => format!(
            "{} elderly, children or disabled 老幼病残",
            count(m.vulnerable)
        ),
        "facilities" if m.facilities == 1.0 => {
            "1 school, clinic or care home in the hazard 重点场所".to_string()
        }
        "facilities" => format!(
            "{} schools, clinics or care homes in the hazard 重点场所",
            count(m.facilities)
        ),
        "unplaced" => format!("{} people cannot be placed 无法安置", count(m.unplaced)),
        "clearance_minutes" => format!("clearance takes {:.0} min 撤离用时", m.clearance_minutes),
        "mean_minutes" => format!("the mean trip is {:.0} min 平均用时", m.mean_minutes),
        "supply_shortfall" => format!(
            "{:.0}% of supplies short 物资缺口",
            m.supply_shortfall * 100.0
        ),
        "years_since_drill" if m.years_since_drill >= NEVER_DRILLED_YEARS => {
            "the villages have no drill on record 从未演练".to_string()
        }
        "years_since_drill" => format!(
            "the villages last drilled {:.1} years ago on average 距上次演练",
            m.years_since_drill
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_the_epoch() {
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2000-03-01"), Some(11_017));
        assert_eq!(parse_day("2026-12-01T08:00:00Z"), Some(20_788));
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("soon"), None);
    }

    #[test]
    fn a_township_drill_counts_for_its_villages_and_never_is_ten_years() {
        let mut last = HashMap::new();
        last.insert("629901100000".to_string(), parse_day("2024-12-01").unwrap());
        let today = parse_day("2026-12-01").unwrap();
        let years = years_since(&last, "629901100201", today);
        assert!((years - 2.0).abs() < 0.01, "{years}");
        assert_eq!(
            years_since(&last, "629901101201", today),
            NEVER_DRILLED_YEARS
        );
    }
}
