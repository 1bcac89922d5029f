//! The warning desk: warnings issued, the answers to their tasks, cancellations and
//! updates — each an event appended to a journal and `fsync`ed before it is
//! acknowledged (group commit: writers waiting at once share one `fsync`), the same
//! [`Journal`] format and guarantees as the edit log (a torn
//! last line cut, a damaged complete line refused, one writer per folder). A data
//! folder's journal is `warnings.log`; a server with no folder keeps warnings in memory
//! and says so.
//!
//! The live state of a warning is never stored: it is the fold of its events and the
//! clock ([`crate::analysis::warnings::tracking::progress`]), so a restart, a replay
//! and a replica all see the same state.

use super::hook::{Deliverer, Hook, Job};
use crate::analysis::warnings::audience::Task;
use crate::analysis::warnings::tracking::Answer;
use crate::analysis::warnings::{AlertLevel, Warning};
use crate::edits::log::{Journal, LogError, Logged, Syncer};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

/// The journal's file in a data folder.
pub const WARNINGS_LOG: &str = "warnings.log";

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

/// Why the desk refused.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// No such warning.
    #[error("no warning {0:?}")]
    NotFound(String),
    /// No such task in the warning.
    #[error("warning {warning:?} has no task {task:?}")]
    NoTask {
        /// The warning.
        warning: String,
        /// The task asked for.
        task: String,
    },
    /// The task has an answer already.
    #[error("task {task:?} was answered at {at} by {by}")]
    Answered {
        /// The task.
        task: String,
        /// When (RFC 3339).
        at: String,
        /// By whom.
        by: String,
    },
    /// The warning is closed.
    #[error("warning {id:?} is {state}: it takes no more answers or changes")]
    Closed {
        /// The warning.
        id: String,
        /// `cancelled`, or `superseded by …`.
        state: String,
    },
    /// The journal failed: nothing was recorded.
    #[error(transparent)]
    Journal(#[from] LogError),
    /// The database could not store it: nothing was recorded.
    #[error("warnings cannot be recorded now: {0}")]
    Unavailable(String),
}

/// Warning events in a PostGIS database shared with other servers.
#[cfg(feature = "postgis")]
struct Shared {
    pool: crate::store::postgis::PgPool,
    /// The server's runtime, to wait for the database from a blocking thread.
    runtime: tokio::runtime::Handle,
    /// The last event (by `seq`) applied here.
    applied: std::sync::atomic::AtomicU64,
}

/// The desk: the journal (if durable) and the warnings it holds.
pub struct Desk {
    journal: Option<Mutex<Journal<Event>>>,
    /// Makes the journal durable, one `fsync` per batch of writers.
    syncer: Option<Syncer>,
    #[cfg(feature = "postgis")]
    shared: Option<Shared>,
    warnings: RwLock<BTreeMap<String, Issued>>,
    next_in_memory: Mutex<u64>,
    /// The delivery hook, once attached.
    deliverer: std::sync::OnceLock<Deliverer>,
}

impl Desk {
    /// A desk that keeps nothing across a restart (a server without a data folder).
    pub fn in_memory() -> Desk {
        Desk {
            journal: None,
            syncer: None,
            #[cfg(feature = "postgis")]
            shared: None,
            warnings: RwLock::default(),
            next_in_memory: Mutex::new(1),
            deliverer: std::sync::OnceLock::new(),
        }
    }

    /// The desk of a data folder: its journal opened (locked, torn tail cut) and
    /// replayed.
    pub fn open(dir: &Path) -> Result<Desk, LogError> {
        let (journal, recovered) = Journal::<Event>::open(&dir.join(WARNINGS_LOG))?;
        let syncer = journal.syncer()?;
        let desk = Desk {
            journal: Some(Mutex::new(journal)),
            syncer: Some(syncer),
            #[cfg(feature = "postgis")]
            shared: None,
            warnings: RwLock::default(),
            next_in_memory: Mutex::new(1),
            deliverer: std::sync::OnceLock::new(),
        };
        {
            let mut warnings = desk.warnings.write().unwrap_or_else(|e| e.into_inner());
            for e in recovered.records {
                apply(&mut warnings, e);
            }
        }
        Ok(desk)
    }

    /// The desk of a PostGIS database: every event stored so far applied, and new ones
    /// stored there (call from the server's runtime).
    #[cfg(feature = "postgis")]
    pub async fn on_postgis(pool: crate::store::postgis::PgPool) -> Result<Desk, DeskError> {
        let mut desk = Desk::in_memory();
        desk.shared = Some(Shared {
            pool,
            runtime: tokio::runtime::Handle::current(),
            applied: 0.into(),
        });
        desk.catch_up().await?;
        Ok(desk)
    }

    /// Applies the events other servers stored since the last catch-up (a PostGIS
    /// desk; nothing to do otherwise). Returns how many.
    pub async fn catch_up(&self) -> Result<usize, DeskError> {
        #[cfg(feature = "postgis")]
        if let Some(shared) = &self.shared {
            use std::sync::atomic::Ordering;
            let after = shared.applied.load(Ordering::SeqCst);
            let events = crate::store::postgis::warnings::events_after(&shared.pool, after)
                .await
                .map_err(|e| DeskError::Unavailable(e.to_string()))?;
            let count = events.len();
            let mut warnings = self.warnings.write().unwrap_or_else(|e| e.into_inner());
            for e in events {
                shared.applied.fetch_max(e.seq, Ordering::SeqCst);
                apply(&mut warnings, e);
            }
            return Ok(count);
        }
        Ok(0)
    }

    /// Whether events survive a restart.
    pub fn durable(&self) -> bool {
        #[cfg(feature = "postgis")]
        if self.shared.is_some() {
            return true;
        }
        self.journal.is_some()
    }

    /// Attaches the delivery hook: every task of a warning issued from now on is
    /// delivered through it, and the deliveries a restart interrupted are taken up again.
    pub fn attach_hook(self: &Arc<Self>, hook: Hook) {
        let deliverer = Deliverer::start(hook, self.clone());
        let pending: Vec<Job> = self
            .list()
            .into_iter()
            .filter(|w| w.closed.is_none())
            .flat_map(|w| {
                w.tasks
                    .iter()
                    .filter(|t| {
                        w.deliveries
                            .get(&t.id)
                            .is_none_or(|d| d.state == "retrying")
                    })
                    .map(|t| Job {
                        warning_id: w.id.clone(),
                        warning: w.warning.clone(),
                        task: t.clone(),
                        attempts_before: w.deliveries.get(&t.id).map_or(0, |d| d.attempts),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        if !pending.is_empty() {
            tracing::info!(
                deliveries = pending.len(),
                "taking up deliveries a restart interrupted"
            );
        }
        for job in pending {
            deliverer.send(job);
        }
        let _ = self.deliverer.set(deliverer);
    }

    /// The delivery hook, if one is attached.
    pub fn hook(&self) -> Option<&Hook> {
        self.deliverer.get().map(|d| &d.hook)
    }

    /// Records one attempt of the delivery hook.
    pub fn record_delivery(
        &self,
        warning: &str,
        task_id: &str,
        attempt: u32,
        ok: bool,
        last: bool,
        detail: String,
    ) -> Result<(), DeskError> {
        self.record(Event {
            seq: 0,
            at: crate::analysis::warnings::now_secs(),
            who: "delivery hook".into(),
            warning: warning.to_string(),
            what: What::Delivery {
                task_id: task_id.to_string(),
                attempt,
                ok,
                last,
                detail,
            },
        })
        .map(|_| ())
    }

    /// Whether warning `id` is closed (a delivery not yet made is dropped).
    pub fn is_closed(&self, id: &str) -> bool {
        self.get(id).is_none_or(|w| w.closed.is_some())
    }

    /// Records `event` (numbered here), durably when the desk is, then applies it.
    fn record(&self, mut event: Event) -> Result<Event, DeskError> {
        // One lock over append and apply: the order in memory is the journal's.
        #[cfg(feature = "postgis")]
        if let Some(shared) = &self.shared {
            return self.record_shared(shared, event);
        }
        let mut warnings = self.warnings.write().unwrap_or_else(|e| e.into_inner());
        check(&warnings, &event)?;
        if event.warning.is_empty() {
            // A new warning's id is its event's number, read under the lock that orders
            // every event.
            event.warning = format!("W{}", self.next_seq());
        }
        let (event, end) = match &self.journal {
            Some(j) => {
                let (event, end) = j
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .append_unsynced(event)?;
                (event, Some(end))
            }
            None => {
                let mut next = self
                    .next_in_memory
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                event.seq = *next;
                *next += 1;
                (event, None)
            }
        };
        apply(&mut warnings, event.clone());
        drop(warnings);
        // Group commit: the fsync runs outside the locks, so writers arriving meanwhile
        // share the next one. Nothing is acknowledged before its line is on disk.
        if let (Some(end), Some(syncer)) = (end, &self.syncer) {
            syncer.sync_to(end)?;
        }
        Ok(event)
    }

    /// Records `event` in the database: the others' events caught up first (so the
    /// checks see them), then stored (numbered, a new warning named, by the database),
    /// then applied here. Two servers answering one task at once: the database keeps
    /// the first, and the second is told it was answered.
    #[cfg(feature = "postgis")]
    fn record_shared(&self, shared: &Shared, event: Event) -> Result<Event, DeskError> {
        use std::sync::atomic::Ordering;
        shared.runtime.block_on(self.catch_up())?;
        check(
            &self.warnings.read().unwrap_or_else(|e| e.into_inner()),
            &event,
        )?;
        let task = match &event.what {
            What::Answered { answer } => Some(answer.task_id.clone()),
            _ => None,
        };
        let stored = shared
            .runtime
            .block_on(crate::store::postgis::warnings::insert_event(
                &shared.pool,
                event,
            ))
            .map_err(|e| match (e, task) {
                (crate::store::postgis::warnings::EventError::AnsweredElsewhere, Some(task)) => {
                    DeskError::Answered {
                        task,
                        at: "the same moment".into(),
                        by: "someone through another server".into(),
                    }
                }
                (e, _) => DeskError::Unavailable(e.to_string()),
            })?;
        let mut warnings = self.warnings.write().unwrap_or_else(|e| e.into_inner());
        shared.applied.fetch_max(stored.seq, Ordering::SeqCst);
        apply(&mut warnings, stored.clone());
        Ok(stored)
    }

    /// Issues a warning; returns its id (`W` and the event's number).
    pub fn issue(
        &self,
        who: &str,
        at: i64,
        warning: Warning,
        tasks: Vec<Task>,
        audience: Json,
        updates: Option<String>,
    ) -> Result<String, DeskError> {
        let jobs: Vec<(Warning, Task)> = match self.deliverer.get() {
            Some(_) => tasks.iter().map(|t| (warning.clone(), t.clone())).collect(),
            None => Vec::new(),
        };
        let event = self.record(Event {
            seq: 0,
            at,
            who: who.to_string(),
            warning: String::new(),
            what: What::Issued {
                message: Box::new(warning),
                tasks,
                audience,
                updates,
            },
        })?;
        if let Some(deliverer) = self.deliverer.get() {
            for (warning, task) in jobs {
                deliverer.send(Job {
                    warning_id: event.warning.clone(),
                    warning,
                    task,
                    attempts_before: 0,
                });
            }
        }
        Ok(event.warning)
    }

    /// Records an answer to a task.
    pub fn answer(
        &self,
        who: &str,
        at: i64,
        warning: &str,
        answer: Answer,
    ) -> Result<(), DeskError> {
        self.record(Event {
            seq: 0,
            at,
            who: who.to_string(),
            warning: warning.to_string(),
            what: What::Answered { answer },
        })
        .map(|_| ())
    }

    /// Cancels a warning.
    pub fn cancel(
        &self,
        who: &str,
        at: i64,
        warning: &str,
        reason: Option<String>,
    ) -> Result<(), DeskError> {
        self.record(Event {
            seq: 0,
            at,
            who: who.to_string(),
            warning: warning.to_string(),
            what: What::Cancelled { reason },
        })
        .map(|_| ())
    }

    /// The number the next event will get (ids are stable: the journal's numbering).
    fn next_seq(&self) -> u64 {
        match &self.journal {
            Some(j) => j.lock().unwrap_or_else(|e| e.into_inner()).next_seq(),
            None => *self
                .next_in_memory
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// A warning, as it stands.
    pub fn get(&self, id: &str) -> Option<Issued> {
        self.warnings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every warning, newest first.
    pub fn list(&self) -> Vec<Issued> {
        let warnings = self.warnings.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<Issued> = warnings.values().cloned().collect();
        all.sort_by(|a, b| b.issued_at.cmp(&a.issued_at).then(b.id.cmp(&a.id)));
        all
    }
}

/// Refuses an event the warnings as they stand cannot take.
fn check(warnings: &BTreeMap<String, Issued>, e: &Event) -> Result<(), DeskError> {
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
fn apply(warnings: &mut BTreeMap<String, Issued>, e: Event) {
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
