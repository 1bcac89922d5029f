//! One log line per request at `info`: method, path and query, status and time, so a
//! refused request leaves a trace in the server's log (the access audit, `audit.rs`,
//! records who read what; this records what the server answered).
//!
//! tower-http's `TraceLayer` does the work; only its span and response line are
//! chosen here: the span names the request, so anything logged while answering it
//! carries the method and URI, and the line gives the status and the time in
//! milliseconds (`crate::log::millis`).

use axum::body::Body;
use axum::http::{Request, Response};
use std::time::Duration;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;

type MakeSpan = fn(&Request<Body>) -> tracing::Span;
type OnResponse = fn(&Response<Body>, Duration, &tracing::Span);

/// The layer `router` puts outermost.
pub fn layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, MakeSpan, (), OnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(span as MakeSpan)
        .on_request(())
        .on_response(answered as OnResponse)
}

fn span(request: &Request<Body>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), uri = %request.uri())
}

fn answered(response: &Response<Body>, latency: Duration, _span: &tracing::Span) {
    tracing::info!(
        status = response.status().as_u16(),
        ms = crate::log::millis(latency),
        "answered"
    );
}
