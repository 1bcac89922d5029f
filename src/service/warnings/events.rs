//! The desk's events — a warning issued, a task answered, a warning cancelled, a
//! delivery attempt — and the fold that turns them into the warnings as they stand
//! (`apply`, the same for a replay, a live event and another server's), with the
//! checks an event must pass first (`check`).

use super::desk::DeskError;
use crate::analysis::warnings::audience::Task;
use crate::analysis::warnings::tracking::Answer;
use crate::analysis::warnings::{AlertLevel, Warning};
use crate::edits::log::Logged;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// One event of the desk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Numbered by the journal.
    pub seq: u64,
    /// When it was recorded (seconds since 1970, UTC).
    pub at: i64,
    /// Who recorded it.
    pub who: String,
    /// The warning it is about.
    pub warning: String,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

impl Logged for Event {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

/// What an event records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum What {
    /// A warning issued: what it says, and the call tree as it stood.
    Issued {
        /// The warning as checked (boxed: it is most of the event's size).
        message: Box<Warning>,
        /// Its tasks, in calling order.
        tasks: Vec<Task>,
        /// Its audience's totals and admin units (JSON, as the answer gave them).
        audience: Json,
        /// The warning it updates, if any (that one is superseded).
        updates: Option<String>,
    },
    /// A task answered.
    Answered {
        /// The answer.
        answer: Answer,
    },
    /// The warning cancelled.
    Cancelled {
        /// Why, if given.
        reason: Option<String>,
    },
    /// One attempt of the delivery hook for a task.
    Delivery {
        /// The task.
        task_id: String,
        /// 1 for the first attempt.
        attempt: u32,
        /// Whether the command succeeded.
        ok: bool,
        /// Whether no attempt follows (it succeeded, or the attempts ran out).
        last: bool,
        /// What the command printed, or why it failed.
        detail: String,
    },
}

/// Where the delivery hook stands for one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryState {
    /// Attempts made.
    pub attempts: u32,
    /// `delivered`, `failed` (the attempts ran out) or `retrying`.
    pub state: &'static str,
    /// What the last attempt printed, or why it failed.
    pub detail: String,
}

/// A warning as the desk holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    /// Its id.
    pub id: String,
    /// When it was issued.
    pub issued_at: i64,
    /// Who issued it.
    pub issued_by: String,
    /// What it says.
    pub warning: Warning,
    /// The call tree.
    pub tasks: Vec<Task>,
    /// Its audience (totals, units) as issued.
    pub audience: Json,
    /// The answers so far, by task.
    pub answers: BTreeMap<String, Answer>,
    /// The warning it updated.
    pub updates: Option<String>,
    /// When it was cancelled or superseded, and by what (`cancelled`, or the id of the
    /// warning that updates it).
    pub closed: Option<(i64, String)>,
    /// The delivery hook's attempts, by task.
    pub deliveries: BTreeMap<String, DeliveryState>,
}

impl Issued {
    /// The level's answer time in seconds.
    pub fn level(&self) -> AlertLevel {
        self.warning.level
    }
}

/// Refuses an event the warnings as they stand cannot take.
pub(super) fn check(warnings: &BTreeMap<String, Issued>, e: &Event) -> Result<(), DeskError> {
    let target = match &e.what {
        What::Issued { updates: None, .. } => return Ok(()),
        What::Issued {
            updates: Some(old), ..
        } => old,
        _ => &e.warning,
    };
    let w = warnings
        .get(target)
        .ok_or_else(|| DeskError::NotFound(target.clone()))?;
    // An attempt made is recorded, even if the warning closed meanwhile.
    let delivery = matches!(e.what, What::Delivery { .. });
    if let Some((_, by)) = w.closed.as_ref().filter(|_| !delivery) {
        let state = if by == "cancelled" {
            "cancelled".to_string()
        } else {
            format!("superseded by {by}")
        };
        return Err(DeskError::Closed {
            id: w.id.clone(),
            state,
        });
    }
    if let What::Answered { answer: a } = &e.what {
        if !w.tasks.iter().any(|t| t.id == a.task_id) {
            return Err(DeskError::NoTask {
                warning: w.id.clone(),
                task: a.task_id.clone(),
            });
        }
        if let Some(first) = w.answers.get(&a.task_id) {
            return Err(DeskError::Answered {
                task: a.task_id.clone(),
                at: crate::analysis::warnings::rfc3339(first.at),
                by: first.by.clone(),
            });
        }
    }
    Ok(())
}

/// Applies an event to the warnings (replay and live use alike).
pub(super) fn apply(warnings: &mut BTreeMap<String, Issued>, e: Event) {
    match e.what {
        What::Issued {
            message: warning,
            tasks,
            audience,
            updates,
        } => {
            if let Some(old) = updates.as_ref().and_then(|o| warnings.get_mut(o)) {
                old.closed.get_or_insert((e.at, e.warning.clone()));
            }
            // Applying an event twice (a catch-up after this server's own) changes nothing.
            warnings.entry(e.warning.clone()).or_insert_with(|| Issued {
                id: e.warning,
                issued_at: e.at,
                issued_by: e.who,
                warning: *warning,
                tasks,
                audience,
                answers: BTreeMap::new(),
                updates,
                closed: None,
                deliveries: BTreeMap::new(),
            });
        }
        What::Delivery {
            task_id,
            attempt,
            ok,
            last,
            detail,
        } => {
            if let Some(w) = warnings.get_mut(&e.warning) {
                let state = match (ok, last) {
                    (true, _) => "delivered",
                    (false, true) => "failed",
                    (false, false) => "retrying",
                };
                // The latest attempt wins, whatever order the events arrive in.
                if w.deliveries
                    .get(&task_id)
                    .is_none_or(|d| d.attempts <= attempt)
                {
                    w.deliveries.insert(
                        task_id,
                        DeliveryState {
                            attempts: attempt,
                            state,
                            detail,
                        },
                    );
                }
            }
        }
        What::Answered { answer: a } => {
            if let Some(w) = warnings.get_mut(&e.warning) {
                w.answers.entry(a.task_id.clone()).or_insert(a);
            }
        }
        What::Cancelled { .. } => {
            if let Some(w) = warnings.get_mut(&e.warning) {
                w.closed.get_or_insert((e.at, "cancelled".into()));
            }
        }
    }
}
