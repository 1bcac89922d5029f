//! Access to every route, decided once, before any handler runs (`require`):
//!
//! 1. the `Host` header must be one of the server's names (a page on another site that
//!    rebinds its DNS name to this address would otherwise read and write through the
//!    user's browser): 421 otherwise;
//! 2. a request that changes state and carries an `Origin` must come from the server's
//!    own origin (403): a page on another site cannot post, patch or delete through a
//!    browser that can reach the server;
//! 3. who is asking ([`crate::service::access`]): 401 without proof where proof is
//!    needed;
//! 4. the route's rule in [`RULES`] says what role it needs: 403 below it. A route with
//!    no rule is refused (500, logged): a new route cannot be reachable by accident.
//!
//! Exports (`?format=csv|geojson` of an analysis) need a planner: they are how personal
//! data leaves in bulk.

use super::{ApiError, AppState};
use crate::service::access::{AccessError, Identity, Proof, Role, Session, session};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone (health checks, the palette, the labels).
    Public,
    /// This role or above.
    Role(Role),
    /// This role, or `Planner` when the request asks for an export format.
    RoleOrPlannerToExport(Role),
    /// This role, or `Editor` when the request issues what it describes (`?issue=true`).
    RoleOrEditorToIssue(Role),
}

/// Every route's rule: (method, route pattern as in `api::router`, need).
pub const RULES: &[(&str, &str, Need)] = &[
    ("GET", "/api/health", Need::Public),
    ("GET", "/api/palette", Need::Public),
    ("GET", "/api/labels", Need::Public),
    ("GET", "/api/openapi.json", Need::Public),
    ("GET", "/api/docs", Need::Public),
    // Signing in and out, and asking who one is, prove themselves.
    ("GET", "/api/session", Need::Public),
    ("POST", "/api/session", Need::Public),
    ("DELETE", "/api/session", Need::Public),
    ("GET", "/style.json", Need::Role(Role::Viewer)),
    // OGC API – Features: the same layers and features as /api/layers.
    ("GET", "/ogc", Need::Role(Role::Viewer)),
    ("GET", "/ogc/conformance", Need::Role(Role::Viewer)),
    ("GET", "/ogc/collections", Need::Role(Role::Viewer)),
    ("GET", "/ogc/collections/{id}", Need::Role(Role::Viewer)),
    (
        "GET",
        "/ogc/collections/{id}/items",
        Need::Role(Role::Viewer),
    ),
    (
        "GET",
        "/ogc/collections/{id}/items/{fid}",
        Need::Role(Role::Viewer),
    ),
    (
        "GET",
        "/ogc/collections/{id}/queryables",
        Need::Role(Role::Viewer),
    ),
    ("GET", "/ogc/tileMatrixSets", Need::Role(Role::Viewer)),
    ("GET", "/ogc/tileMatrixSets/{id}", Need::Role(Role::Viewer)),
    ("GET", "/ogc/tiles", Need::Role(Role::Viewer)),
    ("GET", "/ogc/tiles/{set}", Need::Role(Role::Viewer)),
    (
        "GET",
        "/ogc/tiles/{set}/{z}/{row}/{col}",
        Need::Role(Role::Viewer),
    ),
    (
        "GET",
        "/ogc/collections/{id}/tiles",
        Need::Role(Role::Viewer),
    ),
    (
        "GET",
        "/ogc/collections/{id}/tiles/{set}",
        Need::Role(Role::Viewer),
    ),
    (
        "GET",
        "/ogc/collections/{id}/tiles/{set}/{z}/{row}/{col}",
        Need::Role(Role::Viewer),
    ),
    ("GET", "/api/layers", Need::Role(Role::Viewer)),
    ("GET", "/api/report", Need::Role(Role::Viewer)),
    ("GET", "/api/layers/{id}", Need::Role(Role::Viewer)),
    ("GET", "/api/layers/{id}/features", Need::Role(Role::Viewer)),
    (
        "POST",
        "/api/layers/{id}/features",
        Need::Role(Role::Editor),
    ),
    (
        "GET",
        "/api/layers/{id}/features/{fid}",
        Need::Role(Role::Viewer),
    ),
    (
        "PATCH",
        "/api/layers/{id}/features/{fid}",
        Need::Role(Role::Editor),
    ),
    (
        "DELETE",
        "/api/layers/{id}/features/{fid}",
        Need::Role(Role::Editor),
    ),
    (
        "GET",
        "/api/layers/{id}/fid/{fid}",
        Need::Role(Role::Viewer),
    ),
    ("GET", "/api/edits", Need::Role(Role::Editor)),
    ("GET", "/api/audit", Need::Role(Role::Admin)),
    ("GET", "/tiles/{ids}/{z}/{x}/{y}", Need::Role(Role::Viewer)),
    // A map pack is the atlas in bulk, carried away: an export.
    ("GET", "/api/pack", Need::Role(Role::Planner)),
    (
        "GET",
        "/tiles/impact/{key}/{z}/{x}/{y}",
        Need::Role(Role::Viewer),
    ),
    (
        "POST",
        "/api/impact",
        Need::RoleOrPlannerToExport(Role::Viewer),
    ),
    ("GET", "/report/impact", Need::Role(Role::Planner)),
    (
        "POST",
        "/api/evacuation",
        Need::RoleOrPlannerToExport(Role::Viewer),
    ),
    ("GET", "/cards/evacuation", Need::Role(Role::Planner)),
    // Two evacuation requests: whoever may run one may compare two.
    (
        "POST",
        "/api/compare",
        Need::RoleOrPlannerToExport(Role::Viewer),
    ),
    // Drill design is a planner's work.
    ("POST", "/api/drills", Need::Role(Role::Planner)),
    // Recording a drill held adds to the drill layer only.
    ("POST", "/api/drills/records", Need::Role(Role::Planner)),
    // A drill card names the duty contacts to call, as the evacuation cards do.
    ("GET", "/cards/drill", Need::Role(Role::Planner)),
    // A warning's audience is its call tree: duty contacts by the hundred. Issuing one
    // starts calls across the county: an editor's act, as changing the data is.
    (
        "POST",
        "/api/warnings",
        Need::RoleOrEditorToIssue(Role::Planner),
    ),
    ("GET", "/api/warnings", Need::Role(Role::Viewer)),
    ("GET", "/api/warnings/{id}", Need::Role(Role::Viewer)),
    // A duty officer answers for their own tasks (within their jurisdiction).
    ("POST", "/api/warnings/{id}/acks", Need::Role(Role::Viewer)),
    (
        "POST",
        "/api/warnings/{id}/cancel",
        Need::Role(Role::Editor),
    ),
    (
        "POST",
        "/api/warnings/{id}/update",
        Need::Role(Role::Editor),
    ),
    // A call sheet is a printed list of duty contacts, as the evacuation cards are.
    ("GET", "/cards/calls", Need::Role(Role::Planner)),
    // A map sheet prints what the map shows a viewer (no contacts), and with a request
    // the plan any viewer may run.
    ("GET", "/sheets/{file}", Need::Role(Role::Viewer)),
    ("POST", "/api/coverage", Need::Role(Role::Viewer)),
    ("POST", "/api/route", Need::Role(Role::Viewer)),
];

/// The rule for a method on a route pattern. `HEAD` is asked as `GET`: the router
/// answers it with the `GET` handler (the same headers, no body), so it needs what
/// `GET` needs.
pub fn rule(method: &Method, path: &str) -> Option<Need> {
    let method = if *method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    RULES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|r| r.2)
}

/// The middleware: checks the request, then hands it on with its [`Identity`] in the
/// request's extensions.
pub async fn require(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = matched.as_ref().map_or("", |m| m.as_str());
    let (method, headers) = (req.method(), req.headers());
    let asked = checked(&state, method, path, req.uri().query(), headers)?;
    let identified = if state.access().needs_hashing(asked.authorization) {
        // A token seen for the first time is checked against its argon2 hash: slow by
        // design, so off the async threads, where tiles keep flowing meanwhile.
        let (worker, authorization, cookie) = (
            state.clone(),
            asked.authorization.map(str::to_string),
            asked.cookie.map(str::to_string),
        );
        tokio::task::spawn_blocking(move || {
            worker
                .access()
                .identify(authorization.as_deref(), cookie.as_deref())
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("identifying a request failed: {e}")))?
    } else {
        state.access().identify(asked.authorization, asked.cookie)
    };
    let proof = admitted(asked.needed, identified, method, path, headers)?;
    req.extensions_mut().insert(proof.identity);
    req.extensions_mut().insert(proof.session);
    Ok(next.run(req).await)
}

/// A request that passed the checks made before knowing who asks: what it needs, and
/// the credentials it carries.
pub(super) struct Asked<'a> {
    /// The role the route needs (None: anyone).
    pub needed: Option<Role>,
    /// The `Authorization` header (not text: a value no token matches).
    pub authorization: Option<&'a str>,
    /// The session cookie's value.
    pub cookie: Option<&'a str>,
}

/// Steps 1, 2 and 4 of the module doc for a request to the route `path` (a pattern of
/// `api::router`): the host, the origin of a state-changing request, and the role its
/// rule needs.
pub(super) fn checked<'a>(
    state: &AppState,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &'a HeaderMap,
) -> Result<Asked<'a>, ApiError> {
    check_host(headers, state.allowed_hosts())?;
    if !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        check_origin(headers)?;
    }
    let need = rule(method, path).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "no access rule for {method} {path}: add it to api::access::RULES"
        ))
    })?;
    let needed = match need {
        Need::Public => None,
        Need::Role(role) => Some(role),
        Need::RoleOrPlannerToExport(role) => Some(if asks_export(query) {
            role.max(Role::Planner)
        } else {
            role
        }),
        Need::RoleOrEditorToIssue(role) => Some(if asks_issue(query) {
            role.max(Role::Editor)
        } else {
            role
        }),
    };
    Ok(Asked {
        needed,
        authorization: headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or("\u{fffd}")),
        cookie: session_cookie(headers),
    })
}

/// Step 3 of the module doc, once the request's credentials are checked: the proof, or
/// why it is refused (no proof where one is needed, a role below `needed`, a signed-in
/// page's change without its CSRF token).
pub(super) fn admitted(
    needed: Option<Role>,
    identified: Result<Proof, AccessError>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<Proof, ApiError> {
    let proof = match (needed, identified) {
        (None, Ok(proof)) => proof,
        (None, Err(_)) => Proof {
            identity: Identity {
                name: "anonymous".into(),
                role: Role::Viewer,
                scope: Vec::new(),
            },
            session: None,
        },
        (Some(_), Err(e)) => return Err(e.into()),
        (Some(needed), Ok(proof)) if proof.identity.role < needed => {
            return Err(AccessError::Forbidden {
                name: proof.identity.name,
                role: proof.identity.role,
                needed,
            }
            .into());
        }
        (Some(_), Ok(proof)) => proof,
    };
    if let Some(session) = &proof.session {
        check_csrf(method, path, headers, session)?;
    }
    Ok(proof)
}

/// The value of the session cookie, if the request carries one.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(session::COOKIE)?.strip_prefix('='))
}

/// A request that changes state on the strength of a session cookie must echo the
/// session's CSRF token: another site's page can make the browser send the cookie,
/// but cannot read the token. Signing in again is exempt (it proves itself).
fn check_csrf(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    session: &Session,
) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || (*method == Method::POST && path == "/api/session")
    {
        return Ok(());
    }
    let sent = headers.get(session::CSRF_HEADER).map(|v| v.as_bytes());
    if sent == Some(session.csrf.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "a signed-in page must send its session's {} header to change anything (reload the page)",
            session::CSRF_HEADER
        )))
    }
}

/// Whether a query asks an analysis for an export format (anything but JSON).
fn asks_export(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .filter_map(|kv| kv.strip_prefix("format="))
            .any(|f| f != "json")
    })
}

/// Whether the query issues what the request describes (`issue=true`).
fn asks_issue(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|kv| kv == "issue=true"))
}

/// The `Host` must be one of `allowed` (when the server names any).
fn check_host(headers: &HeaderMap, allowed: &[String]) -> Result<(), ApiError> {
    if allowed.is_empty() {
        return Ok(());
    }
    match headers.get(header::HOST).map(|h| h.to_str()) {
        // HTTP/1.1 clients always send one; a request without it is not a browser's.
        None => Ok(()),
        Some(Ok(host)) if allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) => Ok(()),
        Some(host) => Err(ApiError::MisdirectedRequest(format!(
            "this server does not answer to the host {:?}; it answers to {}",
            host.unwrap_or("(not text)"),
            allowed.join(", ")
        ))),
    }
}

/// A state-changing request from a browser must come from the server's own origin.
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(()); // not a browser's cross-origin request
    };
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://").map(|(_, h)| h.trim_end_matches('/')));
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(ApiError::Forbidden(format!(
            "a request from the page at {} may not change this server's data",
            origin.to_str().unwrap_or("(not text)")
        ))),
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Unauthenticated | AccessError::BadToken | AccessError::BadSignIn => {
                ApiError::Unauthorized(e.to_string())
            }
            AccessError::Forbidden { .. } => ApiError::Forbidden(e.to_string()),
            AccessError::Busy => ApiError::Busy {
                message: e.to_string(),
                retry_after_s: 2,
            },
            _ => ApiError::Internal(e.into()),
        }
    }
}

/// The Host names a server answers to when bound to `bind`: the address itself and,
/// on loopback, `localhost` at the same port.
pub fn hosts_for(bind: std::net::SocketAddr, names: &[String]) -> Vec<String> {
    let port = bind.port();
    let mut hosts: Vec<String> = names.to_vec();
    hosts.push(bind.to_string());
    if bind.ip().is_loopback() {
        hosts.extend([
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ]);
    }
    if port == 80 {
        hosts.extend(names.iter().map(|n| n.trim_end_matches(":80").to_string()));
    }
    hosts.sort();
    hosts.dedup();
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_asked_for_by_any_format_but_json() {
        assert!(asks_export(Some("format=csv")));
        assert!(asks_export(Some("a=1&format=geojson")));
        assert!(!asks_export(Some("format=json")));
        assert!(!asks_export(None));
    }

    #[test]
    fn a_loopback_server_answers_to_localhost_at_its_port() {
        let hosts = hosts_for("127.0.0.1:8080".parse().unwrap(), &[]);
        assert!(hosts.contains(&"localhost:8080".to_string()));
        assert!(hosts.contains(&"127.0.0.1:8080".to_string()));
        assert!(!hosts.iter().any(|h| h.contains("8081")));
    }
}
