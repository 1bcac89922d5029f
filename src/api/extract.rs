//! `ApiJson<T>`: the one way a handler takes a JSON body (the axum examples' `AppJson`).
//! A body that is not JSON, or not this request's shape, becomes the same 400 with a
//! message naming the key at fault, so handlers carry no rejection plumbing. A body sent
//! as anything but `application/json` is refused with 415: a browser sends
//! `text/plain` across sites without asking first, and an API that accepted it would
//! let any page a user visits post to it. A body over its route's limit
//! (`limits::body_limit`) is 413 on every route, with the limit in the message; one
//! that does not arrive within the server's body deadline is 408.

use super::ApiError;
use crate::service::requests::from_json;
use axum::body::Bytes;
use axum::extract::{FromRequest, MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

/// A request body of type `T`, read as JSON.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v == "application/json" || v.ends_with("+json")
            });
        if !json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON, with the header Content-Type: application/json".into(),
            ));
        }
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(String::new, |m| m.as_str().to_string());
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "the body is larger than the {} {route} takes",
                    super::limits::size(super::limits::body_limit(&route))
                ))
            } else if timed_out(&e) {
                ApiError::RequestTimeout(
                    "the body did not arrive within the time a request may take to send it".into(),
                )
            } else {
                ApiError::bad_request(format!("request: {}", e.body_text()))
            }
        })?;
        Ok(ApiJson(
            from_json(&bytes).map_err(crate::service::ServiceError::from)?,
        ))
    }
}

/// Whether reading the body failed on the server's body deadline (see `api::server`).
fn timed_out(e: &axum::extract::rejection::BytesRejection) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
}
