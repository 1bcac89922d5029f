//! A users file with one user per role, the demo served with it, and requests that
//! carry a user's token.

use super::{Reply, demo_copy, request};
use axum::body::Body;
use axum::http::Request;
use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::service::Service;
use riskatlas::service::access::{Access, Role, USERS_FILE, Users, admin};
use std::sync::{Arc, OnceLock};

/// Every role, lowest first.
pub const ROLES: [Role; 4] = [Role::Viewer, Role::Planner, Role::Editor, Role::Admin];

/// One user per role in a users file, and their tokens in [`ROLES`] order (argon2
/// makes this slow: once per test binary).
pub fn users() -> &'static (tempfile::TempDir, Vec<(Role, String)>) {
    static USERS: OnceLock<(tempfile::TempDir, Vec<(Role, String)>)> = OnceLock::new();
    USERS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join(USERS_FILE);
        let tokens = ROLES
            .iter()
            .map(|&role| {
                let name = format!("a {role}");
                admin::add(&path, &name, role, vec![]).expect("adds a user");
                (role, admin::token(&path, &name).expect("makes a token"))
            })
            .collect();
        (dir, tokens)
    })
}

/// The token of the user with `role`.
pub fn token(role: Role) -> &'static str {
    let (_, tokens) = users();
    &tokens
        .iter()
        .find(|(r, _)| *r == role)
        .expect("every role")
        .1
}

/// The demo, copied (edits write beside the data), served with the users above and
/// answering to `hosts` (empty: any).
pub fn app(hosts: Vec<String>) -> (tempfile::TempDir, axum::Router) {
    let dir = demo_copy();
    let service = Service::open_folder(dir.path()).expect("the demo opens");
    let users = Users::read(&users().0.path().join(USERS_FILE)).expect("the users file reads");
    let state = AppState::serving(
        Arc::new(service),
        HttpOptions {
            access: Access::users(users, None),
            allowed_hosts: hosts,
            ..HttpOptions::default()
        },
    );
    (dir, router(state))
}

/// A request with an optional JSON body and bearer token.
pub async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<&serde_json::Value>,
    token: Option<&str>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    request(app, req.body(body).expect("a valid request")).await
}
