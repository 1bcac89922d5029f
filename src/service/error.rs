//! `ServiceError`: every way a request can fail below the HTTP layer, each keeping its
//! kind, so the API can give it the right status (martin's per-backend error enums are
//! the model). The status table is in `api::error`.

use crate::analysis::ScenarioError;
use crate::analysis::evacuation::EvacuationError;
use crate::analysis::route::RouteError;
use crate::edits::EditError;

/// What is wrong with a request's own fields (not with the data it meets).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    #[error("the body is not valid JSON (a scenario or request object is expected): {0}")]
    /// Not JSON at all.
    Malformed(String),
    #[error("unknown profile {0:?}; profiles are walk and drive")]
    /// A profile that does not exist.
    UnknownProfile(String),
    #[error("{name} {value} must be a number from {lo} to {hi}")]
    /// A number outside its documented range.
    OutOfRange {
        /// The field.
        name: String,
        /// The value given.
        value: String,
        /// The range's lower bound.
        lo: f64,
        /// The range's upper bound.
        hi: f64,
    },
    #[error("{0}")]
    /// Anything else wrong with a field, in a sentence naming it.
    Invalid(String),
}

/// Every failure of a service call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error(transparent)]
    /// The request's own fields (400).
    Request(#[from] RequestError),
    #[error(transparent)]
    /// The scenario (400).
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    /// An evacuation plan that cannot be made as asked (400).
    Evacuation(#[from] EvacuationError),
    #[error(transparent)]
    /// A route that cannot be looked for (400).
    Route(#[from] RouteError),
    #[error(transparent)]
    /// An edit refused (404, 409 or 400 by its kind).
    Edit(#[from] EditError),
    /// The store failed (503 when it can be waited out, 500 when not).
    #[error(transparent)]
    Store(#[from] super::store::StoreError),
    /// A resource named in the path does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Outside what the user may touch (an edit outside their jurisdiction).
    #[error("{0}")]
    Forbidden(String),
    /// The state it would change has moved on (a task answered already, a warning
    /// cancelled).
    #[error("{0}")]
    Conflict(String),
    /// The server is not set up to do this (edits on a server without a store).
    #[error("{0}")]
    NotAllowed(String),
    /// The data cannot answer this request (no roads for a road analysis, no
    /// population layer for exposure).
    #[error("{0}")]
    Unprocessable(String),
    /// The store cannot take it now; nothing was changed.
    #[error("{0}")]
    Unavailable(String),
    /// A scenario whose estimated work is over the request's cap (422), with the
    /// estimate and what to change.
    #[error("{0}")]
    OverBudget(String),
    /// An analysis that ran past the request's time limit and stopped (503).
    #[error("{0}; narrow the scenario (fewer hazards, a smaller area) or try again later")]
    Expired(#[from] crate::analysis::budget::Expired),
    /// A run stopped before it finished because no one waits for its answer any more
    /// (a drill run whose client hung up: see `service::drills::Progress`).
    #[error("the run was cancelled before it finished")]
    Cancelled,
    #[error("internal error")]
    /// Anything else (500, the cause logged).
    Internal(#[source] anyhow::Error),
}
