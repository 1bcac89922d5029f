//! The service layer, between the HTTP API and the domain (martin-core beside martin's
//! `srv` is the model): what the application *is*, apart from HTTP.
//!
//! - [`access`]: identities, roles and API tokens (who may do what);
//! - [`state`]: [`Service`], the current atlas, its store and health, and start-up;
//! - [`snapshot`]: versions of the atlas that requests read whole;
//! - [`scope`]: jurisdiction, the part of a snapshot a user's admin codes let them see;
//! - [`store`]: the system of record as one trait (data folder, PostGIS, none), with
//!   edits and the audit trail, and the one place work blocks;
//! - [`requests`]: typed requests checked against one set of bounds;
//! - [`analyses`]: impact, evacuation, coverage and routes as services;
//! - [`audit`]: the access audit, who ran which analysis and read contacts in bulk;
//! - [`drills`]: candidate drills generated, run, scored and ranked;
//! - [`compare`]: two evacuation requests, or one on two versions of the data, run side
//!   by side, and what changes between them;
//! - [`whatif`]: what-if edits, the atlas as edits would leave it, in memory for one request;
//! - [`warnings`]: a targeted warning's audience and call tree;
//! - [`within`]: an analysis kept to some admin units (`"within": [codes]`);
//! - [`budget`]: the work cap and time limit one analysis request runs under;
//! - [`error`]: one error type that keeps every failure's kind.
//!
//! `api` maps HTTP onto these and `ServiceError` onto statuses; `analysis`, `routing`
//! and `atlas` stay free of both. A new analysis plugs in as a typed request in
//! `requests`, a function in `analyses`, a renderer in `crate::render` and a route.

pub mod access;
pub mod analyses;
pub mod audit;
pub mod budget;
pub mod compare;
pub mod drills;
pub mod error;
pub mod requests;
pub mod scope;
pub mod snapshot;
pub mod state;
pub mod store;
pub mod warnings;
pub mod whatif;
pub mod within;

pub use error::{RequestError, ServiceError};
pub use snapshot::Snapshot;
pub use state::Service;
