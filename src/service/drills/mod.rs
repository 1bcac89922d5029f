//! `POST /api/drills` and `riskatlas drills`: candidate drills generated per township,
//! each run through impact and evacuation on the township's view, measured, scored and
//! ranked (the pipeline is in [`crate::analysis::drills`]).
//!
//! Candidates run on every core: each is independent, and a county has hundreds. They
//! share what does not change between them — the snapshot's road graph, and one view
//! per township — and all run under the request's one time limit. A run reports its
//! progress and can be cancelled between candidates ([`Progress`]): `POST /api/drills`
//! streams the one and sets the other when its client hangs up. Drills held are
//! recorded through [`records`].

pub mod card;
mod progress;
pub mod records;

pub use progress::{Count, Progress};

use super::ServiceError;
use super::analyses::evacuate_within;
use super::budget::Budget;
use super::error::RequestError;
use super::scope::Jurisdiction;
use super::snapshot::Snapshot;
use crate::analysis::Scenario;
use crate::analysis::drills::metrics::{
    NAMES, in_words, last_drills, parse_day, unplaced_by_reason,
};
use crate::analysis::drills::score::Grouped;
use crate::analysis::drills::{
    Candidate, CandidateOptions, Metrics, Weights, candidates_for, measure, rank,
};
use crate::atlas::Kind;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How many ranked scenarios the top keeps diverse by default.
pub const DEFAULT_TOP: usize = 10;

/// The most candidates one request runs.
pub const MAX_CANDIDATES: usize = 2_000;

/// A drill-ranking request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillBody {
    /// How much each metric counts.
    #[serde(default)]
    pub weights: Weights,
    /// How many of the first keep one per township and hazard kind (default 10).
    pub top: Option<usize>,
    /// Only the non-dominated candidates, instead of all ranked by score.
    #[serde(default)]
    pub pareto: bool,
    /// Which candidates to generate.
    #[serde(default)]
    pub candidates: CandidateOptions,
    /// Only these townships (codes); all in the user's view by default.
    pub townships: Option<Vec<String>>,
    /// The day drills are counted to (`YYYY-MM-DD`; default today).
    pub as_of: Option<String>,
    /// Evacuation options for every candidate (`routing`, `profile`, `max_minutes`, …
    /// as `POST /api/evacuation` takes them).
    pub evacuation: Option<serde_json::Map<String, Json>>,
}

/// A township: its code, name and view.
struct Township {
    code: String,
    name: String,
    view: Snapshot,
    /// The latest drill day of each admin code in the view, read once for all its
    /// candidates.
    last_drills: std::collections::HashMap<String, i64>,
}

/// A candidate run.
struct Run {
    township: usize,
    candidate: Candidate,
    metrics: Metrics,
    unplaced: std::collections::BTreeMap<&'static str, i64>,
}

impl Grouped for (Run, &str) {
    fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
    fn group(&self) -> (&str, &str) {
        (self.1, self.0.candidate.kind)
    }
}

/// The townships of `snapshot` (its admin units at level `township`), or the whole
/// snapshot as one when it has none.
fn townships(snapshot: &Snapshot, only: Option<&[String]>) -> Vec<Township> {
    let mut found = Vec::new();
    for layer in snapshot.layers().iter().filter(|l| l.kind == Kind::Admin) {
        for fid in 0..layer.len() as u32 {
            if layer.value(fid, "level").as_str() != Some("township") {
                continue;
            }
            let code = layer
                .value(fid, "code")
                .as_str()
                .unwrap_or_default()
                .to_string();
            if only.is_some_and(|o| !o.contains(&code)) {
                continue;
            }
            let name = layer
                .value(fid, "name")
                .as_str()
                .unwrap_or(&code)
                .to_string();
            found.push((code, name));
        }
    }
    if found.is_empty() && only.is_none() {
        return vec![Township {
            code: String::new(),
            name: snapshot.name.clone(),
            last_drills: last_drills(snapshot),
            view: snapshot.view(snapshot.atlas.clone()),
        }];
    }
    found
        .into_iter()
        .map(|(code, name)| {
            let jurisdiction = Jurisdiction::resolve(snapshot, std::slice::from_ref(&code));
            let view = snapshot.view(jurisdiction.view(snapshot));
            let last_drills = last_drills(&view);
            Township {
                code,
                name,
                view,
                last_drills,
            }
        })
        .collect()
}

/// The request read and checked: the body, its `top`, and the day drills count to.
fn checked(
    snapshot: &Snapshot,
    body: Json,
    today: i64,
) -> Result<(DrillBody, usize, i64), ServiceError> {
    let body: DrillBody = super::requests::from_value(body)?;
    body.weights.check().map_err(RequestError::Invalid)?;
    let top = body.top.unwrap_or(DEFAULT_TOP);
    if top == 0 || top > 1000 {
        return Err(RequestError::Invalid(format!("top {top} must be from 1 to 1000")).into());
    }
    for (i, s) in body.candidates.scenarios.iter().enumerate() {
        Scenario::parse(s, snapshot)
            .map_err(|e| RequestError::Invalid(format!("candidates.scenarios[{i}]: {e}")))?;
    }
    let today = match &body.as_of {
        None => today,
        Some(text) => parse_day(text).ok_or_else(|| {
            RequestError::Invalid(format!("as_of {text:?} is not a date (YYYY-MM-DD)"))
        })?,
    };
    Ok((body, top, today))
}

/// A drill request checked, its townships' views cut and its candidates generated:
/// ready to run. Everything a request can be refused for with a 4xx is found before
/// one exists, so a streamed answer starts only for a run that goes ahead.
pub struct Prepared {
    body: DrillBody,
    top: usize,
    today: i64,
    townships: Vec<Township>,
    tasks: Vec<(usize, Candidate)>,
    /// Time cutting the views, and generating the candidates (for the log).
    views: Duration,
    generated: Duration,
}

/// Checks `body` against `snapshot` (the user's view) and generates its candidates.
pub fn prepare(snapshot: &Snapshot, body: Json, today: i64) -> Result<Prepared, ServiceError> {
    let (body, top, today) = checked(snapshot, body, today)?;
    let started = Instant::now();
    let townships = townships(snapshot, body.townships.as_deref());
    let views = started.elapsed();
    if townships.is_empty() {
        return Err(RequestError::Invalid(
            "townships: none of the codes is a township you can see".into(),
        )
        .into());
    }
    let tasks: Vec<(usize, Candidate)> = townships
        .iter()
        .enumerate()
        .flat_map(|(t, town)| {
            candidates_for(&town.view, &town.code, &body.candidates)
                .into_iter()
                .map(move |c| (t, c))
        })
        .collect();
    if tasks.len() > MAX_CANDIDATES {
        return Err(ServiceError::Unprocessable(format!(
            "{} candidates, more than the {MAX_CANDIDATES} one request runs: name fewer townships, or raise cluster_gap_m",
            tasks.len()
        )));
    }
    Ok(Prepared {
        body,
        top,
        today,
        townships,
        tasks,
        views,
        generated: started.elapsed() - views,
    })
}

/// Ranks the candidate drills of `snapshot` (the user's view) as `body` asks, with no
/// one following the run.
pub fn drills(
    snapshot: &Snapshot,
    body: Json,
    budget: &Budget,
    today: i64,
) -> Result<Json, ServiceError> {
    prepare(snapshot, body, today)?.run(budget, &Progress::none())
}

impl Prepared {
    /// How many candidates the run has.
    pub fn candidates(&self) -> usize {
        self.tasks.len()
    }

    /// Runs every candidate, telling `progress` as they finish, and ranks them; stops
    /// with [`ServiceError::Cancelled`] when `progress` is cancelled first.
    pub fn run(self, budget: &Budget, progress: &Progress) -> Result<Json, ServiceError> {
        let started = Instant::now();
        let count = self.tasks.len();
        let evacuation = self.body.evacuation.clone().unwrap_or_default();
        let runs = run_all(
            &self.townships,
            self.tasks,
            &evacuation,
            budget,
            self.today,
            progress,
        )?;
        tracing::info!(
            townships = self.townships.len(),
            candidates = count,
            views_ms = self.views.as_millis() as u64,
            generated_ms = self.generated.as_millis() as u64,
            run_ms = started.elapsed().as_millis() as u64,
            "drill candidates run"
        );
        Ok(answer(runs, &self.townships, &self.body, self.top))
    }
}

/// The ranking of `runs` as `POST /api/drills` answers it.
fn answer(runs: Vec<Run>, townships: &[Township], body: &DrillBody, top: usize) -> Json {
    let (kept, dropped): (Vec<Run>, Vec<Run>) =
        runs.into_iter().partition(|r| r.metrics.people > 0.0);
    let grouped: Vec<(Run, &str)> = kept
        .into_iter()
        .map(|r| {
            let code = townships[r.township].code.as_str();
            (r, code)
        })
        .collect();
    let ranked = rank(&grouped, &body.weights, top, body.pareto);
    let scenarios = ranked
        .iter()
        .map(|r| scenario_answer(r, &grouped[r.index].0, townships))
        .collect::<Vec<Json>>();
    json!({
        "scenarios": scenarios,
        "weights": body.weights,
        "ranking": if body.pareto {
            "pareto: the candidates no other is at least as bad as on every weighted metric and worse on one, by score".to_string()
        } else {
            format!("by score; the first {top} at most one per township and hazard kind")
        },
        "candidates_run": grouped.len() + dropped.len(),
        "no_one_affected": dropped.len(),
        "townships": townships.len(),
    })
}

/// A candidate's scenario as the answer gives it: kept `within` its township, so that
/// running it again (on the map, in a comparison, on a card) measures what was ranked.
fn kept_within(scenario: &Json, township: &str) -> Json {
    let mut s = scenario.clone();
    if let (Some(obj), false) = (s.as_object_mut(), township.is_empty()) {
        obj.insert(super::within::WITHIN.into(), json!([township]));
    }
    s
}

/// One ranked candidate as the answer lists it.
fn scenario_answer(r: &crate::analysis::drills::Ranked, run: &Run, townships: &[Township]) -> Json {
    let town = &townships[run.township];
    let metrics: serde_json::Map<String, Json> = NAMES
        .iter()
        .zip(run.metrics.values())
        .map(|(n, v)| (n.to_string(), json!((v * 10.0).round() / 10.0)))
        .collect();
    json!({
        "id": run.candidate.id,
        "rank": r.rank,
        "score": (r.score * 1000.0).round() / 1000.0,
        "township": {"code": town.code, "name": town.name},
        "kind": run.candidate.kind,
        "title": run.candidate.title,
        "scenario": kept_within(&run.candidate.scenario, &town.code),
        "metrics": metrics,
        "unplaced_by_reason": run.unplaced,
        "why": r.leading.iter().map(|m| in_words(m, &run.metrics)).collect::<Vec<_>>(),
    })
}

/// Runs every candidate on its township's view, on every core. Workers take the next
/// candidate until none is left, one fails, or `progress` is cancelled.
fn run_all(
    townships: &[Township],
    tasks: Vec<(usize, Candidate)>,
    evacuation: &serde_json::Map<String, Json>,
    budget: &Budget,
    today: i64,
    progress: &Progress,
) -> Result<Vec<Run>, ServiceError> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Run>> = Mutex::new(Vec::with_capacity(tasks.len()));
    let failure: Mutex<Option<ServiceError>> = Mutex::new(None);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(tasks.len().max(1));
    progress.start(tasks.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    if progress.is_cancelled()
                        || failure.lock().unwrap_or_else(|e| e.into_inner()).is_some()
                    {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((t, candidate)) = tasks.get(i) else {
                        break;
                    };
                    match run_one(&townships[*t], *t, candidate, evacuation, budget, today) {
                        Ok(run) => out.lock().unwrap_or_else(|e| e.into_inner()).push(run),
                        Err(e) => {
                            let mut slot = failure.lock().unwrap_or_else(|e| e.into_inner());
                            slot.get_or_insert(e);
                        }
                    }
                    progress.finished_one();
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut runs = out.into_inner().unwrap_or_else(|e| e.into_inner());
    // Cancelled after the last candidate had started, the run is whole: answer it.
    if runs.len() < tasks.len() {
        return Err(ServiceError::Cancelled);
    }
    // Workers finish in any order; the ranking must not depend on it.
    runs.sort_by(|a, b| (a.township, &a.candidate.id).cmp(&(b.township, &b.candidate.id)));
    Ok(runs)
}

/// One candidate run through impact and evacuation on its township's view, measured.
fn run_one(
    town: &Township,
    t: usize,
    candidate: &Candidate,
    evacuation: &serde_json::Map<String, Json>,
    budget: &Budget,
    today: i64,
) -> Result<Run, ServiceError> {
    let view = &town.view;
    let mut request = candidate.scenario.clone();
    if let Some(obj) = request.as_object_mut() {
        obj.extend(evacuation.clone());
    }
    match evacuate_within(view, view.road_graph(), request, budget) {
        Ok((impact, plan)) => Ok(Run {
            township: t,
            candidate: candidate.clone(),
            metrics: measure(&town.last_drills, &impact, &plan, today),
            unplaced: unplaced_by_reason(&plan),
        }),
        // Name the candidate: the request generated it, not the user.
        Err(ServiceError::Scenario(s)) => {
            Err(RequestError::Invalid(format!("candidate {}: {s}", candidate.id)).into())
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated demo county: 16 townships, over a hundred candidates.
    fn demo() -> Snapshot {
        Snapshot::first(crate::demo::generate(7, 1.0).into_loaded().atlas)
    }

    #[test]
    fn a_run_cancelled_after_its_first_candidate_stops_before_the_rest() {
        let prepared = prepare(&demo(), json!({}), 20_000).expect("the empty request is valid");
        let total = prepared.candidates();
        // Every count reaches the listener, which hangs up once one candidate is done.
        let progress = Progress::new(|c| c.done == 0).every(Duration::ZERO);
        let outcome = prepared.run(&Budget::unlimited(), &progress);
        assert!(
            matches!(outcome, Err(ServiceError::Cancelled)),
            "{outcome:?}"
        );
        // The workers stop between candidates: those already running finish, no more.
        let done = progress.count().done;
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert!(total > workers + 1, "{total} candidates");
        assert!((1..=workers).contains(&done), "{done} of {total} ran");
    }

    #[test]
    fn a_run_cancelled_before_it_starts_runs_no_candidate() {
        let prepared = prepare(&demo(), json!({}), 20_000).expect("the empty request is valid");
        let progress = Progress::none();
        progress.cancel();
        let outcome = prepared.run(&Budget::unlimited(), &progress);
        assert!(
            matches!(outcome, Err(ServiceError::Cancelled)),
            "{outcome:?}"
        );
        assert_eq!(progress.count().done, 0);
    }

    #[test]
    fn a_followed_run_counts_to_its_total_and_ranks_as_one_nobody_follows() {
        let snapshot = demo();
        let plain = drills(&snapshot, json!({}), &Budget::unlimited(), 20_000).unwrap();
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let kept = seen.clone();
        let progress = Progress::new(move |c| {
            kept.lock().unwrap().push(c);
            true
        });
        let prepared = prepare(&snapshot, json!({}), 20_000).unwrap();
        let total = prepared.candidates();
        let followed = prepared.run(&Budget::unlimited(), &progress).unwrap();
        assert_eq!(followed, plain);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.first(), Some(&Count { done: 0, total }));
        assert_eq!(seen.last(), Some(&Count { done: total, total }));
        assert_eq!(followed["candidates_run"], total);
    }
}
