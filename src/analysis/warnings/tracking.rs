//! Call and respond: the state of an issued warning's tasks at a given moment, from the
//! tasks, the answers recorded and the clock alone (a pure function, so a test can run
//! the clock).
//!
//! The mechanics are an on-call escalation chain (Grafana OnCall's "notify, wait,
//! notify the next", GitLab's time-boxed escalation policies), with the chain derived
//! from the admin hierarchy rather than configured by hand:
//!
//! - a task's clock **starts** when its caller has answered (the caller then passes the
//!   warning down); a task the duty desk calls starts at issue. A task whose caller has
//!   not answered is **blocked**: the caller's own clock is what runs;
//! - a started task not answered within the level's time ([`AlertLevel::answer_minutes`]:
//!   red 10, orange 30, yellow 60, blue 120) is **escalated** to its caller — the unit
//!   above must chase it — and after each further period to the next unit up, ending at
//!   the duty desk; it stays flagged until it is answered;
//! - an **answered** task never escalates, however late the answer came;
//! - a cancelled or superseded warning escalates nothing.

use super::AlertLevel;
use super::audience::Task;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An answer to a task: the contact confirmed they have the warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The task answered.
    pub task_id: String,
    /// Who answered (the contact, or whoever recorded it on their behalf).
    pub by: String,
    /// When (seconds since 1970, UTC).
    pub at: i64,
    /// By what means: `phone`, `sms`, `radio`, `in_person`, `app`, …
    pub means: String,
    /// What they said: "village evacuating", "road cut".
    pub note: Option<String>,
}

/// A task's state at a moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskState {
    /// The task's id.
    pub id: String,
    /// `answered`, `waiting`, `escalated`, `blocked` (its caller has not answered) or
    /// `closed` (the warning was cancelled or superseded before an answer).
    pub state: &'static str,
    /// When its clock started (seconds since 1970), if it has.
    pub started: Option<i64>,
    /// When an answer is due, if its clock runs.
    pub due: Option<i64>,
    /// The task (or `duty desk`) it is escalated to, while escalated.
    pub escalated_to: Option<String>,
    /// How many periods it has gone unanswered (0 until escalated).
    pub escalations: u32,
    /// The answer, if there is one by this moment.
    pub answer: Option<Answer>,
}

/// An issued warning's call-and-respond state at a moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// The moment (seconds since 1970).
    pub at: i64,
    /// Each task, in calling order.
    pub tasks: Vec<TaskState>,
    /// Tasks per state.
    pub counts: HashMap<&'static str, usize>,
    /// When the last task was answered, once every task is.
    pub fully_acknowledged_at: Option<i64>,
    /// Minutes from issue to full acknowledgement, once every task is answered.
    pub minutes_to_full_acknowledgement: Option<f64>,
    /// The unanswered tasks, most urgent first: escalated (most escalations first), then
    /// waiting (soonest due first), then blocked; ties by the people concerned, most
    /// first.
    pub silent: Vec<String>,
}

/// The label of the top of every escalation chain.
pub const DUTY_DESK: &str = "duty desk";

/// The state of `tasks` at `now`, for a warning of `level` issued at `issued`; answers
/// recorded after `now` are not yet known. `closed_at`: when the warning was cancelled
/// or superseded, if it was.
pub fn progress(
    tasks: &[Task],
    answers: &HashMap<String, Answer>,
    level: AlertLevel,
    issued: i64,
    closed_at: Option<i64>,
    now: i64,
) -> Progress {
    let period = (level.answer_minutes() * 60.0) as i64;
    let known = |id: &str| answers.get(id).filter(|a| a.at <= now);
    let by_id: HashMap<&str, &Task> = tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    // The clock stops when the warning closes.
    let clock = closed_at.map_or(now, |c| c.min(now));
    let states: Vec<TaskState> = tasks
        .iter()
        .map(|t| {
            let started = match &t.caller {
                None => Some(issued),
                Some(c) => known(c).map(|a| a.at.max(issued)),
            };
            if let Some(a) = known(&t.id) {
                return TaskState {
                    id: t.id.clone(),
                    state: "answered",
                    started,
                    due: started.map(|s| s + period),
                    escalated_to: None,
                    escalations: 0,
                    answer: Some(a.clone()),
                };
            }
            let mut s = TaskState {
                id: t.id.clone(),
                state: if closed_at.is_some_and(|c| c <= now) {
                    "closed"
                } else {
                    "blocked"
                },
                started,
                due: None,
                escalated_to: None,
                escalations: 0,
                answer: None,
            };
            let Some(start) = started.filter(|s| *s <= clock) else {
                return s;
            };
            s.due = Some(start + period);
            let periods = ((clock - start) / period.max(1)) as u32;
            if s.state == "blocked" {
                s.state = if periods == 0 { "waiting" } else { "escalated" };
            }
            if periods > 0 {
                s.escalations = periods;
                s.escalated_to = Some(ancestor(&by_id, t, periods));
            }
            s
        })
        .collect();
    summarise(tasks, states, issued, now)
}

/// The task `steps` callers up from `t`, or the duty desk past the top.
fn ancestor(by_id: &HashMap<&str, &Task>, t: &Task, steps: u32) -> String {
    let mut at = t;
    for _ in 0..steps {
        match at.caller.as_deref().and_then(|c| by_id.get(c)) {
            Some(up) => at = up,
            None => return DUTY_DESK.to_string(),
        }
    }
    at.id.clone()
}

fn summarise(tasks: &[Task], states: Vec<TaskState>, issued: i64, now: i64) -> Progress {
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for s in &states {
        *counts.entry(s.state).or_default() += 1;
    }
    let all_answered = states.iter().all(|s| s.answer.is_some());
    let fully = all_answered
        .then(|| {
            states
                .iter()
                .filter_map(|s| s.answer.as_ref().map(|a| a.at))
                .max()
        })
        .flatten();
    let people: HashMap<&str, f64> = tasks.iter().map(|t| (t.id.as_str(), t.people)).collect();
    let mut silent: Vec<&TaskState> = states.iter().filter(|s| s.answer.is_none()).collect();
    let order = |s: &TaskState| match s.state {
        "escalated" => 0,
        "waiting" => 1,
        _ => 2,
    };
    silent.sort_by(|a, b| {
        order(a)
            .cmp(&order(b))
            .then(b.escalations.cmp(&a.escalations))
            .then(a.due.unwrap_or(i64::MAX).cmp(&b.due.unwrap_or(i64::MAX)))
            .then(people[b.id.as_str()].total_cmp(&people[a.id.as_str()]))
            .then(a.id.cmp(&b.id))
    });
    let silent = silent.into_iter().map(|s| s.id.clone()).collect();
    Progress {
        at: now,
        counts,
        fully_acknowledged_at: fully,
        minutes_to_full_acknowledgement: fully
            .map(|f| ((f - issued) as f64 / 60.0 * 10.0).round() / 10.0),
        silent,
        tasks: states,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::hazards::Contact;

    /// county → township → village, and a school the village calls.
    fn chain() -> Vec<Task> {
        let task = |id: &str, caller: Option<&str>, people: f64| Task {
            id: id.into(),
            depth: 0,
            caller: caller.map(str::to_string),
            role: "duty officer".into(),
            contact: Contact {
                name: id.into(),
                phone: "555".into(),
            },
            about: id.into(),
            admin_code: None,
            people,
        };
        vec![
            task("county", None, 3000.0),
            task("township", Some("county"), 3000.0),
            task("village", Some("township"), 800.0),
            task("school", Some("village"), 400.0),
        ]
    }

    fn answer(id: &str, at: i64) -> (String, Answer) {
        let a = Answer {
            task_id: id.into(),
            by: id.into(),
            at,
            means: "phone".into(),
            note: None,
        };
        (id.into(), a)
    }

    fn state<'a>(p: &'a Progress, id: &str) -> &'a TaskState {
        p.tasks.iter().find(|s| s.id == id).unwrap()
    }

    const T0: i64 = 1_784_527_200; // 2026-07-20 06:00 UTC

    #[test]
    fn a_red_task_escalates_after_ten_minutes_and_up_the_chain_each_ten_after() {
        let tasks = chain();
        let answers: HashMap<_, _> =
            [answer("county", T0 + 60), answer("township", T0 + 120)].into();
        // The village's clock starts when the township answered, at T0 + 2 min.
        let at = |minutes: i64| {
            progress(
                &tasks,
                &answers,
                AlertLevel::Red,
                T0,
                None,
                T0 + minutes * 60,
            )
        };
        let v = |p: &Progress| state(p, "village").clone();
        assert_eq!(v(&at(11)).state, "waiting");
        assert_eq!(v(&at(11)).due, Some(T0 + 12 * 60));
        assert_eq!(v(&at(12)).state, "escalated");
        assert_eq!(v(&at(12)).escalated_to.as_deref(), Some("township"));
        assert_eq!(v(&at(22)).escalated_to.as_deref(), Some("county"));
        assert_eq!(v(&at(32)).escalated_to.as_deref(), Some(DUTY_DESK));
        // The school waits on the village: blocked, never escalated itself.
        assert_eq!(state(&at(60), "school").state, "blocked");
        assert_eq!(state(&at(60), "school").escalations, 0);
        assert_eq!(
            at(60).silent,
            vec!["village".to_string(), "school".to_string()]
        );
    }

    #[test]
    fn answered_tasks_never_escalate_however_late_the_answer() {
        let tasks = chain();
        let answers: HashMap<_, _> = [
            answer("county", T0 + 60),
            answer("township", T0 + 59 * 60),
            answer("village", T0 + 70 * 60),
            answer("school", T0 + 71 * 60),
        ]
        .into();
        let p = progress(
            &tasks,
            &answers,
            AlertLevel::Orange,
            T0,
            None,
            T0 + 5 * 3600,
        );
        assert!(
            p.tasks
                .iter()
                .all(|s| s.state == "answered" && s.escalations == 0)
        );
        assert_eq!(p.fully_acknowledged_at, Some(T0 + 71 * 60));
        assert_eq!(p.minutes_to_full_acknowledgement, Some(71.0));
        assert!(p.silent.is_empty());
        // Before the township's answer was known, at T0 + 40, it was escalated once
        // (orange: 30 minutes) to the county.
        let earlier = progress(&tasks, &answers, AlertLevel::Orange, T0, None, T0 + 40 * 60);
        let t = state(&earlier, "township");
        assert_eq!((t.state, t.escalations), ("escalated", 1));
        assert_eq!(earlier.fully_acknowledged_at, None);
    }

    #[test]
    fn a_cancelled_warning_stops_its_clocks() {
        let tasks = chain();
        let answers = HashMap::new();
        // Cancelled at T0 + 5 min: the county never reaches its 10 minutes.
        let p = progress(
            &tasks,
            &answers,
            AlertLevel::Red,
            T0,
            Some(T0 + 300),
            T0 + 3600,
        );
        let county = state(&p, "county");
        assert_eq!((county.state, county.escalations), ("closed", 0));
        assert_eq!(p.counts["closed"], 4);
    }
}
