//! `POST /api/drills` and `riskatlas drills`: candidate drills generated per township,
//! each run through impact and evacuation on the township's view, measured, scored and
//! ranked (the pipeline is in [`crate::analysis::drills`]).
//!
//! Candidates run on every core: each is independent, and a county has hundreds. They
//! share what does not change between them — the snapshot's road graph, and one view
//! per township — and all run under the request's one time limit. Drills held are
//! recorded through [`records`].

pub mod card;
pub mod records;

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

/// Ranks the candidate drills of `snapshot` (the user's view) as `body` asks.
pub fn drills(
    snapshot: &Snapshot,
    body: Json,
    budget: &Budget,
    today: i64,
) -> Result<Json, ServiceError> {
    let (body, top, today) = checked(snapshot, body, today)?;
    let started = std::time::Instant::now();
    let townships = townships(snapshot, body.townships.as_deref());
    let cut = started.elapsed();
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
    let evacuation = body.evacuation.clone().unwrap_or_default();
    let generated = started.elapsed();
    let count = tasks.len();
    let runs = run_all(&townships, tasks, &evacuation, budget, today)?;
    tracing::info!(
        townships = townships.len(),
        candidates = count,
        views_ms = cut.as_millis() as u64,
        generated_ms = (generated - cut).as_millis() as u64,
        run_ms = (started.elapsed() - generated).as_millis() as u64,
        "drill candidates run"
    );
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
        .map(|r| scenario_answer(r, &grouped[r.index].0, &townships))
        .collect::<Vec<Json>>();
    Ok(json!({
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
    }))
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
        "scenario": run.candidate.scenario,
        "metrics": metrics,
        "unplaced_by_reason": run.unplaced,
        "why": r.leading.iter().map(|m| in_words(m, &run.metrics)).collect::<Vec<_>>(),
    })
}

/// Runs every candidate on its township's view, on every core.
fn run_all(
    townships: &[Township],
    tasks: Vec<(usize, Candidate)>,
    evacuation: &serde_json::Map<String, Json>,
    budget: &Budget,
    today: i64,
) -> Result<Vec<Run>, ServiceError> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Run>> = Mutex::new(Vec::with_capacity(tasks.len()));
    let failure: Mutex<Option<ServiceError>> = Mutex::new(None);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(tasks.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((t, candidate)) = tasks.get(i) else {
                        break;
                    };
                    if failure.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
                        break;
                    }
                    let view = &townships[*t].view;
                    let mut request = candidate.scenario.clone();
                    if let Some(obj) = request.as_object_mut() {
                        obj.extend(evacuation.clone());
                    }
                    match evacuate_within(view, view.road_graph(), request, budget) {
                        Ok((impact, plan)) => {
                            let last = &townships[*t].last_drills;
                            let metrics = measure(last, &impact, &plan, today);
                            let unplaced = unplaced_by_reason(&plan);
                            let run = Run {
                                township: *t,
                                candidate: candidate.clone(),
                                metrics,
                                unplaced,
                            };
                            out.lock().unwrap_or_else(|e| e.into_inner()).push(run);
                        }
                        Err(e) => {
                            // Name the candidate: the request generated it, not the user.
                            let e = match e {
                                ServiceError::Scenario(s) => RequestError::Invalid(format!(
                                    "candidate {}: {s}",
                                    candidate.id
                                ))
                                .into(),
                                other => other,
                            };
                            let mut slot = failure.lock().unwrap_or_else(|e| e.into_inner());
                            slot.get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut runs = out.into_inner().unwrap_or_else(|e| e.into_inner());
    // Workers finish in any order; the ranking must not depend on it.
    runs.sort_by(|a, b| (a.township, &a.candidate.id).cmp(&(b.township, &b.candidate.id)));
    Ok(runs)
}
