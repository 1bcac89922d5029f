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

pub use super::events::{DeliveryState, Event, Issued, What};
use super::events::{apply, check};
use super::hook::{Deliverer, Hook, Job};
use crate::analysis::warnings::Warning;
use crate::analysis::warnings::audience::Task;
use crate::analysis::warnings::tracking::Answer;
use crate::edits::log::{Journal, LogError, Syncer};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

/// The journal's file in a data folder.
pub const WARNINGS_LOG: &str = "warnings.log";

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
        let what = What::Delivery {
            task_id: task_id.to_string(),
            attempt,
            ok,
            last,
            detail,
        };
        let now = crate::analysis::warnings::now_secs();
        self.about("delivery hook", now, warning, what)
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
        self.about(who, at, warning, What::Answered { answer })
    }

    /// Cancels a warning.
    pub fn cancel(
        &self,
        who: &str,
        at: i64,
        warning: &str,
        reason: Option<String>,
    ) -> Result<(), DeskError> {
        self.about(who, at, warning, What::Cancelled { reason })
    }

    /// Records `what` about an issued warning.
    fn about(&self, who: &str, at: i64, warning: &str, what: What) -> Result<(), DeskError> {
        let event = Event {
            seq: 0,
            at,
            who: who.to_string(),
            warning: warning.to_string(),
            what,
        };
        self.record(event).map(|_| ())
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
