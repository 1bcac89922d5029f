//! `ApiError`: the only thing that becomes an error response.
//!
//! 4xx bodies say what was wrong with the request; 5xx bodies are generic and the cause
//! goes to the log. Every error body is `{"error": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
/// The one error type that becomes an HTTP response (status table on `From<ServiceError>`).
pub enum ApiError {
    #[error("{0}")]
    /// 400: what was wrong with the request.
    BadRequest(String),
    #[error("{0}")]
    /// 404: what was not found.
    NotFound(String),
    #[error("{0}")]
    /// 405: what the server does not do here.
    MethodNotAllowed(String),
    /// The request conflicts with the data (an insert of an id that exists).
    #[error("{0}")]
    Conflict(String),
    /// No proof of who is asking where it is needed.
    #[error("{0}")]
    Unauthorized(String),
    /// Proven, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Addressed to a host name this server does not answer to.
    #[error("{0}")]
    MisdirectedRequest(String),
    /// The body is larger than the route takes.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body is not JSON (see `ApiJson`).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request is well formed but the data cannot answer it (no roads).
    #[error("{0}")]
    Unprocessable(String),
    /// The server cannot do it now (an edit that could not be made durable, an analysis
    /// past its time limit).
    #[error("{0}")]
    Unavailable(String),
    /// The body did not arrive within the time a request may take to send it.
    #[error("{0}")]
    RequestTimeout(String),
    /// This identity asked for heavy analyses faster than its rate (429); try again
    /// after `retry_after_s` seconds.
    #[error("{message}")]
    TooManyRequests {
        /// What was refused and why.
        message: String,
        /// Seconds until a request would be let through (`Retry-After`).
        retry_after_s: u64,
    },
    /// Every slot for heavy analyses is taken (503); try again after `retry_after_s`.
    #[error("{message}")]
    Busy {
        /// What was refused and why.
        message: String,
        /// Seconds to wait before trying again (`Retry-After`).
        retry_after_s: u64,
    },
    #[error("internal error")]
    /// 500: the cause goes to the log, not to the client.
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 with this message.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }

    /// A 404 with this message.
    pub fn not_found(msg: impl Into<String>) -> Self {
        ApiError::NotFound(msg.into())
    }
}

impl ApiError {
    /// The status and the message the client is given. An internal error's cause goes
    /// to the log here, never to the client.
    pub fn into_parts(self) -> (StatusCode, String) {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MisdirectedRequest(_) => StatusCode::MISDIRECTED_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(cause) => {
                tracing::error!("internal error: {cause:#}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, self.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after_s, .. }
            | ApiError::Busy { retry_after_s, .. } => Some(*retry_after_s),
            _ => None,
        };
        let (status, message) = self.into_parts();
        let mut response = (status, Json(serde_json::json!({"error": message}))).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<crate::edits::EditError> for ApiError {
    fn from(e: crate::edits::EditError) -> Self {
        use crate::edits::EditError;
        match e {
            EditError::UnknownLayer(_) | EditError::NotFound { .. } => {
                ApiError::NotFound(e.to_string())
            }
            EditError::Exists { .. } => ApiError::Conflict(e.to_string()),
            EditError::Invalid(_) => ApiError::BadRequest(e.to_string()),
            EditError::KeyReused { .. } => ApiError::Unprocessable(e.to_string()),
        }
    }
}

/// The status of every service failure: what was wrong with the request is a 4xx
/// naming it; what went wrong inside is a 500 with the cause in the log.
///
/// | failure | status |
/// |---|---|
/// | malformed request, out-of-range value, bad scenario | 400 |
/// | road routing asked for on an atlas without roads | 400 |
/// | a layer or feature named in the path is unknown | 404 |
/// | a what-if edit refused (its layer and feature are named in the body) | 400 |
/// | no token, or one that proves nothing | 401 |
/// | a role below the route's | 403 |
/// | an edit on a server that takes none | 405 |
/// | an insert of an id that exists | 409 |
/// | an answer to a task answered already, a change to a closed warning | 409 |
/// | an edit, or a what-if edit, outside the user's jurisdiction | 403 |
/// | the data cannot answer (coverage without roads) | 422 |
/// | a scenario whose estimated work is over the cap | 422 |
/// | the store cannot make an edit durable now | 503 |
/// | an analysis that ran past its time limit | 503 |
/// | a run cancelled (its client gone, so no one reads this) | 503 |
/// | anything else | 500 |
impl From<crate::service::ServiceError> for ApiError {
    fn from(e: crate::service::ServiceError) -> Self {
        use crate::service::ServiceError as S;
        match e {
            S::Request(_) | S::Scenario(_) | S::Evacuation(_) | S::Route(_) => {
                ApiError::BadRequest(e.to_string())
            }
            S::Edit(e) => e.into(),
            S::Store(e) => match e {
                crate::service::store::StoreError::Log(_) => ApiError::Internal(e.into()),
                _ => ApiError::Unavailable(e.to_string()),
            },
            S::NotFound(m) => ApiError::NotFound(m),
            S::Conflict(m) => ApiError::Conflict(m),
            S::NotAllowed(m) => ApiError::MethodNotAllowed(m),
            S::Forbidden(m) => ApiError::Forbidden(m),
            S::Unprocessable(m) => ApiError::Unprocessable(m),
            S::Unavailable(m) => ApiError::Unavailable(m),
            S::OverBudget(m) => ApiError::Unprocessable(m),
            S::Expired(_) | S::Cancelled => ApiError::Unavailable(e.to_string()),
            S::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<crate::render::RenderError> for ApiError {
    fn from(e: crate::render::RenderError) -> Self {
        ApiError::Internal(e.into())
    }
}

/// A JSON document passed in a query parameter (`?scenario=<JSON>`), parsed or refused
/// with a message naming the parameter.
pub fn json_param(text: Option<String>, name: &str) -> Result<serde_json::Value, ApiError> {
    let text =
        text.ok_or_else(|| ApiError::bad_request(format!("give the {name} as ?{name}=<JSON>")))?;
    serde_json::from_str(&text)
        .map_err(|e| ApiError::bad_request(format!("{name} is not JSON: {e}")))
}

pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}
