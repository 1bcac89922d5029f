//! Signing in on the page: a session cookie that is HttpOnly, SameSite=Strict and
//! expires, a CSRF token every state-changing request from the page must echo, a wait
//! after too many wrong passwords, and the audit trail naming whoever signed in.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{Reply, request};
use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::service::Service;
use riskatlas::service::access::session::MAX_FAILURES;
use riskatlas::service::access::{Access, Role, Sessions, USERS_FILE, Users, admin};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "river rises at dawn";

/// The demo with two users who have passwords: an editor and a township viewer;
/// sessions lasting `lifetime`.
fn app(lifetime: Duration) -> (tempfile::TempDir, axum::Router) {
    let dir = common::demo_copy();
    let path = dir.path().join("users-for-test.toml");
    admin::add(&path, "duty editor", Role::Editor, vec![]).unwrap();
    admin::add(
        &path,
        "township viewer",
        Role::Viewer,
        vec!["629901100000".into()],
    )
    .unwrap();
    for name in ["duty editor", "township viewer"] {
        admin::password(&path, name, PASSWORD).unwrap();
    }
    let access = Access::Users {
        users: Users::read(&path).unwrap(),
        anonymous: None,
        sessions: Sessions::ephemeral(lifetime),
    };
    let service = Service::open_folder(dir.path()).unwrap();
    let options = HttpOptions {
        access,
        ..HttpOptions::default()
    };
    assert!(!dir.path().join(USERS_FILE).exists());
    (dir, router(AppState::serving(Arc::new(service), options)))
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    request(app, req.body(body).unwrap()).await
}

/// Signs in; the cookie to send back (`name=value`) and the answer.
async fn sign_in(app: &axum::Router, name: &str, password: &str) -> (Option<String>, Reply) {
    let reply = call(
        app,
        "POST",
        "/api/session",
        Some(json!({"name": name, "password": password})),
        &[],
    )
    .await;
    let cookie = reply
        .headers
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    (cookie, reply)
}

#[tokio::test]
async fn a_signed_in_page_reads_with_its_cookie_and_writes_with_its_token() {
    let (dir, app) = app(Duration::from_secs(3600));
    let (none, wrong) = sign_in(&app, "duty editor", "not the password").await;
    assert_eq!((wrong.status.as_u16(), none), (401, None));

    let (cookie, reply) = sign_in(&app, "duty editor", PASSWORD).await;
    let answer = reply.ok_json();
    let set = reply.headers["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=3600"] {
        assert!(set.contains(attribute), "{set}");
    }
    // Over plain HTTP a `Secure` cookie would never come back: only over HTTPS (a TLS
    // proxy says so here; tests/tls.rs signs in over the server's own TLS).
    assert!(!set.contains("Secure"), "{set}");
    let form = json!({"name": "duty editor", "password": PASSWORD});
    let proxied = call(
        &app,
        "POST",
        "/api/session",
        Some(form),
        &[("x-forwarded-proto", "https")],
    )
    .await;
    let secure = proxied.headers["set-cookie"].to_str().unwrap();
    assert!(secure.ends_with("; Secure"), "{secure}");
    assert_eq!(answer["role"], "editor");
    let cookie = cookie.unwrap();
    let csrf = answer["csrf"].as_str().unwrap().to_string();

    let me = call(&app, "GET", "/api/session", None, &[("cookie", &cookie)]).await;
    assert_eq!(me.ok_json()["name"], "duty editor");
    let layers = call(&app, "GET", "/api/layers", None, &[("cookie", &cookie)]).await;
    assert_eq!(layers.status, 200);

    // A change on the strength of the cookie alone is refused; with the token it is made.
    let patch = Some(json!({"properties": {"capacity": 321}}));
    let uri = "/api/layers/shelters/features/0";
    let forged = call(&app, "PATCH", uri, patch.clone(), &[("cookie", &cookie)]).await;
    assert_eq!(forged.status, 403);
    assert!(
        forged.error().contains("x-csrf-token"),
        "{}",
        forged.error()
    );
    let wrong = [("cookie", cookie.as_str()), ("x-csrf-token", "0000")];
    assert_eq!(
        call(&app, "PATCH", uri, patch.clone(), &wrong).await.status,
        403
    );
    let with = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    assert_eq!(call(&app, "PATCH", uri, patch, &with).await.status, 200);
    // The audit trail names who signed in, whatever a header claims.
    let spoofed = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", csrf.as_str()),
        ("x-riskatlas-user", "someone else"),
    ];
    let again = Some(json!({"properties": {"capacity": 322}}));
    assert_eq!(call(&app, "PATCH", uri, again, &spoofed).await.status, 200);
    let log = std::fs::read_to_string(dir.path().join(riskatlas::edits::LOG_FILE)).unwrap();
    assert_eq!(log.matches("\"duty editor\"").count(), 2, "{log}");
    assert!(!log.contains("someone else"));

    let out = call(&app, "DELETE", "/api/session", None, &with).await;
    assert_eq!(out.status, 204);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
}

#[tokio::test]
async fn a_session_proves_nothing_once_expired_tampered_with_or_from_another_server() {
    let (_dir, expired) = app(Duration::ZERO);
    let (cookie, reply) = sign_in(&expired, "duty editor", PASSWORD).await;
    assert_eq!(reply.status, 200);
    let cookie = cookie.unwrap();
    let later = call(&expired, "GET", "/api/layers", None, &[("cookie", &cookie)]).await;
    assert_eq!(later.status, 401);
    assert_eq!(
        call(
            &expired,
            "GET",
            "/api/session",
            None,
            &[("cookie", &cookie)]
        )
        .await
        .status,
        401
    );

    let (_dir, app) = app(Duration::from_secs(3600));
    let (cookie, _) = sign_in(&app, "township viewer", PASSWORD).await;
    let cookie = cookie.unwrap();
    // The viewer's session with the name changed to the editor's (hex of the name).
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    let forged = cookie.replace(&hex("township viewer"), &hex("duty editor"));
    assert_ne!(forged, cookie);
    let reply = call(&app, "GET", "/api/edits", None, &[("cookie", &forged)]).await;
    assert_eq!(reply.status, 401);
    // Signed by another server's key.
    let (_dir, other) = self::app(Duration::from_secs(3600));
    let reply = call(&other, "GET", "/api/layers", None, &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn a_signed_in_township_viewer_sees_its_township_masked() {
    let (_dir, app) = app(Duration::from_secs(3600));
    let (cookie, reply) = sign_in(&app, "township viewer", PASSWORD).await;
    assert_eq!(reply.ok_json()["scope"], json!(["629901100000"]));
    let cookie = cookie.unwrap();
    let uri = "/api/layers/villages/features?limit=10000";
    let villages = call(&app, "GET", uri, None, &[("cookie", &cookie)])
        .await
        .ok_json();
    let features = villages["features"].as_array().unwrap();
    assert!(!features.is_empty());
    for v in features {
        assert_eq!(v["properties"]["parent_code"], "629901100000");
        let phone = v["properties"]["contact_phone"].as_str().unwrap();
        assert!(phone.contains("****"), "{phone}");
    }
    // A viewer edits nothing, token or not.
    let (csrf, uri) = (
        reply_csrf(&app, &cookie).await,
        "/api/layers/shelters/features/0",
    );
    let headers = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let patch = Some(json!({"properties": {"capacity": 1}}));
    assert_eq!(call(&app, "PATCH", uri, patch, &headers).await.status, 403);
}

async fn reply_csrf(app: &axum::Router, cookie: &str) -> String {
    let me = call(app, "GET", "/api/session", None, &[("cookie", cookie)]).await;
    me.ok_json()["csrf"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn too_many_wrong_passwords_make_a_name_wait() {
    let (_dir, app) = app(Duration::from_secs(3600));
    for _ in 0..MAX_FAILURES {
        let (_, reply) = sign_in(&app, "duty editor", "guess").await;
        assert_eq!(reply.status, 401);
    }
    // Even the right password waits now; another name does not.
    let (_, reply) = sign_in(&app, "duty editor", PASSWORD).await;
    assert_eq!(reply.status, 429);
    let wait: u64 = reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 15 * 60);
    let (_, other) = sign_in(&app, "township viewer", PASSWORD).await;
    assert_eq!(other.status, 200);
}
