//! Warnings on a PostGIS database shared by two servers (`scripts/with-postgis`): a
//! warning issued through one is tracked on the other, an answer recorded on one shows
//! on the other within moments, one task cannot be answered twice across servers, and
//! a third server started later sees it all.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "postgis")]

mod common;

use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::service::Service;
use riskatlas::store::postgis;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A server on the database, following the others.
async fn server(url: &str) -> axum::Router {
    let (service, follow) = Service::open_postgis(url, None, |_| {}).await.unwrap();
    tokio::spawn(follow);
    router(AppState::serving(service, HttpOptions::default()))
}

/// Polls `uri` on `app` until `ready` holds (at most 10 s); how long it took.
async fn until(app: &axum::Router, uri: &str, ready: impl Fn(&Value) -> bool) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let reply = common::get(app, uri).await;
        if reply.status == 200 {
            let v = reply.json();
            if ready(&v) {
                return (v, started.elapsed());
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{uri} never became ready"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn state_of(v: &Value, task: &str) -> String {
    v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task)
        .unwrap()["state"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_track_one_warning() {
    let Some(url) = common::postgis_url("the PostGIS warnings tests") else {
        return;
    };
    let pool = postgis::connect(&url).await.unwrap();
    sqlx::query("TRUNCATE riskatlas_layers CASCADE")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("TRUNCATE riskatlas_warning_events")
        .execute(&pool)
        .await
        .unwrap();
    let folder = riskatlas::import::load_folder(&common::repo_path("data/demo")).unwrap();
    for (i, layer) in folder.atlas.layers().iter().enumerate() {
        postgis::write_layer(&pool, layer, i as i32).await.unwrap();
    }
    let (a, b) = (server(&url).await, server(&url).await);
    let body = json!({"area": {"admin_codes": ["629901106000"]}, "level": "red", "hazard_type": "flood",
        "headline": "山洪红色预警", "instruction": "立即转移"});
    let issued = common::post(&a, "/api/warnings?issue=true", body).await;
    assert_eq!(issued.status, 201, "{}", issued.error());
    let issued = issued.json();
    assert_eq!(issued["durable"], true);
    let id = issued["id"].as_str().unwrap().to_string();
    let first = issued["tasks"][0]["id"].as_str().unwrap().to_string();
    let uri = format!("/api/warnings/{id}");
    // B learns of the warning, then records an answer; A shows it within moments.
    until(&b, &uri, |v| v["id"] == id.as_str()).await;
    let ack = json!({"task_id": first, "means": "radio", "note": "收到"});
    let answered = common::post(&b, &format!("{uri}/acks"), ack.clone()).await;
    assert_eq!(answered.status, 201, "{}", answered.error());
    let (seen, took) = until(&a, &uri, |v| state_of(v, &first) == "answered").await;
    assert_eq!(seen["tasks"][0]["answer"]["note"], "收到");
    eprintln!("an answer recorded on one server showed on the other after {took:?}");
    // The same task answered again, through the other server: refused.
    let again = common::post(&a, &format!("{uri}/acks"), ack).await;
    assert_eq!(again.status, 409, "{}", again.error());
    // A server started now loads it all from the database.
    let c = server(&url).await;
    let (late, _) = until(&c, &uri, |v| v["id"] == id.as_str()).await;
    assert_eq!(state_of(&late, &first), "answered");
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM riskatlas_warning_events WHERE warning = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, 2, "one issue and one answer stored");
}
