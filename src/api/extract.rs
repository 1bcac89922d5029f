//! `ApiJson<T>`: the one way a handler takes a JSON body (the axum examples' `AppJson`).
//! A body that is not JSON, or not this request's shape, becomes the same 400 with a
//! message naming the key at fault, so handlers carry no rejection plumbing. A body sent
//! as anything but `application/json` is refused with 415: a browser sends
//! `text/plain` across sites without asking first, and an API that accepted it would
//! let any page a user visits post to it.

use super::ApiError;
use crate::service::requests::from_json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
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
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "the body is larger than the {} MiB a request may send",
                    super::MAX_BODY_BYTES >> 20
                ))
            } else {
                ApiError::bad_request(format!("request: {}", e.body_text()))
            }
        })?;
        Ok(ApiJson(
            from_json(&bytes).map_err(crate::service::ServiceError::from)?,
        ))
    }
}
