//! How far a drill run has got, and whether anyone still waits for it.
//!
//! A county's run is hundreds of candidates and takes seconds, so `POST /api/drills`
//! can stream `done` of `total` as candidates finish; and a designer who cancels, or
//! closes the page, should not leave every core busy for an answer nobody reads.
//! [`Progress`] carries both ways between the run and whoever started it:
//!
//! 1. the run announces its total ([`Progress::start`]) and each finished candidate
//!    ([`Progress::finished_one`]);
//! 2. counts go to the listener throttled — the first (0 of total), the last (total of
//!    total), and between them at most one per [`Progress::every`] (100 ms by default:
//!    a progress bar needs no more, and a slow client no more lines to buffer) —
//!    always in increasing order, though candidates finish on many threads;
//! 3. a listener that answers `false` (its client has gone), or a call to
//!    [`Progress::cancel`], sets the flag the run's workers check between candidates:
//!    the run then stops with [`ServiceError::Cancelled`](super::ServiceError::Cancelled).
//!
//! A candidate already running finishes (each takes a fraction of a second; its own
//! loops watch the request's deadline): cancelling costs at most one candidate per
//! worker.

use serde::Serialize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The least time between two counts sent to a listener, by default.
pub const DEFAULT_EVERY: Duration = Duration::from_millis(100);

/// Candidates run of those the request generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Candidates finished.
    pub done: usize,
    /// Candidates the run has.
    pub total: usize,
}

/// Told each count; `false` means nobody listens any more, and the run should stop.
type Listener = Box<dyn Fn(Count) -> bool + Send + Sync>;

/// A run's progress and its cancel flag (see the module doc).
pub struct Progress {
    listener: Option<Listener>,
    cancelled: AtomicBool,
    done: AtomicUsize,
    total: AtomicUsize,
    every: Duration,
    /// The last count sent and when. Held while the listener is told, so a count
    /// finished later on another thread can never be sent before an earlier one.
    sent: Mutex<Option<(usize, Instant)>>,
}

impl Progress {
    /// No listener: a run nobody follows, stopped only by [`Progress::cancel`].
    pub fn none() -> Progress {
        Progress {
            listener: None,
            cancelled: AtomicBool::new(false),
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            every: DEFAULT_EVERY,
            sent: Mutex::new(None),
        }
    }

    /// Tells `listener` the counts (throttled); its `false` cancels the run.
    pub fn new(listener: impl Fn(Count) -> bool + Send + Sync + 'static) -> Progress {
        Progress {
            listener: Some(Box::new(listener)),
            ..Progress::none()
        }
    }

    /// At most one count per `interval` between the first and the last.
    pub fn every(mut self, interval: Duration) -> Progress {
        self.every = interval;
        self
    }

    /// Asks the run to stop before its next candidate.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether the run should stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// How far the run has got.
    pub fn count(&self) -> Count {
        Count {
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }

    /// The run has `total` candidates and none done: the first count, always sent.
    pub(super) fn start(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
        self.tell(Count { done: 0, total }, true);
    }

    /// One more candidate has finished; the last is always sent.
    pub(super) fn finished_one(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed);
        self.tell(Count { done, total }, done >= total);
    }

    /// Sends `count` unless the throttle holds it back (never when `always`), or a
    /// later count has gone already.
    fn tell(&self, count: Count, always: bool) {
        let Some(listener) = &self.listener else {
            return;
        };
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((done, at)) = *sent {
            let behind = count.done <= done;
            if behind || (!always && at.elapsed() < self.every) {
                return;
            }
        }
        *sent = Some((count.done, Instant::now()));
        if !listener(count) {
            self.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A progress whose every count is kept, answering `listening`.
    fn recorded(listening: bool) -> (Progress, Arc<Mutex<Vec<Count>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = seen.clone();
        let progress = Progress::new(move |c| {
            kept.lock().unwrap().push(c);
            listening
        });
        (progress, seen)
    }

    #[test]
    fn the_first_and_the_last_count_pass_the_throttle() {
        let (progress, seen) = recorded(true);
        let progress = progress.every(Duration::from_secs(3600));
        progress.start(5);
        for _ in 0..5 {
            progress.finished_one();
        }
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [Count { done: 0, total: 5 }, Count { done: 5, total: 5 }]
        );
        assert!(!progress.is_cancelled());
    }

    #[test]
    fn counts_from_many_threads_go_out_in_increasing_order() {
        let (progress, seen) = recorded(true);
        let progress = progress.every(Duration::ZERO);
        progress.start(400);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..100).for_each(|_| progress.finished_one()));
            }
        });
        let done: Vec<usize> = seen.lock().unwrap().iter().map(|c| c.done).collect();
        assert!(done.windows(2).all(|w| w[0] < w[1]), "{done:?}");
        assert_eq!(done.last(), Some(&400));
    }

    #[test]
    fn a_listener_that_has_gone_cancels_the_run() {
        let (progress, _) = recorded(false);
        assert!(!progress.is_cancelled());
        progress.start(3);
        assert!(progress.is_cancelled());
    }
}
