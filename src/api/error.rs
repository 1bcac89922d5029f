//! `ApiError`: the only thing that becomes an error response.
//!
//! 4xx bodies say what was wrong with the request; 5xx bodies are generic and the cause
//! goes to the log. Every error body is `{"error": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The request conflicts with the data (an insert of an id that exists).
    #[error("{0}")]
    Conflict(String),
    /// The server cannot do it now (an edit that could not be made durable).
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        ApiError::NotFound(msg.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(cause) => {
                tracing::error!("internal error: {cause:#}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, Json(serde_json::json!({"error": self.to_string()}))).into_response()
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
