//! Call and respond on the demo: a warning issued, answered, escalated on the
//! documented clock (driven through `?at=`), cancelled and updated; the answers durable
//! across `kill -9` of the server; the journal replayed on restart.

#![allow(clippy::unwrap_used)]

mod common;

use common::server::{Guard, http_full, start};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

fn red_flood() -> Value {
    json!({
        "area": {"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 20}}}]},
        "level": "red", "hazard_type": "flood",
        "headline": "20年一遇洪水红色预警", "instruction": "立即转移 Move now",
    })
}

fn secs(t: &Value) -> i64 {
    riskatlas::analysis::warnings::instant(t.as_str().unwrap()).unwrap()
}

fn at(t: i64) -> String {
    riskatlas::analysis::warnings::rfc3339(t)
}

fn task<'a>(state: &'a Value, id: &str) -> &'a Value {
    state["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
}

async fn issue(app: &axum::Router) -> Value {
    let reply = common::post(app, "/api/warnings?issue=true", red_flood()).await;
    assert_eq!(reply.status, 201, "{}", reply.error());
    reply.json()
}

async fn ack(app: &axum::Router, id: &str, task: &str) -> common::Reply {
    let body = json!({"task_id": task, "means": "phone", "note": "村里正在转移"});
    common::post(app, &format!("/api/warnings/{id}/acks"), body).await
}

#[tokio::test]
async fn tasks_start_when_their_caller_answers_and_escalate_up_the_chain_when_silent() {
    let dir = common::demo_copy();
    let app = common::served(dir.path());
    let issued = issue(&app).await;
    let id = issued["id"].as_str().unwrap().to_string();
    assert_eq!(issued["status"], "active");
    assert_eq!(issued["durable"], true, "a data folder keeps its warnings");
    let t0 = secs(&issued["issued_at"]);
    let tasks = issued["tasks"].as_array().unwrap();
    let roots: Vec<&Value> = tasks.iter().filter(|t| t["caller"].is_null()).collect();
    assert_eq!(
        roots.len(),
        1,
        "the county duty officer is called by the desk"
    );
    let county = roots[0]["id"].as_str().unwrap();
    assert_eq!(roots[0]["state"], "waiting");
    assert!(
        tasks
            .iter()
            .filter(|t| !t["caller"].is_null())
            .all(|t| t["state"] == "blocked")
    );

    // The county answers; its townships' clocks start then.
    assert_eq!(ack(&app, &id, county).await.status, 201);
    let townships: Vec<String> = tasks
        .iter()
        .filter(|t| t["caller"] == county && t["role"] == "township duty officer")
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert!(townships.len() >= 2);
    assert_eq!(ack(&app, &id, &townships[0]).await.status, 201);
    // Twelve minutes on (red: ten to answer), the silent townships are escalated to
    // the county; the one that answered is not; its villages wait, and are escalated
    // to it after their own ten minutes.
    let uri = |t: i64| format!("/api/warnings/{id}?at={}", at(t).replace('+', "%2B"));
    let later = common::get(&app, &uri(t0 + 12 * 60)).await.ok_json();
    assert_eq!(task(&later, &townships[0])["state"], "answered");
    for t in &townships[1..] {
        let s = task(&later, t);
        assert_eq!(s["state"], "escalated", "{t}");
        assert_eq!(s["escalated_to"], county);
        assert_eq!(s["escalations"], 1);
    }
    let villages: Vec<&Value> = later["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["caller"] == townships[0].as_str())
        .collect();
    assert!(!villages.is_empty());
    assert!(
        villages
            .iter()
            .all(|v| v["state"] == "escalated" && v["escalated_to"] == townships[0].as_str())
    );
    // Most urgent first: the escalated, longest silent, lead the silent list.
    let silent = later["silent"].as_array().unwrap();
    assert_eq!(
        task(&later, silent[0].as_str().unwrap())["state"],
        "escalated"
    );
    // Twenty-five minutes on, a silent township has gone two periods: past the county,
    // to the duty desk.
    let much_later = common::get(&app, &uri(t0 + 25 * 60)).await.ok_json();
    assert_eq!(
        task(&much_later, &townships[1])["escalated_to"],
        "duty desk"
    );
    // The map layer colours the answered township green and a silent one red.
    let map = common::get(&app, &format!("{}&format=geojson", uri(t0 + 12 * 60)))
        .await
        .ok_json();
    let colour = |code: &str| {
        map["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == code)
            .unwrap()["properties"]["colour"]
            .clone()
    };
    assert_eq!(colour(townships[0].trim_start_matches("admin/")), "#1a9850");
    assert_eq!(colour(townships[1].trim_start_matches("admin/")), "#d73027");
}

#[tokio::test]
async fn answers_are_checked_and_a_warning_closes_when_cancelled_or_updated() {
    let dir = common::demo_copy();
    let app = common::served(dir.path());
    let issued = issue(&app).await;
    let id = issued["id"].as_str().unwrap().to_string();
    let county = issued["tasks"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(ack(&app, &id, &county).await.status, 201);
    let again = ack(&app, &id, &county).await;
    assert_eq!(again.status, 409, "answered once: {}", again.error());
    assert!(again.error().contains("was answered at"));
    assert_eq!(ack(&app, &id, "admin/nowhere").await.status, 404);
    assert_eq!(ack(&app, "W999", &county).await.status, 404);
    for (body, words) in [
        (
            json!({"task_id": county, "means": "pigeon"}),
            "means \"pigeon\"",
        ),
        (
            json!({"task_id": county, "means": "sms", "at": "2020-01-01T00:00:00Z"}),
            "must be between",
        ),
        (
            json!({"task_id": county, "means": "sms", "colour": 1}),
            "colour",
        ),
    ] {
        let r = common::post(&app, &format!("/api/warnings/{id}/acks"), body).await;
        assert_eq!(r.status, 400, "{words}");
        assert!(r.error().contains(words), "{words}: {}", r.error());
    }
    // An update supersedes the warning; the new one's calls start afresh.
    let mut orange = red_flood();
    orange["level"] = json!("orange");
    let updated = common::post(&app, &format!("/api/warnings/{id}/update"), orange).await;
    assert_eq!(updated.status, 201, "{}", updated.error());
    let new = updated.json();
    assert_eq!(new["updates"], id.as_str());
    assert_eq!(
        new["counts"]["answered"],
        Value::Null,
        "no answer carried over"
    );
    let old = common::get(&app, &format!("/api/warnings/{id}"))
        .await
        .ok_json();
    assert_eq!(
        old["status"],
        format!("superseded by {}", new["id"].as_str().unwrap())
    );
    assert_eq!(
        ack(&app, &id, issued["tasks"][1]["id"].as_str().unwrap())
            .await
            .status,
        409
    );
    // Cancelling closes every unanswered task and stops the clock.
    let new_id = new["id"].as_str().unwrap();
    let cancelled = common::post(
        &app,
        &format!("/api/warnings/{new_id}/cancel"),
        json!({"reason": "水位回落"}),
    )
    .await;
    assert_eq!(cancelled.status, 200);
    let state = cancelled.json();
    assert_eq!(state["status"], "cancelled");
    assert_eq!(
        state["counts"]["closed"].as_u64(),
        state["tasks_total"].as_u64()
    );
    let list = common::get(&app, "/api/warnings").await.ok_json();
    assert_eq!(list["warnings"].as_array().unwrap().len(), 2);
    assert_eq!(list["warnings"][0]["id"], new_id, "newest first");
}

#[tokio::test]
async fn the_journal_replays_on_restart() {
    let dir = common::demo_copy();
    let (id, answered) = {
        let app = common::served(dir.path());
        let issued = issue(&app).await;
        let id = issued["id"].as_str().unwrap().to_string();
        let county = issued["tasks"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(ack(&app, &id, &county).await.status, 201);
        (id, county)
    };
    let app = common::served(dir.path());
    let state = common::get(&app, &format!("/api/warnings/{id}"))
        .await
        .ok_json();
    assert_eq!(task(&state, &answered)["state"], "answered");
    assert_eq!(task(&state, &answered)["answer"]["note"], "村里正在转移");
}

#[test]
fn kill_9_while_answers_stream_in_loses_no_acknowledged_answer() {
    let dir = common::demo_copy();
    let args = [dir.path().as_os_str()];
    let data = ["--data".as_ref(), args[0]];
    let (child, addr) = start(&data);
    let mut guard = Guard(child);
    let (status, body) = http_full(
        &addr,
        "POST",
        "/api/warnings?issue=true",
        &red_flood().to_string(),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let issued: Value = serde_json::from_str(&body).unwrap();
    let id = issued["id"].as_str().unwrap().to_string();
    let tasks: Vec<String> = issued["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    // Answer tasks one after another; once ten are in, kill the server while the
    // next ones stream in.
    let (ten_in, wait_for_ten) = std::sync::mpsc::channel();
    let killer = std::thread::spawn(move || {
        wait_for_ten.recv().unwrap();
        std::thread::sleep(Duration::from_millis(30));
        guard.0.kill().unwrap(); // SIGKILL
        guard.0.wait().unwrap();
    });
    let mut acked = Vec::new();
    for t in &tasks {
        let body = json!({"task_id": t, "means": "phone"}).to_string();
        match http_full(&addr, "POST", &format!("/api/warnings/{id}/acks"), &body) {
            Some((201, _)) => acked.push(t.clone()),
            Some((status, body)) => panic!("ack answered {status}: {body}"),
            None => break,
        }
        if acked.len() == 10 {
            ten_in.send(()).unwrap();
        }
    }
    assert!(
        acked.len() < tasks.len(),
        "the kill came before the last answer"
    );
    killer.join().unwrap();
    assert!(
        !acked.is_empty(),
        "some answers were acknowledged before the kill"
    );
    let (child, addr) = start(&data);
    let _guard = Guard(child);
    let (status, body) = http_full(&addr, "GET", &format!("/api/warnings/{id}"), "").unwrap();
    assert_eq!(status, 200, "{body}");
    let state: Value = serde_json::from_str(&body).unwrap();
    let states: HashMap<&str, &str> = state["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["state"].as_str().unwrap()))
        .collect();
    for t in &acked {
        assert_eq!(
            states[t.as_str()],
            "answered",
            "acknowledged answer to {t} lost"
        );
    }
    eprintln!(
        "{} of {} answers acknowledged before the kill; all kept",
        acked.len(),
        tasks.len()
    );
}
