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
    Malformed(String),
    #[error("unknown profile {0:?}; profiles are walk and drive")]
    UnknownProfile(String),
    #[error("{name} {value} must be a number from {lo} to {hi}")]
    OutOfRange {
        name: String,
        value: String,
        lo: f64,
        hi: f64,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Every failure of a service call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Evacuation(#[from] EvacuationError),
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error(transparent)]
    Edit(#[from] EditError),
    /// A resource named in the path does not exist.
    #[error("{0}")]
    NotFound(String),
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
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}
