//! The access audit: who ran which analysis and who read contacts in full, with the
//! identity the request proved, written to the access log and shown to admins.

#![allow(clippy::unwrap_used)]

mod common;

use common::users::{send, token, users};
use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::service::Service;
use riskatlas::service::access::{Access, Role, USERS_FILE, Users};
use riskatlas::service::audit::{ACCESS_LOG, AccessLog};
use serde_json::{Value, json};
use std::sync::Arc;

fn app() -> (tempfile::TempDir, axum::Router) {
    let dir = common::demo_copy();
    let service = Service::open_folder(dir.path()).unwrap();
    let users = Users::read(&users().0.path().join(USERS_FILE)).unwrap();
    let options = HttpOptions {
        access: Access::users(users, None),
        audit: AccessLog::to_file(&dir.path().join(ACCESS_LOG)),
        ..HttpOptions::default()
    };
    (dir, router(AppState::serving(Arc::new(service), options)))
}

/// Contacts a report gives, counted from the answer itself.
fn contacts_in(report: &Value) -> usize {
    let list = |v: &Value| v.as_array().map_or(0, Vec::len);
    list(&report["calls"])
        + report["by_admin"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| list(&a["contacts"]))
            .sum::<usize>()
        + report["facilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["contact"].is_null())
            .count()
}

async fn trail(app: &axum::Router) -> Vec<Value> {
    let reply = send(
        app,
        "GET",
        "/api/audit?limit=50",
        None,
        Some(token(Role::Admin)),
    )
    .await;
    reply.ok_json()["access"].as_array().unwrap().clone()
}

#[tokio::test]
async fn analyses_and_bulk_reads_are_recorded_with_the_proven_identity() {
    let (dir, app) = app();
    let flood = json!({"hazards": [{"layer": "floods"}]});
    // A planner's impact report in full, sent with a header claiming someone else.
    let req = axum::http::Request::post("/api/impact")
        .header("authorization", format!("Bearer {}", token(Role::Planner)))
        .header("content-type", "application/json")
        .header("x-riskatlas-user", "mallory")
        .body(axum::body::Body::from(flood.to_string()))
        .unwrap();
    let report = common::request(&app, req).await.ok_json();
    let expected = contacts_in(&report);
    assert!(expected > 0);
    // The same as a viewer: masked, so no contact is read.
    send(
        &app,
        "POST",
        "/api/impact",
        Some(&flood),
        Some(token(Role::Viewer)),
    )
    .await;
    // Every shelter with its contact, as a planner.
    let uri = "/api/layers/shelters/features?limit=10000";
    let shelters = send(&app, "GET", uri, None, Some(token(Role::Planner)))
        .await
        .ok_json();
    let with_contact = shelters["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["properties"]["contact_phone"].is_null())
        .count();

    let records = trail(&app).await;
    assert_eq!(records.len(), 3, "{records:?}");
    let (features, viewer, planner) = (&records[0], &records[1], &records[2]);
    assert_eq!(
        (planner["who"].as_str(), planner["action"].as_str()),
        (Some("a planner"), Some("impact"))
    );
    assert_eq!(planner["personal_records"], expected);
    assert_eq!(planner["about"], "hazards: floods");
    assert_eq!(
        (viewer["who"].as_str(), &viewer["personal_records"]),
        (Some("a viewer"), &json!(0))
    );
    assert_eq!(features["action"], "features");
    assert_eq!(features["personal_records"], with_contact);

    let log = std::fs::read_to_string(dir.path().join(ACCESS_LOG)).unwrap();
    assert_eq!(log.lines().count(), 3);
    assert!(!log.contains("mallory"));
}

#[tokio::test]
async fn only_admins_read_the_access_audit() {
    let (_dir, app) = app();
    for role in [Role::Viewer, Role::Planner, Role::Editor] {
        let reply = send(&app, "GET", "/api/audit", None, Some(token(role))).await;
        assert_eq!(reply.status, 403, "{role}");
    }
    assert_eq!(
        send(&app, "GET", "/api/audit", None, None).await.status,
        401
    );
}
