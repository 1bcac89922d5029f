//! Limits on the heavy routes, in one middleware ([`heavy`]) that runs after
//! `access::require` has proven who is asking:
//!
//! 1. a rate per identity: a token bucket for each user (governor's keyed GCRA limiter,
//!    which refills continuously and needs no sweeper task); over it, 429 with
//!    `Retry-After` saying when the next request would pass;
//! 2. a cap on heavy analyses running at once: a slot is taken without waiting, and
//!    with none free the answer is 503 with `Retry-After`. Queueing instead would keep
//!    every waiting request's body and connection, and the queue would grow as long as
//!    clients retry. The analysis runs in its own task holding the slot, so a client
//!    that hangs up cannot free a slot while its analysis still runs; an analysis that
//!    goes on after its handler has answered (a streamed drill run) holds the slot too,
//!    through the [`Slot`] it finds in the request's extensions;
//! 3. a cap on the answer's size: a larger answer is refused (422, saying how to narrow
//!    the scenario) rather than paged (a streamed answer checks its one large line
//!    itself, with [`Limiter::check_size`]). Paging an analysis would mean keeping every
//!    result on the server until its last page is read, or running it again per page;
//!    a county's answers are far below the cap, and the command line (`riskatlas
//!    impact`) answers any size for batch work.
//!
//! Tiles, features and the page are not heavy: they stay unaffected. Which routes are
//! heavy is [`HEAVY_ROUTES`]; what a request body may weigh per route is
//! [`body_limit`].

use super::{ApiError, AppState};
use crate::service::access::Identity;
use crate::service::budget::{Budget, DEFAULT_MAX_WORK, DEFAULT_TIME_LIMIT};
use axum::body::HttpBody as _;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The routes that run an analysis: (method, route pattern as in `api::router`).
pub const HEAVY_ROUTES: &[(Method, &str)] = &[
    (Method::POST, "/api/impact"),
    (Method::POST, "/api/drills"),
    (Method::GET, "/report/impact"),
    (Method::POST, "/api/evacuation"),
    (Method::GET, "/cards/evacuation"),
    (Method::GET, "/cards/drill"),
    (Method::GET, "/sheets/{file}"),
    (Method::POST, "/api/warnings"),
    (Method::POST, "/api/warnings/{id}/update"),
    (Method::POST, "/api/compare"),
    (Method::POST, "/api/coverage"),
    (Method::POST, "/api/route"),
];

/// The largest body any route takes: a scenario with a drawn hazard at its 20,000
/// vertices (about 0.7 MB as JSON), or an edit of a long road, fit well inside.
pub const MAX_BODY_BYTES: usize = 8 << 20;
/// `POST /api/route`: two points, a profile and an optional scenario, whose one drawn
/// hazard at the vertex cap still fits.
pub const ROUTE_BODY_BYTES: usize = 1 << 20;
/// `POST /api/coverage`: a few options and at most ten thresholds; no geometry.
pub const COVERAGE_BODY_BYTES: usize = 16 << 10;

/// The body limit of a route pattern (see the constants).
pub fn body_limit(route: &str) -> usize {
    match route {
        "/api/route" => ROUTE_BODY_BYTES,
        "/api/coverage" => COVERAGE_BODY_BYTES,
        _ => MAX_BODY_BYTES,
    }
}

/// Default rate of heavy requests per identity, per minute: a planner clicking through
/// scenarios makes a few a minute; a script looping makes hundreds.
pub const DEFAULT_PER_MINUTE: u32 = 60;
/// Heavy requests an identity may make at once before the rate applies (the page runs
/// an impact, its plan and a route together).
pub const DEFAULT_BURST: u32 = 20;
/// Largest answer of a heavy route (bytes).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 << 20;
/// What `Retry-After` says when every slot is taken: about one analysis's time.
const BUSY_RETRY_AFTER_S: u64 = 2;

/// Heavy analyses at once by default: one per core (they are CPU-bound), at least 2.
pub fn default_max_heavy() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

/// The limits a server applies to heavy routes.
#[derive(Debug, Clone, Copy)]
pub struct LimitOptions {
    /// Heavy analyses running at once.
    pub max_heavy: usize,
    /// Heavy requests per identity per minute (0: no rate limit).
    pub per_minute: u32,
    /// Heavy requests an identity may make in a burst.
    pub burst: u32,
    /// Most work a scenario may ask for (see `service::budget`).
    pub max_work: u64,
    /// Time limit of one analysis.
    pub time_limit: Duration,
    /// Largest answer of a heavy route (bytes).
    pub max_response_bytes: usize,
}

impl Default for LimitOptions {
    fn default() -> LimitOptions {
        LimitOptions {
            max_heavy: default_max_heavy(),
            per_minute: DEFAULT_PER_MINUTE,
            burst: DEFAULT_BURST,
            max_work: DEFAULT_MAX_WORK,
            time_limit: DEFAULT_TIME_LIMIT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// A heavy request's slot, taken until every holder has let it go: the middleware
/// holds it until the handler answers, and a handler whose analysis runs on after it
/// has answered (its answer streams) takes a clone from the request's extensions into
/// the run, so the slot stays taken until the run ends.
#[derive(Clone)]
pub struct Slot {
    _permit: Arc<tokio::sync::OwnedSemaphorePermit>,
}

/// The limits' state: the slots and the buckets.
pub struct Limiter {
    options: LimitOptions,
    slots: Arc<Semaphore>,
    rate: Option<DefaultKeyedRateLimiter<String>>,
}

impl Limiter {
    /// Slots and buckets for `options`.
    pub fn new(options: LimitOptions) -> Limiter {
        let rate = NonZeroU32::new(options.per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(options.burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
        });
        Limiter {
            options,
            slots: Arc::new(Semaphore::new(options.max_heavy.max(1))),
            rate,
        }
    }

    /// The budget of one analysis starting now.
    pub fn budget(&self) -> Budget {
        Budget::new(self.options.max_work, self.options.time_limit)
    }

    /// An answer of `bytes` is within the cap, or refused saying how to narrow it.
    pub fn check_size(&self, bytes: usize) -> Result<(), ApiError> {
        let max = self.options.max_response_bytes;
        if bytes <= max {
            return Ok(());
        }
        Err(ApiError::Unprocessable(format!(
            "the answer would be {}, over the {} one response may be; narrow the scenario \
             (fewer hazards, a \"where\" filter, a smaller buffer_m) or group_by a coarser \
             level, or run it with `riskatlas impact` on the server",
            size(bytes),
            size(max)
        )))
    }

    fn check_rate(&self, who: &str) -> Result<(), ApiError> {
        let Some(rate) = &self.rate else {
            return Ok(());
        };
        rate.check_key(&who.to_string()).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(rate.clock()));
            ApiError::TooManyRequests {
                message: format!(
                    "{who} asked for more analyses than the {} a minute (bursts of {}) one \
                     user may; try again in {:.1} s",
                    self.options.per_minute,
                    self.options.burst,
                    wait.as_secs_f64()
                ),
                retry_after_s: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }
}

/// The middleware (see the module doc); requests to other routes pass untouched.
pub async fn heavy(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = matched.as_ref().map_or("", |m| m.as_str());
    if !HEAVY_ROUTES
        .iter()
        .any(|(m, p)| m == req.method() && *p == path)
    {
        return Ok(next.run(req).await);
    }
    let limiter = state.limiter();
    let who = req
        .extensions()
        .get::<Identity>()
        .map_or_else(|| "anonymous".to_string(), |i| i.name.clone());
    limiter.check_rate(&who)?;
    let slot = limiter
        .slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Busy {
            message: format!(
                "the server is running as many analyses as it may at once ({}); try again \
                 in a moment",
                limiter.options.max_heavy
            ),
            retry_after_s: BUSY_RETRY_AFTER_S,
        })?;
    let slot = Slot {
        _permit: Arc::new(slot),
    };
    req.extensions_mut().insert(slot.clone());
    let response = tokio::spawn(async move {
        let response = next.run(req).await;
        drop(slot);
        response
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("analysis task failed: {e}")))?;
    match response.body().size_hint().exact() {
        Some(bytes) => limiter.check_size(bytes as usize).map(|()| response),
        None => Ok(response),
    }
}

/// A byte count as people write limits: "16 KiB", "8 MiB", "130.7 MiB".
pub(crate) fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b => format!("{} KiB", b.div_ceil(1 << 10)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_limits_are_written() {
        assert_eq!(size(16 << 10), "16 KiB");
        assert_eq!(size(8 << 20), "8 MiB");
        assert_eq!(size(130_659_469), "124.6 MiB");
        assert_eq!(size(1), "1 KiB");
    }

    #[test]
    fn every_heavy_route_has_an_access_rule() {
        for (method, path) in HEAVY_ROUTES {
            assert!(
                super::super::access::rule(method, path).is_some(),
                "{method} {path}"
            );
        }
    }
}
