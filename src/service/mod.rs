//! The service layer, between the HTTP API and the domain: typed requests checked
//! against one set of bounds ([`requests`]) and one error type that keeps every
//! failure's kind ([`error`]). `api` maps HTTP onto these and `ServiceError` onto
//! statuses; `analysis`, `routing` and `atlas` stay free of both.

pub mod analyses;
pub mod error;
pub mod requests;

pub use error::{RequestError, ServiceError};
