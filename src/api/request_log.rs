//! One log line per request: method, path and query, status and time, so a refused
//! request leaves a trace in the server's log (the access audit, `audit.rs`, records
//! who read what; this records what the server answered).
//!
//! Requests are logged at `info`, except tiles answered well (2xx, 304), which are at
//! `debug`: a map view asks for dozens a second, and a line each would bury the rest
//! (and cost the warm tile path a formatted write per tile). A tile refused or failed
//! is at `info` like everything else; `RUST_LOG=riskatlas::api::request_log=debug`
//! shows them all.
//!
//! The request's span names it, so anything logged while answering carries the method
//! and URI; the line adds the status and the time in milliseconds
//! (`crate::log::millis`).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument as _;

/// The middleware `router` puts outermost.
pub async fn log(request: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let (method, uri) = (request.method().clone(), request.uri().clone());
    if !uri.path().starts_with("/tiles/") {
        let span = tracing::info_span!("request", %method, %uri);
        let response = next.run(request).instrument(span.clone()).await;
        let ms = crate::log::millis(started.elapsed());
        span.in_scope(|| tracing::info!(status = response.status().as_u16(), ms, "answered"));
        return response;
    }
    let span = tracing::debug_span!("request", %method, %uri);
    let response = next.run(request).instrument(span.clone()).await;
    let (status, ms) = (response.status(), crate::log::millis(started.elapsed()));
    if status.is_success() || status.as_u16() == 304 {
        span.in_scope(|| tracing::debug!(status = status.as_u16(), ms, "answered"));
    } else {
        let status = status.as_u16();
        tracing::info!(%method, %uri, status, ms, "answered");
    }
    response
}

/// The line [`log`] writes for a tile answered well, for one answered before the
/// router (`warm_tiles`).
pub fn tile_answered(method: &Method, uri: &Uri, status: StatusCode, started: Instant) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        let ms = crate::log::millis(started.elapsed());
        let span = tracing::debug_span!("request", %method, %uri);
        span.in_scope(|| tracing::debug!(status = status.as_u16(), ms, "answered"));
    }
}
