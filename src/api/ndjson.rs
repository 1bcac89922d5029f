//! Answers streamed as newline-delimited JSON (`application/x-ndjson`): one JSON value
//! a line, written by a blocking task while it works, read by the client as they come.
//!
//! The lines go through an unbounded channel: the writer is a worker thread that must
//! never wait for a slow client, and what it writes is few (throttled progress and one
//! answer). When the client hangs up, hyper drops the body and with it the receiver,
//! so the writer's next [`Lines::send`] fails: that is how a run learns no one waits.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use hyper::body::Frame;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// The media type of a streamed answer, and what a client sends in `Accept` to ask
/// for one.
pub const NDJSON: &str = "application/x-ndjson";

/// The writing end of a streamed answer. Cheap to clone.
#[derive(Clone)]
pub struct Lines(mpsc::UnboundedSender<Bytes>);

impl Lines {
    /// Writes `value` as one line; false when the client has gone.
    pub fn send(&self, value: &serde_json::Value) -> bool {
        let mut line = value.to_string().into_bytes();
        line.push(b'\n');
        self.0.send(Bytes::from(line)).is_ok()
    }
}

/// A 200 whose body is the lines written to the returned [`Lines`], ending when every
/// clone of it has been dropped.
pub fn stream() -> (Lines, Response) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let mut response = Response::new(Body::new(Receiver(receiver)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // A reverse proxy that buffers answers (nginx does by default) would hold every
    // progress line back until the end.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    (Lines(sender), response)
}

/// Whether an `Accept` header asks for newline-delimited JSON.
pub fn wanted(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            let essence = media.split(';').next().unwrap_or_default().trim();
            essence.eq_ignore_ascii_case(NDJSON)
        })
}

/// The reading end, as a response body.
struct Receiver(mpsc::UnboundedReceiver<Bytes>);

impl hyper::body::Body for Receiver {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|line| line.map(|bytes| Ok(Frame::data(bytes))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        headers
    }

    #[test]
    fn ndjson_is_wanted_among_other_types_and_with_parameters() {
        assert!(wanted(&accept("application/x-ndjson")));
        assert!(wanted(&accept(
            "application/json, Application/X-NDJSON; q=0.9"
        )));
        assert!(!wanted(&accept("application/json")));
        assert!(!wanted(&accept("*/*")));
        assert!(!wanted(&HeaderMap::new()));
    }
}
