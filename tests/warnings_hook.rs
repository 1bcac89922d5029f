//! The warning delivery hook: a real shell command run once per task, its failures
//! retried and shown on the warning, never lost; deliveries taken up after a restart.

#![allow(clippy::unwrap_used)]

mod common;

use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::service::Service;
use riskatlas::service::warnings::hook::Hook;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn township_warning() -> Value {
    json!({"area": {"admin_codes": ["629901106000"]}, "level": "orange", "hazard_type": "landslide",
        "headline": "地质灾害橙色预警", "instruction": "撤离隐患点 Leave the hazard points"})
}

/// The demo served from `dir` with the hook `command`.
fn app_with_hook(dir: &Path, command: &str) -> axum::Router {
    let service = Service::open_folder(dir).unwrap();
    service.warnings().attach_hook(Hook {
        command: command.into(),
        attempts: 3,
        backoff: Duration::from_millis(20),
    });
    router(AppState::serving(Arc::new(service), HttpOptions::default()))
}

/// The warning's state once no delivery is pending or retrying (at most 60 s).
async fn settled(app: &axum::Router, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state = common::get(app, &format!("/api/warnings/{id}"))
            .await
            .ok_json();
        let d = &state["deliveries"];
        if d["pending"] == 0 && d["retrying"] == 0 {
            return state;
        }
        assert!(Instant::now() < deadline, "deliveries did not settle: {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn issue(app: &axum::Router) -> Value {
    let reply = common::post(app, "/api/warnings?issue=true", township_warning()).await;
    assert_eq!(reply.status, 201, "{}", reply.error());
    reply.json()
}

fn phones(state: &Value) -> BTreeSet<String> {
    state["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["phone"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_task_is_handed_to_the_command_once_with_its_phone() {
    let dir = common::demo_copy();
    let sent = dir.path().join("sent.jsonl");
    let app = app_with_hook(dir.path(), &format!("cat >> '{}'", sent.display()));
    let issued = issue(&app).await;
    let state = settled(&app, issued["id"].as_str().unwrap()).await;
    let total = state["tasks_total"].as_u64().unwrap();
    assert_eq!(state["deliveries"]["delivered"].as_u64(), Some(total));
    let lines: Vec<Value> = std::fs::read_to_string(&sent)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, total, "once per task");
    let handed: BTreeSet<String> = lines
        .iter()
        .map(|l| l["phone"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(handed, phones(&state));
    assert!(
        lines
            .iter()
            .all(|l| l["level"] == "orange" && l["headline"] == "地质灾害橙色预警")
    );
}

#[tokio::test]
async fn a_failing_command_is_retried_and_its_failure_shown() {
    let dir = common::demo_copy();
    let runs = dir.path().join("runs");
    let app = app_with_hook(
        dir.path(),
        &format!(
            "echo \"$RISKATLAS_TASK\" >> '{}'; echo 'gateway down' >&2; exit 3",
            runs.display()
        ),
    );
    let issued = issue(&app).await;
    let state = settled(&app, issued["id"].as_str().unwrap()).await;
    let total = state["tasks_total"].as_u64().unwrap() as usize;
    assert_eq!(state["deliveries"]["failed"].as_u64(), Some(total as u64));
    for t in state["tasks"].as_array().unwrap() {
        let d = &t["delivery"];
        assert_eq!(d["state"], "failed");
        assert_eq!(d["attempts"], 3);
        assert!(
            d["detail"].as_str().unwrap().contains("gateway down"),
            "{d}"
        );
    }
    let tried = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(tried.lines().count(), 3 * total, "three attempts per task");
}

#[tokio::test]
async fn a_command_that_fails_once_delivers_on_the_second_attempt() {
    let dir = common::demo_copy();
    let marks = dir.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    let script = format!(
        "m='{}'/$(echo \"$RISKATLAS_TASK\" | tr / _); if [ -e \"$m\" ]; then echo sent; exit 0; fi; touch \"$m\"; echo busy >&2; exit 1",
        marks.display()
    );
    let app = app_with_hook(dir.path(), &script);
    let issued = issue(&app).await;
    let state = settled(&app, issued["id"].as_str().unwrap()).await;
    for t in state["tasks"].as_array().unwrap() {
        assert_eq!(t["delivery"]["state"], "delivered", "{}", t["id"]);
        assert_eq!(t["delivery"]["attempts"], 2);
        assert_eq!(t["delivery"]["detail"], "sent");
    }
}

#[tokio::test]
async fn deliveries_a_restart_interrupted_are_taken_up() {
    let dir = common::demo_copy();
    let id = {
        // Issued by a server without a hook: nothing delivered yet.
        let app = common::served(dir.path());
        let issued = issue(&app).await;
        assert_eq!(issued["deliveries"], Value::Null, "no hook, no deliveries");
        issued["id"].as_str().unwrap().to_string()
    };
    let sent = dir.path().join("sent.jsonl");
    let app = app_with_hook(dir.path(), &format!("cat >> '{}'", sent.display()));
    let state = settled(&app, &id).await;
    assert_eq!(state["deliveries"]["delivered"], state["tasks_total"]);
}
