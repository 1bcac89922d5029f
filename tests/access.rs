//! Who may do what: every route against every role (and no token), the host and origin
//! checks, the body limit, and a server that will not start open on the network.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request};
use common::users::{app, send, users};
use common::{repo_path, request};
use riskatlas::api::access::{Need, RULES, rule};
use riskatlas::service::access::Role;
use serde_json::json;

/// A request for a route pattern, its parameters filled with values that exist in the
/// demo, and a body where the route takes one.
fn example(method: &str, path: &str) -> (String, Option<serde_json::Value>) {
    let uri = path
        .replace("{ids}", "shelters")
        .replace("{id}", "shelters")
        .replace("{fid}", "3")
        .replace("{key}", "nokey")
        .replace("{z}/{x}/{y}", "0/0/0");
    let flood = json!({"hazards": [{"layer": "floods"}]});
    let body = match (method, path) {
        ("POST", "/api/layers/{id}/features") => Some(
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.7, 34.5]}, "properties": {"capacity": 10}}),
        ),
        ("PATCH", _) => Some(json!({"properties": {"capacity": 11}})),
        ("POST", "/api/route") => Some(json!({"from": [105.7, 34.5], "to": [105.75, 34.52]})),
        ("POST", "/api/coverage") => Some(json!({"thresholds": [10]})),
        ("POST", "/api/compare") => Some(json!({"a": flood.clone(), "b": flood})),
        ("POST", _) => Some(flood),
        _ => None,
    };
    let uri = match path {
        "/report/impact" => format!("{uri}?scenario=%7B%22hazards%22%3A%5B%5D%7D"),
        "/cards/evacuation" => format!("{uri}?request=%7B%22hazards%22%3A%5B%5D%7D"),
        _ => uri,
    };
    (uri, body)
}

/// Each rule against each role: below the role a route needs, 403; at or above, the
/// route answers (whatever its answer, it is not 401 or 403); without a token, 401
/// except on public routes.
#[tokio::test]
async fn every_route_admits_exactly_the_roles_its_rule_names() {
    let (_dir, app) = app(Vec::new());
    for &(method, path, need) in RULES {
        let (uri, body) = example(method, path);
        let needed = match need {
            Need::Public => None,
            Need::Role(r) | Need::RoleOrPlannerToExport(r) | Need::RoleOrEditorToIssue(r) => {
                Some(r)
            }
        };
        let anonymous = send(&app, method, &uri, body.as_ref(), None).await;
        match needed {
            // Signing in is open to all, and answers for itself (tests/session.rs): a
            // sign-in without a password is 400, "who am I" without proof is 401.
            None if path == "/api/session" => assert!(
                anonymous.status != 403 && anonymous.status.as_u16() < 500,
                "{method} {path}: {}",
                anonymous.status
            ),
            None => assert!(
                anonymous.status.is_success(),
                "{method} {path}: {}",
                anonymous.status
            ),
            Some(_) => assert_eq!(anonymous.status, 401, "{method} {path} without a token"),
        }
        for (role, token) in &users().1 {
            let reply = send(&app, method, &uri, body.as_ref(), Some(token)).await;
            let allowed = needed.is_none_or(|n| *role >= n);
            if allowed {
                assert!(
                    reply.status != 401 && reply.status != 403,
                    "{method} {path} as {role}: {} {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            } else {
                assert_eq!(reply.status, 403, "{method} {path} as {role}");
                assert!(reply.error().contains("needs"), "{}", reply.error());
            }
        }
    }
    // Exports of an analysis need a planner.
    let viewer = &users().1[0].1;
    let csv = send(
        &app,
        "POST",
        "/api/impact?format=csv",
        Some(&json!({"hazards": []})),
        Some(viewer),
    )
    .await;
    assert_eq!(csv.status, 403);
    let planner = &users().1[1].1;
    let csv = send(
        &app,
        "POST",
        "/api/impact?format=csv",
        Some(&json!({"hazards": []})),
        Some(planner),
    )
    .await;
    assert_eq!(csv.status, 200);
    // A planner computes a warning's audience; issuing it needs an editor.
    let warning = json!({"area": {"admin_codes": ["629901106000"]}, "level": "red",
        "hazard_type": "flood", "headline": "h", "instruction": "i"});
    let issue = |who: &'static str| {
        send(
            &app,
            "POST",
            "/api/warnings?issue=true",
            Some(&warning),
            Some(who),
        )
    };
    assert_eq!(issue(common::users::token(Role::Planner)).await.status, 403);
    let editor = issue(common::users::token(Role::Editor)).await;
    assert_eq!(editor.status, 201, "{}", editor.error());
}

/// Every route the router declares has a rule, and every rule a route: a new route
/// without an entry fails here (and is refused at run time, not left open).
#[test]
fn the_access_table_lists_every_route_of_the_router() {
    let source = std::fs::read_to_string(repo_path("src/api/mod.rs")).unwrap();
    let mut declared = Vec::new();
    for chunk in source.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap().to_string();
        // A route's handlers run to the next `.route(` (the last, to the layers).
        let handlers = chunk.split(".route_layer(").next().unwrap_or(chunk);
        for (word, method) in [
            ("get(", "GET"),
            ("post(", "POST"),
            ("patch(", "PATCH"),
            ("delete(", "DELETE"),
        ] {
            if handlers.contains(word) {
                declared.push((method.to_string(), path.clone()));
            }
        }
    }
    assert!(declared.len() >= RULES.len(), "{declared:?}");
    for (method, path) in &declared {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        assert!(
            rule(&m, path).is_some(),
            "{method} {path} has no access rule"
        );
    }
    for (method, path, _) in RULES {
        assert!(
            declared.iter().any(|(m, p)| m == method && p == path),
            "rule for {method} {path}, which the router does not declare"
        );
    }
}

/// A page on another site cannot act through a user's browser: a DNS-rebound host
/// name gets 421, and a state-changing request from another origin gets 403.
#[tokio::test]
async fn foreign_hosts_and_origins_are_refused() {
    let (_dir, app) = app(vec!["127.0.0.1:8080".into(), "localhost:8080".into()]);
    let admin = &users().1[3].1;
    let rebound = Request::get("/api/layers")
        .header("host", "rebind.attacker.example")
        .header("authorization", format!("Bearer {admin}"))
        .body(Body::empty())
        .unwrap();
    let reply = request(&app, rebound).await;
    assert_eq!(reply.status, 421);
    assert!(
        reply.error().contains("does not answer"),
        "{}",
        reply.error()
    );
    let at = |origin: &str| {
        Request::delete("/api/layers/shelters/features/3")
            .header("host", "localhost:8080")
            .header("origin", origin)
            .header("authorization", format!("Bearer {admin}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(request(&app, at("http://evil.example")).await.status, 403);
    assert_eq!(request(&app, at("http://localhost:8080")).await.status, 200);
}

/// One status for a body too large, on every route that takes one.
#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let (_dir, app) = app(Vec::new());
    let admin = &users().1[3].1;
    let huge = format!(
        "{{\"hazards\": [], \"pad\": \"{}\"}}",
        "x".repeat(riskatlas::api::MAX_BODY_BYTES)
    );
    for uri in [
        "/api/impact",
        "/api/evacuation",
        "/api/layers/shelters/features",
    ] {
        let req = Request::post(uri)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {admin}"))
            .body(Body::from(huge.clone()))
            .unwrap();
        let reply = request(&app, req).await;
        assert_eq!(reply.status, 413, "{uri}");
        assert!(reply.error().contains("MiB"), "{}", reply.error());
    }
}

/// On any address but loopback, a server without users does not start, and says how to
/// add one; it never binds.
#[test]
fn a_server_without_users_will_not_start_on_the_network() {
    let dir = common::demo_copy();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .args(["serve", "--bind", "0.0.0.0:0", "--data"])
        .arg(dir.path())
        .env_remove("RISKATLAS_USERS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to serve") && err.contains("riskatlas users"),
        "{err}"
    );
}
