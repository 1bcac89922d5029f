//! Signing in on the web page: `POST /api/session` (name and password → a session
//! cookie and its CSRF token), `GET /api/session` (who the page is signed in as, and
//! whether it must sign in), `DELETE /api/session` (sign out). The cookie and the
//! checks are in [`crate::service::access::session`]; the API takes bearer tokens too.

use super::{ApiError, ApiJson, AppState, blocking};
use crate::service::access::{Access, AccessError, Identity, Session, session};
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// The sign-in form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    name: String,
    password: String,
}

/// What the page learns about who it is signed in as.
fn describe(who: &Identity, session: Option<&Session>) -> Value {
    json!({
        "name": who.name,
        "role": who.role,
        "scope": who.scope,
        "csrf": session.map(|s| &s.csrf),
        "expires": session.map(|s| s.expires),
    })
}

/// The `Set-Cookie` value for `value` lasting `max_age_s`; `Secure` when the page came
/// over HTTPS (the server's own TLS, or a TLS proxy saying so), so the browser never
/// sends it over plain HTTP.
fn cookie(
    value: &str,
    max_age_s: u64,
    headers: &HeaderMap,
    state: &AppState,
) -> Result<HeaderValue, ApiError> {
    let secure = if super::web::over_https(headers, state) {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}",
        session::COOKIE
    ))
    .map_err(|e| {
        ApiError::Internal(anyhow::anyhow!(
            "a session cookie is not a header value: {e}"
        ))
    })
}

/// `POST /api/session`: signs in; 401 for a wrong name or password, 429 after too many.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(form): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let Access::Users { sessions, .. } = state.access() else {
        return Err(ApiError::Conflict(
            "this server has no users: every request on it is the local admin, nothing to sign in to".into(),
        ));
    };
    if let Some(wait) = sessions.wait_for(&form.name) {
        return Err(ApiError::TooManyRequests {
            message: format!(
                "too many failed sign-ins for {:?}; try again in {} minutes",
                form.name,
                wait.as_secs().div_ceil(60)
            ),
            retry_after_s: wait.as_secs().max(1),
        });
    }
    // argon2 takes a while by design: off the async threads.
    let worker = state.clone();
    let name = form.name.clone();
    let signed_in = blocking(move || {
        let Access::Users { users, .. } = worker.access() else {
            unreachable!("checked above")
        };
        Ok(users.sign_in(&form.name, &form.password))
    })
    .await?;
    // A busy check says nothing about the password: it does not count as a failure.
    if !matches!(signed_in, Err(AccessError::Busy)) {
        sessions.record(&name, signed_in.is_ok());
    }
    let who = signed_in?;
    let (value, session) = sessions.issue(&who.name);
    tracing::info!(user = %who.name, "signed in on the page");
    let set = cookie(&value, sessions.lifetime().as_secs(), &headers, &state)?;
    Ok((
        [(header::SET_COOKIE, set)],
        axum::Json(describe(&who, Some(&session))),
    )
        .into_response())
}

/// `GET /api/session`: who the request is (signed in, by token, or anonymous), or 401
/// when the server wants a sign-in.
pub async fn current(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Extension(session): Extension<Option<Session>>,
    headers: HeaderMap,
) -> Result<axum::Json<Value>, ApiError> {
    if session.is_none() {
        // The route is public, so an unproven request arrives here as "anonymous":
        // ask the access again, by token only, and say 401 when it proves nothing.
        let token = headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or("\u{fffd}"));
        state.access().identify(token, None)?;
    }
    Ok(axum::Json(describe(&who, session.as_ref())))
}

/// `DELETE /api/session`: signs out (the cookie is cleared).
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let clear = cookie("", 0, &headers, &state)?;
    Ok((
        [(header::SET_COOKIE, clear)],
        axum::http::StatusCode::NO_CONTENT,
    )
        .into_response())
}
